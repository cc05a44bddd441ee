"""The weekly group prompt: post, answer privately, reveal together.

Jobs (all one-shot, rebuilt from the database on start):
- `prompt:{guild_id}` — the weekly post at the server's day and local time. It carries the
  instant it stands for; the ledger (`prompt_weeks`) makes a second run for the same local
  week (a restart, a fall-back night) do nothing.
- `prompt:reveal:{round_id}` — the deadline reveal.
- `retention:daily` — deletes answers (and, through the `hearth_retention_due` event,
  shares) past each server's retention period.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from datetime import time as wall_time
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, textfit, timeutil, ui
from bot.cog import HEARTH_GROUP_KEY, HearthCog, admin_only, hearth_subcommand
from bot.decks import Prompt
from bot.dm import send_dm
from bot.errors import HearthError
from bot.guilds import GuildSettings
from bot.limits import Breather
from bot.practices import BY_KEY, PRACTICES
from bot.privacy import PersonalData, record_words
from cogs.prompts import logic, render, store, views

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

# Discord's answers that mean "this channel can't work for Hearth as it is".
CHANNEL_CODES = frozenset({50001, 50013, 10003})

# Scheduled jobs that work at once. Hundreds of servers due together then flow through one
# by one — read, claim, post — and Discord's global limit (`bot.rest_limit`, which every
# request waits for) never waits for work, instead of every job taking turns on each
# database query before the first post can leave.
JOB_CONCURRENCY = 16

RETENTION_JOB = "retention:daily"
RETENTION_AT = wall_time(3, 30)  # UTC, a quiet hour for most of the world

PRACTICE_CHOICES = [app_commands.Choice(name=p.name, value=p.key) for p in PRACTICES]
ROTATE = "rotate"
PIN_CHOICES = [
    app_commands.Choice(name="Rotate through the practices that are on", value=ROTATE),
    *PRACTICE_CHOICES,
]

# Why open_round posted nothing.
NO_PROMPT, WEEK_DONE, BROKEN_CHANNEL, POST_FAILED = "no-prompt", "week-done", "channel", "failed"

SILENT_NOTE = (
    "I've paused the weekly prompt for now. Three weeks in a row went by without answers, "
    "and I'd rather not keep posting into a quiet room. Whenever you'd like it back, an "
    "admin can run `/hearth resume`. 🌙"
)


def weekly_job_id(guild_id: int) -> str:
    return f"prompt:{guild_id}"


def reveal_job_id(round_id: int) -> str:
    return f"prompt:reveal:{round_id}"


class PromptsCog(HearthCog):
    practice = "sharing"
    dynamic_items = (views.AnswerButton, views.SkipButton)
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA

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
            occurrence.isoformat(),
        )

    def next_occurrence(self, settings: GuildSettings, after: datetime) -> datetime:
        return timeutil.next_weekly(
            after, settings.prompt_weekday, settings.prompt_time, settings.timezone
        )

    def arm_reveal(self, round_id: int, when: datetime) -> None:
        self.bot.scheduler.at(reveal_job_id(round_id), when, self.reveal_job, round_id)

    def arm_retention(self) -> None:
        when = timeutil.next_daily(self.bot.clock.now(), RETENTION_AT, "UTC")
        self.bot.scheduler.at(RETENTION_JOB, when, self.retention_job)

    async def rebuild_jobs(self) -> None:
        now = self.bot.clock.now()
        paused = await store.paused_guilds(self.bot.db)
        done: dict[int, set[str]] = {}
        for guild_id, week in await store.recent_weeks(self.bot.db, now - timedelta(days=8)):
            done.setdefault(guild_id, set()).add(week)
        armed = 0
        breathe = Breather()
        for settings in await guilds.configured(self.bot.db):
            await breathe()
            if settings.guild_id in paused or not logic.rotation(settings.practices):
                continue
            missed = logic.missed_occurrence(
                now,
                settings.prompt_weekday,
                settings.prompt_time,
                settings.timezone,
                configured_at=settings.configured_at,
                done_weeks=done.get(settings.guild_id, set()),
            )
            # A prompt that fell due while Hearth was down (within 6 h) goes out at once.
            self.arm_weekly(settings, missed or self.next_occurrence(settings, now))
            armed += 1
        live = await store.live_deadlines(self.bot.db)
        for round_id, closes_at in live:
            await breathe()
            self.arm_reveal(round_id, datetime.fromisoformat(closes_at))
        self.arm_retention()
        log.info("prompt jobs rebuilt weekly=%d reveals=%d", armed, len(live))

    # ------------------------------------------------------------------ the weekly job

    async def weekly_job(self, guild_id: int, occurrence_iso: str) -> None:
        occurrence = datetime.fromisoformat(occurrence_iso)
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
        week = timeutil.week_key(occurrence, settings.timezone)
        state = await store.weekly_state(self.bot.db, guild_id, week)
        if state.schedule.paused:
            return
        following = self.next_occurrence(settings, max(now, occurrence))
        if logic.too_late(now, occurrence):
            log.info("weekly prompt skipped (too late) guild=%s", guild_id)
            self.arm_weekly(settings, following)
            return
        if state.week_done:
            log.info("weekly prompt already posted guild=%s week=%s", guild_id, week)
            self.arm_weekly(settings, following)
            return
        schedule, last = state.schedule, state.last_practice
        if state.live_rounds:
            # The last round is still open (an admin's, say): it reveals now, first.
            for found in await store.live_rounds(self.bot.db, guild_id):
                await self.reveal(found.round_id)
            schedule = await store.schedule(self.bot.db, guild_id)
            if schedule.paused:
                return  # that reveal was the third quiet week in a row
        posted = await self.open_round(settings, schedule, kind=logic.WEEKLY, week=week, last=last)
        if posted != BROKEN_CHANNEL:  # a broken channel waits for an admin, not a timer
            self.arm_weekly(settings, following)

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

    def messageable(self, guild_id: int, channel_id: int) -> discord.abc.Messageable:
        channel = self.bot.get_channel(channel_id)
        if isinstance(channel, discord.abc.Messageable):
            return channel
        return self.bot.get_partial_messageable(
            channel_id, guild_id=guild_id, type=discord.ChannelType.text
        )

    async def open_round(
        self,
        settings: GuildSettings,
        schedule: store.Schedule,
        *,
        kind: str,
        week: str | None = None,
        only: str | None = None,
        last: str | Literal[False] | None = False,
    ) -> store.Round | str:
        """Choose, post and record one prompt: the round, or why nothing was posted — NO_PROMPT,
        WEEK_DONE, BROKEN_CHANNEL (the schedule pauses) or POST_FAILED."""
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
            round_id=store.new_id(),
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
        if kind == logic.WEEKLY:
            assert week is not None
            if not await store.claim_week(self.bot.db, new, week):
                return WEEK_DONE
        problem = self.channel_problem(guild_id, settings.channel_id)
        message: discord.Message | None = None
        pause_reason: str | None = None
        if problem is not None:
            pause_reason = logic.PAUSED_CHANNEL
            log.info("prompt channel unusable guild=%s problem=%s", guild_id, problem)
        else:
            try:
                message = await self.messageable(guild_id, settings.channel_id).send(
                    embed=render.post_embed(prompt, kind=kind, closes_at=new.closes_at),
                    view=views.post_view(new.round_id),
                )
            except discord.HTTPException as exc:
                if exc.code in CHANNEL_CODES:
                    pause_reason = logic.PAUSED_CHANNEL
                log.warning(
                    "prompt post failed guild=%s status=%s code=%s", guild_id, exc.status, exc.code
                )
        if message is None:
            if kind == logic.WEEKLY:
                await store.mark_failed(
                    self.bot.db, new.round_id, guild_id, pause_reason=pause_reason, now=now
                )
            elif pause_reason is not None:
                await store.pause(self.bot.db, guild_id, pause_reason, now)
            if pause_reason is not None:
                self.bot.scheduler.cancel(weekly_job_id(guild_id))
                return BROKEN_CHANNEL
            return POST_FAILED
        if kind == logic.WEEKLY:
            await store.mark_posted(self.bot.db, new.round_id, message.id)
        else:
            await store.record_manual(self.bot.db, new, message.id)
        self.arm_reveal(new.round_id, new.closes_at)
        log.info(
            "prompt posted guild=%s round=%s prompt=%s kind=%s",
            guild_id,
            new.round_id,
            prompt.id,
            kind,
        )
        return new.as_round(message.id)

    # ------------------------------------------------------------------ revealing

    async def reveal_job(self, round_id: int) -> None:
        async with self.jobs:
            await self.reveal(round_id)

    async def after_response(self, found: store.Round) -> None:
        """After an answer or a skip: reveal at once when every participant is in.

        Only when there is something to reveal: with fewer than two answers the round waits
        for its deadline, so a friend who hasn't used Hearth yet can still join in.
        """
        try:
            expected = await self.bot.boundaries.active_participants(found.guild_id)
            answered, skipped = await store.responses(self.bot.db, found.round_id)
            if logic.reveal_early(expected, answered, skipped):
                await self.reveal(found.round_id)
        except Exception:
            # The person's answer is saved; the deadline job reveals it anyway.
            log.exception("early reveal failed round=%s", found.round_id)

    async def reveal(self, round_id: int) -> None:
        """Close a round exactly once: reveal 2+ answers together, otherwise keep them private."""
        closing = await store.close_round(self.bot.db, round_id, self.bot.clock.now())
        if closing is None:
            return
        self.bot.scheduler.cancel(reveal_job_id(round_id))
        found = closing.round
        prompt = self.bot.decks.get(found.prompt_id)
        log.info(
            "prompt closed guild=%s round=%s outcome=%s answers=%d",
            found.guild_id,
            round_id,
            closing.status,
            len(closing.answers),
        )
        if closing.status == logic.REVEALED and prompt is not None:
            await self._post_answers(found, prompt, closing.answers)
        elif len(closing.answers) == 1:
            await self._tell_the_one(found, closing.answers[0].user_id)
        if prompt is not None and found.message_id is not None:
            await self._edit_post(found, prompt)
        if closing.paused:
            self.bot.scheduler.cancel(weekly_job_id(found.guild_id))
            log.info("weekly prompt paused (quiet) guild=%s", found.guild_id)
            await self._say(found, SILENT_NOTE)

    async def _post_answers(
        self, found: store.Round, prompt: Prompt, answers: list[store.Answer]
    ) -> None:
        """The answers in a thread: a word of thanks, then each answer as its own message
        in a fresh random order, so position says nothing about who wrote what, or when,
        and `/privacy delete` can remove one person's words without anyone else's."""
        order = logic.shuffled(answers)
        target = await self._reveal_target(found, prompt)
        if target is None:
            return
        posted: list[tuple[int, int, int]] = []  # (author, channel, message)
        try:
            await target.send(content=render.reveal_intro(len(answers)))
            for answer in order:
                embed = render.answer_embed(
                    answer.body or "",
                    practice=prompt.practice,
                    user_id=None if answer.anonymous else answer.user_id,
                )
                message = await target.send(embed=embed)
                posted.append((answer.user_id, message.channel.id, message.id))
        except discord.HTTPException as exc:
            await self._channel_failed(found, exc, "reveal")
        finally:
            await self._record_words(found.guild_id, posted)

    async def _record_words(self, guild_id: int, posted: list[tuple[int, int, int]]) -> None:
        """Remember which message carries whose words (anonymous ones too, privately), so
        each person's can be deleted from Discord when they ask."""
        if not posted:
            return
        now = self.bot.clock.now()
        async with self.bot.db.transaction():
            for user_id, channel_id, message_id in posted:
                await record_words(
                    self.bot.db,
                    user_id=user_id,
                    channel_id=channel_id,
                    message_id=message_id,
                    guild_id=guild_id,
                    practice="sharing",
                    now=now,
                )

    async def _reveal_target(
        self, found: store.Round, prompt: Prompt
    ) -> discord.abc.Messageable | None:
        """A thread on the prompt; the channel itself if a thread can't be opened."""
        channel = self.messageable(found.guild_id, found.channel_id)
        if found.message_id is None:
            return channel
        partial = discord.PartialMessage(channel=channel, id=found.message_id)  # type: ignore[arg-type]
        try:
            thread = await partial.create_thread(
                name=render.thread_name(prompt), auto_archive_duration=10080
            )
        except (discord.HTTPException, ValueError) as exc:
            code = getattr(exc, "code", None)
            if code in (10003, 50001):
                await self._channel_failed(found, exc, "thread")
                return None
            log.info("reveal thread not opened guild=%s code=%s", found.guild_id, code)
            return channel
        await store.set_thread(self.bot.db, found.round_id, thread.id)
        return thread

    async def _edit_post(self, found: store.Round, prompt: Prompt) -> None:
        assert found.message_id is not None
        channel = self.messageable(found.guild_id, found.channel_id)
        partial = discord.PartialMessage(channel=channel, id=found.message_id)  # type: ignore[arg-type]
        embed = render.post_embed(
            prompt,
            kind=found.kind,
            closes_at=found.closes_at,
            state=found.status,
            answer_count=found.answer_count,
        )
        view = views.quiet_view(found.round_id) if found.status == logic.QUIET else None
        try:
            await partial.edit(embed=embed, view=view)
        except discord.HTTPException as exc:
            log.info("prompt post not updated guild=%s code=%s", found.guild_id, exc.code)

    async def _tell_the_one(self, found: store.Round, user_id: int) -> None:
        """One answer isn't revealed; its writer hears so privately, if they welcome DMs.
        (Otherwise the prompt's buttons tell them when they next look.)"""
        if not await self.bot.boundaries.may_dm(user_id):
            return
        guild = self.bot.get_guild(found.guild_id)
        where = f" in **{textfit.one_line(guild.name, 100)}**" if guild is not None else ""
        await send_dm(
            self.bot,
            user_id,
            f"The prompt{where} closed with only your answer, so I kept it private: nothing "
            "was shown to anyone. Thank you for showing up. It matters, even when it's quiet. 💛",
        )

    async def _say(self, found: store.Round, text: str) -> None:
        try:
            await self.messageable(found.guild_id, found.channel_id).send(content=text)
        except discord.HTTPException as exc:
            log.info("note not posted guild=%s code=%s", found.guild_id, exc.code)

    async def _channel_failed(self, found: store.Round, exc: BaseException, what: str) -> None:
        code = getattr(exc, "code", None)
        log.warning("prompt %s failed guild=%s code=%s", what, found.guild_id, code)
        if code in CHANNEL_CODES:
            await store.pause(
                self.bot.db, found.guild_id, logic.PAUSED_CHANNEL, self.bot.clock.now()
            )
            self.bot.scheduler.cancel(weekly_job_id(found.guild_id))

    # ------------------------------------------------------------------ retention

    async def retention_job(self) -> None:
        now = self.bot.clock.now()
        try:
            policy = await store.retention(self.bot.db)
            removed = await store.expire_answers(self.bot.db, policy, now)
            log.info("retention swept answers=%d", removed)
            # Other features (shares) delete theirs on this signal.
            self.bot.dispatch("hearth_retention_due", now, policy.default_days, policy.custom or {})
        finally:
            self.arm_retention()

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
        if found.status == logic.REVEALED:
            return "This one's been revealed: the answers are in the thread under the prompt."
        if found.status == logic.QUIET:
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
        embed, view = views.panel(self, found, self._prompt_of(found), interaction.user.id, answer)
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
        async with self.bot.boundaries.acting(found.guild_id, user_id):
            result = await store.save_skip(
                self.bot.db, found.round_id, found.guild_id, user_id, self.bot.clock.now()
            )
        if result == "closed":
            fresh = await store.get_round(self.bot.db, found.round_id)
            await ui.reply(interaction, await self.closed_note(fresh or found, user_id))
            return
        if result == "answered":
            await ui.reply(
                interaction,
                "You've already answered this one, so I kept your answer as it is. To take it "
                f"back, use **{render.ANSWER_LABEL}** → **Withdraw**.",
            )
            return
        log.info("prompt skipped round=%s guild=%s", found.round_id, found.guild_id)
        await ui.reply(interaction, "Skipped. No reason needed, and nobody sees who skips. 🌿")
        await self.after_response(found)

    async def on_switch_name(
        self, interaction: discord.Interaction[Any], found: store.Round, anonymous: bool
    ) -> None:
        """Show or hide the person's name on their answer, from the panel."""
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(found.guild_id, user_id):
            changed = await store.set_anonymous(self.bot.db, found.round_id, user_id, anonymous)
        if not changed:
            await self._refuse_closed(interaction, found)
            return
        await self.show_panel(interaction, found, edit=True)

    async def on_withdraw(
        self, interaction: discord.Interaction[Any], found: store.Round, prompt: Prompt
    ) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(found.guild_id, user_id):
            body = await store.withdraw(self.bot.db, found.round_id, user_id)
        if body is None:
            await self._refuse_closed(interaction, found)
            return
        log.info("prompt answer withdrawn round=%s", found.round_id)
        _, view = views.panel(self, found, prompt, user_id, None)
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
        async with self.bot.boundaries.acting(found.guild_id, user_id):
            saved = await store.save_answer(
                self.bot.db,
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
            await store.resume(self.bot.db, guild_id, only=logic.PAUSED_CHANNEL)
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

    # ------------------------------------------------------------------ /hearth settings

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        schedule = await store.schedule(self.bot.db, guild_id)
        notes: list[tuple[str, str]] = []
        if schedule.paused_reason == logic.PAUSED_SILENT:
            notes.append(
                (
                    "⏸️ Weekly prompt paused",
                    "Three weekly prompts in a row got no answers, so Hearth paused itself "
                    "rather than keep posting into a quiet room. An admin can restart it "
                    "with `/hearth resume`.",
                )
            )
        elif schedule.paused_reason == logic.PAUSED_CHANNEL:
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
        days = await store.retention_days(self.bot.db, guild_id)
        notes.append(
            (
                "Answers and shares",
                f"Revealed {schedule.deadline_hours} h after each prompt, or sooner once "
                f"everyone's in. Kept for {days} days, then deleted.",
            )
        )
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
                f"{timeutil.discord_timestamp(live[0].closes_at, 'R')}, or sooner once "
                "everyone's in. One at a time keeps it special."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._lock(guild_id):
            schedule = await store.schedule(self.bot.db, guild_id)
            posted = await self.open_round(settings, schedule, kind=logic.MANUAL, only=only)
        assert settings.channel_id is not None
        if posted in (BROKEN_CHANNEL, POST_FAILED):
            raise HearthError(
                f"I couldn't post in <#{settings.channel_id}>. Check that I can see it, "
                "send messages and embed links there, or pick another channel with "
                "`/hearth setup`."
            )
        if not isinstance(posted, store.Round):
            raise HearthError(
                "I couldn't find a prompt that fits this group right now (every one left "
                "touches a topic someone here skips). Try another practice."
            )
        if schedule.paused_reason == logic.PAUSED_CHANNEL:
            # The channel works again: so does the weekly prompt.
            await store.resume(self.bot.db, guild_id, only=logic.PAUSED_CHANNEL)
            self.arm_weekly(settings, self.next_occurrence(settings, self.bot.clock.now()))
        await ui.reply(
            interaction,
            f"Posted in <#{settings.channel_id}>. Answers are revealed "
            f"{timeutil.discord_timestamp(posted.closes_at, 'R')}, or sooner once everyone's in.",
        )

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
            await store.set_pin(self.bot.db, interaction.guild_id, None)
            await ui.reply(interaction, "Done. The weekly prompt rotates through the practices.")
            return
        chosen = BY_KEY.get(practice.value)
        if chosen is None:
            raise HearthError("Pick a practice from the list.")
        if chosen.key not in settings.practices:
            raise HearthError(
                f"{chosen.name} is switched off here. Turn it on in `/hearth settings` first."
            )
        await store.set_pin(self.bot.db, interaction.guild_id, chosen.key)
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
            await store.set_deadline(self.bot.db, interaction.guild_id, hours)
        except ValueError as exc:
            raise HearthError(str(exc)) from None
        await ui.reply(
            interaction,
            f"Done. From the next prompt on, answers are revealed {hours} h after it's "
            "posted, or sooner once everyone's in.",
        )

    @hearth_subcommand(name="resume", description="Restart the paused weekly prompt")
    @admin_only()
    async def resume_command(self, interaction: discord.Interaction[HearthBot]) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        settings = await self._settings_or_explain(guild_id)
        assert settings.channel_id is not None
        now = self.bot.clock.now()
        if not await store.resume(self.bot.db, guild_id):
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

    @hearth_subcommand(
        name="retention", description="How long Hearth keeps shares and prompt answers"
    )
    @app_commands.describe(days="Days to keep them before deleting (7–365; the default is 90)")
    @admin_only()
    async def retention_command(
        self,
        interaction: discord.Interaction[HearthBot],
        days: app_commands.Range[int, 7, 365] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if days is None:
            current = await store.retention_days(self.bot.db, interaction.guild_id)
            await ui.reply(
                interaction,
                f"Shares and prompt answers are kept for {current} days, then deleted. "
                "Choose another period with the `days` option.",
            )
            return
        try:
            await store.set_retention_days(self.bot.db, interaction.guild_id, days)
        except ValueError as exc:
            raise HearthError(str(exc)) from None
        log.info("retention set guild=%s days=%d", interaction.guild_id, days)
        await ui.reply(
            interaction,
            f"Done. Shares and prompt answers here are now kept for {days} days, then deleted "
            "(older ones go with the next daily tidy-up).",
        )
