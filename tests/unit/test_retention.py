"""bot.retention: each server's period, the cutoffs, and the core's daily sweep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import retention
from bot.db import Database, discover_migrations
from bot.db.codec import ts, ts_or_none
from bot.outbox_store import prune
from bot.timeutil import UTC
from tests.writes import write

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_retention_per_server_with_a_default() -> None:
    policy = retention.Policy(custom={7: 30})
    assert policy.days_for(7) == 30
    assert policy.days_for(8) == 90
    assert policy.cutoff_for(7, NOW) == NOW - timedelta(days=30)
    assert policy.earliest_cutoff(NOW) == NOW - timedelta(days=30)
    assert retention.Policy().earliest_cutoff(NOW) == NOW - timedelta(days=90)


@pytest.mark.parametrize("days", [6, 366, 0, -1])
def test_retention_days_outside_the_range_are_refused(days: int) -> None:
    with pytest.raises(ValueError, match="7 to 365"):
        retention.check_days(days)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "r.sqlite3")
    await database.connect()
    await database.migrate(discover_migrations())
    yield database
    await database.close()


async def test_a_servers_choice_is_kept_in_the_core(db: Database) -> None:
    assert await retention.days(db, 7) == retention.DEFAULT_DAYS
    await write(db, retention.set_days, 7, 30)
    await write(db, retention.set_days, 7, 45)  # a new choice replaces the old
    assert await retention.days(db, 7) == 45
    assert (await retention.policy(db)).custom == {7: 45}


async def test_the_old_prompts_setting_moves_to_the_core(tmp_path: Path) -> None:
    """Prompts migration 0003: the periods admins chose before the core owned them stay."""
    database = Database(tmp_path / "old.sqlite3")
    await database.connect()
    everything = discover_migrations()
    before = [
        m
        for m in everything
        if (m.component == "core" and m.version <= 4) or (m.component != "core" and m.version <= 2)
    ]
    await database.migrate(before)
    await database.execute("INSERT INTO retention_periods (guild_id, days) VALUES (7, 30)")
    await database.migrate(everything)
    assert await retention.days(database, 7) == 30
    assert "retention_periods" not in await database.tables()
    await database.close()


async def test_the_outbox_keeps_ids_a_week_and_its_numbering_always(db: Database) -> None:
    """The sweep prunes what the outbox settled over a week ago — but never its newest row:
    SQLite numbers a new intent after the highest one left, and the worker only picks up
    ids above those it has seen, so a pruned top would make new intents invisible."""
    old, recent = NOW - timedelta(days=8), NOW - timedelta(days=1)
    rows = [(1, "done", old), (2, "failed", old), (3, "pending", None), (4, "done", recent)]
    rows += [(5, "done", old)]
    await db.executemany(
        "INSERT INTO outbox (intent_id, lane, op, status, due_at, created_at, settled_at)"
        " VALUES (?, 'ch:1', 'post', ?, ?, ?, ?)",
        [(i, status, ts(old), ts(old), ts_or_none(at)) for i, status, at in rows],
    )
    removed = await write(db, prune, NOW - retention.OUTBOX_KEPT)
    left = [r[0] for r in await db.fetchall("SELECT intent_id FROM outbox ORDER BY intent_id")]
    assert (removed, left) == (2, [3, 4, 5])  # pending, recent and the newest stay
    async with db.transaction() as tx:
        cur = await tx.execute(
            "INSERT INTO outbox (lane, op, due_at, created_at) VALUES ('ch:1', 'post', ?, ?)"
            " RETURNING intent_id",
            (ts(NOW), ts(NOW)),
        )
        row = await cur.fetchone()
        await cur.close()
    assert row is not None
    assert row[0] == 6  # after every id the worker has seen
