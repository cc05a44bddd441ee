"""Discord's global limit kept as requests leave (`bot.rest_limit`), never by 429s — and
never in the way of answering someone."""

from __future__ import annotations

import asyncio

from bot import limits
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def test_sixty_posts_at_once_from_anywhere_draw_no_429(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Many rooms")
    channels = [guild.add_text_channel(f"room-{i}") for i in range(60)]
    await hearth_unstarted.start()
    bot = hearth_unstarted.bot
    welcome = await fake_discord.wait_for_message(channels[0])  # a new server: Hearth says hi
    assert fake_discord.ratelimits.global_limit == 50  # Discord's, the emulator's default
    before = fake_discord.stats.requests

    # More than one second's worth, all at once, as several practices could at a busy minute.
    await asyncio.gather(
        *(bot.get_partial_messageable(c.id).send(f"hello {i}") for i, c in enumerate(channels))
    )

    assert fake_discord.stats.ratelimited == 0
    assert fake_discord.stats.requests - before == 60  # no retries either
    for i, channel in enumerate(channels):
        said = [m.text for m in channel.bot_messages if m is not welcome]
        assert said == [f"hello {i}"]


async def test_answers_go_out_while_posts_wait_for_the_limit(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends")
    channel = guild.add_text_channel("hearth")
    member = guild.add_member("ben")
    await hearth_unstarted.start()
    bot = hearth_unstarted.bot
    welcome = await fake_discord.wait_for_message(channel)  # a new server: Hearth says hi
    opened = asyncio.Event()
    waiting = bot.rest_limit.acquire

    async def spent() -> None:  # the second's budget is gone until `opened`
        await opened.wait()
        await waiting()

    bot.rest_limit.acquire = spent  # type: ignore[method-assign]
    post = asyncio.create_task(bot.get_partial_messageable(channel.id).send("weekly prompt"))

    answer = await member.slash("hearth help")  # an interaction response: not held

    assert answer.ephemeral
    assert "Phones down" in answer.text
    assert not post.done()
    assert channel.bot_messages == [welcome]
    opened.set()
    await post
    assert [m.text for m in channel.bot_messages] == [welcome.text, "weekly prompt"]


async def test_the_limit_is_below_discords_with_room_to_spare() -> None:
    # 48 arriving in any second: under 50 in every one-second window Discord might count.
    assert limits.GLOBAL_LIMIT / limits.GLOBAL_WINDOW < 50
