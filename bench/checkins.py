"""Benchmark 8 — check-in burst.

1,000 people whose daily DM check-ins are at 09:00 on their own clocks (five zones that
are all at UTC+1 in January, so 09:00 is one instant), plus people in quiet hours at
09:00 who must not be DMed then. Hearth runs in its own process on a real-time clock set
just before 09:00 and sends them by itself. Every check-in opens a DM channel, so Hearth's
DM-opening limiter (`bot.dm_pacer`: HEARTH_DM_OPEN_RATE per second after a burst of
HEARTH_DM_OPEN_BURST) sets the floor: (people − burst) ÷ rate. Targets: all delivered
within 1.1 × that floor, zero 429s, quiet hours honoured.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from typing import Any

from bench.common import Outcome, Row, ShiftedClock, Size, gc_note
from bench.populate import (
    CheckinPerson,
    checkin_people,
    data_key,
    open_database,
    register_servers,
)
from bench.process import BotProcess, new_data_key
from bench.world import emulator, fresh, ready_late, unexpected

NAME = "8. check-in burst"
NINE = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)  # 09:00 at UTC+1
ZONES = ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Africa/Lagos")
QUIET = (wall(22, 30), wall(9, 30))  # local; 09:00 is inside
PER_SERVER = 20


def _people(fake: Any, size: Size) -> tuple[list[CheckinPerson], list[CheckinPerson]]:
    """Due people and quiet people, members of servers of 20. In a tiny run only people
    whose check-in spread (cogs.support JITTER, up to 2 minutes) is short are chosen."""
    from cogs.support import logic

    wanted = size.checkin_people + size.checkin_quiet_people
    chosen: list[Any] = []
    while len(chosen) < wanted:
        user = fake.add_user(f"p{len(chosen)}-{fake.ids.next() % 10_000}")
        limit = size.checkin_max_spread
        if limit is None or logic.jitter(user.id).total_seconds() < limit:
            chosen.append(user)
    due: list[CheckinPerson] = []
    quiet: list[CheckinPerson] = []
    guild = None
    for i, user in enumerate(chosen):
        if i % PER_SERVER == 0:
            guild = fake.add_guild(f"c{i // PER_SERVER}")
            guild.add_text_channel("hearth")
        assert guild is not None
        guild.add_member(user)
        zone = ZONES[i % len(ZONES)]
        if i < size.checkin_people:
            due.append(CheckinPerson(user.id, guild.id, zone, wall(9, 0)))
        else:
            quiet.append(CheckinPerson(user.id, guild.id, zone, wall(9, 0), quiet=QUIET))
    return due, quiet


async def run(size: Size, work: Path) -> Outcome:
    out = Outcome()
    started = time.perf_counter()
    guilds = -(-(size.checkin_people + size.checkin_quiet_people) // PER_SERVER)
    lead = size.lead_seconds + size.guild_ready_timeout + guilds / 500
    clock = ShiftedClock.at(NINE - timedelta(minutes=10))
    rate, burst = size.dm_open_rate, size.dm_open_burst
    async with emulator(clock=clock) as fake:
        due, quiet = _people(fake, size)
        database = fresh(work / "checkins.sqlite3")
        key = new_data_key()
        with data_key(key):
            db = await open_database(database)
            try:
                await register_servers(db, sorted({p.guild_id for p in due + quiet}), NINE)
                await checkin_people(db, due + quiet, NINE)
            finally:
                await db.close()
        clock.set(NINE - timedelta(seconds=lead + 1.0))  # the world is built: start the day
        bot = BotProcess(
            fake,
            database=database,
            offset=clock.offset.total_seconds(),
            expect_guilds=guilds,
            dm_open_rate=rate,
            dm_open_burst=burst,
            log_path=work / "checkins-bot.log",
            data_key=key,
            guild_ready_timeout=size.guild_ready_timeout,
        )
        floor = max(len(due) - burst, 0) / rate
        users = {p.user_id: fake.users[p.user_id] for p in due + quiet}
        try:
            await bot.start(timeout=120)
            wait = (NINE - clock.now()).total_seconds()
            out.timing += ready_late(wait, "09:00")
            await asyncio.sleep(max(0.0, wait - 0.5))
            before = await bot.stats()
            await bot.probe_reset()
            requests0, limited0, invalid0 = (
                fake.stats.requests,
                fake.stats.ratelimited,
                fake.stats.invalid,
            )
            with contextlib.suppress(TimeoutError):
                await fake.until(
                    lambda: all(fake.dms_to(users[p.user_id]) for p in due),
                    timeout=wait + floor * 1.5 + 150,
                    what="every check-in",
                )
            await asyncio.sleep(0.5)
            after = await bot.stats()
        finally:
            await bot.stop()
        requests = fake.stats.requests - requests0
        limited = fake.stats.ratelimited - limited0
        invalid = fake.stats.invalid - invalid0
        firsts = [fake.dms_to(users[p.user_id]) for p in due]
        times = [(m[0].created_at - NINE).total_seconds() for m in firsts if m]
        quiet_dmed = sum(1 for p in quiet if fake.dms_to(users[p.user_id]))
        with_buttons = sum(1 for m in firsts if m and m[0].buttons)
        out.problems += unexpected(fake)

    # Quiet hours: nobody in them got a DM, and each check-in moved to when they end.
    from cogs.support import store

    db = await open_database(database)
    try:
        moved = 0
        for p in quiet:
            schedule = await store.get_schedule(db, p.user_id)
            end = datetime.combine(NINE.date(), QUIET[1]).replace(tzinfo=UTC) - timedelta(hours=1)
            if schedule is not None and schedule.next_send_at is not None:
                moved += schedule.next_send_at >= end
    finally:
        await db.close()

    total = max(times) if times else float("nan")
    if len(times) < len(due):
        out.problems.append(f"{len(due) - len(times)} people got no check-in")
    if with_buttons != len(times):
        out.problems.append(f"{len(times) - with_buttons} check-ins without their buttons")
    out.stall_ms = after["stall_max_ms"]
    writes = after.get("transactions", 0) - before.get("transactions", 0)
    honoured = quiet_dmed == 0 and moved == len(quiet)
    out.rows += [
        Row(
            NAME,
            "all delivered, after 09:00",
            total,
            "s",
            note=f"{len(times):,} of {len(due):,} people; DM opening {rate:g}/s after a burst "
            f"of {burst}: floor {floor:.1f} s; {requests:,} requests",
            digits=1,
        ),
        Row(NAME, "time ÷ floor", total / floor if floor else None, "×", 1.1, digits=3),
        Row(NAME, "429 responses", limited, "", 0, digits=0),
        Row(NAME, "invalid requests (401/403/429)", invalid, "", 0, digits=0),
        Row(
            NAME,
            "quiet hours honoured",
            1.0 if honoured else 0.0,
            "",
            1.0,
            better="higher",
            digits=0,
            note=f"{len(quiet)} people in quiet hours at 09:00: {quiet_dmed} DMed, "
            f"{moved} moved to 09:30",
        ),
        Row(
            NAME,
            "longest loop stall",
            out.stall_ms,
            "ms",
            50.0,
            digits=0,
            note=f"{gc_note(after)}; {writes / max(len(times), 1):.1f} write transactions per "
            "check-in",
        ),
    ]
    out.seconds = time.perf_counter() - started
    return out
