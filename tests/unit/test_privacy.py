"""Encryption at rest, the data key on the command line, the shared reach limit, and the
privacy registry's rules — without Discord."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import crypto
from bot.__main__ import main
from bot.db import Database, discover_migrations
from bot.errors import HearthError
from bot.limits import PAIR_REFUSAL, SENDER_REFUSAL, ReachLimiter
from bot.privacy import (
    CORE_DECLARATIONS,
    Forget,
    Person,
    PersonalData,
    Registry,
    Table,
    check_data_key,
)
from bot.timeutil import UTC, FakeClock
from cogs.privacy import logic
from tests.fakediscord.harness import TEST_DATA_KEY
from tests.writes import write

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"

# --------------------------------------------------------------------------- encryption


@settings(max_examples=40)
@given(st.text())
def test_sealed_text_opens_to_what_was_written(text: str) -> None:
    cipher = crypto.DataCipher(TEST_DATA_KEY)
    sealed = cipher.seal(text)
    assert sealed is not None
    assert sealed.startswith(crypto.PREFIX)
    assert cipher.unseal(sealed) == text
    # Sealing is never skipped: a sealed value handed back in is sealed again, whole.
    assert cipher.unseal(cipher.seal(sealed)) == sealed


def test_sealed_text_hides_the_words_and_differs_every_time() -> None:
    cipher = crypto.DataCipher(TEST_DATA_KEY)
    one, two = cipher.seal("a hard week"), cipher.seal("a hard week")
    assert one != two
    assert "hard" not in (one or "")
    assert cipher.unseal(None) is None
    assert cipher.seal(None) is None
    assert cipher.unseal("written before encryption") == "written before encryption"


def test_another_key_cannot_open_it() -> None:
    sealed = crypto.DataCipher(TEST_DATA_KEY).seal("mine")
    other = crypto.DataCipher(crypto.new_key())
    with pytest.raises(crypto.UnreadableValue):
        other.unseal(sealed)
    check = crypto.DataCipher(TEST_DATA_KEY).key_check()
    assert crypto.DataCipher(TEST_DATA_KEY).opens(check)
    assert not other.opens(check)


@pytest.mark.parametrize("key", ["", "short", "x" * 44, TEST_DATA_KEY[:-2]])
def test_a_malformed_key_is_refused_with_words_not_a_traceback(key: str) -> None:
    with pytest.raises(crypto.DataKeyError, match="44 characters"):
        crypto.DataCipher(key)


def test_nothing_is_sealed_without_an_active_key() -> None:
    crypto.activate(None)
    with pytest.raises(crypto.DataKeyError, match="HEARTH_DATA_KEY"):
        crypto.seal("words")
    assert crypto.seal(None) is None


@pytest.fixture
async def db(database_at: Path | str) -> AsyncIterator[Database]:
    database = Database(database_at)  # once on SQLite, once on PostgreSQL (tests/pg.py)
    await database.connect()
    await database.migrate(discover_migrations())
    yield database
    await database.close()


async def test_the_key_check_is_written_once_and_refuses_another_key(db: Database) -> None:
    right = crypto.DataCipher(TEST_DATA_KEY)
    await check_data_key(db, right)
    stored = await db.fetchval("SELECT value FROM meta WHERE key = ?", (crypto.KEY_CHECK_META,))
    await check_data_key(db, right)
    assert await db.fetchval("SELECT value FROM meta WHERE key = ?", (crypto.KEY_CHECK_META,)) == (
        stored
    )
    with pytest.raises(crypto.DataKeyError, match="doesn't open this database"):
        await check_data_key(db, crypto.DataCipher(crypto.new_key()))


# --------------------------------------------------------------------------- the command line


def test_ensure_data_key_writes_one_never_prints_it_and_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HEARTH_DATA_KEY", raising=False)
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=abc\nHEARTH_DATA_KEY=\nHEARTH_LOG_LEVEL=INFO\n")
    assert main(["ensure-data-key", "--env-file", str(env)]) == 0
    text = env.read_text()
    [line] = [ln for ln in text.splitlines() if ln.startswith("HEARTH_DATA_KEY=")]
    key = line.split("=", 1)[1]
    crypto.DataCipher(key)  # a valid key
    assert "DISCORD_TOKEN=abc\n" in text
    assert "HEARTH_LOG_LEVEL=INFO" in text
    out = capsys.readouterr()
    assert key not in out.out + out.err
    assert "back it up" in out.out
    # A second run keeps it, and `make run`'s --quiet says nothing.
    assert main(["ensure-data-key", "--env-file", str(env), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert env.read_text() == text
    # One in the environment wins; nothing is written.
    monkeypatch.setenv("HEARTH_DATA_KEY", TEST_DATA_KEY)
    fresh = tmp_path / "other.env"
    assert main(["ensure-data-key", "--env-file", str(fresh)]) == 0
    assert "is a valid key" in capsys.readouterr().out
    assert not fresh.exists()


def test_a_new_env_file_gets_a_key_and_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEARTH_DATA_KEY", raising=False)
    env = tmp_path / ".env"
    monkeypatch.chdir(tmp_path)
    assert main(["ensure-data-key", "--env-file", str(env)]) == 0
    assert env.read_text().startswith("HEARTH_DATA_KEY=")
    assert env.stat().st_mode & 0o077 == 0


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """`main()` sets up logging for a real run; put the test run's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str | None) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env here
    database = tmp_path / "h.sqlite3"
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("HEARTH_DATABASE", str(database))
    if key is None:
        monkeypatch.delenv("HEARTH_DATA_KEY", raising=False)
    else:
        monkeypatch.setenv("HEARTH_DATA_KEY", key)
    return database


