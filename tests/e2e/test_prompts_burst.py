"""End to end: 300 servers whose weekly prompt falls due in the same minute all get it,
without a single 429 from the emulator."""

from __future__ import annotations

import asyncio
from datetime import datetime
from datetime import time as clock_time
from typing import cast

from bot import guilds, limits
from bot.timeutil import UTC
from cogs.prompts.cog import PromptsCog
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

SERVERS = 300


async def test_three_hundred_servers_due_at_once_draw_no_429(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    hearth_unstarted.clock.set(datetime(2026, 1, 12, 12, 0, tzinfo=UTC))
    world = []
    for i in range(SERVERS):
        guild = fake_discord.add_guild(f"Circle {i}", owner=f"owner{i}")
        world.append((guild, guild.add_text_channel("hearth")))
    await hearth_unstarted.start()
    bot = hearth_unstarted.bot
    for guild, channel in world:
        await write(
            bot.db,
            guilds.save_setup,
            guild.id,
            channel_id=channel.id,
            timezone="Europe/Berlin",
            prompt_weekday=6,
            prompt_time=clock_time(18, 0),
            now=bot.clock.now(),
        )
    cog = cast("PromptsCog", bot.get_cog("PromptsCog"))
    await cog.rebuild_jobs()
    jobs = [f"prompt:{guild.id}" for guild, _ in world]
    due = {bot.scheduler.due(job) for job in jobs}
    assert len(due) == 1  # every server due at the very same minute

    # Discord's own limit (the emulator's default): 50 requests in any second.
    assert fake_discord.ratelimits.global_limit == 50
    assert fake_discord.ratelimits.global_window == 1.0
    assert limits.GLOBAL_LIMIT < 50
    assert await bot.outbox.idle(timeout=60)  # the 300 welcomes are out before we count
    before = fake_discord.stats.requests
    # As APScheduler would: every due job starts at once.
    results = await asyncio.gather(*(bot.scheduler.fire(job) for job in jobs))
    assert all(results)
    # The posts leave through the outbox, paced by Discord's global limit (~6 s).
    assert await bot.outbox.idle(timeout=60)

    assert fake_discord.stats.ratelimited == 0
    assert fake_discord.stats.requests - before == SERVERS  # one request per prompt
    for _, channel in world:
        posts = [m for m in channel.bot_messages if "this week's prompt" in m.text]
        assert len(posts) == 1
    assert all(bot.scheduler.due(job) is not None for job in jobs)  # next week is armed
