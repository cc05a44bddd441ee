"""Phones down's sessions and jobs: everything that happens outside a single click.

A challenge's life: lobby → running (Hearth is silent and only notes, by user id and
server, who sends a message or uses a Hearth command) → one results message with a
debrief question. The database holds the truth; the jobs (`phonesdown:start|end:
{challenge}`, `phonesdown:reminder|session:{session}`) are rebuilt from it on start, and
every transition is guarded by the status it expects. What Hearth says is written to the
outbox in the transaction of the change it follows; its handlers are here too.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot import guilds, timeutil
from bot.db import Database, Tx
from bot.limits import Breather
from bot.outbox import CHANNEL_LOST, THREAD_CLOSED, Message, Outcome, Words
from cogs.phones_down import logic, store, views
from cogs.phones_down.logic import (
    REMINDERS,
    ChallengeStatus,
    ResultsWhere,
    SessionPause,
    SessionStatus,
)
from cogs.phones_down.store import Begin, BeginResult, Challenge, Session

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

PRACTICE = "phones_down"

# The outbox's handlers (bot.outbox): a challenge's card, its results, its debrief thread.
CARD = "phones_down.card"
RESULTS = "phones_down.results"
RESULTS_DM = "phones_down.results_dm"
THREAD = "phones_down.thread"


def start_job_id(challenge_id: int) -> str:
    return f"phonesdown:start:{challenge_id}"


def end_job_id(challenge_id: int) -> str:
    return f"phonesdown:end:{challenge_id}"


def session_job_id(session_id: int) -> str:
    return f"phonesdown:session:{session_id}"


def reminder_job_id(session_id: int) -> str:
    return f"phonesdown:reminder:{session_id}"


def new_challenge_id(now: datetime) -> int:
    """A snowflake for a challenge no interaction started (a scheduled session)."""
    return discord.utils.time_snowflake(now) | secrets.randbits(22)


CardMaker = Callable[[str | None, int | None], discord.Embed]


@dataclass(slots=True)
class _Live:
    """A running challenge as the message hot path sees it."""

    ends_at: datetime
    watching: set[int] = field(default_factory=set)  # still phone-free, not stepped away


NOBODY_JOINED = (
    "Nobody joined this time, and that's okay. Start another whenever the moment feels right."
)
STALE = "I was offline when this was meant to start, sorry about that. Let's try again soon."
PAUSED_QUIET = (
    "\n\nIt's been quiet for a few weeks, so I've paused this weekly session. "
    "An admin can bring it back with `/phonesdown resume`."
)


class PhonesDownService:
    """Phones down outside a single click: jobs, the watch on running challenges, the
    outbox's handlers, weekly sessions."""

    def __init__(self, bot: HearthBot) -> None:
        self.bot = bot
        # guild → challenge → who we are still watching. Only running challenges.
        self._live: dict[int, dict[int, _Live]] = {}
        self._ending: set[int] = set()

    def handle(self) -> None:
        outbox = self.bot.outbox
        outbox.handle(CARD, delivered=self._card_posted, failed=self._card_failed)
        outbox.handle(RESULTS, delivered=self._results_posted, failed=self._results_failed)
        outbox.handle(THREAD, delivered=self._thread_opened)
        outbox.handle(RESULTS_DM, failed=self._results_lost)

    @property
    def db(self) -> Database:
        return self.bot.db

    def now(self) -> datetime:
        return self.bot.clock.now()

    async def timezone(self, guild_id: int) -> str:
        settings = await guilds.get(self.db, guild_id)
        return settings.timezone if settings is not None else "UTC"

    # ------------------------------------------------------------------ the watch

    def watch(self, guild_id: int, challenge_id: int, ends_at: datetime, users: set[int]) -> None:
        self._live.setdefault(guild_id, {})[challenge_id] = _Live(ends_at, set(users))

    def unwatch(self, guild_id: int, challenge_id: int) -> None:
        live = self._live.get(guild_id)
        if live is None:
            return
        live.pop(challenge_id, None)
        if not live:
            del self._live[guild_id]

    def watch_user(self, guild_id: int, challenge_id: int, user_id: int, *, on: bool) -> None:
        """Someone joined a running challenge late (`on`) or stepped away from it."""
        entry = self._live.get(guild_id, {}).get(challenge_id)
        if entry is not None:
            if on:
                entry.watching.add(user_id)
            else:
                entry.watching.discard(user_id)

    def watching(self, guild_id: int) -> dict[int, set[int]]:
        """challenge → user ids still watched in a server (a copy, for diagnostics and tests)."""
        return {cid: set(e.watching) for cid, e in self._live.get(guild_id, {}).items()}

    def running_in(self, guild_id: int | None) -> bool:
        """The hot path's one question: is anything running there? (A dict lookup.)"""
        return guild_id is not None and bool(self._live.get(guild_id))

    async def picked_up(self, guild_id: int, user_id: int) -> None:
        """A sign of a phone in hand (a message, a command) from someone we watch."""
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
            async with self.db.transaction() as tx:
                recorded = await store.record_pickup(tx, cid, user_id, now)
            log.info(
                "phones-down pickup guild=%s challenge=%s user=%s recorded=%s",
                guild_id,
                cid,
                user_id,
                recorded,
            )

    def forget_person(self, user_id: int) -> None:
        for live in self._live.values():
            for entry in live.values():
                entry.watching.discard(user_id)

    def forget_guild(self, guild_id: int) -> None:
        self._live.pop(guild_id, None)

    # ------------------------------------------------------------------ start up

    async def rebuild(self, only: int | None = None) -> None:
        """Lobbies, running challenges and weekly sessions, and who is still phone-free, of
        every server Hearth is in (or of `only`, back in it). What fell due while Hearth was
        away runs now, as after a downtime."""
        if only is None:
            self._live = {}
        away = await guilds.left_ids(self.db) if only is None else set()

        def wanted(guild_id: int) -> bool:
            return guild_id == only if only is not None else guild_id not in away

        breathe = Breather()
        sessions = {
            s.session_id: s for s in await store.active_sessions(self.db) if wanted(s.guild_id)
        }
        for ch in await store.with_status(self.db, ChallengeStatus.LOBBY):
            await breathe()
            if not wanted(ch.guild_id):
                continue
            owner = sessions.get(ch.session_id) if ch.session_id is not None else None
            if owner is None or owner.next_at != ch.starts_at:
                self.arm_start(ch.guild_id, ch.challenge_id, ch.starts_at)
        for ch in await store.with_status(self.db, ChallengeStatus.RUNNING):
            await breathe()
            if not wanted(ch.guild_id):
                continue
            assert ch.ends_at is not None
            self.arm_end(ch.guild_id, ch.challenge_id, ch.ends_at)
        for s in sessions.values():
            await breathe()
            await self.arm_session(s)
        for guild_id, cid, ends_at, users in await store.running_index(self.db):
            if wanted(guild_id):
                self.watch(guild_id, cid, ends_at, set(users))
        log.info(
            "phones-down jobs rebuilt guild=%s sessions=%d running=%d",
            only,
            len(sessions),
            sum(len(v) for v in self._live.values()),
        )

    # A challenge's and a session's jobs are their server's (its shard runs them).

    def arm_start(self, guild_id: int, challenge_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            start_job_id(challenge_id), when, self.start_job, challenge_id, guild=guild_id
        )

    def arm_end(self, guild_id: int, challenge_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            end_job_id(challenge_id), when, self.end_job, challenge_id, guild=guild_id
        )

    def _arm_reminder(self, s: Session, when: datetime) -> None:
        self.bot.scheduler.at(
            reminder_job_id(s.session_id), when, self.reminder_job, s.session_id, guild=s.guild_id
        )

    async def suspend_guild(self, guild_id: int) -> None:
        """Hearth left the server: its challenges and weekly sessions wait (nothing is
        decided or paused) until `rebuild(guild_id)` brings them back."""
        self._live.pop(guild_id, None)
        for s in await store.guild_sessions(self.db, guild_id):
            self.disarm_session(s.session_id)
        for status, job_id in (
            (ChallengeStatus.LOBBY, start_job_id),
            (ChallengeStatus.RUNNING, end_job_id),
        ):
            for ch in await store.with_status(self.db, status):
                if ch.guild_id == guild_id:
                    self.bot.scheduler.cancel(job_id(ch.challenge_id))

    async def drop_forgotten_jobs(self) -> None:
        """A server's challenges and sessions are gone: their jobs go too."""
        sched = self.bot.scheduler
        for job_id in sched.job_ids("phonesdown:"):
            raw = job_id.rpartition(":")[2]
            if not raw.isdigit():
                continue
            n = int(raw)
            if job_id in (session_job_id(n), reminder_job_id(n)):
                gone = await store.get_session(self.db, n) is None
            else:
                gone = await store.get(self.db, n) is None
            if gone:
                sched.cancel(job_id)

    # ------------------------------------------------------------------ the card

    @staticmethod
    def card(
        ch: Challenge, make: CardMaker, view: discord.ui.View | None, *, named: bool = False
    ) -> tuple[Message, list[Words]]:
        """A challenge's card as `make(title, starter_id)` draws it, and whose words it
        carries: the name the starter gave it (and, with `named`, their mention). If they
        delete their data the card stays for the group, drawn without either."""
        message = Message(embeds=[make(ch.title, ch.starter_user_id if named else None)], view=view)
        if not ch.starter_user_id:
            return message, []  # already forgotten
        # Every state of the card carries the redacted twin, so a deletion at any moment
        # draws the card as it is now, only without them.
        redacted = Message(embeds=[make(None, None)], view=view)
        return message, [Words(ch.starter_user_id, PRACTICE, redact=redacted)]

    async def post_card(
        self,
        tx: Tx,
        ch: Challenge,
        *,
        scheduled: bool,
        content: str | None = None,
        mentions: discord.AllowedMentions | None = None,
    ) -> int:
        """Post a lobby's card (recorded on the challenge, so edits can follow it)."""
        message, words = self.card(
            ch,
            lambda title, starter: views.lobby_embed(
                title=title,
                duration_minutes=ch.duration_minutes,
                starts_at=ch.starts_at,
                starter_id=starter,
            ),
            views.lobby_view(ch.challenge_id, scheduled=scheduled),
            named=not scheduled,
        )
        if content is not None:
            message = Message(content, message.embeds, message.view, mentions=mentions)
        intent = await self.bot.outbox.post(
            tx,
            channel_id=ch.channel_id,
            guild_id=ch.guild_id,
            message=message,
            words=words,
            handler=CARD,
            ref=ch.challenge_id,
        )
        await store.set_card_intent(tx, ch.challenge_id, intent)
        return intent

    async def edit_card(
        self, tx: Tx, ch: Challenge, make: CardMaker, view: discord.ui.View | None
    ) -> int | None:
        """The card's next state, after whatever the outbox already has for it."""
        if ch.message_id is None and ch.card_intent is None:
            return None
        message, words = self.card(ch, make, view)
        return await self.bot.outbox.edit(
            tx,
            channel_id=ch.channel_id,
            guild_id=ch.guild_id,
            message_id=ch.message_id,
            message_of=None if ch.message_id is not None else ch.card_intent,
            message=message,
            words=words,
        )

    async def _card_posted(self, tx: Tx, outcome: Outcome) -> None:
        assert outcome.ref is not None
        assert outcome.message_id is not None
        await store.set_message(tx, outcome.ref, outcome.message_id)

    async def _card_failed(self, tx: Tx, outcome: Outcome) -> None:
        """Discord refused the card: the lobby goes; a weekly session whose channel is lost
        pauses until an admin fixes it."""
        assert outcome.ref is not None
        ch = await store.get(self.db, outcome.ref)
        if ch is None:
            return
        now = self.now()
        lost = outcome.code in CHANNEL_LOST
        if ch.session_id is not None and lost:
            await store.cancel_reminded_occurrence(
                tx, ch.challenge_id, ch.session_id, now, SessionPause.CHANNEL
            )
            session_id = ch.session_id
            self.db.after_commit(lambda: self.disarm_session(session_id))
        else:
            await store.cancel_lobby(tx, ch.challenge_id, now)
        cid = ch.challenge_id
        self.db.after_commit(lambda: self.bot.scheduler.cancel(start_job_id(cid)))
        log.info(
            "phones-down card failed guild=%s challenge=%s code=%s",
            ch.guild_id,
            ch.challenge_id,
            outcome.code,
        )

    # ------------------------------------------------------------------ starting

    async def start_job(self, challenge_id: int) -> None:
        await self.begin(challenge_id)

    async def begin(self, challenge_id: int, tx: Tx | None = None) -> BeginResult:
        """Lobby → running (or cancelled when nobody joined), and the card's new state, in
        one write: `tx` when a click starts it (its `boundaries.acting`), else a job's own."""
        if tx is None:
            async with self.db.transaction() as own:
                return await self.begin(challenge_id, own)
        result = await store.begin(tx, challenge_id, self.now())
        if result.what is not Begin.NOT_LOBBY:
            await self._after_begin(tx, result)
        return result

    async def _after_begin(self, tx: Tx, result: BeginResult) -> None:
        ch = result.challenge
        assert ch is not None
        if result.what is Begin.STARTED:
            assert ch.started_at is not None
            assert ch.ends_at is not None
            started_at, ends_at = ch.started_at, ch.ends_at
            parts = await store.participants(self.db, ch.challenge_id)
            joined = {p.user_id for p in parts}

            def running(title: str | None, _starter: int | None) -> discord.Embed:
                return views.running_embed(
                    title=title, ends_at=ends_at, started_at=started_at, joined=len(parts)
                )

            await self.edit_card(tx, ch, running, views.running_view(ch.challenge_id))

            def watch() -> None:
                self.watch(ch.guild_id, ch.challenge_id, ends_at, joined)
                self.arm_end(ch.guild_id, ch.challenge_id, ends_at)

            self.db.after_commit(watch)
        else:
            text = STALE if result.what is Begin.STALE else NOBODY_JOINED
            if result.session_paused:
                text += PAUSED_QUIET
                session_id = ch.session_id
                self.db.after_commit(lambda: self.disarm_session(session_id))
            await self.edit_card(
                tx, ch, lambda title, _starter: views.cancelled_embed(title, text), None
            )
        cid = ch.challenge_id
        self.db.after_commit(lambda: self.bot.scheduler.cancel(start_job_id(cid)))
        log.info(
            "phones-down begin guild=%s challenge=%s result=%s",
            ch.guild_id,
            ch.challenge_id,
            result.what.value,
        )

    # ------------------------------------------------------------------ the end

    async def end_job(self, challenge_id: int) -> None:
        if challenge_id in self._ending:
            return
        self._ending.add(challenge_id)
        try:
            await self._end(challenge_id)
        finally:
            self._ending.discard(challenge_id)

    async def _end(self, challenge_id: int) -> None:
        ch = await store.get(self.db, challenge_id)
        if ch is None or ch.status is not ChallengeStatus.RUNNING:
            return
        assert ch.started_at is not None
        assert ch.ends_at is not None
        now = self.now()
        late = now - ch.ends_at > logic.LATE_AFTER
        res, streak_weeks = await self.how_it_went(ch, now)
        prompt = self.bot.decks.choose(
            PRACTICE,
            max_depth=await self.bot.boundaries.group_depth(ch.guild_id),
            skip_topics=await self.bot.boundaries.skipped_topics(ch.guild_id),
            used_ids=await store.used_prompt_ids(self.db, ch.guild_id),
            rng=random.Random(challenge_id),
        )

        def results(title: str | None, _starter: int | None) -> discord.Embed:
            return views.results_embed(
                title=title,
                res=res,
                streak_weeks=streak_weeks,
                late=late,
                prompt=prompt,
                answers_here=True,
            )

        # Ended, its results and the card's last state: one write, delivered in order.
        async with self.db.transaction() as tx:
            finished = await store.finish(
                tx,
                challenge_id,
                now=now,
                results=res,
                where=ResultsWhere.CHANNEL,
                message_id=None,
                late=late,
                prompt_id=prompt.id if prompt else None,
                pause_session=False,
            )
            if finished:
                message, words = self.card(
                    ch, results, views.results_view(challenge_id) if prompt else None
                )
                await self.bot.outbox.post(
                    tx,
                    channel_id=ch.channel_id,
                    guild_id=ch.guild_id,
                    message=message,
                    words=words,
                    handler=RESULTS,
                    ref=challenge_id,
                )
                await self.edit_card(
                    tx, ch, lambda title, _s: views.ended_embed(title, results_here=True), None
                )

            def done() -> None:
                self.unwatch(ch.guild_id, challenge_id)
                self.bot.scheduler.cancel(end_job_id(challenge_id))

            self.db.after_commit(done)
        log.info(
            "phones-down ended guild=%s challenge=%s late=%s people=%d made_it=%d finished=%s",
            ch.guild_id,
            challenge_id,
            late,
            res.participants,
            len(res.made_it),
            finished,
        )

    async def how_it_went(self, ch: Challenge, now: datetime) -> tuple[logic.Results, int]:
        """The challenge's results and the group's streak of weeks, as of `now`."""
        assert ch.started_at is not None
        assert ch.ends_at is not None
        parts = await store.participants(self.db, ch.challenge_id)
        res = logic.results(parts, ch.started_at, ch.ends_at)
        tz = await self.timezone(ch.guild_id)
        weeks = {
            timeutil.week_key(s.started_at, tz)
            for s in await store.ended_sessions(self.db, ch.guild_id)
        }
        weeks.add(timeutil.week_key(ch.started_at, tz))
        return res, logic.streak(weeks, timeutil.to_local(now, tz).date())

    async def _results_posted(self, tx: Tx, outcome: Outcome) -> None:
        assert outcome.ref is not None
        assert outcome.message_id is not None
        await store.set_results_message(tx, outcome.ref, outcome.message_id)

    async def _results_failed(self, tx: Tx, outcome: Outcome) -> None:
        """The channel wouldn't take the results. They go to the person who started it, by
        DM: they asked for this challenge, so its results answer them (a pause still means
        nothing reaches them); a weekly session whose channel is lost pauses."""
        assert outcome.ref is not None
        ch = await store.get(self.db, outcome.ref)
        if ch is None:
            return
        lost = outcome.code in CHANNEL_LOST
        told = ch.starter_user_id != 0 and not await self.bot.boundaries.is_paused(
            ch.starter_user_id
        )
        await store.results_elsewhere(
            tx,
            ch.challenge_id,
            ResultsWhere.DM if told else ResultsWhere.NOWHERE,
            pause_session=lost and ch.session_id is not None,
        )
        if lost and ch.session_id is not None:
            session_id = ch.session_id
            self.db.after_commit(lambda: self.disarm_session(session_id))
        if told and ch.started_at is not None:
            res, streak_weeks = await self.how_it_went(ch, ch.ended_at or self.now())
            await self.bot.outbox.dm(
                tx,
                user_id=ch.starter_user_id,
                guild_id=ch.guild_id,
                consent=False,
                handler=RESULTS_DM,
                ref=ch.challenge_id,
                message=Message(
                    "I couldn't post in the channel where your phones-down time happened, so "
                    "here's how it went:",
                    embeds=[
                        views.results_embed(
                            title=ch.title,
                            res=res,
                            streak_weeks=streak_weeks,
                            late=ch.posted_late,
                            prompt=self.bot.decks.get(ch.prompt_id) if ch.prompt_id else None,
                            answers_here=False,
                        )
                    ],
                ),
            )
        if not lost and outcome.code not in THREAD_CLOSED:
            await self.edit_card(
                tx, ch, lambda title, _s: views.ended_embed(title, results_here=False), None
            )
        log.info(
            "phones-down results not posted guild=%s challenge=%s code=%s dm=%s",
            ch.guild_id,
            ch.challenge_id,
            outcome.code,
            told,
        )

    async def _results_lost(self, tx: Tx, outcome: Outcome) -> None:
        """Their DMs are closed too: the results reached nobody (the group's history keeps
        them all the same)."""
        assert outcome.ref is not None
        await store.results_elsewhere(tx, outcome.ref, ResultsWhere.NOWHERE, pause_session=False)

    # ------------------------------------------------------------------ the debrief thread

    async def debrief_thread(self, tx: Tx, ch: Challenge) -> int | None:
        """The intent opening the results' debrief thread (once, even in a rush), or None
        when answers go straight into the channel: it is itself a thread (Discord can't
        open a thread in a thread), or the thread is there already."""
        if ch.thread_intent is not None:
            return ch.thread_intent
        if ch.thread_id is not None or isinstance(
            self.bot.get_channel(ch.channel_id), discord.Thread
        ):
            return None
        assert ch.results_message_id is not None
        name = f"Debrief · {ch.title}" if ch.title else "Phones-down debrief"
        intent = await self.bot.outbox.thread(
            tx,
            channel_id=ch.channel_id,
            message_id=ch.results_message_id,
            guild_id=ch.guild_id,
            name=name,
            archive_minutes=1440,
            handler=THREAD,
            ref=ch.challenge_id,
        )
        return await store.claim_thread(tx, ch.challenge_id, intent)

    async def _thread_opened(self, tx: Tx, outcome: Outcome) -> None:
        assert outcome.ref is not None
        if outcome.message_id is not None:
            await store.set_thread(tx, outcome.ref, outcome.message_id)

    # ------------------------------------------------------------------ weekly sessions

    async def arm_session(self, s: Session) -> None:
        sched = self.bot.scheduler
        sched.at(
            session_job_id(s.session_id),
            s.next_at,
            self.session_job,
            s.session_id,
            guild=s.guild_id,
        )
        if await store.for_occurrence(self.db, s.session_id, s.next_at) is None:
            self._arm_reminder(s, s.reminder_at)
        else:
            sched.cancel(reminder_job_id(s.session_id))

    def disarm_session(self, session_id: int | None) -> None:
        if session_id is None:
            return
        self.bot.scheduler.cancel(session_job_id(session_id))
        self.bot.scheduler.cancel(reminder_job_id(session_id))

    async def _reminder_pings(self, guild_id: int, now: datetime) -> list[int]:
        """Who asked for phones-down reminders here and isn't in their quiet hours now."""
        chosen: list[int] = []
        for user_id in sorted(await self.bot.boundaries.participants(guild_id, REMINDERS.key)):
            person = await self.bot.boundaries.person(user_id)
            window = person.quiet_hours
            if window is not None and timeutil.in_quiet_hours(
                now, *window, person.timezone or "UTC"
            ):
                continue
            chosen.append(user_id)
        return chosen

    async def reminder_job(self, session_id: int) -> None:
        s = await store.get_session(self.db, session_id)
        if s is None or s.status is not SessionStatus.ACTIVE:
            return
        now = self.now()
        if now >= s.next_at:
            return  # too late to remind; the session job moves on
        if now < s.reminder_at:
            self._arm_reminder(s, s.reminder_at)
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
        content, pinged = views.reminder_pings(await self._reminder_pings(s.guild_id, now))
        try:
            # The lobby and its card (with the one ping here, only for those who asked for
            # reminders) are one write; `_card_failed` pauses the session if the channel
            # turns out lost.
            async with self.db.transaction() as tx:
                ch = await store.create(
                    tx,
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
                await self.post_card(
                    tx,
                    ch,
                    scheduled=True,
                    content=content or None,
                    mentions=discord.AllowedMentions(
                        everyone=False,
                        roles=False,
                        replied_user=False,
                        users=[discord.Object(id=u) for u in pinged],
                    ),
                )
        except store.ChannelBusy:
            log.info(
                "phones-down session skipped, channel busy guild=%s session=%s",
                s.guild_id,
                session_id,
            )
            return
        log.info(
            "phones-down reminder guild=%s session=%s challenge=%s pings=%d",
            s.guild_id,
            session_id,
            cid,
            len(pinged),
        )

    async def session_job(self, session_id: int) -> None:
        s = await store.get_session(self.db, session_id)
        if s is None or s.status is not SessionStatus.ACTIVE:
            return
        now = self.now()
        occurrence = s.next_at
        ch = await store.for_occurrence(self.db, session_id, occurrence)
        if ch is not None and ch.status is ChallengeStatus.LOBBY:
            try:
                await self.begin(ch.challenge_id)
            except Exception:
                # This week's start failed; next week's must still be armed below.
                log.exception("phones-down session start failed session=%s", session_id)
        s = await store.get_session(self.db, session_id)
        if s is None or s.status is not SessionStatus.ACTIVE:
            return
        tz = await self.timezone(s.guild_id)
        following = timeutil.next_weekly(occurrence, s.weekday, s.local_time, tz)
        while following <= now:
            following = timeutil.next_weekly(following, s.weekday, s.local_time, tz)
        await self._move(s, occurrence, following)
        log.info(
            "phones-down session ran guild=%s session=%s next=%s",
            s.guild_id,
            session_id,
            following.isoformat(),
        )

    async def _move(self, s: Session, after: datetime, to: datetime) -> None:
        async with self.db.transaction() as tx:
            moved = await store.move_session(tx, s.session_id, after, to)
        if moved:
            fresh = await store.get_session(self.db, s.session_id)
            if fresh is not None:
                await self.arm_session(fresh)

    async def follow_timezone(self, guild_id: int) -> None:
        """The server's time zone may have changed: weekly times follow its local clock."""
        tz = await self.timezone(guild_id)
        now = self.now()
        for s in await store.guild_sessions(self.db, guild_id):
            if s.status is not SessionStatus.ACTIVE:
                continue
            if await store.for_occurrence(self.db, s.session_id, s.next_at) is not None:
                continue  # this week's card is out; the next one follows the new zone
            wanted = timeutil.next_weekly(now, s.weekday, s.local_time, tz)
            if wanted != s.next_at:
                await self._move(s, s.next_at, wanted)
