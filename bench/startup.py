"""Benchmark 6 — start-up at scale.

5,000 servers (GUILD_CREATE), 20,000 people with check-ins, 5,000 weekly prompts (each
server's schedule, with last week's prompt still open) and 500 weekly phones-down sessions
in the database. Hearth starts in its own process with production settings (discord.py's
2 s `guild_ready_timeout`): process start → ready with every job rebuilt. Targets: ready
≤ `guild_ready_timeout` + 1 s after the gateway sent the last GUILD_CREATE, and each
shard's start → ready ≤ 6 s (the first shard from the process's start, each later one from
its own IDENTIFY: before it, a shard only waits its turn under Discord's identify rule).
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
from datetime import time as wall
from pathlib import Path

from bench.common import STALL_THRESHOLD, Outcome, Row, ShiftedClock, Size, gc_note
from bench.populate import (
    CheckinPerson,
    PhonesDownSession,
    Setup,
    checkin_people,
    configure_servers,
    data_key,
    open_database,
    open_rounds,
    phones_down_sessions,
)
from bench.process import BotProcess, new_data_key
from bench.world import BASE, build_servers, emulator, fresh, unexpected

NAME = "6. start-up at scale"

# Time zones of the servers and people; none has a check-in (09:00 local) or a weekly
# prompt falling due while the benchmark runs.
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Europe/London",
)


async def _last_guild_create_sent(fake: object, guilds: int) -> float:
    """The moment the emulator wrote the last GUILD_CREATE to the bot's sockets (one per
    shard: Hearth shards itself by Discord's recommendation, a shard per 1,000 servers)."""
    gateway = fake.gateway  # type: ignore[attr-defined]
    while True:
        live = [s for s in list(gateway.sessions.values()) if s.valid and s.conn is not None]
        # READY, then one GUILD_CREATE per server, on each shard's own connection.
        if sum(s.conn.sent for s in live) >= guilds + len(live) and all(
            s.conn.sent >= s.seq for s in live
        ):
            shards = {tuple(s.shard or (0, 1)) for s in live}
            if shards and len(shards) == next(iter(shards))[1]:
                return time.monotonic()
        await asyncio.sleep(0.0005)


def _slowest_shard(
    fake: object, spawned: float, shard_ready: dict[str, float]
) -> tuple[float, str]:
    """Each shard's start → ready: the first from the process's start, every later one
    from its own IDENTIFY (before it, the shard waits its turn: Discord's identify
    spacing, not Hearth's work). The slowest, and a note with each."""
    gateway = fake.gateway  # type: ignore[attr-defined]
    identified: dict[int, float] = {}
    for shard, at in zip(gateway.identified_shards, gateway.identified_at, strict=True):
        identified.setdefault(int((shard or [0])[0]), at)
    took: dict[int, float] = {}
    for key, ready_at in shard_ready.items():
        shard_id = int(key)
        start = spawned if shard_id == min(identified, default=0) else identified[shard_id]
        took[shard_id] = ready_at - start
    if not took:
        return float("nan"), "no shard reported ready"
    each = ", ".join(f"shard {i} {t:.2f} s" for i, t in sorted(took.items()))
    return max(
        took.values()
    ), f"the first from the process's start, the rest from their IDENTIFY: {each}"


async def populate(path: Path, servers: list, size: Size) -> dict[str, int]:  # type: ignore[type-arg]
    rng = random.Random(4)
    db = await open_database(path)
    try:
        setups = [
            Setup(
                s.guild.id,
                s.channel.id,
                ZONES[i % len(ZONES)],
                weekday=6,
                at=wall(18 + i % 3, 0),
            )
            for i, s in enumerate(servers)
        ]
        await configure_servers(db, setups, BASE)
        rounds = await open_rounds(db, setups, BASE, rng=rng)
        people: list[CheckinPerson] = []
        per_server = math.ceil(size.startup_people / len(servers))
        for i, s in enumerate(servers):
            for member in s.members[1 : 1 + per_server]:
                if len(people) >= size.startup_people:
                    break
                n = len(people)
                people.append(
                    CheckinPerson(
                        member.id,
                        s.guild.id,
                        ZONES[(i + n) % len(ZONES)],
                        wall(9, 0),
                        quiet=(wall(22, 0), wall(7, 0)) if n % 3 == 0 else None,
                        quiet_watch_days=3 if n % 4 == 0 else None,
                    )
                )
        await checkin_people(db, people, BASE)
        sessions = [
            PhonesDownSession(
                s.guild.id, s.channel.id, s.owner.id, ZONES[i % len(ZONES)], 6, wall(20, 0)
            )
            for i, s in enumerate(servers[: size.startup_sessions])
        ]
        await phones_down_sessions(db, sessions, BASE)
    finally:
        await db.close()
    watches = sum(1 for p in people if p.quiet_watch_days is not None)
    # weekly prompt + reveal per server, a check-in (+ a quiet watch) per person, a start
    # and a reminder per session, and the core's daily retention sweep.
    expected = len(setups) + rounds + len(people) + watches + 2 * len(sessions) + 1
    return {
        "servers": len(setups),
        "rounds": rounds,
        "people": len(people),
        "sessions": len(sessions),
        "expected_jobs": expected,
    }


