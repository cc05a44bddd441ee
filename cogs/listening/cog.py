"""Practice 1, active listening: "Reflect back", listening circles and listening pairs.

- **Reflect back** (a message context menu, here): the reflector writes what they heard;
  Hearth replies to the message — linking it, never copying it — with two buttons only the
  person whose words they were may use. Their "Not quite" is a reply too.
- **Circles** (`/listen circle`, `circles.py`): a thread and a talking stick.
- **Pairs** (`/listen pairs …`, `pairs.py`): rounds of pairs who opted in.

The database is the truth: every job re-reads and every move is guarded by the state it
expects, so restarts and races change things once. Everything said on Discord is an
outbox intent written with the change it follows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, outbox_store, textfit, timeutil, ui
from bot.boundaries_rules import is_paused
from bot.cog import DAY_CHOICES, HearthCog, admin_only
from bot.db import Database, Tx
from bot.errors import HearthError, send_ephemeral
from bot.outbox import Message, Outcome, Words
from bot.privacy import PersonalData
from bot.retention import Policy
from cogs.listening import logic, store, views
from cogs.listening.circles import Circles
from cogs.listening.common import ANSWER_WAIT, Part
from cogs.listening.logic import PAIRING, PRACTICE, Answer, Cadence, CircleAction, Met
from cogs.listening.pairs import Pairs

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

REFLECTION = "listening.reflection"  # the outbox's handler for a reflection's reply
CADENCE_CHOICES = [
    app_commands.Choice(name="Every week", value=Cadence.WEEKLY.value),
    app_commands.Choice(name="Every two weeks", value=Cadence.FORTNIGHTLY.value),
]
REFLECTIONS_KEPT = timedelta(days=90)
HISTORY_KEPT = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Target:
    """The message someone chose to reflect back, as the context menu saw it."""

    message_id: int
    channel_id: int
    writer_id: int
    named: bool  # their own message (a reply may ping them), not Hearth's post of their words


class ListeningCog(HearthCog):
    """Practice 1: be fully present, reflect back, ask before advising."""

    practice: ClassVar[str | None] = PRACTICE
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem[Any]], ...]] = (
        views.ReflectionButton,
        views.CircleButton,
        views.MetButton,
    )
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA
    opt_ins = (PAIRING,)

    listen = app_commands.Group(
        name="listen",
        description="Listening circles with a talking stick, and listening pairs",
        guild_only=True,
    )
    pairs = app_commands.Group(
        name="pairs",
        description="Now and then, get paired with a friend to really listen",
        parent=listen,
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.reflect_menu = app_commands.ContextMenu(
            name="Reflect back",
            callback=self.reflect_back,
            extras={"practice": PRACTICE},
        )
        bot.tree.add_command(self.reflect_menu)
        self.circles = Circles(self)
        self.pairing = Pairs(self)
        bot.outbox.handle(REFLECTION, failed=self._reflection_failed)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.reflect_menu.name, type=self.reflect_menu.type)

    @property
    def db(self) -> Database:
        return self.bot.db

    def now(self) -> datetime:
        return self.bot.clock.now()

    # ================================================================== reflect back

    async def reflect_back(
        self, interaction: discord.Interaction[HearthBot], message: discord.Message
    ) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise app_commands.NoPrivateMessage()
        me = self.bot.user
        author = message.author
        from_hearth = me is not None and author.id == me.id
        writer: int | None = None
        if from_hearth:
            # Hearth's post of someone's words (a revealed answer, a share): theirs to answer.
            writers = await outbox_store.writers_of(self.db, message.id)
            writer = writers[0] if len(writers) == 1 else None
        elif not author.bot:
            writer = author.id
        refusal = logic.reflect_refusal(
            author_is_hearth=from_hearth,
            author_is_bot=author.bot,
            writer=writer,
            reflector=interaction.user.id,
            writer_paused=writer is not None and await self.bot.boundaries.is_paused(writer),
            practice_on=await self.practice_on(guild_id),
        )
        if refusal is not None or writer is None:
            log.info(
                "reflect refused guild=%s user=%s why=%s",
                guild_id,
                interaction.user.id,
                refusal.value if refusal else "nobody",
            )
            raise HearthError(views.REFUSALS[refusal or logic.Refusal.HEARTH])
        Part.require_post_rights(interaction, "post your reflection")
        target = Target(message.id, message.channel.id, writer, named=not from_hearth)
        await interaction.response.send_modal(views.ReflectModal(self, target))

    async def _may_ping(self, sender: int, recipient: int) -> bool:
        """A ping on someone's behalf: within the shared reach limit, never paused, never in
        their quiet hours."""
        if self.bot.reach.refusal(sender, recipient) is not None:
            return False
        person = await self.bot.boundaries.person(recipient)
        now = self.now()
        if is_paused(person, now):
            return False
        window = person.quiet_hours
        return window is None or not timeutil.in_quiet_hours(now, *window, person.timezone or "UTC")

    async def post_reflection(
        self, interaction: discord.Interaction[Any], target: Any, heard: str, question: str
    ) -> None:
        assert isinstance(target, Target)
        guild_id = interaction.guild_id
        assert guild_id is not None
        heard_text = textfit.clean(heard)
        if not heard_text:
            await ui.reply(interaction, "Nothing was posted. Whenever you're ready.")
            return
        reflector = interaction.user.id
        await interaction.response.defer(ephemeral=True, thinking=True)
        ping = target.named and await self._may_ping(reflector, target.writer_id)
        reflection_id = interaction.id
        async with self.bot.boundaries.acting(guild_id, reflector) as tx:
            await store.create_reflection(
                tx,
                reflection_id=reflection_id,
                guild_id=guild_id,
                channel_id=target.channel_id,
                message_id=target.message_id,
                writer_user_id=target.writer_id,
                reflector_user_id=reflector,
                named=target.named,
                now=self.now(),
            )
            intent = await self.bot.outbox.post(
                tx,
                channel_id=target.channel_id,
                guild_id=guild_id,
                message=views.reflection_message(
                    reflector_id=reflector,
                    heard=heard_text,
                    question=textfit.clean(question),
                    reply_to=target.message_id,
                    ping_writer=ping,
                    view=views.reflection_view(reflection_id),
                ),
                words=[Words(reflector, PRACTICE)],
                handler=REFLECTION,
                ref=reflection_id,
            )
            await store.set_reflection_intent(tx, reflection_id, intent)
        if ping:
            self.bot.reach.take(reflector, target.writer_id)
        log.info(
            "reflection guild=%s reflection=%s user=%s ping=%s",
            guild_id,
            reflection_id,
            reflector,
            ping,
        )
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            await ui.reply(
                interaction,
                "I couldn't post that here, sorry. Here's what you wrote, so nothing is lost:\n"
                + textfit.quote_block(heard_text, 1500),
            )
            return
        where = "It's posted" if outcome is not None else "It's on its way"
        await ui.reply(
            interaction,
            f"{where}, as a reply to their message. 👂 They can tell you whether you heard "
            "them right.",
        )

    async def _reflection_failed(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.ref is not None:
            await store.delete_reflection(tx, outcome.ref)

    async def on_reflection_answer(
        self, interaction: discord.Interaction[Any], reflection_id: int, *, yes: bool
    ) -> None:
        found = await store.get_reflection(self.db, reflection_id)
        if found is None or found.guild_id != interaction.guild_id:
            await send_ephemeral(
                interaction, "That reflection isn't around any more, so there's nothing to answer."
            )
            return
        if interaction.user.id != found.writer_user_id:
            await send_ephemeral(
                interaction,
                "Only the person whose words were reflected can answer this one. 💛 You can "
                "reflect back yourself: right-click or long-press a message → Apps → Reflect back.",
            )
            return
        if found.answer is not Answer.OPEN:
            await send_ephemeral(interaction, "You've answered this one already. Thank you!")
            return
        message = interaction.message
        if message is None:
            await send_ephemeral(interaction, "That reflection isn't around any more.")
            return
        if not yes:
            await interaction.response.send_modal(
                views.ClarifyModal(self, reflection_id, message.id)
            )
            return
        async with self.bot.boundaries.acting(found.guild_id, interaction.user.id) as tx:
            if not await store.answer_reflection(tx, reflection_id, Answer.YES, self.now()):
                raise HearthError("You've answered this one already. Thank you!")
            await self.bot.outbox.edit(
                tx,
                channel_id=found.channel_id,
                guild_id=found.guild_id,
                message_id=message.id,
                message=Message(embeds=[views.answered_embed(yes=True)]),
            )
        log.info("reflection answered guild=%s reflection=%s yes", found.guild_id, reflection_id)
        await ui.reply(interaction, "Lovely. I've let them know they heard you right. 💛")

    async def post_clarification(
        self,
        interaction: discord.Interaction[Any],
        reflection_id: int,
        reflection_message_id: int,
        meant: str,
    ) -> None:
        found = await store.get_reflection(self.db, reflection_id)
        if found is None or interaction.user.id != found.writer_user_id:
            await send_ephemeral(interaction, "That reflection isn't around any more.")
            return
        text = textfit.clean(meant)
        if not text:
            await ui.reply(interaction, "Nothing was posted. You can answer whenever you like.")
            return
        writer = interaction.user.id
        await interaction.response.defer(ephemeral=True, thinking=True)
        ping = await self._may_ping(writer, found.reflector_user_id)
        async with self.bot.boundaries.acting(found.guild_id, writer) as tx:
            if not await store.answer_reflection(tx, reflection_id, Answer.NOT_QUITE, self.now()):
                raise HearthError("You've answered this one already. Thank you!")
            intent = await self.bot.outbox.post(
                tx,
                channel_id=found.channel_id,
                guild_id=found.guild_id,
                message=views.clarification_message(
                    writer_id=writer if found.named else None,
                    reflector_id=found.reflector_user_id,
                    meant=text,
                    reply_to=reflection_message_id,
                    ping=ping,
                ),
                words=[Words(writer, PRACTICE)],
            )
            await self.bot.outbox.edit(
                tx,
                channel_id=found.channel_id,
                guild_id=found.guild_id,
                message_id=reflection_message_id,
                message=Message(embeds=[views.answered_embed(yes=False)]),
            )
        if ping:
            self.bot.reach.take(writer, found.reflector_user_id)
        log.info(
            "reflection answered guild=%s reflection=%s not-quite", found.guild_id, reflection_id
        )
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            await ui.reply(
                interaction,
                "I couldn't post that here, sorry. Here's what you wrote, so nothing is lost:\n"
                + textfit.quote_block(text, 1500),
            )
            return
        await ui.reply(interaction, "Posted as a reply, so they can hear you better. 💛")

    # ================================================================== circles

    @listen.command(name="circle", description="Open a listening circle with a talking stick")
    @app_commands.describe(
        topic="What the circle is about, in a few words",
        minutes_per_turn="How long each person may hold the stick (1–30, default 5)",
    )
    async def circle(
        self,
        interaction: discord.Interaction[HearthBot],
        topic: app_commands.Range[str, 1, 100],
        minutes_per_turn: app_commands.Range[int, 1, 30] | None = None,
    ) -> None:
        await self.circles.open(interaction, topic, minutes_per_turn)

    async def on_circle_button(
        self, interaction: discord.Interaction[Any], action: CircleAction, circle_id: int
    ) -> None:
        await self.circles.on_circle_button(interaction, action, circle_id)

    # ================================================================== pairs

    @pairs.command(name="join", description="Be paired with a friend now and then to listen")
    async def pairs_join(self, interaction: discord.Interaction[HearthBot]) -> None:
        await self.pairing.join(interaction)

    @pairs.command(name="leave", description="Stop being paired (no explanation needed)")
    async def pairs_leave(self, interaction: discord.Interaction[HearthBot]) -> None:
        await self.pairing.leave(interaction)

    @pairs.command(name="avoid", description="Privately keep someone out of your pairs")
    @app_commands.describe(member="Who you'd rather not be paired with (they'll never know)")
    async def pairs_avoid(
        self, interaction: discord.Interaction[HearthBot], member: discord.Member
    ) -> None:
        await self.pairing.avoid(interaction, member)

    @pairs.command(name="allow", description="Take someone off your private avoid list")
    @app_commands.describe(member="Who may be paired with you again")
    async def pairs_allow(
        self, interaction: discord.Interaction[HearthBot], member: discord.Member
    ) -> None:
        await self.pairing.allow(interaction, member)

    @pairs.command(
        name="status", description="Whether you're in, the next round, your private list"
    )
    async def pairs_status(self, interaction: discord.Interaction[HearthBot]) -> None:
        await self.pairing.status(interaction)

    @pairs.command(name="schedule", description="Set how often listening pairs are drawn here")
    @app_commands.describe(
        every="Every week or every two weeks",
        weekday="Which day a round starts",
        at="The server's local time, like 18:00 or 6pm",
    )
    @app_commands.rename(at="time")
    @app_commands.choices(every=CADENCE_CHOICES)
    @app_commands.choices(weekday=DAY_CHOICES)
    @admin_only()
    async def pairs_schedule(
        self,
        interaction: discord.Interaction[HearthBot],
        every: app_commands.Choice[str],
        weekday: app_commands.Choice[int],
        at: str,
    ) -> None:
        await self.pairing.schedule(interaction, every, weekday, at)

    @pairs.command(name="pause", description="Pause listening pairs in this server")
    @admin_only()
    async def pairs_pause(self, interaction: discord.Interaction[HearthBot]) -> None:
        await self.pairing.pause(interaction)

    @pairs.command(name="resume", description="Start listening pairs again after a pause")
    @admin_only()
    async def pairs_resume(self, interaction: discord.Interaction[HearthBot]) -> None:
        await self.pairing.resume(interaction)

    async def on_met(self, interaction: discord.Interaction[Any], pair_id: int, met: Met) -> None:
        await self.pairing.on_met(interaction, pair_id, met)

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        return await self.pairing.settings_notes(guild_id)

    # ================================================================== message events

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        # The hot path: a channel with no circle or pair costs two dict lookups. Only the
        # event is used (who, where, which message): never its text.
        channel_id = message.channel.id
        circle_id = self.circles.threads.get(channel_id)
        pair_id = self.pairing.threads.get(channel_id)
        if circle_id is None and pair_id is None:
            return
        if message.author.bot or message.guild is None:
            return
        now = self.now()
        if pair_id is not None:
            await self.pairing.heard(message, pair_id, now)
        if circle_id is not None:
            await self.circles.heard(message, circle_id, now)

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        if payload.thread_id not in self.circles.threads:
            return
        metadata: dict[str, Any] = dict(payload.data.get("thread_metadata", {}))
        if metadata.get("archived"):
            await self.circles.thread_closed(payload.thread_id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.circles.thread_closed(payload.thread_id)
        self.pairing.threads.pop(payload.thread_id, None)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.circles.channel_deleted(channel.id)

    # ================================================================== start, leave, forget

    async def rebuild_jobs(self) -> None:
        self.circles.live, self.circles.threads, self.pairing.threads = {}, {}, {}
        await self._arm_from_database()

    async def rebuild_guild_jobs(self, guild_id: int) -> None:
        await self._arm_from_database(guild_id)

    async def _arm_from_database(self, only: int | None = None) -> None:
        away = await guilds.left_ids(self.db) if only is None else set()

        def wanted(guild_id: int) -> bool:
            return guild_id == only if only is not None else guild_id not in away

        await self.circles.rebuild(wanted)
        await self.pairing.rebuild(wanted)
        log.info("listening jobs rebuilt guild=%s circles=%d", only, len(self.circles.live))

    @commands.Cog.listener()
    async def on_hearth_guild_left(self, guild_id: int) -> None:
        """Suspend the server's circles and rounds: back with `rebuild_guild_jobs`."""
        self.circles.guild_left(guild_id)
        await self.pairing.guild_left(guild_id)

    async def server_forgotten(self, guild_id: int) -> None:
        await self.on_hearth_guild_left(guild_id)
        await self.circles.server_forgotten()
        await self.pairing.server_forgotten()

    async def person_forgotten(self, user_id: int) -> None:
        """Their rows are gone: they hold no stick and carry no marks in memory."""
        self.circles.person_forgotten(user_id)

    async def retention_due(self, tx: Tx, policy: Policy, now: datetime) -> int:
        """Its own periods, whatever the server's: reflections after 90 days, ended circles
        and closed pair rounds after a year."""
        reflections = await store.prune_reflections(tx, now - REFLECTIONS_KEPT)
        circles = await store.prune_circles(tx, now - HISTORY_KEPT)
        rounds = await store.prune_rounds(tx, now - HISTORY_KEPT)
        log.info(
            "listening retention reflections=%d circles=%d rounds=%d", reflections, circles, rounds
        )
        return reflections + circles + rounds