def test_run_without_a_key_says_exactly_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_env(monkeypatch, tmp_path, None)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "HEARTH_DATA_KEY" in err
    assert "make run" in err
    assert "python -m bot ensure-data-key" in err
    assert "Traceback" not in err


def test_run_with_the_wrong_key_stops_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = _cli_env(monkeypatch, tmp_path, crypto.new_key())

    async def first_start() -> None:
        db = Database(database)
        await db.connect()
        await db.migrate(discover_migrations())
        await check_data_key(db, crypto.DataCipher(TEST_DATA_KEY))
        await db.close()

    asyncio.run(first_start())
    capsys.readouterr()
    assert main(["run"]) == 2  # no network needed: it never gets as far as Discord
    err = capsys.readouterr().err
    assert "doesn't open this database" in err
    assert "put the old one back" in err
    assert "Traceback" not in err


def test_check_config_reports_the_key_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_env(monkeypatch, tmp_path, TEST_DATA_KEY)
    main(["check-config"])
    out = capsys.readouterr().out
    assert "HEARTH_DATA_KEY      looks right" in out
    assert TEST_DATA_KEY not in out
    _cli_env(monkeypatch, tmp_path, "nope")
    assert main(["check-config"]) == 1
    assert "HEARTH_DATA_KEY      HEARTH_DATA_KEY isn't a valid key." in capsys.readouterr().out


# --------------------------------------------------------------------------- the reach limit


def test_one_person_can_reach_another_a_few_times_a_day_across_practices() -> None:
    clock = FakeClock(NOW)
    reach = ReachLimiter(clock)
    for _ in range(3):  # e.g. a support note, an "I'm here", a private share
        reach.acquire(1, 2)
    with pytest.raises(HearthError) as refused:
        reach.check(1, 2)
    assert refused.value.message == PAIR_REFUSAL
    reach.check(1, 3)  # someone else is fine
    reach.check(2, 1)  # and the other way round is its own pair
    clock.advance(timedelta(days=1, seconds=1))
    reach.check(1, 2)


def test_nobody_can_reach_everyone_either() -> None:
    reach = ReachLimiter(FakeClock(NOW), per_pair=3, per_sender=5)
    for friend in range(10, 15):
        reach.acquire(1, friend)
    assert reach.refusal(1, 99) == SENDER_REFUSAL
    assert reach.refusal(2, 99) is None


# --------------------------------------------------------------------------- the registry

