"""Benchmark 7 — weekly prompt fan-out.

1,000 servers (in eight time zones) whose weekly prompts fall due at the same instant,
the emulator enforcing Discord's limits (50 requests/s global, 5 messages / 5 s per
channel). Hearth runs in its own process on a real-time clock set just before that
instant, and posts them all by itself through its scheduler. The floor is the number
of requests ÷ 50 per second. Targets: everything posted within 1.1 × the floor, zero
429s, zero invalid requests, every post within 60 s of its due time + the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Outcome, Row, ShiftedClock, Size, gc_note
from bench.populate import Setup, configure_servers, data_key, open_database
from bench.process import BotProcess, new_data_key
from bench.world import build_servers, emulator, fresh, ready_late, unexpected

NAME = "7. weekly prompt fan-out"
GLOBAL_RATE = 50.0
# Wednesday 14 January 2026, 18:00 UTC: 19:00 in Berlin, 13:00 in New York, 03:00 on
# Thursday in Tokyo… each server's own local weekday and time.
DUE = datetime(2026, 1, 14, 18, 0, tzinfo=UTC)
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
)


def _setup_for(guild_id: int, channel_id: int, zone: str) -> Setup:
    from bot import timeutil

    local = timeutil.to_local(DUE, zone)
    return Setup(guild_id, channel_id, zone, local.weekday(), local.time().replace(tzinfo=None))


async def run(size: Size, work: Path) -> Outcome:
    out = Outcome()
    started = time.perf_counter()
    n = size.fanout_guilds
    # The bot is up and idle before the prompts fall due.
    lead = size.lead_seconds + size.guild_ready_timeout + n / 500
    clock = ShiftedClock.at(DUE - timedelta(minutes=10))
    async with emulator(clock=clock) as fake:
        servers = build_servers(fake, n, 3)
        database = fresh(work / "fanout.sqlite3")
        key = new_data_key()
        with data_key(key):
            db = await open_database(database)
            try:
                setups = [
                    _setup_for(s.guild.id, s.channel.id, ZONES[i % len(ZONES)])
                    for i, s in enumerate(servers)
                ]
                await configure_servers(db, setups, DUE - timedelta(days=3))
            finally:
                await db.close()
        clock.set(DUE - timedelta(seconds=lead + 1.0))  # the world is built: start the day
        bot = BotProcess(
            fake,
            database=database,
            offset=clock.offset.total_seconds(),
            expect_guilds=n,
            log_path=work / "fanout-bot.log",
            data_key=key,
            guild_ready_timeout=size.guild_ready_timeout,
        )
        try:
            await bot.start(timeout=120)
            wait = (DUE - clock.now()).total_seconds()
            out.timing += ready_late(wait, "the due time")
            await asyncio.sleep(max(0.0, wait - 0.5))
            before = await bot.stats()
            await bot.probe_reset()
            requests0, limited0, invalid0 = (
                fake.stats.requests,
                fake.stats.ratelimited,
                fake.stats.invalid,
            )
            channels = [s.channel for s in servers]
            with contextlib.suppress(TimeoutError):
                await fake.until(
                    lambda: all(c.bot_messages for c in channels),
                    timeout=wait + n / GLOBAL_RATE * 1.5 + 90,
                    what="every weekly prompt",
                )
            await asyncio.sleep(0.5)  # anything that follows the last post is counted too
            after = await bot.stats()
        finally:
            await bot.stop()

        requests = fake.stats.requests - requests0
        limited = fake.stats.ratelimited - limited0
        invalid = fake.stats.invalid - invalid0
        posts = [c.bot_messages for c in channels]
        times = [(m[0].created_at - DUE).total_seconds() for m in posts if m]
        duplicates = sum(1 for m in posts if len(m) > 1)
        with_buttons = sum(1 for m in posts if m and m[0].buttons)
        out.problems += unexpected(fake)

    floor = requests / GLOBAL_RATE
    total = max(times) if times else float("nan")
    missing = n - len(times)
    if missing:
        out.problems.append(f"{missing} servers got no prompt")
    if duplicates:
        out.problems.append(f"{duplicates} servers got more than one prompt")
    if with_buttons != len(times):
        out.problems.append(f"{len(times) - with_buttons} prompts without their buttons")
    out.stall_ms = after["stall_max_ms"]
    writes = after.get("transactions", 0) - before.get("transactions", 0)
    out.rows += [
        Row(
            NAME,
            "all posted, after the due time",
            total,
            "s",
            note=f"{len(times):,} of {n:,} servers; {requests:,} requests, floor "
            f"{floor:.1f} s at 50/s; first post {min(times, default=float('nan')):.2f} s",
            digits=1,
        ),
        Row(NAME, "time ÷ floor", total / floor if floor else None, "×", 1.1, digits=3),
        Row(NAME, "429 responses", limited, "", 0, digits=0),
        Row(NAME, "invalid requests (401/403/429)", invalid, "", 0, digits=0),
        Row(
            NAME,
            "latest post after its due time",
            total,
            "s",
            floor + 60,
            note="target: floor + 60 s",
            digits=1,
        ),
        Row(
            NAME,
            "longest loop stall",
            out.stall_ms,
            "ms",
            50.0,
            digits=0,
            note=f"{gc_note(after)}; {writes / max(len(times), 1):.1f} write transactions per post",
        ),
    ]
    out.seconds = time.perf_counter() - started
    return out
