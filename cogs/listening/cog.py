"""Practice 1, active listening: "Reflect back", listening circles and listening pairs.

- **Reflect back** (a message context menu): the reflector writes what they heard; Hearth
  replies to the message — linking it, never copying it — with two buttons only the
  person whose words they were may use. Their "Not quite" is a reply too.
- **Circles** (`/listen circle`): a thread, members who join, a talking stick passed by
  its holder or by the turn timer (`listening:circle:{id}`), a minute to reflect back
  between turns, one quiet mark per person per turn on messages sent out of turn (from
  message *events*: Hearth never reads the text), and a summary of who spoke and for how
  long. An hour with nothing said or pressed ends it (`listening:idle:{id}`); so does its
  thread closing.
- **Pairs** (`/listen pairs …`): each round (`listening:pairs:{guild}`) pairs everyone who
  opted in (bot.boundaries' "pairing"), a private thread and a question each (or DMs,
  with consent, where threads can't be opened); halfway a nudge to silent pairs only
  (`listening:nudge:{round}`), near the end "Did you two get to talk?"
  (`listening:ask:{round}`), at the end the group's total (`listening:close:{round}`).

The database is the truth: every job re-reads and every move is guarded by the state it
expects, so restarts and races change things once. Everything said on Discord is an
outbox intent written with the change it follows.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, outbox_store, textfit, timeutil, ui
from bot.boundaries_rules import is_paused
from bot.cog import HearthCog, admin_only
from bot.db import Database
from bot.errors import HearthError, send_ephemeral
from bot.guilds import WEEKDAYS
from bot.outbox import CHANNEL_LOST, Message, Outcome, Tx, Words
from bot.privacy import PersonalData
from cogs.listening import logic, store, views
from cogs.listening.logic import (
    PRACTICE,
    Answer,
    Cadence,
    EndReason,
    Met,
    Phase,
    RoundStatus,
    ScheduleStatus,
)
from cogs.listening.store import Circle, Round, Schedule

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

# The outbox's handlers (bot.outbox).
REFLECTION = "listening.reflection"
CARD = "listening.card"
THREAD = "listening.thread"
TURN = "listening.turn"
PAIR_THREAD = "listening.pair_thread"
ANNOUNCE = "listening.announce"  # a round's start or totals, in the group channel
ANSWER_WAIT = 2.5  # how long a command waits to say whether its message made it
DAY_CHOICES = [app_commands.Choice(name=name, value=i) for i, name in enumerate(WEEKDAYS)]
CADENCE_CHOICES = [
    app_commands.Choice(name="Every week", value=Cadence.WEEKLY.value),
    app_commands.Choice(name="Every two weeks", value=Cadence.FORTNIGHTLY.value),
]
MAX_AVOID = 25
REFLECTIONS_KEPT = timedelta(days=90)
HISTORY_KEPT = timedelta(days=365)
OFF = (
    "Active listening is switched off in this server. An admin can switch it on in "
    "`/hearth settings`."
)


def circle_job_id(circle_id: int) -> str:
    return f"listening:circle:{circle_id}"


def idle_job_id(circle_id: int) -> str:
    return f"listening:idle:{circle_id}"


def pairs_job_id(guild_id: int) -> str:
    return f"listening:pairs:{guild_id}"


def nudge_job_id(round_id: int) -> str:
    return f"listening:nudge:{round_id}"


def ask_job_id(round_id: int) -> str:
    return f"listening:ask:{round_id}"


def close_job_id(round_id: int) -> str:
    return f"listening:close:{round_id}"


@dataclass(frozen=True, slots=True)
class Target:
    """The message someone chose to reflect back, as the context menu saw it."""

    message_id: int
    channel_id: int
    writer_id: int
    named: bool  # their own message (a reply may ping them), not Hearth's post of their words


@dataclass(slots=True)
class _Live:
    """A live circle as the message hot path sees it."""

    guild_id: int
    phase: Phase
    holder: int | None
    turn_no: int
    last_active: datetime
    saved_active: datetime
    marked: set[int] = field(default_factory=set)  # marked this turn


class ListeningCog(HearthCog):
    """Practice 1: be fully present, reflect back, ask before advising."""

    practice: ClassVar[str | None] = PRACTICE
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem[Any]], ...]] = (
        views.ReflectionButton,
        views.CircleButton,
        views.MetButton,
    )
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA

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
        self._circles: dict[int, _Live] = {}  # circle id → its live state
        self._circle_threads: dict[int, int] = {}  # thread → circle id
        self._pair_threads: dict[int, int] = {}  # thread of a still-silent pair → pair id
        bot.outbox.handle(REFLECTION, failed=self._reflection_failed)
        bot.outbox.handle(CARD, delivered=self._card_posted, failed=self._circle_lost)
        bot.outbox.handle(THREAD, delivered=self._thread_opened, failed=self._thread_failed)
        bot.outbox.handle(TURN, failed=self._circle_lost)
        bot.outbox.handle(
            PAIR_THREAD, delivered=self._pair_thread_opened, failed=self._pair_thread_failed
        )
        bot.outbox.handle(ANNOUNCE, failed=self._announce_failed)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.reflect_menu.name, type=self.reflect_menu.type)

    @property
    def db(self) -> Database:
        return self.bot.db

    def now(self) -> datetime:
        return self.bot.clock.now()

    async def _practice_on(self, guild_id: int) -> bool:
        settings = await guilds.get(self.db, guild_id)
        return settings is None or settings.practice_on(PRACTICE)

    async def _require_practice(self, guild_id: int) -> None:
        if not await self._practice_on(guild_id):
            raise HearthError(OFF)

    @staticmethod
    def _require_post_rights(interaction: discord.Interaction[Any], what: str) -> None:
        perms = interaction.app_permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        can_send = perms.send_messages_in_threads if in_thread else perms.send_messages
        if not (
            perms.view_channel and can_send and perms.embed_links and perms.read_message_history
        ):
            raise HearthError(
                f"I can't post here, so I couldn't {what}. An admin can give me View Channel, "
                "Send Messages, Embed Links and Read Message History, or try another channel."
            )

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
            practice_on=await self._practice_on(guild_id),
        )
        if refusal is not None or writer is None:
            log.info(
                "reflect refused guild=%s user=%s why=%s",
                guild_id,
                interaction.user.id,
                refusal.value if refusal else "nobody",
            )
            raise HearthError(views.REFUSALS[refusal or logic.Refusal.HEARTH])
        self._require_post_rights(interaction, "post your reflection")
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
                self.db,
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
            await store.set_reflection_intent(self.db, reflection_id, intent)
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
            await self.db.execute(
                "DELETE FROM listening_reflections WHERE reflection_id = ?", (outcome.ref,)
            )

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
            if not await store.answer_reflection(self.db, reflection_id, Answer.YES, self.now()):
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
            if not await store.answer_reflection(
                self.db, reflection_id, Answer.NOT_QUITE, self.now()
            ):
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
        guild_id, channel = interaction.guild_id, interaction.channel
        if guild_id is None or channel is None:
            raise app_commands.NoPrivateMessage()
        about = textfit.one_line(topic, logic.TOPIC_MAX)
        if not about:
            raise HearthError(
                "Give the circle a few words of topic, so friends know what it's about."
            )
        try:
            minutes = logic.check_turn_minutes(minutes_per_turn)
        except logic.RuleError as exc:
            raise HearthError(str(exc)) from None
        await self._require_practice(guild_id)
        self._require_post_rights(interaction, "hold a circle here")
        in_thread = isinstance(channel, discord.Thread)
        if not in_thread and not interaction.app_permissions.create_public_threads:
            raise HearthError(
                "A circle gets a thread of its own, and I can't open threads here. An admin "
                "can give me Create Public Threads, or start the circle inside a thread."
            )
        if await store.live_circle_at(self.db, channel.id) is not None:
            raise HearthError(
                "There's a circle going here already. Join that one, or start yours elsewhere."
            )
        circle_id = interaction.id
        user_id = interaction.user.id
        now = self.now()
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.boundaries.acting(guild_id, user_id) as tx:
            found = await store.create_circle(
                self.db,
                circle_id=circle_id,
                guild_id=guild_id,
                channel_id=channel.id,
                in_thread=in_thread,
                starter_user_id=user_id,
                topic=about,
                turn_minutes=minutes,
                now=now,
            )
            message, words = await self._card(found)
            card = await self.bot.outbox.post(
                tx,
                channel_id=channel.id,
                guild_id=guild_id,
                message=message,
                words=words,
                handler=CARD,
                ref=circle_id,
            )
            thread = None
            if not in_thread:
                thread = await self.bot.outbox.thread(
                    tx,
                    channel_id=channel.id,
                    message_of=card,
                    guild_id=guild_id,
                    name="Listening circle",
                    archive_minutes=1440,
                    handler=THREAD,
                    ref=circle_id,
                )
            await store.set_circle_intents(self.db, circle_id, card=card, thread=thread)
            fresh = await store.get_circle(self.db, circle_id)
            assert fresh is not None
            self.db.after_commit(lambda: self._watch(fresh))
        log.info(
            "circle opened guild=%s circle=%s user=%s minutes=%d in_thread=%s",
            guild_id,
            circle_id,
            user_id,
            minutes,
            in_thread,
        )
        outcome = await self.bot.outbox.wait(card, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            raise HearthError(
                "I couldn't post the circle here, so I've let it go. An admin can check my "
                "permissions, or try another channel."
            )
        await ui.reply(
            interaction,
            "The circle is open and you're in it. When your friends have joined, tap "
            "**Begin** and the talking stick starts with you.",
        )

    async def _card(self, c: Circle) -> tuple[Message, list[Words]]:
        """The circle's card as it stands, and whose words it carries (the topic: if its
        starter deletes their data, the card stays for the group without it)."""
        members = await store.circle_order(self.db, c.circle_id)
        starter = c.starter_user_id or None
        actions: tuple[str, ...]
        if c.phase is Phase.GATHERING:
            actions = ("join", "leave", "begin", "end")
        else:
            actions = ("join", "leave", "end")
        view = views.circle_view(c.circle_id, *actions)

        def draw(topic: str | None, who: int | None) -> discord.Embed:
            return views.circle_card(
                topic=topic,
                starter_id=who,
                members=members,
                turn_minutes=c.turn_minutes,
                phase=c.phase,
            )

        message = Message(embeds=[draw(c.topic, starter)], view=view)
        if not starter:
            return message, []
        redacted = Message(embeds=[draw(None, None)], view=view)
        return message, [Words(starter, PRACTICE, redact=redacted)]

    async def _edit_card(self, tx: Tx, c: Circle, message: Message, words: list[Words]) -> None:
        if c.card_message_id is None and c.card_intent is None:
            return
        await self.bot.outbox.edit(
            tx,
            channel_id=c.channel_id,
            guild_id=c.guild_id,
            message_id=c.card_message_id,
            message_of=None if c.card_message_id is not None else c.card_intent,
            message=message,
            words=words,
        )

    async def _card_posted(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.ref is not None and outcome.message_id is not None:
            await store.set_card_message(self.db, outcome.ref, outcome.message_id)

    async def _thread_opened(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.ref is None or outcome.message_id is None:
            return
        circle_id, thread_id = outcome.ref, outcome.message_id
        await store.set_circle_thread(self.db, circle_id, thread_id)
        self.db.after_commit(lambda: self._circle_threads.__setitem__(thread_id, circle_id))

    async def _thread_failed(self, tx: Tx, outcome: Outcome) -> None:
        """No thread could be opened: the circle happens under its card, in the channel."""
        if outcome.ref is None:
            return
        c = await store.get_circle(self.db, outcome.ref)
        if c is None or not c.live:
            return
        await store.set_circle_thread(self.db, c.circle_id, c.channel_id)
        circle_id, channel_id = c.circle_id, c.channel_id
        self.db.after_commit(lambda: self._circle_threads.__setitem__(channel_id, circle_id))

    async def _circle_lost(self, tx: Tx, outcome: Outcome) -> None:
        """Discord refused a circle's card or turn for good (the channel or thread is gone
        or closed to Hearth): the circle ends, quietly."""
        if outcome.ref is not None:
            log.info(
                "circle lost its place guild=%s circle=%s code=%s",
                outcome.guild_id,
                outcome.ref,
                outcome.code,
            )
            await self._end(outcome.ref, EndReason.THREAD, tell=False)

    def _watch(self, c: Circle) -> None:
        if not c.live:
            return
        self._circles[c.circle_id] = _Live(
            c.guild_id, c.phase, c.holder_user_id, c.turn_no, c.last_active_at, c.last_active_at
        )
        if c.thread_id is not None:
            self._circle_threads[c.thread_id] = c.circle_id
        if c.phase_ends_at is not None:
            self.bot.scheduler.at(
                circle_job_id(c.circle_id), c.phase_ends_at, self._phase_job, c.circle_id
            )
        self.bot.scheduler.at(
            idle_job_id(c.circle_id),
            c.last_active_at + logic.IDLE_AFTER,
            self._idle_job,
            c.circle_id,
        )

    def _unwatch(self, circle_id: int) -> None:
        self._circles.pop(circle_id, None)
        for thread_id in [t for t, cid in self._circle_threads.items() if cid == circle_id]:
            del self._circle_threads[thread_id]
        self.bot.scheduler.cancel(circle_job_id(circle_id))
        self.bot.scheduler.cancel(idle_job_id(circle_id))

    def _active(self, circle_id: int, now: datetime) -> None:
        live = self._circles.get(circle_id)
        if live is not None and now > live.last_active:
            live.last_active = now

    async def on_circle_button(
        self, interaction: discord.Interaction[Any], action: str, circle_id: int
    ) -> None:
        c = await store.get_circle(self.db, circle_id)
        if c is None or c.guild_id != interaction.guild_id or not c.live:
            await send_ephemeral(interaction, views.CIRCLE_GONE)
            return
        now = self.now()
        self._active(circle_id, now)
        user_id = interaction.user.id
        if action == "join":
            await self._join(interaction, c)
        elif action == "leave":
            await self._leave(interaction, c)
        elif action == "begin":
            await self._begin(interaction, c)
        elif action == "pass":
            if c.phase is not Phase.SPEAKING or c.holder_user_id != user_id:
                holder = f"<@{c.holder_user_id}>" if c.holder_user_id else "the speaker"
                await ui.reply(
                    interaction,
                    f"Only the one holding the stick can pass it: right now that's {holder}. 🪶"
                    if c.phase is Phase.SPEAKING
                    else "The stick isn't being held right now.",
                )
                return
            await interaction.response.defer()
            await self._to_reflecting(c.circle_id, c.turn_no)
        elif action == "ready":
            if c.phase is not Phase.REFLECTING or c.holder_user_id != user_id:
                await ui.reply(
                    interaction,
                    "The next speaker taps this when they're ready. The stick will come to "
                    "you in turn. 🪶",
                )
                return
            await interaction.response.defer()
            await self._to_speaking(c.circle_id, c.turn_no)
        elif action == "end":
            perms = interaction.permissions
            if user_id != c.starter_user_id and not (perms.manage_guild or perms.administrator):
                await ui.reply(
                    interaction,
                    "Only the one who started the circle, or an admin, can end it. You can "
                    "always **Leave**.",
                )
                return
            await interaction.response.defer()
            await self._end(c.circle_id, EndReason.CLOSED)
        else:  # pragma: no cover - the custom id pattern only lets known actions through
            await send_ephemeral(interaction, views.FORGED)

    async def _join(self, interaction: discord.Interaction[Any], c: Circle) -> None:
        user_id = interaction.user.id
        if len(await store.circle_order(self.db, c.circle_id)) >= logic.MAX_MEMBERS:
            await ui.reply(
                interaction,
                f"This circle is full ({logic.MAX_MEMBERS} is the most that fit). Start "
                "another with `/listen circle`.",
            )
            return
        async with self.bot.boundaries.acting(c.guild_id, user_id) as tx:
            joined = await store.join_circle(self.db, c.circle_id, user_id, self.now())
            if joined:
                message, words = await self._card(c)
                await self._edit_card(tx, c, message, words)
        where = f" in <#{c.thread_id}>" if c.thread_id and c.thread_id != c.channel_id else ""
        await ui.reply(
            interaction,
            f"You're in the circle{where}. 🪑 When the stick comes to you, take your time."
            if joined
            else "You're already in this circle. 🪑",
        )

    async def _leave(self, interaction: discord.Interaction[Any], c: Circle) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(c.guild_id, user_id) as tx:
            left = await store.leave_circle(self.db, c.circle_id, user_id, self.now())
            if left:
                message, words = await self._card(c)
                await self._edit_card(tx, c, message, words)
        if left and c.holder_user_id == user_id:
            if c.phase is Phase.SPEAKING:
                await self._to_reflecting(c.circle_id, c.turn_no)
            elif c.phase is Phase.REFLECTING:
                await self._to_speaking(c.circle_id, c.turn_no)
        await ui.reply(
            interaction,
            "You've left the circle. Thanks for listening. 🌙"
            if left
            else "You weren't in this one.",
        )

    async def _begin(self, interaction: discord.Interaction[Any], c: Circle) -> None:
        if interaction.user.id != c.starter_user_id:
            await ui.reply(
                interaction, "The one who started the circle begins it when everyone's here. 🪶"
            )
            return
        if c.phase is not Phase.GATHERING:
            await ui.reply(interaction, "The circle has already begun. 🪶")
            return
        order = await store.circle_order(self.db, c.circle_id)
        if len(order) < logic.MIN_MEMBERS:
            await ui.reply(
                interaction,
                "A circle needs at least two people. Wait for a friend to tap **Join**.",
            )
            return
        await interaction.response.defer()
        await self._to_speaking(c.circle_id, 0, expected=Phase.GATHERING)

    def _target(self, c: Circle) -> tuple[int, int | None]:
        """Where the circle speaks: its thread, or the thread its card's intent opens."""
        if c.thread_id is not None:
            return c.thread_id, None
        return c.channel_id, c.thread_intent

    async def _say(self, tx: Tx, c: Circle, message: Message, *, turn: bool = False) -> int:
        channel_id, channel_of = self._target(c)
        intent = await self.bot.outbox.post(
            tx,
            channel_id=channel_id,
            channel_of=channel_of,
            guild_id=c.guild_id,
            message=message,
            lane=f"ch:{c.channel_id}" if channel_of is not None else None,
            handler=TURN if turn else None,
            ref=c.circle_id if turn else None,
        )
        return intent

    async def _retire_turn_message(self, tx: Tx, c: Circle) -> None:
        """The last turn's buttons go (its words stay)."""
        if c.turn_intent is None:
            return
        channel_id, channel_of = self._target(c)
        await self.bot.outbox.edit(
            tx,
            channel_id=channel_id,
            guild_id=c.guild_id,
            message_of=c.turn_intent,
            message=Message(),
            lane=f"ch:{c.channel_id}" if channel_of is not None else None,
        )

    async def _to_speaking(
        self, circle_id: int, turn_no: int, *, expected: Phase = Phase.REFLECTING
    ) -> bool:
        """The stick goes to the next speaker (the first, from a gathering)."""
        now = self.now()
        async with self.db.transaction() as tx:
            c = await store.get_circle(self.db, circle_id)
            if c is None or c.phase is not expected or c.turn_no != turn_no:
                return False
            order = await store.circle_order(self.db, circle_id)
            holder = c.holder_user_id if c.holder_user_id in order else None
            if holder is None:
                holder = logic.next_speaker(order, None)
            if holder is None:
                await self._end(circle_id, EndReason.CLOSED)
                return True
            ends_at = now + timedelta(minutes=c.turn_minutes)
            if not await store.move_stick(
                self.db,
                circle_id,
                expected_phase=expected,
                expected_turn=turn_no,
                phase=Phase.SPEAKING,
                holder=holder,
                ends_at=ends_at,
                now=now,
            ):
                return False
            await self._retire_turn_message(tx, c)
            intent = await self._say(
                tx, c, views.turn_message(circle_id, holder, ends_at), turn=True
            )
            await store.set_turn_intent(self.db, circle_id, intent)
            if expected is Phase.GATHERING:
                fresh = await store.get_circle(self.db, circle_id)
                assert fresh is not None
                message, words = await self._card(fresh)
                await self._edit_card(tx, fresh, message, words)
            self.db.after_commit(
                lambda: self._moved(circle_id, Phase.SPEAKING, holder, turn_no + 1, ends_at)
            )
        log.info("circle turn guild=%s circle=%s turn=%d", c.guild_id, circle_id, turn_no + 1)
        return True

    async def _to_reflecting(self, circle_id: int, turn_no: int) -> bool:
        """The speaker is done: a minute to reflect back, then the next speaker."""
        now = self.now()
        async with self.db.transaction() as tx:
            c = await store.get_circle(self.db, circle_id)
            if c is None or c.phase is not Phase.SPEAKING or c.turn_no != turn_no:
                return False
            order = await store.circle_order(self.db, circle_id)
            spoke = c.holder_user_id
            following = logic.next_speaker(order, spoke)
            if following is None:
                await self._end(circle_id, EndReason.CLOSED)
                return True
            begins_at = now + logic.REFLECT_PAUSE
            if not await store.move_stick(
                self.db,
                circle_id,
                expected_phase=Phase.SPEAKING,
                expected_turn=turn_no,
                phase=Phase.REFLECTING,
                holder=following,
                ends_at=begins_at,
                now=now,
            ):
                return False
            await self._retire_turn_message(tx, c)
            intent = await self._say(
                tx, c, views.reflect_message(circle_id, spoke, following, begins_at), turn=True
            )
            await store.set_turn_intent(self.db, circle_id, intent)
            self.db.after_commit(
                lambda: self._moved(circle_id, Phase.REFLECTING, following, turn_no, begins_at)
            )
        log.info("circle pause guild=%s circle=%s turn=%d", c.guild_id, circle_id, turn_no)
        return True

    def _moved(
        self, circle_id: int, phase: Phase, holder: int | None, turn_no: int, until: datetime
    ) -> None:
        live = self._circles.get(circle_id)
        if live is not None:
            live.phase, live.holder = phase, holder
            if live.turn_no != turn_no:
                live.turn_no = turn_no
                live.marked = set()
        self.bot.scheduler.at(circle_job_id(circle_id), until, self._phase_job, circle_id)

    async def _phase_job(self, circle_id: int) -> None:
        c = await store.get_circle(self.db, circle_id)
        if c is None or c.phase not in (Phase.SPEAKING, Phase.REFLECTING):
            return
        if c.phase_ends_at is not None and self.now() < c.phase_ends_at:
            self.bot.scheduler.at(
                circle_job_id(circle_id), c.phase_ends_at, self._phase_job, circle_id
            )
            return
        if c.phase is Phase.SPEAKING:
            await self._to_reflecting(circle_id, c.turn_no)
        else:
            await self._to_speaking(circle_id, c.turn_no)

    async def _idle_job(self, circle_id: int) -> None:
        c = await store.get_circle(self.db, circle_id)
        if c is None or not c.live:
            return
        live = self._circles.get(circle_id)
        last = max(c.last_active_at, live.last_active if live is not None else c.last_active_at)
        if self.now() - last < logic.IDLE_AFTER:
            await store.save_activity(self.db, circle_id, last)
            if live is not None:
                live.saved_active = last
            self.bot.scheduler.at(
                idle_job_id(circle_id), last + logic.IDLE_AFTER, self._idle_job, circle_id
            )
            return
        await self._end(circle_id, EndReason.IDLE)

    async def _end(self, circle_id: int, reason: EndReason, *, tell: bool = True) -> bool:
        """End a circle once: the summary (who spoke and for how long) in its thread, the
        card's last state. `tell=False` when its thread is closed or gone: nothing is said
        there (a post would reopen an archived thread), only the card in its channel says so.
        """
        async with self.db.transaction() as tx:
            c = await store.get_circle(self.db, circle_id)
            if c is None or not await store.end_circle(self.db, circle_id, reason, self.now()):
                return False
            spoke = logic.who_spoke(await store.turns(self.db, circle_id), self.now())
            if tell:
                await self._retire_turn_message(tx, c)
                await self._say(tx, c, views.summary_message(spoke, reason))
            card_elsewhere = c.thread_id is None or c.thread_id != c.channel_id
            if tell or (card_elsewhere and not c.in_thread):
                ended = await store.get_circle(self.db, circle_id)
                assert ended is not None
                starter = ended.starter_user_id or None

                def draw(topic: str | None) -> discord.Embed:
                    return views.ended_card(topic, spoke, reason)

                words = (
                    [Words(starter, PRACTICE, redact=Message(embeds=[draw(None)]))]
                    if starter
                    else []
                )
                await self._edit_card(tx, c, Message(embeds=[draw(c.topic)]), words)
            self.db.after_commit(lambda: self._unwatch(circle_id))
        log.info("circle ended guild=%s circle=%s why=%s", c.guild_id, circle_id, reason.value)
        return True

    # -- message events (never their text) --------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        # The hot path: a channel with no circle or pair costs two dict lookups.
        channel_id = message.channel.id
        circle_id = self._circle_threads.get(channel_id)
        pair_id = self._pair_threads.get(channel_id)
        if circle_id is None and pair_id is None:
            return
        if message.author.bot or message.guild is None:
            return
        now = self.now()
        if pair_id is not None and await store.mark_spoke(self.db, pair_id, message.author.id, now):
            self._pair_threads.pop(channel_id, None)
            # Talking with their partner is taking part: it keeps them in the pool.
            await self.bot.boundaries.touch(message.guild.id, message.author.id)
            log.info("pair spoke guild=%s pair=%s", message.guild.id, pair_id)
        if circle_id is not None:
            await self._heard_in_circle(message, circle_id, now)

    async def _heard_in_circle(
        self, message: discord.Message, circle_id: int, now: datetime
    ) -> None:
        live = self._circles.get(circle_id)
        if live is None:
            return
        self._active(circle_id, now)
        if now - live.saved_active >= logic.ACTIVITY_SAVE_EVERY:
            live.saved_active = now
            await store.save_activity(self.db, circle_id, now)
        author = message.author.id
        if live.phase is not Phase.SPEAKING or author == live.holder or author in live.marked:
            return
        live.marked.add(author)  # before awaiting: a burst of messages marks once
        me = message.guild.me if message.guild is not None else None
        channel = message.channel
        if me is None or not isinstance(channel, discord.Thread | discord.TextChannel):
            return
        if not channel.permissions_for(me).add_reactions:
            return
        async with self.db.transaction() as tx:
            if await store.mark(self.db, circle_id, live.turn_no, author, now):
                await self.bot.outbox.react(
                    tx,
                    channel_id=channel.id,
                    message_id=message.id,
                    emoji=logic.QUIET_MARK,
                    guild_id=live.guild_id,
                )
        log.info(
            "circle quiet mark guild=%s circle=%s turn=%d", live.guild_id, circle_id, live.turn_no
        )

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        circle_id = self._circle_threads.get(payload.thread_id)
        if circle_id is None:
            return
        metadata: dict[str, Any] = dict(payload.data.get("thread_metadata", {}))
        if metadata.get("archived"):
            await self._end(circle_id, EndReason.THREAD, tell=False)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        circle_id = self._circle_threads.get(payload.thread_id)
        if circle_id is not None:
            await self._end(circle_id, EndReason.THREAD, tell=False)
        self._pair_threads.pop(payload.thread_id, None)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        for c in await store.circles_in(self.db, channel.id):
            # Its card went with the channel: nothing to edit, nothing to say.
            if await store.end_circle(self.db, c.circle_id, EndReason.THREAD, self.now()):
                self._unwatch(c.circle_id)

    # ================================================================== pairs

    @pairs.command(name="join", description="Be paired with a friend now and then to listen")
    async def pairs_join(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        await self._require_practice(guild_id)
        await self.bot.boundaries.touch(guild_id, interaction.user.id)
        await self.bot.boundaries.set_opt_in(guild_id, interaction.user.id, "pairing", True)
        schedule = await store.get_schedule(self.db, guild_id)
        if schedule is None:
            when = "Once an admin sets the rhythm with `/listen pairs schedule`, you'll be in."
        elif schedule.status is ScheduleStatus.PAUSED:
            when = "Pairs are paused here for now; you'll be in when they start again."
        else:
            when = f"The next round is {timeutil.discord_timestamp(schedule.next_at, 'F')}."
        log.info("pairs join guild=%s user=%s", guild_id, interaction.user.id)
        await ui.reply(
            interaction,
            f"You're in listening pairs. 👂 {when}\n\nEach round you'll get a friend (now and "
            "then two), a private thread and a question to start. If I can't open threads "
            "here I'll DM you instead, if you allow DMs in `/boundaries mine`. Leave any "
            "time with `/listen pairs leave`; `/listen pairs avoid` keeps someone out of your "
            "pairs, privately.",
        )

    @pairs.command(name="leave", description="Stop being paired (no explanation needed)")
    async def pairs_leave(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        await self.bot.boundaries.set_opt_in(guild_id, interaction.user.id, "pairing", False)
        log.info("pairs leave guild=%s user=%s", guild_id, interaction.user.id)
        await ui.reply(
            interaction,
            "Done: you won't be paired from the next round on. A pair you're in now can "
            "carry on if you like. `/listen pairs join` brings you back.",
        )

    @pairs.command(name="avoid", description="Privately keep someone out of your pairs")
    @app_commands.describe(member="Who you'd rather not be paired with (they'll never know)")
    async def pairs_avoid(
        self, interaction: discord.Interaction[HearthBot], member: discord.Member
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        user_id = interaction.user.id
        if member.id == user_id:
            raise HearthError("That's you! Nothing to change there.")
        if member.bot:
            raise HearthError("Bots are never paired, so there's nothing to add.")
        mine = await store.avoid_list(self.db, guild_id, user_id)
        if any(other == member.id for _, other in mine):
            raise HearthError("They're on your list already. Nobody else knows. 🤍")
        if len(mine) >= MAX_AVOID:
            raise HearthError(f"Your list is full ({MAX_AVOID}). `/listen pairs allow` makes room.")
        async with self.bot.boundaries.acting(guild_id, user_id):
            await store.add_avoid(self.db, guild_id, user_id, member.id, self.now())
        log.info("pairs avoid added guild=%s user=%s", guild_id, user_id)
        await ui.reply(
            interaction,
            "Done. You won't be paired with them, and they'll never know: nobody sees your "
            "list but you.",
        )

    @pairs.command(name="allow", description="Take someone off your private avoid list")
    @app_commands.describe(member="Who may be paired with you again")
    async def pairs_allow(
        self, interaction: discord.Interaction[HearthBot], member: discord.Member
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        user_id = interaction.user.id
        entries = [
            e
            for e, other in await store.avoid_list(self.db, guild_id, user_id)
            if other == member.id
        ]
        if not entries:
            raise HearthError("They aren't on your list, so there's nothing to change.")
        async with self.bot.boundaries.acting(guild_id, user_id):
            for entry in entries:
                await store.remove_avoid(self.db, entry)
        await ui.reply(interaction, "Done. They may be paired with you again.")

    @pairs.command(
        name="status", description="Whether you're in, the next round, your private list"
    )
    async def pairs_status(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        user_id = interaction.user.id
        member = await self.bot.boundaries.member(guild_id, user_id)
        taking_part = member is not None and "pairing" in member.opt_ins
        schedule = await store.get_schedule(self.db, guild_id)
        lines = [
            "You're in listening pairs. 👂"
            if taking_part
            else "You're not in listening pairs (`/listen pairs join`).",
            self._schedule_line(schedule),
        ]
        mine = await store.avoid_list(self.db, guild_id, user_id)
        if mine:
            lines.append(
                "Never paired with (only you see this): " + ", ".join(f"<@{o}>" for _, o in mine)
            )
        await ui.reply(interaction, "\n".join(lines))

    def _schedule_line(self, s: Schedule | None) -> str:
        if s is None:
            return "No rhythm set yet: an admin can set one with `/listen pairs schedule`."
        every = "every week" if s.cadence is Cadence.WEEKLY else "every two weeks"
        line = (
            f"Rounds {every}, on {WEEKDAYS[s.weekday]}s at {s.local_time.strftime('%H:%M')}, "
            f"in <#{s.channel_id}>"
        )
        if s.status is ScheduleStatus.PAUSED:
            return line + " — ⏸️ paused (`/listen pairs resume`)."
        return line + f" — next {timeutil.discord_timestamp(s.next_at, 'R')}."

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        s = await store.get_schedule(self.db, guild_id)
        return [] if s is None else [("👂 Listening pairs", self._schedule_line(s))]

    async def _timezone(self, guild_id: int) -> str:
        settings = await guilds.get(self.db, guild_id)
        return settings.timezone if settings is not None else "UTC"

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
        guild_id, channel = interaction.guild_id, interaction.channel
        if guild_id is None or channel is None:
            raise app_commands.NoPrivateMessage()
        try:
            local_time = timeutil.parse_local_time(at)
        except ValueError as exc:
            raise HearthError(str(exc)) from None
        if not 0 <= weekday.value <= 6 or every.value not in {c.value for c in Cadence}:
            raise HearthError("Pick from the lists, please.")
        if isinstance(channel, discord.Thread):
            raise HearthError(
                "Pairs get private threads of their own, so set this up in a channel, not a thread."
            )
        await self._require_practice(guild_id)
        self._require_post_rights(interaction, "tell the group how each round went")
        cadence = Cadence(every.value)
        tz = await self._timezone(guild_id)
        now = self.now()
        next_at = logic.next_round_start(now, Cadence.WEEKLY, weekday.value, local_time, tz)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id):
            await store.save_schedule(
                self.db,
                guild_id=guild_id,
                channel_id=channel.id,
                cadence=cadence,
                weekday=weekday.value,
                local_time=local_time,
                next_at=next_at,
                now=now,
            )
        self._arm_schedule(guild_id, next_at)
        perms = interaction.app_permissions
        threads = perms.create_private_threads and perms.send_messages_in_threads
        how = (
            "Each pair gets a private thread here."
            if threads
            else "I can't open private threads here, so I'll DM each person instead (only those "
            "who allow DMs). An admin can give me Create Private Threads and Send Messages in "
            "Threads."
        )
        log.info("pairs scheduled guild=%s cadence=%s", guild_id, cadence.value)
        await ui.reply(
            interaction,
            embed=ui.embed(
                "Listening pairs are set",
                f"{'Every week' if cadence is Cadence.WEEKLY else 'Every two weeks'} on "
                f"**{WEEKDAYS[weekday.value]}** at **{local_time.strftime('%H:%M')}** ({tz}). "
                f"The first round is {timeutil.discord_timestamp(next_at, 'F')}.\n\n{how} "
                "Friends join with `/listen pairs join`; the group only ever sees totals.",
                practice=PRACTICE,
                footer="/listen pairs pause stops it any time.",
            ),
        )

    @pairs.command(name="pause", description="Pause listening pairs in this server")
    @admin_only()
    async def pairs_pause(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        s = await store.get_schedule(self.db, guild_id)
        if s is None or s.status is ScheduleStatus.PAUSED:
            raise HearthError("Listening pairs aren't running here, so there's nothing to pause.")
        async with self.bot.boundaries.acting(guild_id, interaction.user.id):
            await store.set_schedule_status(
                self.db, guild_id, ScheduleStatus.PAUSED, s.next_at, self.now()
            )
        self.bot.scheduler.cancel(pairs_job_id(guild_id))
        await ui.reply(
            interaction,
            "Paused. No new rounds until `/listen pairs resume`; pairs already talking carry on.",
        )

    @pairs.command(name="resume", description="Start listening pairs again after a pause")
    @admin_only()
    async def pairs_resume(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        s = await store.get_schedule(self.db, guild_id)
        if s is None or s.status is not ScheduleStatus.PAUSED:
            raise HearthError("Listening pairs aren't paused here.")
        tz = await self._timezone(guild_id)
        next_at = logic.next_round_start(self.now(), Cadence.WEEKLY, s.weekday, s.local_time, tz)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id):
            await store.set_schedule_status(
                self.db, guild_id, ScheduleStatus.ACTIVE, next_at, self.now()
            )
        self._arm_schedule(guild_id, next_at)
        await ui.reply(
            interaction,
            f"Welcome back! The next round is {timeutil.discord_timestamp(next_at, 'F')}.",
        )

    def _arm_schedule(self, guild_id: int, when: datetime) -> None:
        self.bot.scheduler.at(pairs_job_id(guild_id), when, self._round_job, guild_id)

    async def _round_job(self, guild_id: int) -> None:
        s = await store.get_schedule(self.db, guild_id)
        if s is None or s.status is not ScheduleStatus.ACTIVE:
            return
        now = self.now()
        occurrence = s.next_at
        if now < occurrence:
            self._arm_schedule(guild_id, occurrence)
            return
        tz = await self._timezone(guild_id)
        following = logic.next_round_start(occurrence, s.cadence, s.weekday, s.local_time, tz)
        while following <= now:
            following = logic.next_round_start(following, s.cadence, s.weekday, s.local_time, tz)
        try:
            for r in await store.open_rounds(self.db, guild_id):
                await self._close_round(r.round_id)
            if await self._practice_on(guild_id):
                await self._start_round(s, occurrence, following)
        except Exception:
            # This round failed; the next one must still be armed below.
            log.exception("pairs round failed guild=%s", guild_id)
        finally:
            if await store.advance_schedule(self.db, guild_id, occurrence, following):
                self._arm_schedule(guild_id, following)

    async def _start_round(self, s: Schedule, occurrence: datetime, ends_at: datetime) -> None:
        guild_id = s.guild_id
        pool = sorted(await self.bot.boundaries.participants(guild_id, "pairing"))
        if len(pool) < logic.MIN_POOL:
            log.info("pairs round skipped guild=%s people=%d", guild_id, len(pool))
            return
        history = logic.pair_counts(await store.pair_history(self.db, guild_id))
        avoid = await store.avoided_pairs(self.db, guild_id)
        number = await store.next_round_number(self.db, guild_id)
        seed = logic.round_seed(guild_id, number)
        # The search is plain CPU work: off the event loop, so the gateway never waits.
        plan = await asyncio.to_thread(logic.plan_pairs, pool, history, avoid, seed)
        if not plan.groups:
            log.info("pairs round skipped guild=%s nobody could be paired", guild_id)
            return
        channel = self.bot.get_channel(s.channel_id)
        guild = self.bot.get_guild(guild_id)
        threads_ok = False
        if isinstance(channel, discord.TextChannel) and guild is not None:
            perms = channel.permissions_for(guild.me)
            threads_ok = (
                perms.view_channel
                and perms.create_private_threads
                and perms.send_messages_in_threads
            )
        consented = await self.bot.boundaries.consented_depth(guild_id)
        prefs = {p: await self.bot.boundaries.member(guild_id, p) for p in plan.paired}
        times = logic.round_times(occurrence, ends_at)
        guild_name = textfit.one_line(guild.name, 100) if guild is not None else "your server"
        rng = random.Random(seed)
        async with self.db.transaction() as tx:
            found = await store.create_round(
                self.db,
                guild_id=guild_id,
                channel_id=s.channel_id,
                occurrence=occurrence,
                started_at=self.now(),
                nudge_at=times.nudge_at,
                ask_at=times.ask_at,
                ends_at=times.ends_at,
            )
            if found is None:
                return  # drawn already (the job ran twice)
            for group in plan.groups:
                comforts: list[int | None] = []
                skips: set[str] = set()
                for p in group:
                    member = prefs[p]
                    comforts.append(member.comfort_depth if member is not None else None)
                    if member is not None:
                        skips |= member.skip_topics
                depth = logic.pair_depth(consented, comforts)
                prompt = logic.pick_prompt(
                    self.bot.decks.eligible(PRACTICE, depth, skips),
                    depth,
                    await store.prompts_had(self.db, guild_id, group),
                    rng,
                )
                pair_id = await store.add_pair(
                    self.db,
                    round_id=found.round_id,
                    guild_id=guild_id,
                    via="thread" if threads_ok else "dm",
                    depth=depth,
                    prompt_id=prompt.id if prompt else None,
                    people=group,
                )
                if threads_ok:
                    await self._open_pair_thread(
                        tx, s.channel_id, guild_id, pair_id, group, prompt, ends_at
                    )
                else:
                    await self._dm_pair(tx, guild_id, group, prompt, ends_at, guild_name)
            await store.set_pair_count(self.db, found.round_id, len(plan.groups))
            await self.bot.outbox.post(
                tx,
                channel_id=s.channel_id,
                guild_id=guild_id,
                message=views.round_started(
                    found.number,
                    len(plan.groups),
                    any(len(g) == 3 for g in plan.groups),
                    threads_ok,
                ),
                handler=ANNOUNCE,
                ref=found.round_id,
            )
            fresh = await store.get_round(self.db, found.round_id)
            assert fresh is not None
            self.db.after_commit(lambda: self._arm_round(fresh))
        log.info(
            "pairs round guild=%s round=%s pairs=%d left_out=%d threads=%s",
            guild_id,
            found.round_id,
            len(plan.groups),
            len(plan.left_out),
            threads_ok,
        )

    async def _open_pair_thread(
        self,
        tx: Tx,
        channel_id: int,
        guild_id: int,
        pair_id: int,
        group: tuple[int, ...],
        prompt: Any,
        ends_at: datetime,
    ) -> None:
        """A private thread, its people added, and the first question: one lane, in order.
        The question goes nowhere else if the thread can't be made (then: DMs)."""
        lane = f"ls:pair:{pair_id}"
        thread = await self.bot.outbox.thread(
            tx,
            channel_id=channel_id,
            guild_id=guild_id,
            name="Listening pair",
            private=True,
            archive_minutes=10080,
            lane=lane,
            handler=PAIR_THREAD,
            ref=pair_id,
        )
        await store.set_pair_thread_intent(self.db, pair_id, thread)
        for person in group:
            await self.bot.outbox.add_to_thread(
                tx, user_id=person, guild_id=guild_id, channel_of=thread, lane=lane
            )
        await self.bot.outbox.post(
            tx,
            channel_id=None,
            channel_of=thread,
            guild_id=guild_id,
            lane=lane,
            message=views.pair_welcome(group, prompt, ends_at),
        )

    async def _dm_pair(
        self,
        tx: Tx,
        guild_id: int,
        group: tuple[int, ...],
        prompt: Any,
        ends_at: datetime,
        guild_name: str,
    ) -> None:
        """Each person hears who their partner is by DM, if they welcome DMs (asked again
        at delivery; quiet hours move it later)."""
        for person in group:
            partners = [p for p in group if p != person]
            await self.bot.outbox.dm(
                tx,
                user_id=person,
                guild_id=guild_id,
                message=views.pair_dm(partners, guild_name, prompt, ends_at),
            )

    async def _pair_thread_opened(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.ref is None or outcome.message_id is None:
            return
        pair_id, thread_id = outcome.ref, outcome.message_id
        await store.set_pair_thread(self.db, pair_id, thread_id)
        self.db.after_commit(lambda: self._pair_threads.__setitem__(thread_id, pair_id))

    async def _pair_thread_failed(self, tx: Tx, outcome: Outcome) -> None:
        """No private thread after all (a permission taken away): DMs instead."""
        if outcome.ref is None:
            return
        pair = await store.get_pair(self.db, outcome.ref)
        if pair is None:
            return
        found = await store.get_round(self.db, pair.round_id)
        if found is None or found.status is not RoundStatus.OPEN:
            return
        await store.set_pair_via(self.db, pair.pair_id, "dm")
        guild = self.bot.get_guild(pair.guild_id)
        name = textfit.one_line(guild.name, 100) if guild is not None else "your server"
        prompt = self.bot.decks.get(pair.prompt_id) if pair.prompt_id else None
        await self._dm_pair(tx, pair.guild_id, pair.people, prompt, found.ends_at, name)
        log.info("pair thread failed, DMs instead pair=%s code=%s", pair.pair_id, outcome.code)

    async def _announce_failed(self, tx: Tx, outcome: Outcome) -> None:
        """The group channel is gone or closed to Hearth: rounds pause until an admin fixes
        it (`/hearth settings` says so; `/listen pairs resume` brings them back)."""
        guild_id = outcome.guild_id
        if guild_id is None or outcome.code not in CHANNEL_LOST:
            return
        s = await store.get_schedule(self.db, guild_id)
        if s is None or s.status is ScheduleStatus.PAUSED:
            return
        await store.set_schedule_status(
            self.db, guild_id, ScheduleStatus.PAUSED, s.next_at, self.now()
        )
        self.db.after_commit(lambda: self.bot.scheduler.cancel(pairs_job_id(guild_id)))
        log.info("pairs paused, channel lost guild=%s code=%s", guild_id, outcome.code)

    def _arm_round(self, r: Round) -> None:
        sched = self.bot.scheduler
        if not r.nudged:
            sched.at(nudge_job_id(r.round_id), r.nudge_at, self._nudge_job, r.round_id)
        if not r.asked:
            sched.at(ask_job_id(r.round_id), r.ask_at, self._ask_job, r.round_id)
        sched.at(close_job_id(r.round_id), r.ends_at, self._close_job, r.round_id)

    def _disarm_round(self, round_id: int) -> None:
        for job in (nudge_job_id, ask_job_id, close_job_id):
            self.bot.scheduler.cancel(job(round_id))

    async def _due_round(self, round_id: int, at: str, job: Any, job_id: str) -> Round | None:
        r = await store.get_round(self.db, round_id)
        if r is None or r.status is not RoundStatus.OPEN:
            return None
        when: datetime = getattr(r, at)
        if self.now() < when:
            self.bot.scheduler.at(job_id, when, job, round_id)
            return None
        return r

    async def _nudge_job(self, round_id: int) -> None:
        r = await self._due_round(round_id, "nudge_at", self._nudge_job, nudge_job_id(round_id))
        if r is None:
            return
        nudged = 0
        async with self.db.transaction() as tx:
            if not await store.flag_round(self.db, round_id, "nudged"):
                return
            for pair in await store.round_pairs(self.db, round_id):
                # Only pairs whose thread hasn't heard a word: the rest are talking.
                if pair.via != "thread" or pair.thread_id is None or pair.spoke_at is not None:
                    continue
                await self.bot.outbox.post(
                    tx,
                    channel_id=pair.thread_id,
                    guild_id=pair.guild_id,
                    message=views.nudge_message(pair.people, r.ends_at),
                )
                await store.mark_pair_nudged(self.db, pair.pair_id)
                nudged += 1
        log.info("pairs nudged guild=%s round=%s pairs=%d", r.guild_id, round_id, nudged)

    async def _ask_job(self, round_id: int) -> None:
        r = await self._due_round(round_id, "ask_at", self._ask_job, ask_job_id(round_id))
        if r is None:
            return
        async with self.db.transaction() as tx:
            if not await store.flag_round(self.db, round_id, "asked"):
                return
            for pair in await store.round_pairs(self.db, round_id):
                if pair.via == "thread" and pair.thread_id is not None:
                    await self.bot.outbox.post(
                        tx,
                        channel_id=pair.thread_id,
                        guild_id=pair.guild_id,
                        message=views.ask_message(pair.pair_id, pair.people),
                    )
                elif pair.via == "dm":
                    for person in pair.people:
                        await self.bot.outbox.dm(
                            tx,
                            user_id=person,
                            guild_id=pair.guild_id,
                            message=views.ask_message(pair.pair_id),
                        )
        log.info("pairs asked guild=%s round=%s", r.guild_id, round_id)

    async def _close_job(self, round_id: int) -> None:
        r = await self._due_round(round_id, "ends_at", self._close_job, close_job_id(round_id))
        if r is not None:
            await self._close_round(round_id)

    async def _close_round(self, round_id: int) -> None:
        """The group hears how many pairs met (never who), once."""
        async with self.db.transaction() as tx:
            r = await store.get_round(self.db, round_id)
            if r is None or r.status is not RoundStatus.OPEN:
                return
            pairs = await store.round_pairs(self.db, round_id)
            met = logic.met_count({p.pair_id: p.answers for p in pairs})
            if not await store.close_round(self.db, round_id, met):
                return
            await self.bot.outbox.post(
                tx,
                channel_id=r.channel_id,
                guild_id=r.guild_id,
                message=views.round_totals(r.number, met, r.pair_count),
                handler=ANNOUNCE,
                ref=round_id,
            )
            threads = {p.thread_id for p in pairs if p.thread_id is not None}

            def done() -> None:
                self._disarm_round(round_id)
                for thread_id in threads:
                    self._pair_threads.pop(thread_id, None)

            self.db.after_commit(done)
        log.info(
            "pairs round closed guild=%s round=%s met=%d of=%d",
            r.guild_id,
            round_id,
            met,
            r.pair_count,
        )

    async def on_met(self, interaction: discord.Interaction[Any], pair_id: int, met: Met) -> None:
        pair = await store.get_pair(self.db, pair_id)
        if pair is None:
            await send_ephemeral(interaction, views.PAIR_GONE)
            return
        user_id = interaction.user.id
        if user_id not in pair.people:
            await send_ephemeral(
                interaction, "These buttons belong to the pair they were sent to. 💛"
            )
            return
        r = await store.get_round(self.db, pair.round_id)
        if r is None or r.status is not RoundStatus.OPEN:
            await send_ephemeral(interaction, views.PAIR_GONE)
            return
        async with self.bot.boundaries.acting(pair.guild_id, user_id):
            await store.answer_met(self.db, pair_id, user_id, met, self.now())
        log.info("pair answered guild=%s pair=%s met=%s", pair.guild_id, pair_id, met.value)
        await ui.reply(
            interaction,
            "Lovely. Thank you for really listening to each other. 💛"
            if met is Met.YES
            else "Thanks for telling me. Some weeks are like that; another round will come. 🌱",
        )

    # ================================================================== start, leave, forget

    async def rebuild_jobs(self) -> None:
        self._circles, self._circle_threads, self._pair_threads = {}, {}, {}
        await self._arm_from_database()

    async def rebuild_guild_jobs(self, guild_id: int) -> None:
        await self._arm_from_database(guild_id)

    async def _arm_from_database(self, only: int | None = None) -> None:
        away = await guilds.left_ids(self.db) if only is None else set()

        def wanted(guild_id: int) -> bool:
            return guild_id == only if only is not None else guild_id not in away

        for c in await store.live_circles(self.db):
            if wanted(c.guild_id):
                self._watch(c)
        for s in await store.schedules(self.db):
            if wanted(s.guild_id):
                self._arm_schedule(s.guild_id, s.next_at)
        for r in await store.open_rounds(self.db):
            if wanted(r.guild_id):
                self._arm_round(r)
        for thread_id, pair_id, guild_id in await store.pair_threads(self.db):
            if wanted(guild_id):
                self._pair_threads[thread_id] = pair_id
        log.info("listening jobs rebuilt guild=%s circles=%d", only, len(self._circles))

    @commands.Cog.listener()
    async def on_hearth_guild_left(self, guild_id: int) -> None:
        """Suspend the server's circles and rounds: back with `rebuild_guild_jobs`."""
        for circle_id in [cid for cid, live in self._circles.items() if live.guild_id == guild_id]:
            self._unwatch(circle_id)
        self.bot.scheduler.cancel(pairs_job_id(guild_id))
        for r in await store.open_rounds(self.db, guild_id):
            self._disarm_round(r.round_id)
            for pair in await store.round_pairs(self.db, r.round_id):
                if pair.thread_id is not None:
                    self._pair_threads.pop(pair.thread_id, None)

    async def server_forgotten(self, guild_id: int) -> None:
        await self.on_hearth_guild_left(guild_id)
        for job_id in self.bot.scheduler.job_ids("listening:"):
            kind, _, raw = job_id.removeprefix("listening:").partition(":")
            if not raw.isdigit():
                continue
            if kind in ("circle", "idle"):
                gone = await store.get_circle(self.db, int(raw)) is None
            elif kind == "pairs":
                gone = await store.get_schedule(self.db, int(raw)) is None
            else:
                gone = await store.get_round(self.db, int(raw)) is None
            if gone:
                self.bot.scheduler.cancel(job_id)
                if kind in ("circle", "idle"):
                    self._unwatch(int(raw))

    async def person_forgotten(self, user_id: int) -> None:
        """Their rows are gone: they hold no stick and carry no marks in memory."""
        for live in self._circles.values():
            live.marked.discard(user_id)
            if live.holder == user_id:
                live.holder = None

    @commands.Cog.listener()
    async def on_hearth_retention_due(
        self, now: datetime, default_days: int, custom: dict[int, int]
    ) -> None:
        reflections = await store.prune_reflections(self.db, now - REFLECTIONS_KEPT)
        circles = await store.prune_circles(self.db, now - HISTORY_KEPT)
        rounds = await store.prune_rounds(self.db, now - HISTORY_KEPT)
        if reflections or circles or rounds:
            await self.db.scrub()
        log.info(
            "listening retention reflections=%d circles=%d rounds=%d", reflections, circles, rounds
        )
