"""The database layer: migrations, transactions and concurrent writers."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from bot.db import Database, Migration, SchemaTooNew, discover_migrations


def _m(component: str, version: int, sql: str) -> Migration:
    return Migration(component, version, f"step{version}", sql)


@pytest.fixture
async def db(database_at: Path | str):
    """Once on SQLite, once on PostgreSQL (tests/pg.py): the same behaviour on both."""
    database = Database(database_at)
    await database.connect()
    yield database
    await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path):
    """What only SQLite has: its PRAGMAs, the read connection, the write-ahead log."""
    database = Database(tmp_path / "t.sqlite3")
    await database.connect()
    yield database
    await database.close()


async def test_migrations_apply_in_order_and_only_once(db: Database) -> None:
    steps = [
        _m("core", 1, "CREATE TABLE a (id INTEGER PRIMARY KEY);"),
        _m("core", 2, "ALTER TABLE a ADD COLUMN name TEXT;\nINSERT INTO a (name) VALUES ('x');"),
    ]
    assert [m.version for m in await db.migrate(steps)] == [1, 2]
    assert await db.migrate(steps) == []
    assert await db.fetchval("SELECT name FROM a") == "x"


async def test_refuses_a_newer_schema(db: Database) -> None:
    await db.migrate([_m("core", 1, "CREATE TABLE a (id INTEGER);"), _m("core", 2, "SELECT 1;")])
    with pytest.raises(SchemaTooNew, match="newer"):
        await db.migrate([_m("core", 1, "CREATE TABLE a (id INTEGER);")])


async def test_refuses_an_unknown_component(db: Database) -> None:
    await db.migrate([_m("future_cog", 1, "CREATE TABLE f (id INTEGER);")])
    with pytest.raises(SchemaTooNew):
        await db.migrate([])


async def test_a_failed_migration_leaves_nothing_behind(db: Database) -> None:
    broken = _m("core", 1, "CREATE TABLE a (id INTEGER);\nINSERT INTO missing VALUES (1);")
    with pytest.raises(Exception, match="missing"):
        await db.migrate([broken])
    assert "a" not in await db.tables()
    assert await db.fetchval("SELECT COUNT(*) FROM schema_migrations") == 0


async def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    await db.migrate([_m("core", 1, "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);")])
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO a (v) VALUES ('half')")
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT COUNT(*) FROM a") == 0


async def test_concurrent_writers_never_hit_locked(db: Database) -> None:
    await db.migrate([_m("core", 1, "CREATE TABLE c (n INTEGER);")])

    async def writer(i: int) -> None:
        for j in range(20):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO c (n) VALUES (?)", (i * 100 + j,))
                await asyncio.sleep(0)  # yield mid-transaction to invite interleaving

    await asyncio.gather(*(writer(i) for i in range(10)))
    assert await db.fetchval("SELECT COUNT(*) FROM c") == 200


async def test_a_second_connection_waits_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "two.sqlite3"
    one, two = Database(path), Database(path)
    await one.connect()
    await two.connect()
    try:
        await one.migrate([_m("core", 1, "CREATE TABLE c (n INTEGER);")])

        async def write(d: Database, n: int) -> None:
            for _ in range(10):
                async with d.transaction() as conn:
                    await conn.execute("INSERT INTO c (n) VALUES (?)", (n,))

        await asyncio.gather(write(one, 1), write(two, 2))
        assert await one.fetchval("SELECT COUNT(*) FROM c") == 20
    finally:
        await one.close()
        await two.close()


async def test_joining_a_transaction_is_explicit_never_implicit(db: Database) -> None:
    """Code that writes inside a transaction takes its tx: opening another one inside it
    (the same task) raises at once and rolls the outer one back, instead of silently
    joining it — or, on another code path, committing on its own."""
    await db.migrate([_m("core", 1, "CREATE TABLE a (v TEXT);")])
    with pytest.raises(RuntimeError, match="pass its tx"):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO a VALUES ('outer')")
            async with db.transaction() as inner:
                await inner.execute("INSERT INTO a VALUES ('inner')")
    with pytest.raises(RuntimeError, match="pass its tx"):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO a VALUES ('outer')")
            await db.execute("INSERT INTO a VALUES ('its own')")
    assert await db.fetchval("SELECT COUNT(*) FROM a") == 0
    async with db.transaction() as tx:  # the way: hand the tx down
        await tx.execute("INSERT INTO a VALUES ('outer')")
        assert await db.fetchval("SELECT COUNT(*) FROM a") == 1  # reads see its writes
    assert await db.fetchval("SELECT COUNT(*) FROM a") == 1


async def test_aggregates_sum_up_many_rows(db: Database) -> None:
    await db.migrate([_m("core", 1, "CREATE TABLE n (v INTEGER);")])
    await db.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(50)])
    row = await db.aggregate("SELECT COUNT(*), MIN(v), MAX(v) FROM n")
    assert row is not None
    assert tuple(row) == (50, 0, 49)


async def test_aggregates_read_off_the_event_loop(sqlite_db: Database) -> None:
    """`aggregate` (COUNT, MIN…) goes through aiosqlite's thread, as lists do, never on the
    loop's own thread where point reads go."""
    db = sqlite_db
    await db.migrate([_m("core", 1, "CREATE TABLE n (v INTEGER);")])
    await db.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(50)])
    on_the_loop: list[str] = []
    assert db._reader is not None
    db._reader.set_trace_callback(on_the_loop.append)
    row = await db.aggregate("SELECT COUNT(*), MIN(v), MAX(v) FROM n")
    assert row is not None
    assert tuple(row) == (50, 0, 49)
    assert on_the_loop == []  # the loop-thread reader never saw it
    await db.fetchone("SELECT v FROM n WHERE v = 3")
    assert on_the_loop  # …while a point read does go there


