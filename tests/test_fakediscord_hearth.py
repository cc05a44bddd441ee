"""The Hearth harness: the real bot, started, restarted and driven against the emulator."""

from __future__ import annotations

from datetime import timedelta

from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def test_hearth_starts_answers_and_restarts(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends")
    guild.add_text_channel("general")
    alice = guild.add_member("alice", admin=True)

    first = await hearth_unstarted.start()
    assert first.get_guild(guild.id) is not None
    assert fake_discord.command("hearth").name == "hearth"  # the tree was synced
    assert (await alice.slash("hearth help")).responded

    database = hearth_unstarted.database
    second = await hearth_unstarted.restart()
    assert second is not first
    assert first.is_closed()
    assert hearth_unstarted.database == database
    assert hearth_unstarted.starts == 2
    assert (await alice.slash("hearth help")).responded


async def test_hearth_fixture_shares_the_clock_and_joins_guilds_live(
    fake_discord: FakeDiscord, hearth: HearthHarness
) -> None:
    assert hearth.clock is fake_discord.clock
    before = hearth.bot.clock.now()
    hearth.advance(minutes=20)
    assert fake_discord.clock.now() - before == timedelta(minutes=20)

    guild = fake_discord.add_guild("Book club")
    guild.add_text_channel("books")
    await fake_discord.sync()
    assert hearth.bot.get_guild(guild.id) is not None
    assert await hearth.fire("no-such-job") is False
