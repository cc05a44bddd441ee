"""The world most end-to-end tests need: a friend group's server with Hearth in it.

`friends` (the fixture) or `await make_friends(fake, hearth, …)`: a server "Friends"
(owner Olwen) with a channel, an admin (Mae, Manage Server) and a few friends, Hearth
started at a fixed time and — unless told otherwise — set up by the admin in that channel,
with the friends having used Hearth there once. A practice's tests extend it with their
own helpers (`class World(Friends)`: post, answer, share…) instead of building their own
server; a test whose world is really different (a story of several servers, a crowd)
keeps its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from bot.app import HearthBot
from bot.timeutil import UTC
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember
from tests.fakediscord.harness import HearthHarness

NOON = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)  # a Monday; Berlin is UTC+1
NAMES = ("Aurelia", "Bramwell", "Cosima", "Dorian", "Esme")


@dataclass
class Friends:
    fake: FakeDiscord
    hearth: HearthHarness
    guild: FakeGuild
    channel: FakeChannel  # Hearth's channel (or, not set up, where the friends talk)
    admin: FakeMember  # Mae: Manage Server
    friends: dict[str, FakeMember] = field(default_factory=dict)

    @property
    def bot(self) -> HearthBot:
        return self.hearth.bot

    def __getitem__(self, initial: str) -> FakeMember:
        """world["A"] is the friend whose name starts with A."""
        return next(m for name, m in self.friends.items() if name.startswith(initial))

    # The first three friends by initial, as most tests call them.

    @property
    def ana(self) -> FakeMember:
        return self["A"]

    @property
    def ben(self) -> FakeMember:
        return self["B"]

    @property
    def cat(self) -> FakeMember:
        return self["C"]

    def cog_named(self, name: str) -> Any:
        # discord.py re-imports an extension for each bot: found by name, not by class.
        cog = self.bot.get_cog(name)
        assert cog is not None, name
        return cog


async def make_friends(
    fake: FakeDiscord,
    hearth: HearthHarness,
    names: tuple[str, ...] = NAMES,
    *,
    start: datetime = NOON,
    channel: str = "hearth",
    set_up: bool = True,
    timezone: str = "Europe/Berlin",
    **setup: Any,
) -> Friends:
    """The server, its people and a started Hearth (set up with `setup`'s options)."""
    hearth.clock.set(start)
    # Discord's 5 messages per 5 s per channel, sped up: tests live weeks in seconds.
    fake.ratelimits.configure(message_limit=5, message_window=0.25)
    guild = fake.add_guild("Friends", owner="Olwen")
    where = guild.add_text_channel(channel)
    admin = guild.add_member("Mae", admin=True)
    people = {name: guild.add_member(name) for name in names}
    await hearth.start()
    world = Friends(fake, hearth, guild, where, admin, people)
    if set_up:
        done = await admin.slash("hearth setup", {"channel": where}, timezone=timezone, **setup)
        assert done.ephemeral, done.text
        # These friends have used Hearth here before (the group waits for them).
        for member in people.values():
            await hearth.bot.boundaries.touch(guild.id, member.id)
    # Whatever Hearth had to say on arriving (a welcome) is out before the test begins.
    assert await hearth.bot.outbox.idle(), "the outbox didn't settle"
    return world


@pytest.fixture
async def friends(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Friends:
    return await make_friends(fake_discord, hearth_unstarted)