async def test_pragmas_are_set(sqlite_db: Database) -> None:
    db = sqlite_db
    assert (await db.fetchval("PRAGMA journal_mode")).lower() == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA synchronous") == 1  # NORMAL
    assert await db.fetchval("PRAGMA busy_timeout") >= 1000


async def test_the_real_migrations_apply_cleanly(db: Database) -> None:
    applied = await db.migrate(discover_migrations())
    assert any(m.component == "core" for m in applied)
    assert {"meta", "guilds"} <= set(await db.tables())


def test_statement_splitting_keeps_triggers_whole() -> None:
    sql = (
        "CREATE TABLE t (a INTEGER);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = 1;\nEND;\n"
        "-- trailing comment\n"
    )
    statements = list(Migration("core", 1, "x", sql).statements())
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER")
    assert statements[1].endswith("END;")


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    mig = tmp_path / "bot" / "db" / "migrations"
    mig.mkdir(parents=True)
    (mig / "0001_a.sql").write_text("SELECT 1;")
    (mig / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="without gaps"):
        discover_migrations(tmp_path)


async def test_reads_never_wait_for_another_tasks_write(db: Database) -> None:
    # A read that doesn't depend on a write under way sees the last commit at once, however
    # many writers hold or wait for the lock; the write's result shows once it commits.
    await db.execute("CREATE TABLE seen (n INTEGER)")
    await db.execute("INSERT INTO seen VALUES (1)")
    inside = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO seen VALUES (2)")
            inside.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    queued = asyncio.create_task(db.execute("INSERT INTO seen VALUES (3)"))
    await asyncio.sleep(0)  # a second writer waits for the lock
    assert await asyncio.wait_for(db.fetchval("SELECT COUNT(*) FROM seen"), 1) == 1
    counted = await asyncio.wait_for(db.aggregate("SELECT COUNT(*) FROM seen"), 1)
    assert counted is not None
    assert counted[0] == 1
    rows = await asyncio.wait_for(db.fetchall("SELECT n FROM seen"), 1)
    assert [r["n"] for r in rows] == [1]
    release.set()
    await task
    await queued
    assert await db.fetchval("SELECT COUNT(*) FROM seen") == 3
    assert [r["n"] for r in await db.fetchall("SELECT n FROM seen ORDER BY n")] == [1, 2, 3]


