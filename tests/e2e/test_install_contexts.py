"""Hearth is installed to servers, never to people's accounts: "User Install" in the
Developer Portal doesn't make its commands user-installable, and a command reaching it from
a server that never added Hearth (an older registration) gets a kind refusal."""

from __future__ import annotations

import pytest

from bot import guilds
from tests.fakediscord import FakeDiscord, NotPermitted
from tests.fakediscord.harness import HearthHarness


@pytest.fixture
def places(fake_discord: FakeDiscord):  # type: ignore[no-untyped-def]
    home = fake_discord.add_guild("Friends")
    home.add_text_channel("general")
    alice = home.add_member("alice", admin=True)
    elsewhere = fake_discord.add_guild("Elsewhere", with_bot=False)
    chat = elsewhere.add_text_channel("chat")
    elsewhere.add_member(alice.user, admin=True)
    return home, elsewhere, chat, alice


async def test_user_install_in_the_portal_leaves_hearths_commands_server_only(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, places
) -> None:  # type: ignore[no-untyped-def]
    _, _, chat, alice = places
    fake_discord.enable_user_install()
    await hearth_unstarted.start()
    assert {tuple(c.integration_types) for c in fake_discord.commands} == {(0,)}
    with pytest.raises(NotPermitted):
        await alice.slash("hearth help", channel=chat, user_install=True)
    with pytest.raises(NotPermitted):
        await alice.slash("privacy show", channel=chat, user_install=True)


async def test_a_command_from_a_server_without_hearth_is_refused_kindly(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, places
) -> None:  # type: ignore[no-untyped-def]
    home, elsewhere, chat, alice = places
    await hearth_unstarted.start()
    for command in fake_discord.commands:  # as an older Hearth once registered them
        command.data["integration_types"] = [0, 1]

    help_there = await alice.slash("hearth help", channel=chat, user_install=True)
    assert help_there.ephemeral
    assert "servers that have added me" in help_there.text
    setup_there = await alice.slash(
        "hearth setup", {"channel": chat}, channel=chat, timezone="Europe/Berlin", user_install=True
    )
    assert "servers that have added me" in setup_there.text
    assert await guilds.get(hearth_unstarted.bot.db, elsewhere.id) is None  # nothing kept
    zones = await alice.autocomplete(
        "hearth setup", "timezone", "Berl", {"channel": chat}, channel=chat, user_install=True
    )
    assert zones == []
    assert fake_discord.pings() == []

    # The same person, through the same account install, where Hearth *is* installed.
    at_home = await alice.slash("hearth help", channel=home.default_channel, user_install=True)
    assert "Active listening" in at_home.text
