"""The weekly group prompt: post, answer privately, reveal together.

Jobs (all one-shot, rebuilt from the database on start):
- `prompt:{guild_id}` — the weekly post at the server's day and local time. It carries the
  instant it stands for; the ledger (`prompt_weeks`) makes a second run for the same local
  week (a restart, a fall-back night) do nothing.
- `prompt:reveal:{round_id}` — the deadline reveal.
- `prompt:early:{round_id}` — a day after the post, the early reveal, when everyone it
  waits for was in before then (`logic.early_reveal_at`); re-checked when it runs.

Answers past their server's retention period go in the core's daily sweep
(`retention_due`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, retention, textfit, timeutil, ui
from bot.boundaries_rules import OptIn
from bot.cog import HEARTH_GROUP_KEY, HearthCog, admin_only, hearth_subcommand
from bot.db.codec import need_dt, new_id, ts
from bot.decks import Prompt
from bot.errors import HearthError
from bot.guilds import GuildSettings
from bot.limits import Breather
from bot.outbox import CHANNEL_LOST, Message, Op, Outcome, Tx, Words
from bot.post_actions import ANSWER
from bot.practices import BY_KEY, PRACTICES
from bot.privacy import PersonalData
from cogs.prompts import logic, render, store, views
from cogs.prompts.logic import PanelAction, PauseReason, RoundKind, RoundStatus, Skip

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

PRACTICE = "sharing"

# The outbox's handlers (bot.outbox): the weekly post, each step of a reveal, its last step.
POSTED = "prompts.posted"
REVEAL_STEP = "prompts.reveal"
REVEALED = "prompts.revealed"

# Scheduled jobs that work at once. Hundreds of servers due together then flow through one
# by one — read, claim, post — and Discord's global limit (`bot.rest_limit`, which every
# request waits for) never waits for work, instead of every job taking turns on each
# database query before the first post can leave.
JOB_CONCURRENCY = 16

PRACTICE_CHOICES = [app_commands.Choice(name=p.name, value=p.key) for p in PRACTICES]
ROTATE = "rotate"
PIN_CHOICES = [
    app_commands.Choice(name="Rotate through the practices that are on", value=ROTATE),
    *PRACTICE_CHOICES,
]

# Why open_round sent nothing.
NO_PROMPT, WEEK_DONE, BROKEN_CHANNEL = "no-prompt", "week-done", "channel"

# How long `/hearth prompt now` waits to say whether the post made it.
POST_WAIT = 2.5


@dataclass(frozen=True, slots=True)
class Opened:
    """A round recorded with its post on the way (`intent`, in the outbox)."""

    round: store.Round
    intent: int


SILENT_NOTE = (
    "I've paused the weekly prompt for now. Three weeks in a row went by without answers, "
    "and I'd rather not keep posting into a quiet room. Whenever you'd like it back, an "
    "admin can run `/hearth resume`. 🌙"
)


def weekly_job_id(guild_id: int) -> str:
    return f"prompt:{guild_id}"


def reveal_job_id(round_id: int) -> str:
    return f"prompt:reveal:{round_id}"


def early_job_id(round_id: int) -> str:
    return f"prompt:early:{round_id}"


# Taking part in the weekly prompt: on by default (answering is always voluntary), and
# what makes someone an active participant whose pace the group follows.
PROMPTS = OptIn(
    "prompts",
    "Weekly group prompts",
    "The weekly question in the group channel — answer whenever you like.",
    default=True,
)


class PromptsCog(HearthCog):
    practice = PRACTICE
    dynamic_items = (views.AnswerButton, views.SkipButton, views.PanelButton)
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA
    opt_ins = (PROMPTS,)
    kept_by_policy = "prompt answers"

    prompt_group = app_commands.Group(
        name="prompt",
        description="The weekly group prompt",
        extras={HEARTH_GROUP_KEY: True},
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.jobs = asyncio.Semaphore(JOB_CONCURRENCY)
        self.rng = random.Random()
        self._locks: dict[int, asyncio.Lock] = {}
        bot.outbox.handle(POSTED, delivered=self._posted, failed=self._post_failed)
        bot.outbox.handle(REVEAL_STEP, delivered=self._reveal_step, failed=self._reveal_step_failed)
        bot.outbox.handle(REVEALED, delivered=self._revealed, failed=self._revealed)

    def _lock(self, guild_id: int) -> asyncio.Lock:
        lock = self._locks.get(guild_id)
        if lock is None:
            lock = self._locks[guild_id] = asyncio.Lock()
        return lock

    # ------------------------------------------------------------------ scheduling

    def arm_weekly(self, settings: GuildSettings, occurrence: datetime) -> None:
        self.bot.scheduler.at(
            weekly_job_id(settings.guild_id),
            occurrence,
            self.weekly_job,
            settings.guild_id,
            ts(occurrence),
            guild=settings.guild_id,
        )

    def next_occurrence(self, settings: GuildSettings, after: datetime) -> datetime:
        return timeutil.next_weekly(
            after, settings.prompt_weekday, settings.prompt_time, settings.timezone
        )

    def arm_reveal(self, guild_id: int, round_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            reveal_job_id(round_id), when, self.reveal_job, round_id, guild=guild_id
        )

    def arm_early(self, guild_id: int, round_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            early_job_id(round_id), when, self.early_job, round_id, guild=guild_id
        )

    async def rebuild_jobs(self) -> None:
        await self._arm_from_database()

    async def rebuild_guild_jobs(self, guild_id: int) -> None:
        await self._arm_from_database(guild_id)

    async def _arm_from_database(self, only: int | None = None) -> None:
        """The weekly prompt and every open round's reveal, of every server Hearth is in (or
        of `only`, back in it): a prompt due while Hearth was away goes out if still fresh."""
        now = self.bot.clock.now()
        paused = await store.paused_guilds(self.bot.db)
        done: dict[int, set[str]] = {}
        for guild_id, week in await store.recent_weeks(self.bot.db, now - timedelta(days=8)):
            done.setdefault(guild_id, set()).add(week)
        if only is None:
            configured = await guilds.configured(self.bot.db)
        else:
            settings = await guilds.get(self.bot.db, only)
            here = settings is not None and settings.configured and settings.left_at is None
            configured = [settings] if here and settings is not None else []
        armed = 0
        breathe = Breather()
        occurrences = logic.Occurrences(now)
        for settings in configured:
            await breathe()
            if settings.guild_id in paused or not logic.rotation(settings.practices):
                continue
            schedule = (settings.prompt_weekday, settings.prompt_time, settings.timezone)
            missed = occurrences.missed(
                *schedule,
                configured_at=settings.configured_at,
                done_weeks=done.get(settings.guild_id, set()),
            )
            # A prompt that fell due while Hearth was down (within 6 h) goes out at once.
            self.arm_weekly(settings, missed or occurrences.following(*schedule))
            armed += 1
        live = await store.live_deadlines(self.bot.db, only)
        # An early look only where the rule holds as things stand: elsewhere only an
        # answer or a skip can change that, and `after_response` looks again then (as
        # it does without a restart). 5,000 looks due at once used to hold the start.
        early_inputs = await store.early_inputs(self.bot.db, only)
        for round_id, guild_id, opened_text, closes_text in live:
            await breathe()
            opened_at = need_dt(opened_text)
            closes_at = need_dt(closes_text)
            self.arm_reveal(guild_id, round_id, closes_at)
            inputs = early_inputs.get(round_id)
            if inputs is None:
                continue
            early = logic.early_reveal_at(
                opened_at, closes_at, inputs.regulars, inputs.answered, inputs.skipped
            )
            if early is not None:
                # Its day may have passed while Hearth was down: look now, then. The job
                # checks the rule itself.
                self.arm_early(guild_id, round_id, max(early, now))
        log.info("prompt jobs rebuilt guild=%s weekly=%d reveals=%d", only, armed, len(live))

    # ------------------------------------------------------------------ the weekly job

    async def weekly_job(self, guild_id: int, occurrence_iso: str) -> None:
        occurrence = need_dt(occurrence_iso)
        async with self.jobs, self._lock(guild_id):
            await self._weekly(guild_id, occurrence)

    async def _weekly(self, guild_id: int, occurrence: datetime) -> None:
        settings = await guilds.get(self.bot.db, guild_id)
        if settings is None or not settings.configured or settings.left_at is not None:
            return
        if not logic.rotation(settings.practices):
            return
        now = self.bot.clock.now()
        args = (settings.prompt_weekday, settings.prompt_time, settings.timezone)
        if not logic.is_occurrence(occurrence, *args):
            # The schedule changed since this job was armed; follow the new one.
            self.arm_weekly(settings, self.next_occurrence(settings, now))
            return
        following = self.next_occurrence(settings, max(now, occurrence))
        rearm = True
        try:
            rearm = await self._post_week(settings, occurrence, now)
        finally:
            # Whatever happened to this run (a Discord hiccup, a bug), next week comes.
            if rearm:
                self.arm_weekly(settings, following)

    async def _post_week(
        self, settings: GuildSettings, occurrence: datetime, now: datetime
    ) -> bool:
        """This week's prompt, once; False when the schedule must wait for an admin (a
        pause, a channel Hearth can't use) instead of re-arming."""
        guild_id = settings.guild_id
        week = timeutil.week_key(occurrence, settings.timezone)
        state = await store.weekly_state(self.bot.db, guild_id, week)
        if state.schedule.paused:
            return False
        if logic.too_late(now, occurrence):
            log.info("weekly prompt skipped (too late) guild=%s", guild_id)
            return True
        if state.week_done:
            log.info("weekly prompt already posted guild=%s week=%s", guild_id, week)
            return True
        schedule, last = state.schedule, state.last_practice
        if state.live_rounds:
            # The last round is still open (an admin's, say): it reveals now, first.
            for found in await store.live_rounds(self.bot.db, guild_id):
                await self.reveal(found.round_id)
            schedule = await store.schedule(self.bot.db, guild_id)
            if schedule.paused:
                return False  # that reveal was the third quiet week in a row
        posted = await self.open_round(
            settings, schedule, kind=RoundKind.WEEKLY, week=week, last=last
        )
        return posted != BROKEN_CHANNEL  # a broken channel waits for an admin, not a timer

    # ------------------------------------------------------------------ choosing

    async def pick(
        self,
        guild_id: int,
        on: frozenset[str],
        pinned: str | None,
        *,
        only: str | None = None,
        last: str | Literal[False] | None = False,
    ) -> tuple[Prompt, frozenset[str]] | None:
        """The next prompt for this group, and the used ids to forget when it starts a new
        cycle. At the group's depth, skipping every topic any active participant skips.
        `last`: the practice of the group's latest prompt, if the caller already knows it."""
        if last is False:
            last = await store.last_practice(self.bot.db, guild_id)
        first = only or logic.next_practice(on, last, pinned)
        if first is None:
            return None
        depth = await self.bot.boundaries.group_depth(guild_id)
        skip = await self.bot.boundaries.skipped_topics(guild_id)
        used = await store.used_ids(self.bot.db, guild_id)
        order = [first] if only else logic.practices_from(on, first)
        for key in order:
            prompt = self.bot.decks.choose(key, depth, skip, used, self.rng)
            if prompt is None:
                continue  # everything in this practice is skipped here: try the next one
            forget: frozenset[str] = frozenset()
            if prompt.id in used:  # the cycle is complete: start it over
                forget = frozenset(p.id for p in self.bot.decks.eligible(key, depth, skip))
            return prompt, forget
        return None

    # ------------------------------------------------------------------ posting

    def channel_problem(self, guild_id: int, channel_id: int) -> str | None:
        """From the cache, without asking Discord: a reason the channel can't work, or None."""
        guild = self.bot.get_guild(guild_id)
        if guild is None or guild.me is None:
            return None  # not cached: just try
        channel = guild.get_channel(channel_id)
        if channel is None:
            return "gone"
        perms = channel.permissions_for(guild.me)
        if not (perms.view_channel and perms.send_messages and perms.embed_links):
            return "permissions"
        return None

    async def open_round(
        self,
        settings: GuildSettings,
        schedule: store.Schedule,
        *,
        kind: RoundKind,
        week: str | None = None,
        only: str | None = None,
        last: str | Literal[False] | None = False,
    ) -> Opened | str:
        """Choose, record and send one prompt: the round and its post's intent, or why
        nothing was sent — NO_PROMPT, WEEK_DONE or BROKEN_CHANNEL (the schedule pauses).

        The round (status 'posting'), the week's ledger row and the post's intent are one
        transaction: a crash before it leaves nothing, after it the outbox delivers the
        post and `_posted` opens the round."""
        guild_id = settings.guild_id
        assert settings.channel_id is not None
        choice = await self.pick(
            guild_id, settings.practices, schedule.pinned_practice, only=only, last=last
        )
        if choice is None:
            log.info("no prompt eligible guild=%s", guild_id)
            return NO_PROMPT
        prompt, forget = choice
        now = self.bot.clock.now()
        new = store.NewRound(
            round_id=new_id(),
            guild_id=guild_id,
            channel_id=settings.channel_id,
            kind=kind,
            practice=prompt.practice,
            prompt_id=prompt.id,
            depth=prompt.depth,
            opened_at=now,
            closes_at=now + schedule.deadline,
            forget_ids=forget,
        )
        early = await self.early_possible(guild_id, new.opened_at, new.closes_at)
        problem = self.channel_problem(guild_id, settings.channel_id)
        async with self.bot.db.transaction() as tx:
            if kind is RoundKind.WEEKLY:
                assert week is not None
                if not await store.claim_week(tx, new, week):
                    return WEEK_DONE
            else:
                await store.record_manual(tx, new)
            if problem is not None:
                # Known from the cache: no request Discord would refuse (and count).
                log.info("prompt channel unusable guild=%s problem=%s", guild_id, problem)
                await store.mark_failed(
                    tx, new.round_id, guild_id, pause_reason=PauseReason.CHANNEL, now=now
                )
                self.bot.db.after_commit(lambda: self.bot.scheduler.cancel(weekly_job_id(guild_id)))
                return BROKEN_CHANNEL
            intent = await self.bot.outbox.post(
                tx,
                channel_id=settings.channel_id,
                guild_id=guild_id,
                message=Message(
                    embeds=[
                        render.post_embed(prompt, kind=kind, closes_at=new.closes_at, early=early)
                    ],
                    view=views.post_view(new.round_id),
                ),
                handler=POSTED,
                ref=new.round_id,
            )
        log.info(
            "prompt recorded guild=%s round=%s prompt=%s kind=%s",
            guild_id,
            new.round_id,
            prompt.id,
            kind,
        )
        return Opened(new.as_round(None), intent)

    async def _posted(self, tx: Tx, outcome: Outcome) -> None:
        """The post is in the channel: the round opens and its reveal is armed."""
        assert outcome.ref is not None
        assert outcome.message_id is not None
        found = await store.mark_posted(tx, outcome.ref, outcome.message_id)
        if found is not None:
            self.bot.db.after_commit(
                lambda: self.arm_reveal(found.guild_id, found.round_id, found.closes_at)
            )
            log.info("prompt posted guild=%s round=%s", found.guild_id, found.round_id)

    async def _post_failed(self, tx: Tx, outcome: Outcome) -> None:
        """Discord refused the post for good: the round fails; a channel Hearth can't use
        pauses the schedule until an admin fixes it."""
        assert outcome.ref is not None
        assert outcome.guild_id is not None
        lost = outcome.code in CHANNEL_LOST
        await store.mark_failed(
            tx,
            outcome.ref,
            outcome.guild_id,
            pause_reason=PauseReason.CHANNEL if lost else None,
            now=self.bot.clock.now(),
        )
        log.warning("prompt post failed guild=%s code=%s", outcome.guild_id, outcome.code)
        if lost:
            guild_id = outcome.guild_id
            self.bot.db.after_commit(lambda: self.bot.scheduler.cancel(weekly_job_id(guild_id)))

    # ------------------------------------------------------------------ revealing

    async def reveal_job(self, round_id: int) -> None:
        async with self.jobs:
            await self.reveal(round_id)

    async def after_response(self, found: store.Round) -> None:
        """After an answer or a skip: reveal early if the rule allows it now
        (`logic.early_reveal_at`), or look again when the prompt's first day is up."""
        try:
            when = await self._early_reveal_at(found)
            if when is None:
                return
            if self.bot.clock.now() >= when:
                await self.reveal(found.round_id)
            else:
                self.arm_early(found.guild_id, found.round_id, when)
        except Exception:
            # The person's answer is saved; the deadline job reveals it anyway.
            log.exception("early reveal failed round=%s", found.round_id)

    async def _early_reveal_at(self, found: store.Round) -> datetime | None:
        if found.opened_at + logic.EARLY_REVEAL_AFTER >= found.closes_at:
            return None  # the deadline comes first anyway: no need to ask
        regulars = await store.recent_responders(self.bot.db, found.guild_id, found.opened_at)
        answered, skipped = await store.responses(self.bot.db, found.round_id)
        return logic.early_reveal_at(found.opened_at, found.closes_at, regulars, answered, skipped)

    async def early_job(self, round_id: int) -> None:
        """A prompt's first day is up: reveal it if everyone it waits for is in."""
        found = await store.get_round(self.bot.db, round_id)
        if found is None or not found.live:
            return
        when = await self._early_reveal_at(found)
        if when is not None and self.bot.clock.now() >= when:
            async with self.jobs:
                await self.reveal(round_id)

    async def early_possible(self, guild_id: int, opened_at: datetime, closes_at: datetime) -> bool:
        """Whether a round posted now can reveal before its deadline (what its post says)."""
        regulars = await store.recent_responders(self.bot.db, guild_id, opened_at)
        return logic.early_reveal_possible(opened_at, closes_at, regulars)

    async def reveal(self, round_id: int) -> None:
        """Close a round exactly once: reveal 2+ answers together, otherwise keep them private.

        Closing and everything it says — the thread, each answer, the post's new state, a
        word to a lone writer or the room — are one transaction; the outbox delivers them
        in order, after any restart, and the round counts as revealed (`revealed_at`) once
        the last of them is out."""
        db = self.bot.db
        async with db.transaction() as tx:
            closing = await store.close_round(tx, round_id, self.bot.clock.now())
            if closing is None:
                return
            found = closing.round
            prompt = self.bot.decks.get(found.prompt_id)
            lane = f"prompt:{round_id}"
            if closing.status is RoundStatus.REVEALED and prompt is not None:
                await self._queue_answers(tx, found, prompt, closing.answers, lane)
            elif len(closing.answers) == 1:
                await self._queue_tell_the_one(tx, found, closing.answers[0].user_id)
            if prompt is not None and found.message_id is not None:
                await self.bot.outbox.edit(
                    tx,
                    channel_id=found.channel_id,
                    message_id=found.message_id,
                    guild_id=found.guild_id,
                    message=self._post_message(found, prompt),
                    lane=lane,
                    handler=REVEALED,
                    ref=round_id,
                )
            if closing.paused:
                await self.bot.outbox.post(
                    tx,
                    channel_id=found.channel_id,
                    guild_id=found.guild_id,
                    message=Message(SILENT_NOTE),
                    lane=lane,
                )
            db.after_commit(lambda: self._closed(found, paused=closing.paused))
        log.info(
            "prompt closed guild=%s round=%s outcome=%s answers=%d",
            found.guild_id,
            round_id,
            closing.status,
            len(closing.answers),
        )

    def _closed(self, found: store.Round, *, paused: bool) -> None:
        self.bot.scheduler.cancel(reveal_job_id(found.round_id))
        self.bot.scheduler.cancel(early_job_id(found.round_id))
        if paused:
            self.bot.scheduler.cancel(weekly_job_id(found.guild_id))
            log.info("weekly prompt paused (quiet) guild=%s", found.guild_id)

    def _post_message(self, found: store.Round, prompt: Prompt) -> Message:
        embed = render.post_embed(
            prompt,
            kind=found.kind,
            closes_at=found.closes_at,
            state=found.status,
            answer_count=found.answer_count,
        )
        view = views.quiet_view(found.round_id) if found.status is RoundStatus.QUIET else None
        return Message(embeds=[embed], view=view)

    async def _queue_answers(
        self,
        tx: Tx,
        found: store.Round,
        prompt: Prompt,
        answers: list[store.Answer],
        lane: str,
    ) -> None:
        """The answers in a thread: a word of thanks, then each answer as its own message
        in a fresh random order, so position says nothing about who wrote what, or when,
        and `/privacy delete` can remove one person's words without anyone else's. Each
        answer's intent names its writer (anonymous ones too, privately)."""
        outbox = self.bot.outbox
        thread: int | None = None
        if found.message_id is not None:
            thread = await outbox.thread(
                tx,
                channel_id=found.channel_id,
                message_id=found.message_id,
                guild_id=found.guild_id,
                name=render.thread_name(prompt),
                archive_minutes=10080,
                lane=lane,
                handler=REVEAL_STEP,
                ref=found.round_id,
            )
        # Into the thread; into the channel itself if the thread couldn't be opened.
        await outbox.post(
            tx,
            channel_id=found.channel_id,
            channel_of=thread,
            guild_id=found.guild_id,
            message=Message(render.reveal_intro(len(answers))),
            lane=lane,
            handler=REVEAL_STEP,
            ref=found.round_id,
        )
        for answer in logic.shuffled(answers):
            embed = render.answer_embed(
                answer.body or "",
                practice=prompt.practice,
                user_id=None if answer.anonymous else answer.user_id,
            )
            # Other practices' buttons under it (bot.post_actions); they never carry its writer.
            actions = await self.bot.post_actions.attach(
                tx,
                ANSWER,
                guild_id=found.guild_id,
                channel_id=found.channel_id,
                author_id=answer.user_id,
                anonymous=answer.anonymous,
            )
            await outbox.post(
                tx,
                channel_id=found.channel_id,
                channel_of=thread,
                guild_id=found.guild_id,
                message=Message(embeds=[embed], view=actions),
                lane=lane,
                words=[Words(answer.user_id, PRACTICE)],
                handler=REVEAL_STEP,
                ref=found.round_id,
            )

    async def _reveal_step(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.op is Op.THREAD and outcome.ref is not None and outcome.message_id:
            await store.set_thread(tx, outcome.ref, outcome.message_id)

    async def _reveal_step_failed(self, tx: Tx, outcome: Outcome) -> None:
        """A thread or an answer Discord refused for good. The channel is gone or closed:
        the schedule pauses (the rest of the reveal settles the same way). Anything else
        (a thread that can't be opened here) and the answers go to the channel itself."""
        log.warning(
            "prompt reveal step failed guild=%s op=%s code=%s",
            outcome.guild_id,
            outcome.op,
            outcome.code,
        )
        if outcome.code in CHANNEL_LOST and outcome.guild_id is not None:
            await self._pause_for_channel(tx, outcome.guild_id)

    async def _revealed(self, tx: Tx, outcome: Outcome) -> None:
        """The last step of a close (the post's new state) is out: the round is revealed."""
        if outcome.ref is not None:
            await store.mark_revealed(tx, outcome.ref, self.bot.clock.now())
        if outcome.code in CHANNEL_LOST and outcome.guild_id is not None:
            await self._pause_for_channel(tx, outcome.guild_id)

    async def _queue_tell_the_one(self, tx: Tx, found: store.Round, user_id: int) -> None:
        """One answer isn't revealed; its writer hears so privately, if they welcome DMs
        (asked again when it is delivered; quiet hours move it later). Otherwise the
        prompt's buttons tell them when they next look."""
        guild = self.bot.get_guild(found.guild_id)
        where = f" in **{textfit.one_line(guild.name, 100)}**" if guild is not None else ""
        await self.bot.outbox.dm(
            tx,
            user_id=user_id,
            guild_id=found.guild_id,
            message=Message(
                f"The prompt{where} closed with only your answer, so I kept it private: "
                "nothing was shown to anyone. Thank you for showing up. It matters, even "
                "when it's quiet. 💛"
            ),
        )

    async def _pause_for_channel(self, tx: Tx, guild_id: int) -> None:
        await store.pause(tx, guild_id, PauseReason.CHANNEL, self.bot.clock.now())
        self.bot.db.after_commit(lambda: self.bot.scheduler.cancel(weekly_job_id(guild_id)))

    # ------------------------------------------------------------------ retention

    async def retention_due(self, tx: Tx, policy: retention.Policy, now: datetime) -> int:
        """Answers older than their server's period go (the rounds, naming no one, stay)."""
        return await store.expire_answers(tx, policy, now)

    # ------------------------------------------------------------------ clicks on a prompt
    # The buttons, panel and modal in views.py only parse and show; these act.

    async def _round_for(self, interaction: discord.Interaction[Any], round_id: int) -> store.Round:
        """The round a click points at, re-checked: it exists and belongs to this server."""
        found = await store.get_round(self.bot.db, round_id)
        if found is None:
            raise HearthError(views.GONE)
        if interaction.guild_id != found.guild_id:
            raise HearthError(views.FORGED)
        return found

    def _prompt_of(self, found: store.Round) -> Prompt:
        prompt = self.bot.decks.get(found.prompt_id)
        if prompt is None:
            raise HearthError(
                "That prompt has been retired from Hearth's deck, so it's closed now."
            )
        return prompt

    async def closed_note(self, found: store.Round, user_id: int) -> str:
        """What someone reads when they click on a prompt that has closed."""
        if found.status is RoundStatus.REVEALED:
            return "This one's been revealed: the answers are in the thread under the prompt."
        if found.status is RoundStatus.QUIET:
            mine = await store.answer_of(self.bot.db, found.round_id, user_id)
            if mine is not None and not mine.skipped:
                return (
                    "Only your answer came in for this one, so I kept it private: nothing was "
                    "shown to anyone. Thank you for answering. It matters, even when it's quiet."
                )
            return "This prompt has closed. A new one comes with the next weekly post."
        return views.GONE

    async def _refuse_closed(
        self, interaction: discord.Interaction[Any], found: store.Round
    ) -> None:
        fresh = await store.get_round(self.bot.db, found.round_id)
        if fresh is not None and fresh.live:
            await ui.reply(interaction, "There's no answer of yours here to change.")
            return
        await ui.reply(interaction, await self.closed_note(fresh or found, interaction.user.id))

    async def show_panel(
        self, interaction: discord.Interaction[Any], found: store.Round, *, edit: bool = False
    ) -> None:
        mine = await store.answer_of(self.bot.db, found.round_id, interaction.user.id)
        answer = mine if mine is not None and not mine.skipped else None
        embed, view = views.panel(found, self._prompt_of(found), answer)
        if edit:
            await interaction.response.edit_message(embed=textfit.fit_embed(embed), view=view)
        else:
            await ui.reply(interaction, embed=embed, view=view)

    async def on_answer_button(self, interaction: discord.Interaction[Any], round_id: int) -> None:
        """ "Answer privately" under a prompt: the private panel (or what became of it)."""
        found = await self._round_for(interaction, round_id)
        if not found.live:
            await ui.reply(interaction, await self.closed_note(found, interaction.user.id))
            return
        await self.show_panel(interaction, found)

    async def on_skip_button(self, interaction: discord.Interaction[Any], round_id: int) -> None:
        """ "Skip this one": no reason asked, nothing shown to anyone."""
        found = await self._round_for(interaction, round_id)
        user_id = interaction.user.id
        if not found.live:
            await ui.reply(interaction, await self.closed_note(found, user_id))
            return
        async with self.bot.boundaries.acting(found.guild_id, user_id) as tx:
            result = await store.save_skip(
                tx, found.round_id, found.guild_id, user_id, self.bot.clock.now()
            )
        if result is Skip.CLOSED:
            fresh = await store.get_round(self.bot.db, found.round_id)
            await ui.reply(interaction, await self.closed_note(fresh or found, user_id))
            return
        if result is Skip.ANSWERED:
            await ui.reply(
                interaction,
                "You've already answered this one, so I kept your answer as it is. To take it "
                f"back, use **{render.ANSWER_LABEL}** → **Withdraw**.",
            )
            return
        log.info("prompt skipped round=%s guild=%s", found.round_id, found.guild_id)
        await ui.reply(interaction, "Skipped. No reason needed, and nobody sees who skips. 🌿")
        await self.after_response(found)

    async def on_panel(
        self, interaction: discord.Interaction[Any], action: PanelAction, round_id: int
    ) -> None:
        """A button on an answer panel. The panel keeps nothing: the prompt comes from its
        id, re-checked, and it acts on the answer of whoever pressed it."""
        owner_id = interaction.user.id
        found = await self._round_for(interaction, round_id)
        prompt = self._prompt_of(found)
        if action in (PanelAction.NAMED, PanelAction.ANON):
            modal = views.AnswerModal(self, found, prompt, action is PanelAction.ANON, None)
        elif action is PanelAction.EDIT:
            mine = await store.answer_of(self.bot.db, found.round_id, owner_id)
            answer = mine if mine is not None and not mine.skipped else None
            anonymous = bool(answer and answer.anonymous)
            modal = views.AnswerModal(
                self, found, prompt, anonymous, answer.body if answer else None
            )
        elif action in (PanelAction.NAME_ON, PanelAction.NAME_OFF):
            await self.on_switch_name(interaction, found, action is PanelAction.NAME_OFF)
            return
        else:
            await self.on_withdraw(interaction, found, prompt)
            return
        await interaction.response.send_modal(modal)

    async def on_switch_name(
        self, interaction: discord.Interaction[Any], found: store.Round, anonymous: bool
    ) -> None:
        """Show or hide the person's name on their answer, from the panel."""
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(found.guild_id, user_id) as tx:
            changed = await store.set_anonymous(tx, found.round_id, user_id, anonymous)
        if not changed:
            await self._refuse_closed(interaction, found)
            return
        await self.show_panel(interaction, found, edit=True)

    async def on_withdraw(
        self, interaction: discord.Interaction[Any], found: store.Round, prompt: Prompt
    ) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(found.guild_id, user_id) as tx:
            body = await store.withdraw(tx, found.round_id, user_id)
        if body is None:
            await self._refuse_closed(interaction, found)
            return
        log.info("prompt answer withdrawn round=%s", found.round_id)
        _, view = views.panel(found, prompt, None)
        await interaction.response.edit_message(
            embed=views.withdrawn_embed(prompt, body), view=view
        )

    async def on_answer(
        self, interaction: discord.Interaction[Any], found: store.Round, anonymous: bool, raw: str
    ) -> None:
        """The answer modal, submitted: checked, saved privately until the reveal."""
        try:
            body = logic.check_answer(raw)
        except logic.AnswerProblem as problem:
            back = f"\n\nHere's what you wrote:\n{render.quoted_back(raw)}" if raw.strip() else ""
            await ui.reply(interaction, f"{problem}{back}")
            return
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(found.guild_id, user_id) as tx:
            saved = await store.save_answer(
                tx,
                found.round_id,
                found.guild_id,
                user_id,
                body,
                anonymous,
                self.bot.clock.now(),
            )
        if not saved:
            fresh = await store.get_round(self.bot.db, found.round_id)
            note = await self.closed_note(fresh or found, user_id)
            await ui.reply(
                interaction,
                f"{note}\n\nIt closed while you were writing, so here's your answer back:\n"
                f"{render.quoted_back(body)}",
            )
            return
        log.info("prompt answer saved round=%s guild=%s", found.round_id, found.guild_id)
        shown = "without your name" if anonymous else "with your name"
        await ui.reply(
            interaction,
            f"Saved, privately. Nobody sees it until the reveal, when it'll be shown {shown}. "
            f"Until then you can edit or withdraw it from **{render.ANSWER_LABEL}**.",
        )
        await self.after_response(found)

    # ------------------------------------------------------------------ events

    @commands.Cog.listener()
    async def on_hearth_settings_changed(self, guild_id: int) -> None:
        settings = await guilds.get(self.bot.db, guild_id)
        if settings is None or not settings.configured:
            self.bot.scheduler.cancel(weekly_job_id(guild_id))
            return
        assert settings.channel_id is not None
        if self.channel_problem(guild_id, settings.channel_id) is None:
            # The admin fixed the set-up: a channel pause has done its job.
            async with self.bot.db.transaction() as tx:
                await store.resume(tx, guild_id, only=PauseReason.CHANNEL)
        schedule = await store.schedule(self.bot.db, guild_id)
        if schedule.paused or not logic.rotation(settings.practices):
            self.bot.scheduler.cancel(weekly_job_id(guild_id))
            return
        self.arm_weekly(settings, self.next_occurrence(settings, self.bot.clock.now()))

    async def server_forgotten(self, guild_id: int) -> None:
        # Its rounds are gone: their reveal jobs find nothing and stop on their own.
        self.bot.scheduler.cancel(weekly_job_id(guild_id))

    @commands.Cog.listener()
    async def on_hearth_guild_left(self, guild_id: int) -> None:
        self.bot.scheduler.cancel(weekly_job_id(guild_id))
        for found in await store.live_rounds(self.bot.db, guild_id):
            self.bot.scheduler.cancel(reveal_job_id(found.round_id))
            self.bot.scheduler.cancel(early_job_id(found.round_id))

    # ------------------------------------------------------------------ /hearth settings

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        schedule = await store.schedule(self.bot.db, guild_id)
        notes: list[tuple[str, str]] = []
        if schedule.paused_reason is PauseReason.SILENT:
            notes.append(
                (
                    "⏸️ Weekly prompt paused",
                    "Three weekly prompts in a row got no answers, so Hearth paused itself "
                    "rather than keep posting into a quiet room. An admin can restart it "
                    "with `/hearth resume`.",
                )
            )
        elif schedule.paused_reason is PauseReason.CHANNEL:
            notes.append(
                (
                    "⏸️ Weekly prompt paused",
                    "Hearth couldn't post in its channel (it was deleted, or Hearth lost a "
                    "permission there), so the weekly prompt is paused. Pick a channel with "
                    "`/hearth setup`, or fix the permissions and run `/hearth resume`.",
                )
            )
        if schedule.pinned_practice in BY_KEY:
            p = BY_KEY[schedule.pinned_practice]
            notes.append(("Prompt practice", f"Pinned to {p.emoji} {p.name}."))
        else:
            notes.append(("Prompt practice", "Rotating through the practices that are on."))
        rule = render.deadline_rule(schedule.deadline_hours)
        notes.append(("Prompt answers", f"Answers are {rule}."))
        return notes

    # ------------------------------------------------------------------ commands

    async def _settings_or_explain(self, guild_id: int) -> GuildSettings:
        settings = await guilds.get(self.bot.db, guild_id)
        if settings is None or not settings.configured:
            raise HearthError(
                "Hearth isn't set up here yet. Run `/hearth setup` first to choose a channel "
                "and a weekly time."
            )
        return settings

    @prompt_group.command(name="now", description="Post a prompt for the group right now")
    @app_commands.describe(practice="Which practice to draw from (default: the next in turn)")
    @app_commands.choices(practice=PRACTICE_CHOICES)
    @admin_only()
    async def prompt_now(
        self,
        interaction: discord.Interaction[HearthBot],
        practice: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        settings = await self._settings_or_explain(guild_id)
        only = practice.value if practice is not None else None
        if only is not None and only not in BY_KEY:
            raise HearthError("Pick a practice from the list.")
        if only is not None and only not in settings.practices:
            raise HearthError(
                f"{BY_KEY[only].name} is switched off here. Turn it on in `/hearth settings` "
                "first, or leave the practice out."
            )
        if not logic.rotation(settings.practices):
            raise HearthError("No practices are on here yet. Pick some in `/hearth settings`.")
        live = await store.live_rounds(self.bot.db, guild_id)
        if live:
            raise HearthError(
                "There's already a prompt open here. Its answers are revealed "
                f"{timeutil.discord_timestamp(live[0].closes_at, 'R')} at the latest (its "
                "post says when it can be sooner). One at a time keeps it special."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._lock(guild_id):
            schedule = await store.schedule(self.bot.db, guild_id)
            posted = await self.open_round(settings, schedule, kind=RoundKind.MANUAL, only=only)
        assert settings.channel_id is not None
        refused = HearthError(
            f"I couldn't post in <#{settings.channel_id}>. Check that I can see it, "
            "send messages and embed links there, or pick another channel with "
            "`/hearth setup`."
        )
        if posted == BROKEN_CHANNEL:
            raise refused
        if not isinstance(posted, Opened):
            raise HearthError(
                "I couldn't find a prompt that fits this group right now (every one left "
                "touches a topic someone here skips). Try another practice."
            )
        outcome = await self.bot.outbox.wait(posted.intent, POST_WAIT)
        if outcome is not None and not outcome.ok:
            raise refused
        closes = timeutil.discord_timestamp(posted.round.closes_at, "R")
        early = await self.early_possible(guild_id, posted.round.opened_at, posted.round.closes_at)
        when = f"Answers are revealed {closes}" + (
            f", or {render.EARLY_RULE}." if early else f". {render.STAYS_OPEN}"
        )
        if outcome is None:
            # Discord is slow right now; the outbox keeps trying and the post will come.
            await ui.reply(
                interaction,
                f"It's on its way to <#{settings.channel_id}> — Discord is a little slow just "
                f"now. {when}",
            )
            return
        if schedule.paused_reason is PauseReason.CHANNEL:
            # The channel works again: so does the weekly prompt.
            async with self.bot.db.transaction() as tx:
                await store.resume(tx, guild_id, only=PauseReason.CHANNEL)
            self.arm_weekly(settings, self.next_occurrence(settings, self.bot.clock.now()))
        await ui.reply(interaction, f"Posted in <#{settings.channel_id}>. {when}")

    @prompt_group.command(name="pin", description="Keep the weekly prompt on one practice")
    @app_commands.describe(practice="A practice to stay on, or rotate through them all")
    @app_commands.choices(practice=PIN_CHOICES)
    @admin_only()
    async def prompt_pin(
        self, interaction: discord.Interaction[HearthBot], practice: app_commands.Choice[str]
    ) -> None:
        assert interaction.guild_id is not None
        settings = await self._settings_or_explain(interaction.guild_id)
        if practice.value == ROTATE:
            async with self.bot.db.transaction() as tx:
                await store.set_pin(tx, interaction.guild_id, None)
            await ui.reply(interaction, "Done. The weekly prompt rotates through the practices.")
            return
        chosen = BY_KEY.get(practice.value)
        if chosen is None:
            raise HearthError("Pick a practice from the list.")
        if chosen.key not in settings.practices:
            raise HearthError(
                f"{chosen.name} is switched off here. Turn it on in `/hearth settings` first."
            )
        async with self.bot.db.transaction() as tx:
            await store.set_pin(tx, interaction.guild_id, chosen.key)
        await ui.reply(
            interaction, f"Done. Weekly prompts now come from {chosen.emoji} {chosen.name}."
        )

    @prompt_group.command(name="deadline", description="How long answers stay private")
    @app_commands.describe(hours="Hours from the post to the reveal (1–144; the default is 48)")
    @admin_only()
    async def prompt_deadline(
        self,
        interaction: discord.Interaction[HearthBot],
        hours: app_commands.Range[int, 1, 144],
    ) -> None:
        assert interaction.guild_id is not None
        await self._settings_or_explain(interaction.guild_id)
        try:
            logic.check_deadline_hours(hours)
        except ValueError as exc:
            raise HearthError(str(exc)) from None
        async with self.bot.db.transaction() as tx:
            await store.set_deadline(tx, interaction.guild_id, hours)
        await ui.reply(
            interaction,
            f"Done. From the next prompt on, answers are {render.deadline_rule(hours)}.",
        )

    @hearth_subcommand(name="resume", description="Restart the paused weekly prompt")
    @admin_only()
    async def resume_command(self, interaction: discord.Interaction[HearthBot]) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        settings = await self._settings_or_explain(guild_id)
        assert settings.channel_id is not None
        now = self.bot.clock.now()
        async with self.bot.db.transaction() as tx:
            resumed = await store.resume(tx, guild_id)
        if not resumed:
            when = self.next_occurrence(settings, now)
            await ui.reply(
                interaction,
                "The weekly prompt isn't paused. The next one arrives "
                f"{timeutil.discord_timestamp(when, 'R')}.",
            )
            return
        log.info("weekly prompt resumed guild=%s user=%s", guild_id, interaction.user.id)
        if not logic.rotation(settings.practices):
            await ui.reply(
                interaction,
                "Resumed, but no practices are on yet. Pick some in `/hearth settings` and "
                "the weekly prompt starts.",
            )
            return
        when = self.next_occurrence(settings, now)
        self.arm_weekly(settings, when)
        text = (
            f"Welcome back. The next prompt arrives in <#{settings.channel_id}> "
            f"{timeutil.discord_timestamp(when, 'f')} ({timeutil.discord_timestamp(when, 'R')})."
        )
        if self.channel_problem(guild_id, settings.channel_id) is not None:
            text += (
                "\n\n⚠️ I still can't post there, though. Check that I can see the channel, "
                "send messages and embed links, or pick another with `/hearth setup`."
            )
        await ui.reply(interaction, text)
