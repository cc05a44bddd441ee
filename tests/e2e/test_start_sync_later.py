"""Discord having trouble while Hearth syncs its commands at start doesn't stop the start:
the commands sync once the connection is up."""

from __future__ import annotations

from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def test_commands_sync_once_connected_when_discord_failed_at_start(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends", owner="olwen")
    guild.add_text_channel("general")
    # discord.py doesn't retry a 503: the first sync attempt fails outright.
    fake_discord.fail("PUT /applications/{application_id}/commands", status=503)
    await hearth_unstarted.start()
    await fake_discord.until(lambda: hearth_unstarted.bot.synced)
    r = await guild.owner.slash("hearth help")  # the command exists on Discord now
    assert "Active listening" in r.text
