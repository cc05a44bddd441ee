"""End to end: people's words are unreadable in the database file, readable through Hearth,
text from before encryption is sealed at start, and a wrong key stops Hearth kindly."""

from __future__ import annotations

import sqlite3
from datetime import time
from pathlib import Path

import pytest

from bot import crypto
from bot.app import HearthBot
from bot.db import Database, discover_migrations
from cogs.support import store as support_store
from tests.e2e.test_privacy import (
    AFTERNOON,
    ANA_ANSWER,
    ANA_NOTE,
    ANA_PRIVATE_SHARE,
    ANA_SHARE,
    ANA_TITLE,
    BEN_NOTE,
    Story,
    make_story,
    texts,
)
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

QUEUED_NOTE = "see you at the allotment on saturday"


def raw_bytes(path: Path) -> bytes:
    """The database file as it lies on disk, with its write-ahead log."""
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            data += part.read_bytes()
    return data


async def test_words_are_sealed_on_disk_and_readable_through_hearth(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    story: Story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()
    await story.circles()
    await story.phones_down()
    await story.shares()
    await story.prompt_answer()
    # A note that waits for Cosima's quiet hours is stored (sealed) until it goes.
    b = story.hearth.bot.boundaries
    await write(b.db, b.set_dms_allowed, story.cat.id, True)
    await write(
        b.db, b.set_quiet_hours, story.cat.id, time(6, 0), time(22, 0), timezone="Europe/Berlin"
    )
    said = await story.done(
        await story.ana.slash("support send", friend=story.cat, note=QUEUED_NOTE)
    )
    assert "<t:" in said  # it goes when her quiet hours end
    assert await story.db.fetchval("SELECT COUNT(*) FROM support_outbox") == 1
    raw = raw_bytes(story.hearth.database)
    for words in (ANA_NOTE, BEN_NOTE, ANA_TITLE, QUEUED_NOTE, ANA_ANSWER, ANA_SHARE):
        assert words.encode() not in raw, words
    assert ANA_PRIVATE_SHARE.encode() not in raw
    assert crypto.PREFIX.encode() in raw
    with sqlite3.connect(story.hearth.database) as conn:  # what anyone with the file sees
        notes = [r[0] for r in conn.execute("SELECT note FROM checkins WHERE note IS NOT NULL")]
        assert notes
        assert all(n.startswith(crypto.PREFIX) for n in notes)

    # Through Hearth, with the key: as written.
    history = await story.ana.slash("checkin history")
    assert ANA_NOTE in history.text
    exported = texts(await story.export(story.ana))
    assert ANA_NOTE in exported
    assert ANA_TITLE in exported
    assert ANA_ANSWER in exported
    assert ANA_SHARE in exported
    assert QUEUED_NOTE in exported  # hers until it's delivered
    assert QUEUED_NOTE not in texts(await story.export(story.cat))
    # …and after a restart, which reads them back with the same key.
    await story.hearth.restart()
    assert ANA_NOTE in (await story.ana.slash("checkin history")).text


async def test_text_stored_before_encryption_is_sealed_at_start(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    # A database from before encryption: the same schema, words in plain text.
    path = hearth_unstarted.database
    old = Database(path)
    await old.connect()
    await old.migrate(discover_migrations())
    await old.execute(
        "INSERT INTO checkins (user_id, slot, sent_at, status, mood, note)"
        " VALUES (7, 's', ?, 'answered', 4, ?)",
        (AFTERNOON.isoformat(), ANA_NOTE),
    )
    await old.execute(
        "INSERT INTO pd_challenges (challenge_id, guild_id, channel_id, starter_user_id,"
        " title, duration_minutes, status, created_at, starts_at)"
        " VALUES (5, 1, 2, 7, ?, 30, 'ended', ?, ?)",
        (ANA_TITLE, AFTERNOON.isoformat(), AFTERNOON.isoformat()),
    )
    await old.close()
    assert ANA_NOTE.encode() in raw_bytes(path)

    hearth_unstarted.clock.set(AFTERNOON)
    await hearth_unstarted.start()
    bot = hearth_unstarted.bot
    raw = raw_bytes(path)
    assert ANA_NOTE.encode() not in raw  # not even in freed pages or the log
    assert ANA_TITLE.encode() not in raw
    [row] = await support_store.history(bot.db, 7, 10)
    assert row.note == ANA_NOTE
    sealed_once = await bot.db.fetchval("SELECT note FROM checkins")

    await hearth_unstarted.restart()  # nothing left to seal: the values stay as they were
    assert await hearth_unstarted.bot.db.fetchval("SELECT note FROM checkins") == sealed_once


async def test_a_wrong_key_stops_hearth_with_a_clear_message(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    await hearth_unstarted.start()
    await hearth_unstarted.stop()
    other = HearthBot(
        hearth_unstarted.settings(data_key=crypto.new_key()), clock=hearth_unstarted.clock
    )
    with pytest.raises(crypto.DataKeyError, match="doesn't open this database"):
        await other.login(fake_discord.token)  # setup_hook runs here, before the gateway
    await other.close()
    # Nothing was touched: the right key still starts it.
    await hearth_unstarted.start()