NOTES = PersonalData(
    key="notes",
    title="Notes",
    statement="Notes people leave for the group, so the group can read them.",
    kept="Until deleted.",
    tables=(
        Table(
            "notes",
            "A note.",
            people={
                "user_id": Person("note", "notes", Forget.ANONYMISE),
                "about_user_id": Person("note about you", "notes about you"),
            },
            when="written_at",
            sealed=("body", "secret"),
            clear=("body", "secret"),
            server="guild_id",
            owner_only={"secret": "user_id"},
        ),
    ),
)


async def test_forget_anonymises_or_deletes_as_declared_and_queues_messages(
    db: Database,
) -> None:
    await db.execute(
        "CREATE TABLE notes (note_id INTEGER PRIMARY KEY, guild_id INTEGER, user_id INTEGER,"
        " about_user_id INTEGER, body TEXT, secret TEXT, written_at TEXT)"
    )
    rows = [(1, 5, 7, 8, "group note"), (2, 5, 8, 7, "about ana"), (3, 6, 8, 9, "other")]
    for note_id, guild, author, about, body in rows:
        await db.execute(
            "INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?)",
            (note_id, guild, author, about, crypto.seal(body), crypto.seal("psst"), "2026"),
        )
    # A message of Hearth's carrying her words (the outbox records these on delivery).
    await db.execute(
        "INSERT INTO posted_words (message_id, channel_id, guild_id, user_id, practice,"
        " posted_at) VALUES (33, 3, 5, 7, 'notes', ?)",
        (NOW.isoformat(),),
    )
    registry = Registry([*CORE_DECLARATIONS, NOTES])

    exported = (await registry.export(db, 7, NOW))["parts"]["notes"]["tables"]["notes"]["rows"]
    assert [(r["note_id"], r["body"], r.get("secret")) for r in exported] == [
        (1, "group note", "psst"),  # hers: everything
        (2, "about ana", None),  # about her: not the author's private part
    ]
    summary = await registry.summary(db, 7)
    assert [h.what for s in summary for h in s.held] == [
        "1 message of yours Hearth posted",
        "1 note",
        "1 note about you",
    ]

    result = await write(db, registry.forget, 7, NOW)
    assert len(result.unsaid.intents) == 1
    assert result.removed == {
        "Messages with your words": ["1 message of yours Hearth posted"],
        "Notes": ["1 note", "1 note about you"],
    }
    left = await db.fetchall(
        "SELECT note_id, user_id, about_user_id, body FROM notes ORDER BY note_id"
    )
    assert [tuple(r) for r in left] == [(1, 0, 8, None), (3, 8, 9, left[1][3])]
    # The message is deleted by the outbox: an intent that names nobody.
    deletion = await db.fetchone("SELECT * FROM outbox")
    assert deletion is not None
    assert (deletion["op"], deletion["message_id"], deletion["channel_id"]) == ("delete", 33, 3)
    assert deletion["guild_id"] is None
    assert deletion["recipient_user_id"] is None
    assert await db.fetchval("SELECT COUNT(*) FROM posted_words") == 0

    rows, unsaid = await write(db, registry.forget_server, 6, NOW, delete_messages=False)
    assert (rows, unsaid.intents) == (1, [])
    assert await db.fetchval("SELECT COUNT(*) FROM notes") == 1


# --------------------------------------------------------------------------- words


def test_the_messages_line_counts_kindly() -> None:
    assert logic.messages_line(0, 0, 0) is None
    assert logic.messages_line(1, 0, 0) == "I deleted 1 message of mine that carried your words."
    line = logic.messages_line(2, 1, 3)
    assert line is not None
    assert "2 of my messages" in line
    assert "1 was already gone" in line
    assert "3 more will be deleted" in line


def test_text_that_looks_sealed_is_sealed_like_any_other() -> None:
    cipher = crypto.DataCipher(crypto.new_key())
    elsewhere = crypto.DataCipher(crypto.new_key()).seal("not ours")
    assert elsewhere is not None
    for typed in (crypto.PREFIX, crypto.PREFIX + "gAAAA", elsewhere):
        sealed = cipher.seal(typed)
        assert sealed is not None
        assert sealed != typed
        assert cipher.unseal(sealed) == typed
        assert cipher.try_open(typed) is None  # the prefix alone proves nothing
    with pytest.raises(crypto.UnreadableValue):
        cipher.unseal(elsewhere)