async def test_inside_a_transaction_reads_see_its_own_writes_and_others_see_commits(
    db: Database,
) -> None:
    await db.execute("CREATE TABLE seen (n INTEGER)")
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO seen VALUES (1)")
        assert await db.fetchval("SELECT COUNT(*) FROM seen") == 1  # its own, uncommitted
    assert await db.fetchval("SELECT COUNT(*) FROM seen") == 1  # idle: the read connection
    rows = await db.fetchall("SELECT n FROM seen")
    assert [tuple(r) for r in rows] == [(1,)]
    assert rows[0]["n"] == 1  # rows by name, as before


async def test_the_read_connections_cannot_write(sqlite_db: Database) -> None:
    db = sqlite_db
    await db.execute("CREATE TABLE seen (n INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.fetchone("INSERT INTO seen VALUES (2) RETURNING n")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.fetchall("INSERT INTO seen VALUES (2) RETURNING n")


async def test_a_task_made_inside_a_transaction_does_not_write_through_it(db: Database) -> None:
    """A task inherits its parent's context: it must still wait for its own transaction,
    not write through the parent's (outside the lock, and lost when the parent rolls back)."""
    await db.execute("CREATE TABLE t (x INTEGER)")
    child: asyncio.Task[int] | None = None
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (1)")
            child = asyncio.create_task(db.execute("INSERT INTO t VALUES (2)"))
            await asyncio.sleep(0.01)
            raise RuntimeError("the parent's work fails")
    assert child is not None
    await child
    assert [r[0] for r in await db.fetchall("SELECT x FROM t")] == [2]


async def test_after_commit_runs_only_when_the_transaction_commits(db: Database) -> None:
    ran: list[str] = []
    async with db.transaction():
        db.after_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError):
        async with db.transaction():
            db.after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError
    assert ran == ["committed"]
    with pytest.raises(RuntimeError, match="outside a transaction"):
        db.after_commit(lambda: None)


def _on_disk(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )


