"""Benchmark 5 — memory against a plain bot.

The same servers (1,000 and 5,000, 20 members each) for Hearth and for a minimal
discord.py bot with the library's default settings but Hearth's intents
(`commands.AutoShardedBot(intents=…)`, sharded by Discord's recommendation as Hearth
is: 1,000 cached messages, members as the intents allow), each in its own process
against the emulator. After ready, two members of every server say something (the
messages both see with those intents), then each process reports its resident memory
after a collection. Targets: Hearth − the plain bot ≤ 30 MB at both
sizes, Hearth's growth per 1,000 servers ≤ 1.25 × the plain bot's, Hearth ≤ 150 MB at
5,000.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import Outcome, Row, ShiftedClock, Size
from bench.populate import Setup, configure_servers, data_key, open_database
from bench.process import BotProcess, new_data_key
from bench.world import BASE, build_servers, emulator, fresh, unexpected

NAME = "5. memory against a plain bot"
SPEAKERS = 2  # members per server who post one message after ready


async def _measure(
    kind: str, guilds: int, members: int, work: Path, size: Size
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(stats at ready, stats after the chatter, problems) for one bot in its own process."""
    clock = ShiftedClock.at(BASE)
    async with emulator(clock=clock) as fake:
        servers = build_servers(fake, guilds, members)
        database = None
        key = new_data_key()
        if kind == "hearth":
            # Servers Hearth already knows (set up earlier), as after any restart: a
            # first join would post a welcome in each of them.
            database = fresh(work / f"memory-{guilds}.sqlite3")
            with data_key(key):
                db = await open_database(database)
                try:
                    setups = [
                        Setup(s.guild.id, s.channel.id, "Europe/Berlin", 6, _six_pm())
                        for s in servers
                    ]
                    await configure_servers(db, setups, BASE)
                finally:
                    await db.close()
        bot = BotProcess(
            fake,
            kind=kind,
            database=database,
            offset=clock.offset.total_seconds(),
            expect_guilds=guilds,
            log_path=work / f"memory-{kind}-{guilds}.log",
            data_key=key,
            intents="hearth",
            guild_ready_timeout=size.guild_ready_timeout,
        )
        try:
            await bot.start(timeout=120)
            ready = await bot.stats(gc=True)
            for s in servers:
                for member in s.members[1 : 1 + SPEAKERS]:
                    await member.say(s.guild.channels[1], "hi all, how was your week?", sync=False)
            await fake.sync(timeout=60)
            after = await bot.stats(gc=True)
        finally:
            await bot.stop()
        problems = unexpected(fake)
    return ready, after, problems


def _six_pm() -> Any:
    from datetime import time as wall

    return wall(18, 0)


async def run(size: Size, work: Path) -> Outcome:
    out = Outcome()
    started = time.perf_counter()
    big, small, members = size.memory_guilds, size.memory_small_guilds, size.memory_members
    seen: dict[tuple[str, int], float] = {}
    for kind in ("plain", "hearth"):
        for guilds in (small, big):
            _, after, problems = await _measure(kind, guilds, members, work, size)
            seen[kind, guilds] = after["rss"]
            out.problems += problems

    def growth(kind: str) -> float:
        return (seen[kind, big] - seen[kind, small]) / ((big - small) / 1000)

    world = f"{members} members a server, {SPEAKERS} messages per server"
    out.rows += [
        Row(
            NAME,
            f"plain bot at {small:,} / {big:,} servers",
            seen["plain", big],
            "MB",
            note=f"{seen['plain', small]:.1f} MB at {small:,}; {world}; Hearth's intents",
        ),
        Row(
            NAME,
            f"Hearth at {big:,} servers",
            seen["hearth", big],
            "MB",
            150.0,
            note=f"{seen['hearth', small]:.1f} MB at {small:,}",
        ),
        Row(
            NAME,
            f"Hearth − plain bot at {small:,} servers",
            seen["hearth", small] - seen["plain", small],
            "MB",
            30.0,
        ),
        Row(
            NAME,
            f"Hearth − plain bot at {big:,} servers",
            seen["hearth", big] - seen["plain", big],
            "MB",
            30.0,
        ),
        Row(
            NAME,
            "growth per 1,000 servers, Hearth ÷ plain bot",
            growth("hearth") / growth("plain") if growth("plain") else float("nan"),
            "×",
            1.25,
            digits=2,
            note=f"Hearth {growth('hearth'):.1f} MB, plain bot {growth('plain'):.1f} MB",
        ),
    ]
    out.seconds = time.perf_counter() - started
    return out
