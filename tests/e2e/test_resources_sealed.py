"""The admins' `/hearth resources` text is sealed at rest like people's words (it can name
people and phone numbers), readable through Hearth, and old plain rows are sealed at start."""

from __future__ import annotations

from bot import crypto
from bot.db import Database, discover_migrations
from cogs.support import store
from tests.e2e.test_privacy_encryption import raw_bytes
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import TEST_DATA_KEY, HearthHarness

OWN_HELP = "Ring Priya on 07700 900123 any time, or our crisis line 0800 111 0 111."
FIELD = "Shown privately at the lowest mood"


async def test_a_servers_help_text_is_sealed_on_disk(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends", owner="olwen")
    guild.add_text_channel("general")
    await hearth_unstarted.start()
    olwen = guild.owner
    opened = await olwen.slash("hearth resources")
    assert opened.modal is not None
    await olwen.submit_modal(opened, {FIELD: OWN_HELP})

    raw = raw_bytes(hearth_unstarted.database)
    assert OWN_HELP.encode() not in raw
    assert b"07700" not in raw
    stored = await hearth_unstarted.bot.db.fetchval("SELECT text FROM support_resources")
    assert crypto.DataCipher(TEST_DATA_KEY).try_open(stored) == OWN_HELP
    # Through Hearth it reads as written, after a restart too.
    await hearth_unstarted.restart()
    again = await olwen.slash("hearth resources")
    assert again.modal is not None
    assert again.modal.field(FIELD).value == OWN_HELP


async def test_help_text_stored_in_plain_is_sealed_at_start(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends", owner="olwen")
    guild.add_text_channel("general")
    old = Database(hearth_unstarted.database)  # as a Hearth before this change left it
    await old.connect()
    await old.migrate(discover_migrations())
    await old.execute(
        "INSERT INTO support_resources (guild_id, text, updated_at) VALUES (?, ?, '')",
        (guild.id, OWN_HELP),
    )
    await old.close()
    assert OWN_HELP.encode() in raw_bytes(hearth_unstarted.database)

    await hearth_unstarted.start()
    assert OWN_HELP.encode() not in raw_bytes(hearth_unstarted.database)
    assert await store.get_resources(hearth_unstarted.bot.db, guild.id) == OWN_HELP