def _wal_size(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


async def test_scrub_leaves_deleted_rows_nowhere_on_disk(sqlite_db: Database) -> None:
    db = sqlite_db
    secret = "the-words-someone-asked-us-to-forget " * 40  # overflow pages too
    await db.execute("CREATE TABLE notes (user_id INTEGER, body TEXT)")
    await db.execute("INSERT INTO notes VALUES (?, ?), (2, 'kept')", (987654321987, secret))
    await db.execute("DELETE FROM notes WHERE user_id = ?", (987654321987,))
    # secure_delete zeroed the row, but the log still holds the frames that wrote it.
    assert secret[:36].encode() in _on_disk(db.path)
    assert await db.scrub()
    assert secret[:36].encode() not in _on_disk(db.path)
    assert (987654321987).to_bytes(6, "big") not in _on_disk(db.path)
    assert _wal_size(db.path) == 0
    assert await db.fetchval("SELECT body FROM notes") == "kept"
    async with db.transaction():
        with pytest.raises(RuntimeError, match="after the deleting transaction"):
            await db.scrub()


async def test_a_scrub_an_open_reader_blocks_finishes_once_it_lets_go(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    db = sqlite_db
    secret = "a sentence that must not survive"
    await db.execute("CREATE TABLE notes (body TEXT)")
    await db.execute("INSERT INTO notes VALUES (?)", (secret,))
    # Another process (a backup, a sqlite3 shell) reads from a snapshot that still has it.
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN")
    assert other.execute("SELECT body FROM notes").fetchone() == (secret,)
    await db.execute("DELETE FROM notes")
    db.scrub_retry_seconds = (0.01,)
    assert not await db.scrub()  # the log can't be emptied under that reader: it says so
    assert "retrying" in caplog.text
    assert secret.encode() in _on_disk(db.path)
    other.execute("COMMIT")
    other.close()
    retry = db._scrub_retry
    assert retry is not None
    await asyncio.wait_for(retry, timeout=5)  # a few of its 10 ms pauses, then it finishes
    assert secret.encode() not in _on_disk(db.path)
    assert _wal_size(db.path) == 0


async def test_postgres_speaks_what_the_stores_say(postgres_url: str) -> None:
    """The few differences, kept in the database layer: `?` placeholders, a snowflake in
    a select list, `lastrowid` from an INSERT, SQLite's integrity error, no scrub needed."""
    db = Database(postgres_url)
    await db.connect()
    try:
        await db.migrate(
            [
                _m(
                    "core",
                    1,
                    "CREATE TABLE a (id INTEGER PRIMARY KEY, guild_id INTEGER NOT NULL,"
                    " note TEXT, UNIQUE (guild_id));\n"
                    "CREATE TABLE b (guild_id INTEGER NOT NULL, label TEXT);",
                )
            ]
        )
        async with db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO a (guild_id, note) VALUES (?, ?)", (1457780686841708545, "x")
            )
            assert cur.lastrowid == 1
            cur = await tx.execute(
                "INSERT INTO b (guild_id, label) SELECT ?, 'ch:' || ? FROM a", (7, 9)
            )
            assert cur.rowcount == 1
            assert cur.lastrowid is not None  # b's stand-in for SQLite's row id
        assert await db.fetchval("SELECT label FROM b WHERE guild_id = ?", (7,)) == "ch:9"
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed"):
            await db.execute("INSERT INTO a (guild_id) VALUES (?)", (1457780686841708545,))
        assert [c for c, _ in await db.columns("b")] == ["guild_id", "label"]
        assert await db.scrub()  # nothing on PostgreSQL: see bot.db.postgres
        assert "password" not in repr(db)
    finally:
        await db.close()


async def test_two_processes_starting_together_migrate_an_empty_postgres_once(
    postgres_url: str,
) -> None:
    """compose.yaml starts every Hearth at once on a new database: one applies each
    migration, the others wait for it and find nothing left to do — none fails."""
    started = [Database(postgres_url) for _ in range(3)]
    for db in started:
        await db.connect()
    try:
        done = await asyncio.gather(*(db.migrate(discover_migrations()) for db in started))
        assert sorted(len(applied) for applied in done)[:-1] == [0, 0]
        assert len(max(done, key=len)) == len(discover_migrations())
        assert await started[0].fetchval("SELECT COUNT(*) FROM schema_migrations") == len(
            discover_migrations()
        )
        # Each knows the tables made by another: an insert reports its new key.
        for n, db in enumerate(started, 1):
            async with db.transaction() as tx:
                cur = await tx.execute(
                    "INSERT INTO checkins (user_id, slot, sent_at, status) VALUES (?, ?, ?, ?)",
                    (n, "s", "2026-01-01T09:00:00+00:00", "sent"),
                )
                assert cur.lastrowid == n
    finally:
        for db in started:
            await db.close()


async def test_small_transactions_run_on_the_loops_thread_and_bulk_ones_off_it(
    sqlite_db: Database,
) -> None:
    """An interaction's transaction runs on the event loop's own connection (no hop to a
    thread and back per statement); work that may touch thousands of rows says `bulk` and
    runs on aiosqlite's thread, so it never holds the loop."""
    db = sqlite_db
    await db.execute("CREATE TABLE t (x INTEGER)")
    on_the_loop: list[str] = []
    db.writer.set_trace_callback(on_the_loop.append)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (1)")
        async with tx.execute("SELECT COUNT(*) FROM t") as cur:
            assert (await cur.fetchone())[0] == 1
    assert any("INSERT INTO t VALUES (1)" in s for s in on_the_loop)
    on_the_loop.clear()
    async with db.transaction(bulk=True) as tx:
        await tx.execute("INSERT INTO t VALUES (2)")
        assert await db.fetchval("SELECT COUNT(*) FROM t") == 2  # its own write, inside
    assert on_the_loop == []
    assert [r[0] for r in await db.fetchall("SELECT x FROM t ORDER BY x")] == [1, 2]


async def test_a_lock_another_process_holds_is_waited_for_without_holding_the_loop(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (a backup, a `sqlite3` shell) holding SQLite's write lock: the
    transaction waits in asyncio, so everything else keeps running; it goes ahead when the
    lock is let go, and gives up with SQLite's own error after BUSY_TIMEOUT_MS."""
    db = sqlite_db
    await db.execute("CREATE TABLE t (x INTEGER)")
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        writing = asyncio.create_task(db.execute("INSERT INTO t VALUES (1)"))
        ran = asyncio.Event()
        asyncio.get_running_loop().call_later(0.005, ran.set)
        await asyncio.sleep(0.05)
        assert ran.is_set()  # the loop ran on…
        assert not writing.done()  # …while the write waits
        other.execute("COMMIT")
        assert await asyncio.wait_for(writing, 5) == 1
        assert await db.fetchval("SELECT COUNT(*) FROM t") == 1

        import bot.db.database as database

        monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await db.execute("INSERT INTO t VALUES (2)")
        other.execute("ROLLBACK")
        assert await db.execute("INSERT INTO t VALUES (3)") == 1  # nothing stuck behind it
    finally:
        other.close()
    assert [r[0] for r in await db.fetchall("SELECT x FROM t ORDER BY x")] == [1, 3]


async def test_a_list_read_cancelled_halfway_hides_no_later_commit(sqlite_db: Database) -> None:
    """A list read whose caller is cancelled (a timeout, a shutdown) must not leave the list
    connection on its old snapshot: the next read sees what was committed meanwhile. (It
    did: an outbox pick-up then found nothing, and a reveal waited for the next rescan.)"""
    db = sqlite_db
    await db.execute("CREATE TABLE t (x INTEGER)")
    await db.execute("INSERT INTO t VALUES (1)")
    for _ in range(3):
        reading = asyncio.create_task(db.fetchall("SELECT x FROM t"))
        await asyncio.sleep(0)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
    await asyncio.sleep(0.05)  # the cancelled reads finish on their thread
    await db.execute("INSERT INTO t VALUES (2)")
    assert [r[0] for r in await db.fetchall("SELECT x FROM t ORDER BY x")] == [1, 2]
    counted = await db.aggregate("SELECT COUNT(*) FROM t")
    assert counted is not None
    assert counted[0] == 2


async def test_the_write_ahead_log_stays_bounded_without_checkpoints_on_the_loop(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's connection never checkpoints (that writes and syncs the file); every
    CHECKPOINT_EVERY commits a checkpoint runs on the list reader's thread, so the log is
    reused instead of growing with every commit."""
    import bot.db.database as database

    db = sqlite_db
    await db.execute("CREATE TABLE t (x INTEGER)")
    assert await db.fetchval("PRAGMA wal_autocheckpoint") == 1000  # the readers' default
    assert db.writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 50)
    commits = 1500
    for i in range(commits):  # one task, commit after commit: the loop still breathes
        await db.execute("INSERT INTO t VALUES (?)", (i,))
    if db._checkpointing is not None:
        await db._checkpointing
    wal = os.path.getsize(f"{db.path}-wal")  # noqa: ASYNC240 (a test reading a size)
    # Without checkpoints the log holds a frame (a 4 KB page) per commit at least.
    assert wal < commits * 4096 / 3
    assert await db.fetchval("SELECT COUNT(*) FROM t") == commits


@pytest.mark.parametrize("bulk", [False, True])
async def test_a_refused_commit_leaves_nothing_open(sqlite_db: Database, bulk: bool) -> None:
    """A commit SQLite refuses (here a deferred reference; a full disk in life) rolls back,
    and the next transaction starts clean instead of inside the refused one."""
    db = sqlite_db
    await db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await db.execute(
        "CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    ran: list[str] = []
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction(bulk=bulk) as tx:
            await tx.execute("INSERT INTO child VALUES (7)")
            db.after_commit(lambda: ran.append("committed"))
    assert ran == []
    async with db.transaction(bulk=bulk) as tx:
        await tx.execute("INSERT INTO parent VALUES (7)")
        await tx.execute("INSERT INTO child VALUES (7)")
    assert await db.fetchval("SELECT COUNT(*) FROM child") == 1
