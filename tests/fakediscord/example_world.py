"""The small world the emulator's own tests share: a server with a channel, an admin and a
friend, and the example bot (`example_bot.ExampleBot`) connected to it. Import the
fixtures into a test module: `from tests.fakediscord.example_world import World, bot, world`.
"""

from __future__ import annotations

import pytest

from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember
from tests.fakediscord.example_bot import ExampleBot

World = tuple[FakeGuild, FakeChannel, FakeMember, FakeMember]


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("hearth")
    alice = guild.add_member("alice", admin=True)
    bob = guild.add_member("bob")
    return guild, chan, alice, bob


@pytest.fixture
async def bot(fake_discord: FakeDiscord, world: World) -> ExampleBot:
    client = ExampleBot()
    client.fake_clock = fake_discord.clock
    await fake_discord.start_bot(client)
    return client
