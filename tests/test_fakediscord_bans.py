"""The emulator's own tests: 429s discord.py must not retry (no `Via`), shared-scope 429s
Discord doesn't hold against you, and the 10,000-invalid-requests ban, enforced."""

from __future__ import annotations

import discord
import pytest

from tests.fakediscord import FakeChannel, FakeDiscord
from tests.fakediscord.example_bot import ExampleBot
from tests.fakediscord.example_world import World, bot, world

__all__ = ["bot", "world"]  # fixtures shared by the emulator's tests

POST = "POST /channels/{channel_id}/messages"


def text_channel(bot: ExampleBot, chan: FakeChannel) -> discord.TextChannel:
    channel = bot.get_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_a_429_without_via_is_a_ban_to_discord_py(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fault = fake_discord.fail_429(POST, via=False)
    with pytest.raises(discord.HTTPException) as caught:
        await text_channel(bot, world[1]).send("hello")
    assert caught.value.status == 429
    assert fault.used == 1  # raised at once, not retried
    assert world[1].bot_messages == []


async def test_a_shared_429_is_retried_and_not_held_against_the_bot(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    before = fake_discord.stats.invalid
    fake_discord.fail_429(POST, scope="shared", times=2)
    await text_channel(bot, world[1]).send("hello")
    assert [m.content for m in world[1].bot_messages] == ["hello"]
    assert fake_discord.stats.ratelimited == 2
    assert fake_discord.stats.invalid == before

    fake_discord.fail_429(POST, scope="user")
    await text_channel(bot, world[1]).send("again")
    assert fake_discord.stats.invalid == before + 1


async def test_too_many_invalid_requests_ban_every_request_until_it_ends(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    fake_discord.ratelimits.configure(invalid_limit=5, ban_length=60, message_window=0.01)
    fake_discord.expect_errors(50013, 1015)
    chan.deny_bot(send_messages=True)
    channel = text_channel(bot, chan)
    for _ in range(5):
        with pytest.raises(discord.Forbidden):
            await channel.send("no")
    assert fake_discord.ratelimits.ban.bans == 1
    # Banned: every request, even a harmless one, gets Cloudflare's 429 without Via.
    with pytest.raises(discord.HTTPException) as caught:
        await bot.fetch_user(alice.id)
    assert caught.value.status == 429
    assert fake_discord.requests[-1].code == 1015
    fake_discord.advance(seconds=61)  # the ban runs on the emulator's clock
    assert (await bot.fetch_user(alice.id)).name == "alice"


async def test_invalid_requests_spread_over_more_than_ten_minutes_never_ban(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    fake_discord.ratelimits.configure(invalid_limit=5, message_window=0.01)
    fake_discord.expect_errors(50013)
    chan.deny_bot(send_messages=True)
    channel = text_channel(bot, chan)
    for _ in range(3):
        for _ in range(4):
            with pytest.raises(discord.Forbidden):
                await channel.send("no")
        fake_discord.advance(minutes=10, seconds=1)
    assert fake_discord.ratelimits.ban.bans == 0
    assert fake_discord.stats.invalid == 12
    assert (await bot.fetch_user(alice.id)).name == "alice"


async def test_a_ban_fails_the_test_unless_it_was_expected(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.ratelimits.configure(invalid_limit=1)
    fake_discord.expect_errors(50013)
    world[1].deny_bot(send_messages=True)
    with pytest.raises(discord.Forbidden):
        await text_channel(bot, world[1]).send("no")
    with pytest.raises(discord.HTTPException):
        await bot.fetch_user(world[2].id)
    [banned] = fake_discord.unexpected_errors()
    assert banned.code == 1015
    fake_discord.expect_errors(1015)
    assert fake_discord.unexpected_errors() == []
