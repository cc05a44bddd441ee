"""`/phonesdown`: friends put their phones down together; Hearth keeps time and stays quiet.

A challenge's life: lobby (Join / Leave / Start now) → running (Hearth is silent and
only notes, by user id and server, who sends a message or uses a Hearth command) →
one results message with a debrief question. The database holds the truth; jobs
(`phonesdown:start|end:{challenge}`, `phonesdown:reminder|session:{session}`) are
rebuilt from it on start, and every transition is guarded by the status it expects.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, textfit, timeutil, ui
from bot.cog import HearthCog, admin_only
from bot.db import Database
from bot.dm import send_dm
from bot.errors import HearthError, send_ephemeral
from bot.guilds import WEEKDAYS
from bot.privacy import PersonalData, record_words
from cogs.phones_down import logic, store, views
from cogs.phones_down.store import Begin, BeginResult, Challenge, Join, Leave, Session

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

PRACTICE = "phones_down"
DAY_CHOICES = [app_commands.Choice(name=name, value=i) for i, name in enumerate(WEEKDAYS)]
# Discord's answers when a channel is gone or closed to Hearth.
CHANNEL_LOST = frozenset({50001, 50013, 10003})
MAX_SESSIONS_PER_GUILD = 10


def start_job(challenge_id: int) -> str:
    return f"phonesdown:start:{challenge_id}"


def end_job(challenge_id: int) -> str:
    return f"phonesdown:end:{challenge_id}"


def session_job(session_id: int) -> str:
    return f"phonesdown:session:{session_id}"


def reminder_job(session_id: int) -> str:
    return f"phonesdown:reminder:{session_id}"


def new_challenge_id(now: datetime) -> int:
    """A snowflake for a challenge no interaction started (a scheduled session)."""
    return discord.utils.time_snowflake(now) | secrets.randbits(22)


def _lost(exc: discord.HTTPException) -> bool:
    return exc.code in CHANNEL_LOST or exc.status in (403, 404)


@dataclass(slots=True)
class _Live:
    """A running challenge as the message hot path sees it."""

    ends_at: datetime
    watching: set[int] = field(default_factory=set)  # still phone-free, not stepped away


JOIN_REPLIES: dict[Join, str] = {
    Join.JOINED: (
        "You're in! 📵 When we start, put your phone somewhere out of reach. "
        "I'll stay quiet until the end."
    ),
    Join.ALREADY: "You're already in. 🌿",
    Join.WAS_AWAY: "You stepped away from this one, and that's fine. Catch the next one!",
    Join.TOO_LATE: "This one is past half-time, so it's closed to new joins. Catch the next one!",
    Join.CLOSED: "This one has finished. Start a fresh one any time with `/phonesdown start`.",
    Join.GONE: views.NOT_FOUND,
}
LEAVE_REPLIES: dict[Leave, str] = {
    Leave.LEFT: "No problem, you're out of this one. Maybe next time!",
    Leave.STEPPED_AWAY: (
        "Noted: you stepped away. Life happens, and there's nothing more to it. Take care!"
    ),
    Leave.ALREADY_AWAY: "You're already marked as stepped away. Take care!",
    Leave.NOT_IN: "You're not in this one, so there's nothing to leave.",
    Leave.CLOSED: "This one has finished already.",
    Leave.GONE: views.NOT_FOUND,
}
NOBODY_JOINED = (
    "Nobody joined this time, and that's okay. Start another whenever the moment feels right."
)
STALE = "I was offline when this was meant to start, sorry about that. Let's try again soon."
PAUSED_QUIET = (
    "\n\nIt's been quiet for a few weeks, so I've paused this weekly session. "
    "An admin can bring it back with `/phonesdown resume`."
)


class PhonesDownCog(HearthCog):
    """Practice 4: quality time without distractions."""

    practice: ClassVar[str | None] = PRACTICE
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem[Any]], ...]] = (
        views.ChallengeButton,
    )
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA

    phonesdown = app_commands.Group(
        name="phonesdown",
        description="Put phones down together, schedule it weekly, see the group's forest",
        guild_only=True,
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        # guild → challenge → who we are still watching. Only running challenges.
        self._live: dict[int, dict[int, _Live]] = {}
        self._ending: set[int] = set()
        self._thread_locks: dict[int, asyncio.Lock] = {}

    # ------------------------------------------------------------------ helpers

    @property
    def db(self) -> Database:
        return self.bot.db

    def now(self) -> datetime:
        return self.bot.clock.now()

    async def _timezone(self, guild_id: int) -> str:
        settings = await guilds.get(self.bot.db, guild_id)
        return settings.timezone if settings is not None else "UTC"

    async def _require_practice(self, guild_id: int) -> None:
        settings = await guilds.get(self.bot.db, guild_id)
        if settings is not None and not settings.practice_on(PRACTICE):
            raise HearthError(
                "Phones-down time is switched off in this server. An admin can switch it on "
                "in `/hearth settings`."
            )

    @staticmethod
    def _require_post_rights(interaction: discord.Interaction[Any]) -> None:
        perms = interaction.app_permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        can_send = perms.send_messages_in_threads if in_thread else perms.send_messages
        if not (perms.view_channel and can_send and perms.embed_links):
            raise HearthError(
                "I can't post here, so I couldn't share how it went at the end. An admin can "
                "give me View Channel, Send Messages and Embed Links, or try another channel."
            )

    def _channel(self, ch: Challenge | Session) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(ch.channel_id, guild_id=ch.guild_id)

    def _watch(self, guild_id: int, challenge_id: int, ends_at: datetime, users: set[int]) -> None:
        self._live.setdefault(guild_id, {})[challenge_id] = _Live(ends_at, set(users))

    def _unwatch(self, guild_id: int, challenge_id: int) -> None:
        live = self._live.get(guild_id)
        if live is None:
            return
        live.pop(challenge_id, None)
        if not live:
            del self._live[guild_id]

    def _unwatch_user(self, guild_id: int, challenge_id: int, user_id: int) -> None:
        entry = self._live.get(guild_id, {}).get(challenge_id)
        if entry is not None:
            entry.watching.discard(user_id)

    def watching(self, guild_id: int) -> dict[int, set[int]]:
        """challenge → user ids still watched in a server (a copy, for diagnostics and tests)."""
        return {cid: set(e.watching) for cid, e in self._live.get(guild_id, {}).items()}

    # ------------------------------------------------------------------ start up

    async def rebuild_jobs(self) -> None:
        sched = self.bot.scheduler
        sessions = {s.session_id: s for s in await store.active_sessions(self.db)}
        for ch in await store.with_status(self.db, "lobby"):
            owner = sessions.get(ch.session_id) if ch.session_id is not None else None
            if owner is None or owner.next_at != ch.starts_at:
                sched.at(start_job(ch.challenge_id), ch.starts_at, self._start_job, ch.challenge_id)
        for ch in await store.with_status(self.db, "running"):
            assert ch.ends_at is not None
            sched.at(end_job(ch.challenge_id), ch.ends_at, self._end_job, ch.challenge_id)
        for s in sessions.values():
            await self._arm_session(s)
        self._live = {}
        for guild_id, cid, ends_at, users in await store.running_index(self.db):
            self._watch(guild_id, cid, ends_at, set(users))
        log.info(
            "phones-down jobs rebuilt sessions=%d running=%d",
            len(sessions),
            sum(len(v) for v in self._live.values()),
        )

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        sessions = await store.guild_sessions(self.db, guild_id)
        if not sessions:
            return []
        lines = [self._session_line(s) for s in sessions]
        return [("📵 Phones-down sessions", "\n".join(lines))]

    def _session_line(self, s: Session) -> str:
        line = (
            f"{WEEKDAYS[s.weekday]}s at {s.local_time.strftime('%H:%M')} in <#{s.channel_id}>, "
            f"{logic.describe_minutes(s.duration_minutes)}"
        )
        if s.title:
            line += f" · {s.title}"
        if s.status == "paused":
            if s.pause_reason == "channel":
                line += (
                    f" — ⏸️ paused: I couldn't post in <#{s.channel_id}>. Check my permissions "
                    "there, then `/phonesdown resume`."
                )
            else:
                line += " — ⏸️ paused after a few quiet weeks; `/phonesdown resume` brings it back."
        else:
            line += f" — next {timeutil.discord_timestamp(s.next_at, 'R')}"
        return line

    # ------------------------------------------------------------------ /phonesdown start

    @phonesdown.command(name="start", description="Put your phones down together for a while")
    @app_commands.describe(
        duration="How long: 10 minutes to 4 hours, like 45m or 1h30m",
        title="A name for this one, if you like",
        join_window="How long friends have to join before it starts (default 2m)",
    )
    async def start(
        self,
        interaction: discord.Interaction[HearthBot],
        duration: str,
        title: str | None = None,
        join_window: str | None = None,
    ) -> None:
        guild_id, channel_id = interaction.guild_id, interaction.channel_id
        if guild_id is None or channel_id is None:
            raise app_commands.NoPrivateMessage()
        try:
            minutes = logic.parse_challenge_duration(duration)
            window = logic.parse_join_window(join_window)
        except logic.RuleError as exc:
            raise HearthError(str(exc)) from None
        name = logic.clean_title(title)
        await self._require_practice(guild_id)
        self._require_post_rights(interaction)
        if await store.live_in_channel(self.db, channel_id) is not None:
            raise HearthError(
                "There's already a phones-down going in this channel. Join that one, or start "
                "yours in another channel."
            )
        now = self.now()
        cid = interaction.id
        starts_at = now + window
        lobby = views.lobby_embed(
            title=name,
            duration_minutes=minutes,
            starts_at=starts_at,
            starter_id=interaction.user.id,
        )
        sent = await interaction.response.send_message(
            embed=lobby, view=views.lobby_view(cid, scheduled=False)
        )
        message_id = sent.message_id
        if message_id is None:  # pragma: no cover - Discord always names the message
            message_id = (await interaction.original_response()).id
        try:
            async with self.bot.boundaries.acting(guild_id, interaction.user.id):
                await store.create(
                    self.db,
                    challenge_id=cid,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    starter_user_id=interaction.user.id,
                    duration_minutes=minutes,
                    starts_at=starts_at,
                    now=now,
                    title=name,
                    message_id=message_id,
                )
        except store.ChannelBusy:
            # Someone else's start won the same moment: ours steps aside.
            await interaction.edit_original_response(
                embed=views.cancelled_embed(
                    name, "Someone started one here at the very same moment. Join theirs!"
                ),
                view=None,
            )
            return
        self.bot.scheduler.at(start_job(cid), starts_at, self._start_job, cid)
        log.info(
            "phones-down lobby guild=%s channel=%s challenge=%s user=%s minutes=%d",
            guild_id,
            channel_id,
            cid,
            interaction.user.id,
            minutes,
        )
        await interaction.followup.send(
            "You're in automatically. If you're only organising, tap **Leave**.", ephemeral=True
        )

    @start.autocomplete("duration")
    async def duration_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return _duration_choices(current)

    # ------------------------------------------------------------------ buttons

    async def on_button(
        self, interaction: discord.Interaction[Any], action: str, challenge_id: int
    ) -> None:
        ch = await store.get(self.db, challenge_id)
        if ch is None or ch.guild_id != interaction.guild_id:
            await send_ephemeral(interaction, views.NOT_FOUND)
            return
        if action == "join":
            await self._join(interaction, ch)
        elif action in ("leave", "away"):
            await self._leave(interaction, ch)
        elif action == "go":
            await self._start_now(interaction, ch)
        elif action == "answer":
            await self._open_answer(interaction, ch)
        else:  # pragma: no cover - the custom id pattern only lets known actions through
            await send_ephemeral(interaction, views.NOT_FOUND)

    async def _join(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        user_id = interaction.user.id
        now = self.now()
        async with self.bot.boundaries.acting(ch.guild_id, user_id):
            result = await store.join(self.db, ch.challenge_id, user_id, now)
        if result is Join.LATE:
            entry = self._live.get(ch.guild_id, {}).get(ch.challenge_id)
            if entry is not None:
                entry.watching.add(user_id)
            assert ch.ends_at is not None
            text = (
                "Welcome in! The timer's already going: phones down until "
                f"{timeutil.discord_timestamp(ch.ends_at, 't')}. I'll stay quiet until then."
            )
        else:
            text = JOIN_REPLIES[result]
        log.info(
            "phones-down join guild=%s challenge=%s user=%s result=%s",
            ch.guild_id,
            ch.challenge_id,
            user_id,
            result.value,
        )
        await ui.reply(interaction, text)

    async def _leave(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(ch.guild_id, user_id):
            result = await store.leave(self.db, ch.challenge_id, user_id, self.now())
        if result is Leave.STEPPED_AWAY:
            self._unwatch_user(ch.guild_id, ch.challenge_id, user_id)
        log.info(
            "phones-down leave guild=%s challenge=%s user=%s result=%s",
            ch.guild_id,
            ch.challenge_id,
            user_id,
            result.value,
        )
        await ui.reply(interaction, LEAVE_REPLIES[result])

    async def _start_now(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        if interaction.user.id != ch.starter_user_id:
            when = timeutil.discord_timestamp(ch.starts_at, "R")
            await ui.reply(
                interaction,
                f"Only the person who started this one can begin it early. It starts by itself "
                f"{when}.",
            )
            return
        if ch.status != "lobby":
            await ui.reply(interaction, "It's already going. Phones down! 📵")
            return
        async with self.bot.boundaries.acting(ch.guild_id, interaction.user.id):
            result = await store.begin(self.db, ch.challenge_id, self.now())
        if result.what is Begin.NOT_LOBBY:
            await ui.reply(interaction, "It's already going. Phones down! 📵")
            return
        await self._after_begin(result, interaction)

    # ------------------------------------------------------------------ starting

    async def _start_job(self, challenge_id: int) -> None:
        result = await store.begin(self.db, challenge_id, self.now())
        if result.what is not Begin.NOT_LOBBY:
            await self._after_begin(result)

    async def _after_begin(
        self, result: BeginResult, interaction: discord.Interaction[Any] | None = None
    ) -> None:
        ch = result.challenge
        assert ch is not None
        self.bot.scheduler.cancel(start_job(ch.challenge_id))
        view: discord.ui.View | None
        if result.what is Begin.STARTED:
            assert ch.started_at is not None
            assert ch.ends_at is not None
            parts = await store.participants(self.db, ch.challenge_id)
            self._watch(ch.guild_id, ch.challenge_id, ch.ends_at, {p.user_id for p in parts})
            self.bot.scheduler.at(
                end_job(ch.challenge_id), ch.ends_at, self._end_job, ch.challenge_id
            )
            embed = views.running_embed(
                title=ch.title, ends_at=ch.ends_at, started_at=ch.started_at, joined=len(parts)
            )
            view = views.running_view(ch.challenge_id)
        else:
            text = STALE if result.what is Begin.STALE else NOBODY_JOINED
            if result.session_paused:
                text += PAUSED_QUIET
                self._disarm_session(ch.session_id)
            embed = views.cancelled_embed(ch.title, text)
            view = None
        log.info(
            "phones-down begin guild=%s challenge=%s result=%s",
            ch.guild_id,
            ch.challenge_id,
            result.what.value,
        )
        # The one edit while it runs: the card turns into the running state.
        if interaction is not None:
            await interaction.response.edit_message(embed=embed, view=view)
            return
        await self._edit_card(ch, embed, view)

    async def _edit_card(
        self, ch: Challenge, embed: discord.Embed, view: discord.ui.View | None
    ) -> None:
        if ch.message_id is None:
            return
        try:
            await self._channel(ch).get_partial_message(ch.message_id).edit(embed=embed, view=view)
        except discord.HTTPException as exc:
            log.info(
                "phones-down card edit failed guild=%s challenge=%s code=%s",
                ch.guild_id,
                ch.challenge_id,
                exc.code,
            )

    # ------------------------------------------------------------------ noticing phones

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        # The hot path: a server with nothing running costs one dict lookup, no query.
        if not self._live:
            return
        guild = message.guild
        guild_id = guild.id if guild is not None else getattr(message.channel, "guild_id", None)
        if guild_id is None:
            return
        live = self._live.get(guild_id)
        if not live or message.author.bot:
            return
        await self._picked_up(guild_id, message.author.id)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = interaction.guild_id
        if guild_id is None or guild_id not in self._live:
            return
        kind = interaction.type
        if kind in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            data: dict[str, Any] = dict(interaction.data or {})
            custom = str(data.get("custom_id", ""))
            if custom.startswith(views.PREFIX):
                return  # joining or stepping away is part of the challenge, not a pick-up
        elif kind is not discord.InteractionType.application_command:
            return
        await self._picked_up(guild_id, interaction.user.id)

    async def _picked_up(self, guild_id: int, user_id: int) -> None:
        live = self._live.get(guild_id)
        if not live:
            return
        now = self.now()
        hits: list[int] = []
        for cid, entry in live.items():
            if user_id in entry.watching:
                # Forget them before awaiting, so a burst of messages writes once.
                entry.watching.discard(user_id)
                if now < entry.ends_at:
                    hits.append(cid)
        for cid in hits:
            recorded = await store.record_pickup(self.db, cid, user_id, now)
            log.info(
                "phones-down pickup guild=%s challenge=%s user=%s recorded=%s",
                guild_id,
                cid,
                user_id,
                recorded,
            )

    # ------------------------------------------------------------------ the end

    async def _end_job(self, challenge_id: int) -> None:
        if challenge_id in self._ending:
            return
        self._ending.add(challenge_id)
        try:
            await self._end(challenge_id)
        finally:
            self._ending.discard(challenge_id)

    async def _end(self, challenge_id: int) -> None:
        ch = await store.get(self.db, challenge_id)
        if ch is None or ch.status != "running":
            return
        assert ch.started_at is not None
        assert ch.ends_at is not None
        now = self.now()
        late = now - ch.ends_at > logic.LATE_AFTER
        parts = await store.participants(self.db, challenge_id)
        res = logic.results(parts, ch.started_at, ch.ends_at)
        tz = await self._timezone(ch.guild_id)
        weeks = {
            timeutil.week_key(s.started_at, tz)
            for s in await store.ended_sessions(self.db, ch.guild_id)
        }
        weeks.add(timeutil.week_key(ch.started_at, tz))
        streak_weeks = logic.streak(weeks, timeutil.to_local(now, tz).date())
        prompt = self.bot.decks.choose(
            PRACTICE,
            max_depth=await self.bot.boundaries.group_depth(ch.guild_id),
            skip_topics=await self.bot.boundaries.skipped_topics(ch.guild_id),
            used_ids=await store.used_prompt_ids(self.db, ch.guild_id),
            rng=random.Random(challenge_id),
        )

        def card(answers_here: bool) -> discord.Embed:
            return views.results_embed(
                title=ch.title,
                res=res,
                streak_weeks=streak_weeks,
                late=late,
                prompt=prompt,
                answers_here=answers_here,
            )

        where, message_id, lost = "nowhere", None, False
        try:
            extra: dict[str, Any] = {"view": views.results_view(challenge_id)} if prompt else {}
            sent = await self._channel(ch).send(embed=card(True), **extra)
            where, message_id = "channel", sent.id
        except discord.HTTPException as exc:
            lost = _lost(exc)
            log.info(
                "phones-down results post failed guild=%s challenge=%s code=%s",
                ch.guild_id,
                challenge_id,
                exc.code,
            )
            if await self._dm_results(ch, card(False)):
                where = "dm"
        finished = await store.finish(
            self.db,
            challenge_id,
            now=now,
            results=res,
            where=where,
            message_id=message_id,
            late=late,
            prompt_id=prompt.id if prompt else None,
            pause_session=lost and ch.session_id is not None,
        )
        self._unwatch(ch.guild_id, challenge_id)
        self.bot.scheduler.cancel(end_job(challenge_id))
        if lost and ch.session_id is not None:
            self._disarm_session(ch.session_id)
        log.info(
            "phones-down ended guild=%s challenge=%s where=%s late=%s people=%d made_it=%d "
            "finished=%s",
            ch.guild_id,
            challenge_id,
            where,
            late,
            res.participants,
            len(res.made_it),
            finished,
        )
        if where == "channel":
            await self._edit_card(ch, views.ended_embed(ch.title, results_here=True), None)

    async def _dm_results(self, ch: Challenge, embed: discord.Embed) -> bool:
        """The channel is gone or closed to Hearth: tell the person who started it.

        They asked for this challenge, so its results are an answer to them, not an
        unasked DM; a pause still means nothing reaches them.
        """
        if await self.bot.boundaries.is_paused(ch.starter_user_id):
            return False
        sent = await send_dm(
            self.bot,
            ch.starter_user_id,
            "I couldn't post in the channel where your phones-down time happened, so here's "
            "how it went:",
            embed=embed,
        )
        return sent is not None

    # ------------------------------------------------------------------ the debrief

    async def _open_answer(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        prompt = self.bot.decks.get(ch.prompt_id) if ch.prompt_id else None
        if ch.status != "ended" or ch.results_where != "channel" or prompt is None:
            await ui.reply(interaction, "This question isn't open for answers, sorry.")
            return
        await interaction.response.send_modal(views.AnswerModal(self, ch.challenge_id, prompt.text))

    async def post_answer(
        self, interaction: discord.Interaction[Any], challenge_id: int, text: str
    ) -> None:
        answer = textfit.clean(text)
        if not answer:
            await ui.reply(interaction, "Nothing was posted. Keeping it to yourself is fine too.")
            return
        ch = await store.get(self.db, challenge_id)
        if ch is None or ch.guild_id != interaction.guild_id or ch.results_message_id is None:
            await send_ephemeral(interaction, views.NOT_FOUND)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        # A challenge held in a thread takes its answers right there: Discord can't start a
        # thread from a message inside one (50024).
        here = interaction.channel
        if isinstance(here, discord.Thread) and here.id == ch.channel_id:
            thread_id = ch.channel_id
        else:
            thread_id = await self._thread_for(ch, interaction.user.id)
        name = discord.utils.escape_markdown(
            textfit.one_line(interaction.user.display_name, 80) or "A friend"
        )
        header = f"**{name}** answered:"
        body = textfit.quote_block(answer, textfit.CONTENT - len(header) - 1)
        posted = await self.bot.get_partial_messageable(thread_id, guild_id=ch.guild_id).send(
            textfit.fit(f"{header}\n{body}", textfit.CONTENT)
        )
        # The answer lives only in that message; remember whose it is so it can be deleted.
        await record_words(
            self.db,
            user_id=interaction.user.id,
            channel_id=thread_id,
            message_id=posted.id,
            guild_id=ch.guild_id,
            practice=PRACTICE,
            now=self.now(),
        )
        log.info(
            "phones-down answer guild=%s challenge=%s user=%s",
            ch.guild_id,
            challenge_id,
            interaction.user.id,
        )
        await ui.reply(interaction, f"Posted in <#{thread_id}>. Thanks for sharing. 💬")

    async def _thread_for(self, ch: Challenge, user_id: int) -> int:
        """The results' debrief thread, opened by the first answer (once, even in a rush)."""
        lock = self._thread_locks.setdefault(ch.challenge_id, asyncio.Lock())
        async with lock:
            fresh = await store.get(self.db, ch.challenge_id)
            if fresh is not None and fresh.thread_id is not None:
                return fresh.thread_id
            assert ch.results_message_id is not None
            message = self._channel(ch).get_partial_message(ch.results_message_id)
            name = f"Debrief · {ch.title}" if ch.title else "Phones-down debrief"
            thread = await message.create_thread(
                name=textfit.one_line(name, textfit.THREAD_NAME), auto_archive_duration=1440
            )
            async with self.bot.boundaries.acting(ch.guild_id, user_id):
                await store.set_thread(self.db, ch.challenge_id, thread.id)
            self._thread_locks.pop(ch.challenge_id, None)
            return thread.id

    # ------------------------------------------------------------------ scheduled sessions

    async def _arm_session(self, s: Session) -> None:
        sched = self.bot.scheduler
        sched.at(session_job(s.session_id), s.next_at, self._session_job, s.session_id)
        if await store.for_occurrence(self.db, s.session_id, s.next_at) is None:
            sched.at(reminder_job(s.session_id), s.reminder_at, self._reminder_job, s.session_id)
        else:
            sched.cancel(reminder_job(s.session_id))

    def _disarm_session(self, session_id: int | None) -> None:
        if session_id is None:
            return
        self.bot.scheduler.cancel(session_job(session_id))
        self.bot.scheduler.cancel(reminder_job(session_id))

    async def _reminder_pings(self, guild_id: int, now: datetime) -> list[int]:
        """Who asked for phones-down reminders here and isn't in their quiet hours now."""
        chosen: list[int] = []
        for user_id in sorted(await self.bot.boundaries.participants(guild_id, PRACTICE)):
            person = await self.bot.boundaries.person(user_id)
            window = person.quiet_hours
            if window is not None and timeutil.in_quiet_hours(
                now, *window, person.timezone or "UTC"
            ):
                continue
            chosen.append(user_id)
        return chosen

    async def _reminder_job(self, session_id: int) -> None:
        s = await store.get_session(self.db, session_id)
        if s is None or s.status != "active":
            return
        now = self.now()
        if now >= s.next_at:
            return  # too late to remind; the session job moves on
        if now < s.reminder_at:
            self.bot.scheduler.at(
                reminder_job(session_id), s.reminder_at, self._reminder_job, session_id
            )
            return
        if await store.for_occurrence(self.db, session_id, s.next_at) is not None:
            return
        settings = await guilds.get(self.db, s.guild_id)
        if settings is not None and not settings.practice_on(PRACTICE):
            # Switched off in this server: no reminder and no session this week.
            log.info(
                "phones-down session skipped, practice off guild=%s session=%s",
                s.guild_id,
                session_id,
            )
            return
        cid = new_challenge_id(now)
        try:
            ch = await store.create(
                self.db,
                challenge_id=cid,
                guild_id=s.guild_id,
                channel_id=s.channel_id,
                starter_user_id=s.creator_user_id,
                duration_minutes=s.duration_minutes,
                starts_at=s.next_at,
                now=now,
                title=s.title,
                session_id=session_id,
                starter_joins=False,
            )
        except store.ChannelBusy:
            log.info(
                "phones-down session skipped, channel busy guild=%s session=%s",
                s.guild_id,
                session_id,
            )
            return
        content, pinged = views.reminder_pings(await self._reminder_pings(s.guild_id, now))
        try:
            sent = await self._channel(s).send(
                content=content or None,
                embed=views.lobby_embed(
                    title=s.title,
                    duration_minutes=s.duration_minutes,
                    starts_at=s.next_at,
                    starter_id=None,
                ),
                view=views.lobby_view(cid, scheduled=True),
                # A reminder is the one ping here, and only for those who asked for it.
                allowed_mentions=discord.AllowedMentions(
                    everyone=False,
                    roles=False,
                    replied_user=False,
                    users=[discord.Object(id=u) for u in pinged],
                ),
            )
        except discord.HTTPException as exc:
            reason = "channel" if _lost(exc) else None
            if reason is not None:
                await store.cancel_reminded_occurrence(self.db, cid, session_id, now, reason)
                self._disarm_session(session_id)
            else:
                await store.cancel_lobby(self.db, cid, now)
            log.info(
                "phones-down reminder failed guild=%s session=%s code=%s",
                s.guild_id,
                session_id,
                exc.code,
            )
            return
        await store.set_message(self.db, ch.challenge_id, sent.id)
        log.info(
            "phones-down reminder guild=%s session=%s challenge=%s pings=%d",
            s.guild_id,
            session_id,
            cid,
            len(pinged),
        )

    async def _session_job(self, session_id: int) -> None:
        s = await store.get_session(self.db, session_id)
        if s is None or s.status != "active":
            return
        now = self.now()
        occurrence = s.next_at
        ch = await store.for_occurrence(self.db, session_id, occurrence)
        if ch is not None and ch.status == "lobby":
            result = await store.begin(self.db, ch.challenge_id, now)
            if result.what is not Begin.NOT_LOBBY:
                await self._after_begin(result)
        s = await store.get_session(self.db, session_id)
        if s is None or s.status != "active":
            return
        tz = await self._timezone(s.guild_id)
        following = timeutil.next_weekly(occurrence, s.weekday, s.local_time, tz)
        while following <= now:
            following = timeutil.next_weekly(following, s.weekday, s.local_time, tz)
        if await store.advance_session(self.db, session_id, occurrence, following):
            fresh = await store.get_session(self.db, session_id)
            if fresh is not None:
                await self._arm_session(fresh)
        log.info(
            "phones-down session ran guild=%s session=%s next=%s",
            s.guild_id,
            session_id,
            following.isoformat(),
        )

    @phonesdown.command(
        name="schedule", description="Set a weekly phones-down time in this channel"
    )
    @app_commands.describe(
        weekday="Which day, every week",
        at="The server's local time, like 19:00 or 7pm",
        duration="How long: 10 minutes to 4 hours, like 1h",
        title="A name for it, if you like",
        reminder="How long before to post the reminder with a Join button (default 15m)",
    )
    @app_commands.rename(at="time")
    @app_commands.choices(weekday=DAY_CHOICES)
    @admin_only()
    async def schedule(
        self,
        interaction: discord.Interaction[HearthBot],
        weekday: app_commands.Choice[int],
        at: str,
        duration: str,
        title: str | None = None,
        reminder: str | None = None,
    ) -> None:
        guild_id, channel_id = interaction.guild_id, interaction.channel_id
        if guild_id is None or channel_id is None:
            raise app_commands.NoPrivateMessage()
        try:
            local_time = timeutil.parse_local_time(at)
            minutes = logic.parse_challenge_duration(duration)
            remind = logic.parse_reminder(reminder)
        except ValueError as exc:  # RuleError is a ValueError too
            raise HearthError(str(exc)) from None
        if not 0 <= weekday.value <= 6:
            raise HearthError("Pick a day from the list.")
        await self._require_practice(guild_id)
        self._require_post_rights(interaction)
        if len(await store.guild_sessions(self.db, guild_id)) >= MAX_SESSIONS_PER_GUILD:
            raise HearthError(
                f"This server already has {MAX_SESSIONS_PER_GUILD} weekly sessions. Cancel one "
                "with `/phonesdown cancel` to make room."
            )
        tz = await self._timezone(guild_id)
        now = self.now()
        next_at = timeutil.next_weekly(now, weekday.value, local_time, tz)
        name = logic.clean_title(title)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id):
            s = await store.create_session(
                self.db,
                guild_id=guild_id,
                channel_id=channel_id,
                creator_user_id=interaction.user.id,
                weekday=weekday.value,
                local_time=local_time,
                duration_minutes=minutes,
                remind_minutes=remind,
                title=name,
                next_at=next_at,
                now=now,
            )
        await self._arm_session(s)
        log.info(
            "phones-down session scheduled guild=%s channel=%s session=%s user=%s",
            guild_id,
            channel_id,
            s.session_id,
            interaction.user.id,
        )
        await ui.reply(
            interaction,
            embed=ui.embed(
                "Weekly phones-down time is set",
                f"Every **{WEEKDAYS[s.weekday]}** at **{local_time.strftime('%H:%M')}** "
                f"({tz}) in this channel, for {logic.describe_minutes(minutes)}. The first one "
                f"is {timeutil.discord_timestamp(next_at, 'F')}.\n\n"
                f"{logic.describe_minutes(remind)} before, I'll post a card with a **Join** "
                "button, and ping only the friends who turned on phones-down reminders in "
                "`/boundaries`. Then it starts right on time.",
                practice=PRACTICE,
                footer=f"Session #{s.session_id} · /phonesdown cancel stops it any time.",
            ),
        )

    @schedule.autocomplete("duration")
    async def schedule_duration_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return _duration_choices(current)

    @phonesdown.command(name="list", description="See this server's weekly phones-down times")
    async def list_sessions(self, interaction: discord.Interaction[HearthBot]) -> None:
        assert interaction.guild_id is not None
        sessions = await store.guild_sessions(self.db, interaction.guild_id)
        if not sessions:
            await ui.reply(
                interaction,
                "No weekly phones-down times here yet. An admin can set one with "
                "`/phonesdown schedule`, and anyone can start one now with `/phonesdown start`.",
            )
            return
        lines = [f"**#{s.session_id}** · {self._session_line(s)}" for s in sessions]
        await ui.reply(
            interaction,
            embed=ui.embed("Weekly phones-down times", "\n".join(lines), practice=PRACTICE),
        )

    @phonesdown.command(name="cancel", description="Stop a weekly phones-down time")
    @app_commands.describe(session="Which weekly time to stop")
    @admin_only()
    async def cancel(self, interaction: discord.Interaction[HearthBot], session: int) -> None:
        assert interaction.guild_id is not None
        async with self.bot.boundaries.acting(interaction.guild_id, interaction.user.id):
            done, lobby = await store.cancel_session(
                self.db, session, interaction.guild_id, self.now()
            )
        if not done:
            raise HearthError("I can't find that weekly time here. `/phonesdown list` shows them.")
        self._disarm_session(session)
        if lobby is not None:
            self.bot.scheduler.cancel(start_job(lobby.challenge_id))
            await self._edit_card(
                lobby,
                views.cancelled_embed(
                    lobby.title, "This weekly phones-down time has been stopped by an admin."
                ),
                None,
            )
        log.info(
            "phones-down session cancelled guild=%s session=%s user=%s",
            interaction.guild_id,
            session,
            interaction.user.id,
        )
        await ui.reply(interaction, "Done. That weekly phones-down time is stopped.")

    @phonesdown.command(name="resume", description="Bring back a paused weekly phones-down time")
    @app_commands.describe(session="Which paused weekly time to bring back")
    @admin_only()
    async def resume(self, interaction: discord.Interaction[HearthBot], session: int) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        s = await store.get_session(self.db, session)
        if s is None or s.guild_id != guild_id or s.status != "paused":
            raise HearthError("That weekly time isn't paused. `/phonesdown list` shows them all.")
        if s.pause_reason == "channel":
            channel = interaction.guild.get_channel(s.channel_id) if interaction.guild else None
            if channel is None:
                raise HearthError(
                    "I can't find that session's channel any more. Cancel it and schedule a "
                    "new one where I can post."
                )
        tz = await self._timezone(guild_id)
        next_at = timeutil.next_weekly(self.now(), s.weekday, s.local_time, tz)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id):
            resumed = await store.resume_session(self.db, session, next_at)
        if not resumed:
            raise HearthError("That weekly time isn't paused. `/phonesdown list` shows them all.")
        fresh = await store.get_session(self.db, session)
        assert fresh is not None
        await self._arm_session(fresh)
        log.info(
            "phones-down session resumed guild=%s session=%s user=%s",
            guild_id,
            session,
            interaction.user.id,
        )
        await ui.reply(
            interaction,
            f"Welcome back! The next one is {timeutil.discord_timestamp(next_at, 'F')}.",
        )

    @cancel.autocomplete("session")
    @resume.autocomplete("session")
    async def session_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        wanted = current.strip().lstrip("#").casefold()
        choices: list[app_commands.Choice[int]] = []
        for s in await store.guild_sessions(self.db, interaction.guild_id):
            channel = interaction.guild.get_channel(s.channel_id) if interaction.guild else None
            where = f"#{channel.name}" if channel is not None else "a channel"
            label = (
                f"#{s.session_id} · {WEEKDAYS[s.weekday]}s {s.local_time.strftime('%H:%M')} · "
                f"{logic.describe_minutes(s.duration_minutes)} · {where}"
            )
            if s.title:
                label += f" · {s.title}"
            if s.status == "paused":
                label += " (paused)"
            if wanted and wanted not in label.casefold():
                continue
            choices.append(
                app_commands.Choice(
                    name=textfit.one_line(label, textfit.CHOICE_NAME), value=s.session_id
                )
            )
        return choices[: textfit.AUTOCOMPLETE_CHOICES]

    # ------------------------------------------------------------------ /phonesdown stats

    @phonesdown.command(name="stats", description="How the group is doing, with a little forest")
    @app_commands.describe(
        share="Show the group's forest to everyone here (your own stats stay private)"
    )
    async def stats(self, interaction: discord.Interaction[HearthBot], share: bool = False) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        await interaction.response.defer(ephemeral=not share, thinking=True)
        now = self.now()
        tz = await self._timezone(guild_id)
        sessions = await store.ended_sessions(self.db, guild_id)
        group = logic.group_stats(sessions, now, tz)
        from cogs.phones_down import forest  # Pillow loads only when a picture is drawn

        picture = await asyncio.to_thread(
            forest.draw_forest, logic.forest(sessions, now, tz), logic.week_labels(now, tz)
        )
        group_card = views.stats_embed(group)
        group_card.set_image(url="attachment://forest.png")
        file = discord.File(io.BytesIO(picture), filename="forest.png")
        mine = logic.personal_stats(await store.mine(self.db, guild_id, interaction.user.id))
        personal = views.personal_embed(mine)
        if share:
            await ui.reply(interaction, embed=group_card, file=file, ephemeral=False)
            await ui.reply(interaction, embed=personal)
        else:
            await ui.reply(interaction, embeds=[group_card, personal], file=file)

    # ------------------------------------------------------------------ server changes

    @commands.Cog.listener()
    async def on_hearth_settings_changed(self, guild_id: int) -> None:
        """The server's time zone may have changed: weekly times follow its local clock."""
        tz = await self._timezone(guild_id)
        now = self.now()
        for s in await store.guild_sessions(self.db, guild_id):
            if s.status != "active":
                continue
            if await store.for_occurrence(self.db, s.session_id, s.next_at) is not None:
                continue  # this week's card is out; the next one follows the new zone
            wanted = timeutil.next_weekly(now, s.weekday, s.local_time, tz)
            if wanted != s.next_at and await store.reschedule(
                self.db, s.session_id, s.next_at, wanted
            ):
                fresh = await store.get_session(self.db, s.session_id)
                if fresh is not None:
                    await self._arm_session(fresh)

    async def person_forgotten(self, user_id: int) -> None:
        """Their part is gone from the database; stop watching them in running challenges."""
        for live in self._live.values():
            for entry in live.values():
                entry.watching.discard(user_id)

    async def server_forgotten(self, guild_id: int) -> None:
        """The server's challenges and sessions are gone: drop their watch and their jobs."""
        self._live.pop(guild_id, None)
        sched = self.bot.scheduler
        for job_id in sched.job_ids("phonesdown:"):
            kind, _, raw = job_id.removeprefix("phonesdown:").partition(":")
            if not raw.isdigit():
                continue
            if kind in ("session", "reminder"):
                gone = await store.get_session(self.db, int(raw)) is None
            else:
                gone = await store.get(self.db, int(raw)) is None
            if gone:
                sched.cancel(job_id)

    # ------------------------------------------------------------------ leaving a server

    @commands.Cog.listener()
    async def on_hearth_guild_left(self, guild_id: int) -> None:
        for s in await store.guild_sessions(self.db, guild_id):
            if s.status == "active" and await store.pause_session(self.db, s.session_id, "channel"):
                self._disarm_session(s.session_id)


def _duration_choices(current: str) -> list[app_commands.Choice[str]]:
    wanted = current.strip().casefold()
    return [
        app_commands.Choice(name=name, value=value)
        for name, value in logic.DURATION_SUGGESTIONS
        if not wanted or wanted in name.casefold() or value.startswith(wanted)
    ]
