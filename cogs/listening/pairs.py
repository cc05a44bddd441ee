"""Listening pairs: now and then, everyone who opted in is paired with a friend (or two).

Each round (`listening:pairs:{guild}`, weekly or every two weeks in the server's local
time, with a ledger row per scheduled time) pairs the pool (`bot.boundaries`' "pairing":
opted in, not paused, seen lately) with `logic.plan_pairs`; each pair gets a private
thread in the group channel — or, where Hearth can't open one, a DM each (with consent) —
and a question from the practice-1 deck at the shyer one's depth, skipping either's
skipped topics. Halfway, a nudge to pairs whose thread is still silent
(`listening:nudge:{round}`); near the end "Did you two get to talk?"
(`listening:ask:{round}`); at the end the group hears the total, never who
(`listening:close:{round}`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot import guilds, textfit, timeutil, ui
from bot.errors import HearthError, send_ephemeral
from bot.guilds import WEEKDAYS
from bot.outbox import CHANNEL_LOST, Outcome, Tx
from cogs.listening import logic, store, views
from cogs.listening.common import Part
from cogs.listening.logic import (
    PAIRING,
    PRACTICE,
    Cadence,
    Met,
    PairVia,
    RoundStatus,
    ScheduleStatus,
)
from cogs.listening.store import Round, Schedule

if TYPE_CHECKING:
    from bot.app import HearthBot
    from cogs.listening.cog import ListeningCog

log = logging.getLogger(__name__)

PAIR_THREAD = "listening.pair_thread"
ANNOUNCE = "listening.announce"  # a round's start or totals, in the group channel
MAX_AVOID = 25


def pairs_job_id(guild_id: int) -> str:
    return f"listening:pairs:{guild_id}"


def nudge_job_id(round_id: int) -> str:
    return f"listening:nudge:{round_id}"


def ask_job_id(round_id: int) -> str:
    return f"listening:ask:{round_id}"


def close_job_id(round_id: int) -> str:
    return f"listening:close:{round_id}"


class Pairs(Part):
    def __init__(self, cog: ListeningCog) -> None:
        super().__init__(cog)
        bot = cog.bot
        self.threads: dict[int, int] = {}  # thread of a still-silent pair → pair id
        bot.outbox.handle(
            PAIR_THREAD, delivered=self._pair_thread_opened, failed=self._pair_thread_failed
        )
        bot.outbox.handle(ANNOUNCE, failed=self._announce_failed)

    async def heard(self, message: discord.Message, pair_id: int, now: datetime) -> None:
        """A word in a silent pair's thread from one of them: the pair is talking."""
        if message.guild is None:
            return
        async with self.db.transaction() as tx:
            spoke = await store.mark_spoke(tx, pair_id, message.author.id, now)
        if spoke:
            self.threads.pop(message.channel.id, None)
            # Talking with their partner is taking part: it keeps them in the pool.
            await self.bot.boundaries.touch(message.guild.id, message.author.id)
            log.info("pair spoke guild=%s pair=%s", message.guild.id, pair_id)

    async def rebuild(self, wanted: Any) -> None:
        for s in await store.schedules(self.db):
            if wanted(s.guild_id):
                self._arm_schedule(s.guild_id, s.next_at)
        for r in await store.open_rounds(self.db):
            if wanted(r.guild_id):
                self._arm_round(r)
        for thread_id, pair_id, guild_id in await store.pair_threads(self.db):
            if wanted(guild_id):
                self.threads[thread_id] = pair_id

    async def guild_left(self, guild_id: int) -> None:
        self.bot.scheduler.cancel(pairs_job_id(guild_id))
        for r in await store.open_rounds(self.db, guild_id):
            self._disarm_round(r.round_id)
            for pair in await store.round_pairs(self.db, r.round_id):
                if pair.thread_id is not None:
                    self.threads.pop(pair.thread_id, None)

    async def server_forgotten(self) -> None:
        """The server's schedule and rounds went with its rows: so do their jobs."""
        for job_id in self.bot.scheduler.job_ids("listening:"):
            raw = job_id.rpartition(":")[2]
            if not raw.isdigit():
                continue
            number = int(raw)
            if job_id == pairs_job_id(number):
                gone = await store.get_schedule(self.db, number) is None
            elif job_id in (nudge_job_id(number), ask_job_id(number), close_job_id(number)):
                gone = await store.get_round(self.db, number) is None
            else:
                continue
            if gone:
                self.bot.scheduler.cancel(job_id)

    async def join(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        await self.cog.require_practice(guild_id)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
            await self.bot.boundaries.set_opt_in(
                tx, guild_id, interaction.user.id, PAIRING.key, True
            )
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

    async def leave(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
            await self.bot.boundaries.set_opt_in(
                tx, guild_id, interaction.user.id, PAIRING.key, False
            )
        log.info("pairs leave guild=%s user=%s", guild_id, interaction.user.id)
        await ui.reply(
            interaction,
            "Done: you won't be paired from the next round on. A pair you're in now can "
            "carry on if you like. `/listen pairs join` brings you back.",
        )

    async def avoid(
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
        async with self.bot.boundaries.acting(guild_id, user_id) as tx:
            await store.add_avoid(tx, guild_id, user_id, member.id, self.now())
        log.info("pairs avoid added guild=%s user=%s", guild_id, user_id)
        await ui.reply(
            interaction,
            "Done. You won't be paired with them, and they'll never know: nobody sees your "
            "list but you.",
        )

    async def allow(
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
        async with self.bot.boundaries.acting(guild_id, user_id) as tx:
            for entry in entries:
                await store.remove_avoid(tx, entry)
        await ui.reply(interaction, "Done. They may be paired with you again.")

    async def status(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        user_id = interaction.user.id
        taking_part = await self.bot.boundaries.participates(guild_id, user_id, PAIRING.key)
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

    async def schedule(
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
        await self.cog.require_practice(guild_id)
        self.require_post_rights(interaction, "tell the group how each round went")
        cadence = Cadence(every.value)
        tz = await self._timezone(guild_id)
        now = self.now()
        next_at = logic.next_round_start(now, Cadence.WEEKLY, weekday.value, local_time, tz)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
            await store.save_schedule(
                tx,
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

    async def pause(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        s = await store.get_schedule(self.db, guild_id)
        if s is None or s.status is ScheduleStatus.PAUSED:
            raise HearthError("Listening pairs aren't running here, so there's nothing to pause.")
        async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
            await store.set_schedule_status(
                tx, guild_id, ScheduleStatus.PAUSED, s.next_at, self.now()
            )
        self.bot.scheduler.cancel(pairs_job_id(guild_id))
        await ui.reply(
            interaction,
            "Paused. No new rounds until `/listen pairs resume`; pairs already talking carry on.",
        )

    async def resume(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        s = await store.get_schedule(self.db, guild_id)
        if s is None or s.status is not ScheduleStatus.PAUSED:
            raise HearthError("Listening pairs aren't paused here.")
        tz = await self._timezone(guild_id)
        next_at = logic.next_round_start(self.now(), Cadence.WEEKLY, s.weekday, s.local_time, tz)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
            await store.set_schedule_status(
                tx, guild_id, ScheduleStatus.ACTIVE, next_at, self.now()
            )
        self._arm_schedule(guild_id, next_at)
        await ui.reply(
            interaction,
            f"Welcome back! The next round is {timeutil.discord_timestamp(next_at, 'F')}.",
        )

    def _arm_schedule(self, guild_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            pairs_job_id(guild_id), when, self._round_job, guild_id, guild=guild_id
        )

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
            if await self.cog.practice_on(guild_id):
                await self._start_round(s, occurrence, following)
        except Exception:
            # This round failed; the next one must still be armed below.
            log.exception("pairs round failed guild=%s", guild_id)
        finally:
            async with self.db.transaction() as tx:
                advanced = await store.advance_schedule(tx, guild_id, occurrence, following)
            if advanced:
                self._arm_schedule(guild_id, following)

    async def _start_round(self, s: Schedule, occurrence: datetime, ends_at: datetime) -> None:
        guild_id = s.guild_id
        pool = sorted(await self.bot.boundaries.participants(guild_id, PAIRING.key))
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
                tx,
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
                    tx,
                    round_id=found.round_id,
                    guild_id=guild_id,
                    via=PairVia.THREAD if threads_ok else PairVia.DM,
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
            await store.set_pair_count(tx, found.round_id, len(plan.groups))
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
        await store.set_pair_thread_intent(tx, pair_id, thread)
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
        await store.set_pair_thread(tx, pair_id, thread_id)
        self.db.after_commit(lambda: self.threads.__setitem__(thread_id, pair_id))

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
        await store.set_pair_via(tx, pair.pair_id, PairVia.DM)
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
        await store.set_schedule_status(tx, guild_id, ScheduleStatus.PAUSED, s.next_at, self.now())
        self.db.after_commit(lambda: self.bot.scheduler.cancel(pairs_job_id(guild_id)))
        log.info("pairs paused, channel lost guild=%s code=%s", guild_id, outcome.code)

    def _arm_round(self, r: Round) -> None:
        sched = self.bot.scheduler
        g = r.guild_id
        if not r.nudged:
            sched.at(nudge_job_id(r.round_id), r.nudge_at, self._nudge_job, r.round_id, guild=g)
        if not r.asked:
            sched.at(ask_job_id(r.round_id), r.ask_at, self._ask_job, r.round_id, guild=g)
        sched.at(close_job_id(r.round_id), r.ends_at, self._close_job, r.round_id, guild=g)

    def _disarm_round(self, round_id: int) -> None:
        self.bot.scheduler.cancel(nudge_job_id(round_id))
        self.bot.scheduler.cancel(ask_job_id(round_id))
        self.bot.scheduler.cancel(close_job_id(round_id))

    async def _due_round(self, round_id: int, at: str, job: Any, job_id: str) -> Round | None:
        r = await store.get_round(self.db, round_id)
        if r is None or r.status is not RoundStatus.OPEN:
            return None
        when: datetime = getattr(r, at)
        if self.now() < when:
            self.bot.scheduler.at(job_id, when, job, round_id, guild=r.guild_id)
            return None
        return r

    async def _nudge_job(self, round_id: int) -> None:
        r = await self._due_round(round_id, "nudge_at", self._nudge_job, nudge_job_id(round_id))
        if r is None:
            return
        nudged = 0
        async with self.db.transaction() as tx:
            if not await store.flag_round(tx, round_id, "nudged"):
                return
            for pair in await store.round_pairs(self.db, round_id):
                # Only pairs whose thread hasn't heard a word: the rest are talking.
                if (
                    pair.via is not PairVia.THREAD
                    or pair.thread_id is None
                    or pair.spoke_at is not None
                ):
                    continue
                await self.bot.outbox.post(
                    tx,
                    channel_id=pair.thread_id,
                    guild_id=pair.guild_id,
                    message=views.nudge_message(pair.people, r.ends_at),
                )
                await store.mark_pair_nudged(tx, pair.pair_id)
                nudged += 1
        log.info("pairs nudged guild=%s round=%s pairs=%d", r.guild_id, round_id, nudged)

    async def _ask_job(self, round_id: int) -> None:
        r = await self._due_round(round_id, "ask_at", self._ask_job, ask_job_id(round_id))
        if r is None:
            return
        async with self.db.transaction() as tx:
            if not await store.flag_round(tx, round_id, "asked"):
                return
            for pair in await store.round_pairs(self.db, round_id):
                if pair.via is PairVia.THREAD and pair.thread_id is not None:
                    await self.bot.outbox.post(
                        tx,
                        channel_id=pair.thread_id,
                        guild_id=pair.guild_id,
                        message=views.ask_message(pair.pair_id, pair.people),
                    )
                elif pair.via is PairVia.DM:
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
            if not await store.close_round(tx, round_id, met):
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
                    self.threads.pop(thread_id, None)

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
        async with self.bot.boundaries.acting(pair.guild_id, user_id) as tx:
            await store.answer_met(tx, pair_id, user_id, met, self.now())
        log.info("pair answered guild=%s pair=%s met=%s", pair.guild_id, pair_id, met.value)
        await ui.reply(
            interaction,
            "Lovely. Thank you for really listening to each other. 💛"
            if met is Met.YES
            else "Thanks for telling me. Some weeks are like that; another round will come. 🌱",
        )