async def run(size: Size, work: Path) -> Outcome:
    out = Outcome()
    started = time.perf_counter()
    clock = ShiftedClock.at(BASE)
    async with emulator(clock=clock) as fake:
        per_server = math.ceil(size.startup_people / size.startup_guilds) + 1
        servers = build_servers(fake, size.startup_guilds, per_server)
        database = fresh(work / "startup.sqlite3")
        key = new_data_key()
        t = time.perf_counter()
        with data_key(key):
            counts = await populate(database, servers, size)
        filled = time.perf_counter() - t

        bot = BotProcess(
            fake,
            database=database,
            offset=clock.offset.total_seconds(),
            expect_guilds=size.startup_guilds,
            log_path=work / "startup-bot.log",
            data_key=key,
            guild_ready_timeout=size.guild_ready_timeout,
        )
        watcher = asyncio.create_task(_last_guild_create_sent(fake, size.startup_guilds))
        try:
            ready = await bot.start(timeout=120)
            last_create = await asyncio.wait_for(watcher, 5)
            after = await bot.stats()
        finally:
            watcher.cancel()
            await bot.stop()
        out.problems += unexpected(fake)

    logged_in = bot.logged_in["t"]
    if os.environ.get("HEARTH_BENCH_DEBUG"):
        print("stalls", [(round(t - logged_in, 3), round(lag)) for t, lag in after["stalls"]])
        print("last create", last_create - logged_in, "ready", ready["t"] - logged_in)
    after_create = ready["t"] - last_create
    total = ready["t"] - bot.spawned_at
    slowest, slowest_note = _slowest_shard(fake, bot.spawned_at, ready.get("shard_ready", {}))
    stalls = [lag for t, lag in after["stalls"] if t <= ready["t"]]
    stall_setup = max((lag for t, lag in after["stalls"] if t <= logged_in), default=0.0)
    stall_gateway = max(
        (lag for t, lag in after["stalls"] if logged_in < t <= ready["t"]), default=0.0
    )
    out.stall_ms = max(stalls, default=0.0)
    jobs = ready.get("jobs", 0)
    note = (
        f"{counts['servers']:,} servers, {counts['people']:,} people with check-ins, "
        f"{counts['rounds']:,} open prompts, {counts['sessions']:,} sessions"
    )
    wait = size.guild_ready_timeout
    out.rows += [
        Row(
            NAME,
            "last GUILD_CREATE → ready",
            after_create,
            "s",
            wait + 1.0,
            digits=2,
            note=f"{note}; discord.py waits {wait:g} s (guild_ready_timeout) after the last",
        ),
        Row(
            NAME,
            "a shard's start → ready (the slowest)",
            slowest,
            "s",
            6.0,
            note=slowest_note,
            digits=2,
        ),
        Row(
            NAME,
            "process start → every shard ready",
            total,
            "s",
            note=f"setup_hook (database, cogs, jobs) done {logged_in - bot.spawned_at:.2f} s "
            "after start; Discord lets one shard IDENTIFY every 5 s",
            digits=2,
        ),
        Row(NAME, "resident memory after ready", ready["rss"], "MB"),
        Row(
            NAME,
            "jobs rebuilt",
            jobs,
            "",
            counts["expected_jobs"],
            better="higher",
            digits=0,
            note=f"expected {counts['expected_jobs']:,}",
        ),
        Row(
            NAME,
            "longest loop stall, connected",
            stall_gateway,
            "ms",
            50.0,
            note=f"from the gateway connection to ready (READY, then {size.startup_guilds:,} "
            f"GUILD_CREATEs){_none_above(stall_gateway)}; {gc_note(after)}",
            digits=0,
        ),
        Row(
            NAME,
            "longest loop stall, setup_hook",
            stall_setup,
            "ms",
            50.0,
            note="before connecting: database, cogs, every job rebuilt from the database"
            + _none_above(stall_setup),
            digits=0,
        ),
    ]
    out.stall_connected_ms = stall_gateway
    out.rows[0].note = f"{note}; database filled in {filled:.1f} s"
    out.seconds = time.perf_counter() - started
    return out


def _none_above(stall_ms: float) -> str:
    if stall_ms:
        return ""
    return f"; no stall reached the probe's {STALL_THRESHOLD * 1000:.0f} ms threshold"
