"""Benchmark 5 — memory against a plain bot.

The same servers (5,000, 20 members each) for Hearth and for a minimal discord.py bot
with the library's default settings (`commands.AutoShardedBot(intents=Intents.default())`), each in
its own process against the emulator, measured in one run. After ready, two members of
every server say something (the messages every bot sees with the default intents), then
each process reports its resident memory. Target: Hearth lower than the plain bot, and
Hearth's growth per extra 1,000 servers ≤ 15 MB (Hearth measured at 1,000 and 5,000).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import Outcome, Row, ShiftedClock, Size
from bench.populate import Setup, configure_servers, data_key, open_database
from bench.process import BotProcess, new_data_key
from bench.world import BASE, build_servers, emulator, fresh, unexpected

NAME = "5. memory vs a plain bot"
SPEAKERS = 2  # members per server who post one message after ready


async def _measure(
    kind: str, guilds: int, members: int, work: Path
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
    plain_ready, plain, p1 = await _measure("plain", big, members, work)
    hearth_ready, hearth, p2 = await _measure("hearth", big, members, work)
    _, hearth_small, p3 = await _measure("hearth", small, members, work)
    out.problems += p1 + p2 + p3
    ratio = hearth["rss"] / plain["rss"]
    growth = (hearth["rss"] - hearth_small["rss"]) / ((big - small) / 1000)
    world = f"{big:,} servers × {members} members, {SPEAKERS} messages per server"
    out.rows += [
        Row(
            NAME,
            "plain discord.py bot",
            plain["rss"],
            "MB",
            note=f"{world}; at ready {plain_ready['rss']:.1f} MB",
        ),
        Row(NAME, "Hearth", hearth["rss"], "MB", note=f"at ready {hearth_ready['rss']:.1f} MB"),
        Row(NAME, "Hearth ÷ plain bot", ratio, "×", 1.0, digits=2, note="must be below 1"),
        Row(
            NAME,
            "Hearth growth per 1,000 servers",
            growth,
            "MB",
            15.0,
            note=f"{small:,} servers: {hearth_small['rss']:.1f} MB",
        ),
    ]
    if ratio >= 1.0:
        out.rows[2].note += "; not met"
    out.seconds = time.perf_counter() - started
    return out
