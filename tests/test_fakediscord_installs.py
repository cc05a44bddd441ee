"""The emulator's own tests: installation contexts. A command registered without
`integration_types` takes the app's settings at that moment ("User Install" in the
Developer Portal); people can use user-installable commands where the bot isn't, and the
interaction then names only the person as the authorising owner."""

from __future__ import annotations

import pytest
from discord import app_commands

from tests.fakediscord import FakeDiscord, NotPermitted
from tests.fakediscord.example_bot import ExampleBot


async def test_commands_follow_the_install_settings_they_were_registered_under(
    fake_discord: FakeDiscord,
) -> None:
    home = fake_discord.add_guild("Home")
    home.add_text_channel("general")
    elsewhere = fake_discord.add_guild("Elsewhere", with_bot=False)
    chan = elsewhere.add_text_channel("chat")
    alice = home.add_member("alice")
    elsewhere.add_member(alice.user)

    plain = ExampleBot()
    await fake_discord.start_bot(plain)
    assert fake_discord.command("hi").integration_types == [0]
    with pytest.raises(NotPermitted, match="not installable to a user"):
        await alice.slash("hi", name="x", channel=chan, user_install=True)
    await fake_discord.stop_bot(plain)

    fake_discord.enable_user_install()
    bot = ExampleBot()
    await fake_discord.start_bot(bot)  # syncs again, now under "User Install"
    assert fake_discord.command("hi").integration_types == [0, 1]
    r = await alice.slash("hi", name="from afar", channel=chan, user_install=True)
    assert r.content == "hi from afar"
    seen = bot.interactions[-1]
    assert seen.guild_id == elsewhere.id
    assert seen.is_user_integration()
    assert not seen.is_guild_integration()  # that server never added the bot

    at_home = await alice.slash("hi", name="home", channel=home.default_channel, user_install=True)
    assert at_home.responded
    assert bot.interactions[-1].is_guild_integration()  # installed there as well
    with pytest.raises(NotPermitted, match="not in Elsewhere"):
        await alice.slash("hi", name="x", channel=chan)  # no server install there


async def test_a_command_stating_guild_install_stays_out_of_user_installs(
    fake_discord: FakeDiscord,
) -> None:
    fake_discord.enable_user_install()
    guild = fake_discord.add_guild("Home")
    alice = guild.add_member("alice")
    chan = guild.add_text_channel("general")
    bot = ExampleBot()
    hi = bot.tree.get_command("hi")
    assert hi is not None
    hi.allowed_installs = app_commands.AppInstallationType(guild=True)
    await fake_discord.start_bot(bot)
    assert fake_discord.command("hi").integration_types == [0]
    assert fake_discord.command("slow").integration_types == [0, 1]
    with pytest.raises(NotPermitted):
        await alice.slash("hi", name="x", channel=chan, user_install=True)
    assert (await alice.slash("hi", name="x", channel=chan)).responded
