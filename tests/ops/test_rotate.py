"""Changing the data key: `python -m bot rotate-key` re-seals everything under the new key,
opening it with HEARTH_OLD_DATA_KEYS; interrupted, it picks up where it stopped; until it
has finished, the old key stays necessary, so nothing can be lost by dropping it early."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot import crypto, keys
from bot.db import Database
from tests.ops.helpers import TOKEN, checkout, env_key, hearth
from tests.ops.test_data_key import first_start

RESOURCES = "Call Sam on 0123 if it's a hard night"  # what first_start seals
NOTES = [f"note {n}: a long day, and then a good talk with Ben" for n in range(12)]


def sealed_values(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        found = [r[0] for r in conn.execute("SELECT note FROM checkins")]
        found += [r[0] for r in conn.execute("SELECT text FROM support_resources")]
    return found


def key_check(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        return str(
            conn.execute(
                "SELECT value FROM meta WHERE key = ?", (crypto.KEY_CHECK_META,)
            ).fetchone()[0]
        )


def a_database(path: Path, key: str) -> None:
    first_start(path, key)
    cipher = crypto.DataCipher(key)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO checkins (user_id, slot, sent_at, status, mood, note)"
            " VALUES (?, 's', '2026-01-01T09:00:00+00:00', 'answered', 3, ?)",
            [(n + 1, cipher.seal(note)) for n, note in enumerate(NOTES)],
        )


@pytest.fixture
def here(tmp_path: Path) -> Path:
    old = crypto.new_key()
    here = checkout(tmp_path, f"DISCORD_TOKEN={TOKEN}\nHEARTH_DATA_KEY={old}\n")
    (here / ".env").chmod(0o600)
    a_database(here / "data" / "hearth.sqlite3", old)
    return here


def test_rotate_key_with_a_new_key_reseals_everything(here: Path) -> None:
    database = here / "data" / "hearth.sqlite3"
    old = env_key(here / ".env")
    before = sealed_values(database)
    ran = hearth("rotate-key", "--new-key", cwd=here).clean()
    assert ran.code == 0, ran.err
    new = env_key(here / ".env")
    assert new != old
    assert crypto.key_is_valid(new)
    assert f"HEARTH_OLD_DATA_KEYS={old}" in (here / ".env").read_text()
    assert old not in ran.said
    assert new not in ran.said
    assert "Re-sealed 13 values under HEARTH_DATA_KEY (0 already were)." in ran.out
    assert "you can remove HEARTH_OLD_DATA_KEYS from .env" in ran.out

    alone = crypto.DataCipher(new)
    values = sealed_values(database)
    assert all(alone.is_current(v) for v in values)
    assert {alone.try_open(v) for v in values} == {*NOTES, RESOURCES}
    assert alone.opens(key_check(database))
    assert not crypto.DataCipher(old).opens(key_check(database))
    # What the old key sealed is gone from the file and its log, not left in free pages.
    raw = b"".join(p.read_bytes() for p in (here / "data").glob("hearth.sqlite3*"))
    assert not [v for v in before if v.encode() in raw]

    # With the old keys removed, Hearth's key check passes on the new key alone.
    env = here / ".env"
    env.write_text(env.read_text().replace(f"HEARTH_OLD_DATA_KEYS={old}", "HEARTH_OLD_DATA_KEYS="))
    ok = hearth("ensure-data-key", cwd=here).clean()
    assert "is a valid key and opens data/hearth.sqlite3" in ok.out


def test_an_interrupted_rotation_resumes_and_the_old_key_stays_needed(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = here / "data" / "hearth.sqlite3"
    old = env_key(here / ".env")
    new = crypto.new_key()
    env = here / ".env"
    env.write_text(env.read_text().replace(old, new) + f"HEARTH_OLD_DATA_KEYS={old}\n")
    monkeypatch.setattr(keys, "BATCH", 5)

    class Crash(Exception):
        pass

    async def crash(done: keys.Rotation) -> None:
        raise Crash  # the power goes after the first batch is committed

    async def interrupted() -> None:
        db = Database(database)
        await db.connect()
        try:
            with pytest.raises(Crash):
                await keys.rotate(db, crypto.DataCipher(new, [old]), crash)
        finally:
            await db.close()

    asyncio.run(interrupted())
    both = crypto.DataCipher(new, [old])
    values = sealed_values(database)
    moved = [v for v in values if crypto.DataCipher(new).is_current(v)]
    assert 0 < len(moved) < len(values)  # half-way
    assert all(both.try_open(v) for v in values)  # everything still readable
    # Dropping the old key now is refused at start, not a loss of words.
    env.write_text(env.read_text().replace(f"HEARTH_OLD_DATA_KEYS={old}", ""))
    refused = hearth("run", cwd=here).clean()
    assert refused.code == 2
    assert "HEARTH_DATA_KEY doesn't open this database" in refused.err
    env.write_text(env.read_text() + f"HEARTH_OLD_DATA_KEYS={old}\n")

    ran = hearth("rotate-key", cwd=here).clean()
    assert ran.code == 0, ran.err
    assert f"Re-sealed {len(values) - len(moved)} values" in ran.out
    assert f"({len(moved)} already were)" in ran.out
    alone = crypto.DataCipher(new)
    assert all(alone.is_current(v) for v in sealed_values(database))
    assert alone.opens(key_check(database))


def test_rotate_key_without_the_old_key_changes_nothing(here: Path) -> None:
    database = here / "data" / "hearth.sqlite3"
    before = database.read_bytes()
    env = here / ".env"
    env.write_text(env.read_text().replace(env_key(env), crypto.new_key()))
    ran = hearth("rotate-key", cwd=here).clean()
    assert ran.code == 2
    assert "HEARTH_DATA_KEY doesn't open this database" in ran.err
    assert database.read_bytes() == before


def test_a_malformed_old_key_is_named() -> None:
    with pytest.raises(crypto.DataKeyError, match="Key 2 of HEARTH_OLD_DATA_KEYS isn't a valid"):
        crypto.DataCipher(crypto.new_key(), [crypto.new_key(), "oops"])


def test_old_keys_open_but_never_seal() -> None:
    old, new = crypto.new_key(), crypto.new_key()
    sealed_old = crypto.DataCipher(old).seal("hello")
    assert sealed_old is not None
    both = crypto.DataCipher(new, [old])
    assert both.unseal(sealed_old) == "hello"
    assert not both.is_current(sealed_old)
    fresh = both.seal("hello")
    assert fresh is not None
    assert both.is_current(fresh)
    assert crypto.DataCipher(old).try_open(fresh) is None  # sealed with the new key only
    resealed = both.reseal(sealed_old)
    assert resealed is not None
    assert crypto.DataCipher(new).try_open(resealed) == "hello"
    typed = crypto.PREFIX + "gAAAA-just-typed"  # a lookalike opens with no key
    assert both.try_open(typed) is None
    assert both.reseal(typed) is None
