"""SQLite: write transactions on the event loop's own thread; reads on read-only connections.

Every write goes through `transaction()` (BEGIN IMMEDIATE). An asyncio lock serialises
writers, held for the transaction itself, so two writers never meet "database is locked".
A transaction runs on a plain sqlite3 connection on the event loop's thread: each
statement of a small transaction takes microseconds there, where hopping to aiosqlite's
thread and back cost ~190 µs of CPU and a loop wake-up per statement (an interaction's
transaction is five to ten statements). Work that may touch thousands of rows — a
migration, a retention sweep, forgetting a person or a server — says so
(`transaction(bulk=True)`) and runs on aiosqlite's thread instead, so it never stalls the
gateway. The loop's connection never waits on SQLite's own lock (another process's
backup, say): BEGIN is retried with asyncio sleeps, never blocked in C; and it never
checkpoints (a checkpoint writes and syncs the file): every few hundred commits a
checkpoint runs on the list reader's thread, between two transactions.

Reads never queue behind writers they don't depend on. A read inside the task's own
transaction goes through that transaction (it must see its own writes); any other read
sees the committed state (WAL gives every connection the last commit) on a read-only
connection, whoever is writing or waiting to: a point read (`fetchone`, `fetchval`) on
a plain connection on the event loop's own thread, a list (`fetchall`, `fetch_as`) on an
aiosqlite connection of its own, so a big one never stalls the gateway. A list is run and
read to its end in one call on that thread: a caller cancelled halfway leaves no open
statement behind, which would hold the connection's snapshot and hide later commits from
the next read. (An in-memory database has only the loop's connection; everything goes
through it, under the lock.)
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from bot.db.migrate import Migration
from bot.db.types import Row, Tx
from bot.limits import Breather

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")

# `Tx` (bot.db.types): a write transaction's connection, as `Database.transaction()` yields
# it. Every store function that writes takes it first (`async def save(tx: Tx, …)`);
# whoever acts (a cog, a service) opens the one transaction and hands it down. Reads take
# the `Database`.

# Which Database (by id) the current task holds the lock for, and that task, so a read
# inside a transaction sees its writes instead of deadlocking. The task is part of the
# key: a task created inside a transaction inherits this context variable, and must not
# write through its parent's transaction (outside the lock, maybe after a rollback).
_holder: contextvars.ContextVar[tuple[int, asyncio.Task[Any] | None] | None] = (
    contextvars.ContextVar("hearth_db", default=None)
)


def _me(db: object) -> tuple[int, asyncio.Task[Any] | None]:
    return (id(db), asyncio.current_task())


BUSY_TIMEOUT_MS = 5000

# Settings of every connection (the reader gets them too, and is read-only).
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    # Deleted rows are overwritten with zeros, not left readable in free pages:
    # a forgotten person's words must be gone from the file, not just unlinked.
    "PRAGMA secure_delete=ON",
)


# How long a scrub's checkpoint waits for another connection's read to end (it holds the
# write lock meanwhile, so briefly), and the pauses between retries when one can't finish.
SCRUB_WAIT_MS = 200
SCRUB_RETRY_SECONDS = (1.0, 5.0, 30.0, 60.0)


# A unique key, check or reference said no — on either engine (bot.db.postgres raises the
# same class, worded as SQLite words it).
IntegrityError = sqlite3.IntegrityError


async def read_one(tx: Tx, sql: str, params: Params = ()) -> Row | None:
    """One row, read inside a write transaction (it sees the transaction's own writes)."""
    async with tx.execute(sql, params) as cur:
        row: Row | None = await cur.fetchone()
        return row


async def read_all(tx: Tx, sql: str, params: Params = ()) -> list[Row]:
    """Every row, read inside a write transaction."""
    async with tx.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def changed(tx: Tx, sql: str, params: Params = ()) -> int:
    """One write statement inside a write transaction: how many rows it changed."""
    cur = await tx.execute(sql, params)
    return max(cur.rowcount, 0)


# How many commits on the loop's connection between two PASSIVE checkpoints (SQLite's own
# automatic checkpoint comes every ~1,000 pages; a commit here writes one to three).
CHECKPOINT_EVERY = 400
# Waiting for another process to release SQLite's write lock: the first pause, then each
# one twice the last, up to this; the whole wait is bounded by BUSY_TIMEOUT_MS.
BUSY_FIRST_PAUSE = 0.002
BUSY_LONGEST_PAUSE = 0.1


class LoopCursor:
    """A statement run on the loop's connection, behind aiosqlite's cursor API: it has
    already run, so nothing here waits."""

    __slots__ = ("_cur",)

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    async def fetchone(self) -> Any:
        return self._cur.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    async def close(self) -> None:
        self._cur.close()


class _Ran:
    """What `LoopTx.execute` returns: awaited for its cursor, or entered with `async with`
    (the cursor closed on the way out), as aiosqlite's is."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: LoopCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, LoopCursor]:
        yield from ()  # a generator that finishes at once: awaiting it never suspends
        return self._cursor

    async def __aenter__(self) -> LoopCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class LoopTx:
    """A write transaction on the loop's own sqlite3 connection, speaking the part of
    aiosqlite's API the stores use (`bot.db.types.Tx`)."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Params = ()) -> _Ran:
        return _Ran(LoopCursor(self.conn.execute(sql, parameters)))

    async def executemany(self, sql: str, parameters: Iterable[Params]) -> LoopCursor:
        return LoopCursor(self.conn.executemany(sql, parameters))


def _busy(error: sqlite3.OperationalError) -> bool:
    """SQLite's lock is held by another connection (another process, a backup)."""
    text = str(error).lower()
    return "locked" in text or "busy" in text


class SchemaTooNew(RuntimeError):
    """The database was written by a newer Hearth than this one."""


class Database:
    """SQLite (a path); `Database("postgresql://…")` makes a `PostgresDatabase` instead,
    with the same methods (bot.db.postgres)."""

    def __new__(cls, path: Path | str) -> Database:
        if (
            cls is Database
            and isinstance(path, str)
            and path.startswith(("postgresql://", "postgres://"))
        ):
            from bot.db.postgres import PostgresDatabase

            return super().__new__(PostgresDatabase)
        return super().__new__(cls)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: sqlite3.Connection | None = None  # transactions, on the loop's thread
        self._conn: aiosqlite.Connection | None = None  # bulk transactions, on its thread
        self._reader: sqlite3.Connection | None = None  # point reads, on the loop's thread
        self._lister: aiosqlite.Connection | None = None  # lists, on a thread of its own
        self._lock = asyncio.Lock()
        self._tx: Tx | None = None  # the transaction under way (reads inside it use it)
        self.transactions = 0  # commits so far; benchmarks count writes per interaction
        # Run after the current transaction commits (nothing runs if it rolls back).
        self._after_commit: list[Callable[[], object]] = []
        self._scrub_retry: asyncio.Task[None] | None = None
        self.scrub_retry_seconds = SCRUB_RETRY_SECONDS
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Task[None] | None = None
        self._committer: asyncio.Task[Any] | None = None
        self._breathe = Breather()

    @property
    def backend(self) -> str:
        return "sqlite"

    @property
    def writer(self) -> sqlite3.Connection:
        if self._writer is None:
            raise RuntimeError("the database is not open")
        return self._writer

    async def connect(self) -> None:
        if self._writer is not None:
            return
        memory = str(self.path) == ":memory:"
        if not memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN ourselves, so nothing opens implicitly.
        writer = sqlite3.connect(self.path, isolation_level=None)
        conn: aiosqlite.Connection | None = None
        reader: sqlite3.Connection | None = None
        lister: aiosqlite.Connection | None = None
        try:
            writer.row_factory = sqlite3.Row  # the same Row class aiosqlite returns
            for pragma in _PRAGMAS:
                writer.execute(pragma)
            if not memory:
                # Never wait inside C on the loop's thread (transaction() waits in asyncio
                # instead), and never checkpoint there (_after_loop_commit does, off it).
                writer.execute("PRAGMA busy_timeout=0")
                writer.execute("PRAGMA wal_autocheckpoint=0")
                conn = await aiosqlite.connect(self.path, isolation_level=None)
                conn.row_factory = aiosqlite.Row
                for pragma in _PRAGMAS:
                    await conn.execute(pragma)
                reader = sqlite3.connect(self.path, isolation_level=None)
                reader.row_factory = sqlite3.Row
                for pragma in (*_PRAGMAS, "PRAGMA query_only=ON"):
                    reader.execute(pragma)
                lister = await aiosqlite.connect(self.path, isolation_level=None)
                lister.row_factory = aiosqlite.Row
                for pragma in (*_PRAGMAS, "PRAGMA query_only=ON"):
                    await lister.execute(pragma)
        except BaseException:
            # A read-only folder or a full disk fails a PRAGMA: close what was opened, or
            # aiosqlite's threads keep the process alive after the error.
            for plain in (reader, writer):
                if plain is not None:
                    plain.close()
            for threaded in (lister, conn):
                if threaded is not None:
                    await threaded.close()
            raise
        self._writer = writer
        self._conn = conn
        self._reader = reader
        self._lister = lister

    async def close(self) -> None:
        if self._writer is None:
            return
        for task in (self._scrub_retry, self._checkpointing):
            if task is not None:
                task.cancel()
        self._scrub_retry = self._checkpointing = None
        async with self._lock:
            writer, self._writer = self._writer, None
            conn, self._conn = self._conn, None
            reader, self._reader = self._reader, None
            lister, self._lister = self._lister, None
            if reader is not None:
                reader.close()
            if lister is not None:
                await lister.close()
            writer.close()
            if conn is not None:
                await conn.close()  # the last connection: it checkpoints, on its thread

    def in_transaction(self) -> bool:
        """Whether the current task is inside one of this database's transactions."""
        return _holder.get() == _me(self)

    async def writes_settled(self) -> None:
        """Wait until every write transaction already under way or waiting has committed.
        Reads don't wait for other tasks' writes; a caller that must see them (a test
        comparing the whole database before and after) waits here first."""
        if _holder.get() == _me(self):
            return
        async with self._lock:
            pass

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the current transaction has committed (never if it rolls
        back): in-memory effects — arming a job, waking a worker — follow the data."""
        if not self.in_transaction():
            raise RuntimeError("after_commit outside a transaction")
        self._after_commit.append(callback)

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[Tx]:
        """The connection a read must use when it can't use the read-only ones: the task's
        own transaction, or (an in-memory database) the loop's connection, under the lock."""
        if _holder.get() == _me(self) and self._tx is not None:
            yield self._tx
            return
        async with self._lock:
            token = _holder.set(_me(self))
            try:
                yield LoopTx(self.writer)
            finally:
                _holder.reset(token)

    async def _begin(self, bulk: bool) -> Tx:
        """BEGIN IMMEDIATE, holding the lock: on aiosqlite's thread for bulk work, else on
        the loop's connection — where SQLite's lock held by another process is waited for
        with asyncio sleeps (up to BUSY_TIMEOUT_MS), never inside C."""
        if bulk and self._conn is not None:
            await self._conn.execute("BEGIN IMMEDIATE")
            return self._conn
        writer = self.writer
        loop = asyncio.get_running_loop()
        give_up = loop.time() + BUSY_TIMEOUT_MS / 1000
        pause = BUSY_FIRST_PAUSE
        while True:
            try:
                writer.execute("BEGIN IMMEDIATE")
                return LoopTx(writer)
            except sqlite3.OperationalError as error:
                if not _busy(error) or loop.time() >= give_up:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, BUSY_LONGEST_PAUSE)

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[Tx]:
        """A write transaction: committed on success, rolled back on any error.

        One per unit of work. Joining is explicit: code that writes inside a transaction
        takes its `tx`; opening another one inside it (the same task) is a bug and raises
        at once, instead of silently becoming part of the outer one.

        `bulk=True`: it may touch thousands of rows (a migration, a sweep, forgetting
        someone), so it runs on aiosqlite's thread instead of the event loop's."""
        if _holder.get() == _me(self):
            raise RuntimeError(
                "already in a transaction: pass its tx to the code that writes, "
                "instead of opening another"
            )
        async with self._lock:
            token = _holder.set(_me(self))
            try:
                tx = await self._begin(bulk)
                self._tx = tx
                self._after_commit = []
                try:
                    yield tx
                    # A commit refused (a full disk) rolls back too: nothing stays open.
                    if isinstance(tx, LoopTx):
                        tx.conn.commit()
                    else:
                        await tx.commit()  # type: ignore[attr-defined]
                except BaseException:
                    self._after_commit = []
                    if isinstance(tx, LoopTx):
                        tx.conn.rollback()
                    else:
                        await tx.rollback()  # type: ignore[attr-defined]
                    raise
                if isinstance(tx, LoopTx):
                    self._after_loop_commit()
                self.transactions += 1
                callbacks, self._after_commit = self._after_commit, []
            finally:
                self._tx = None
                _holder.reset(token)
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("after-commit callback failed")
        # A transaction on the loop's connection never suspends: a task committing one
        # after another (a sweep, a tool) hands the loop back every few milliseconds.
        me = asyncio.current_task()
        if me is not self._committer:
            self._committer, self._breathe = me, Breather()
        await self._breathe()

    def _after_loop_commit(self) -> None:
        """Every CHECKPOINT_EVERY commits, a checkpoint on the list reader's thread, holding
        the write lock for it (writers wait a few milliseconds; reads and the loop don't):
        with no commit landing meanwhile it copies the whole log into the file, so the next
        writer starts the log over instead of growing it."""
        self._since_checkpoint += 1
        if self._since_checkpoint < CHECKPOINT_EVERY or self._lister is None:
            return
        if self._checkpointing is not None and not self._checkpointing.done():
            return
        self._since_checkpoint = 0
        self._checkpointing = asyncio.get_running_loop().create_task(self._passive_checkpoint())

    async def _passive_checkpoint(self) -> None:
        lister = self._lister
        if lister is None:
            return
        try:
            async with self._lock:
                await lister.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            log.exception("checkpoint failed (the next one retries)")

    def _outside_my_transaction(self) -> bool:
        """Whether a read may see the committed state: this task isn't inside one of its
        own transactions (there it must see its own writes, so it reads through it)."""
        return _holder.get() != _me(self)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        reader = self._reader
        if reader is not None and self._outside_my_transaction():
            cursor = reader.execute(sql, params)
            try:
                return cast("aiosqlite.Row | None", cursor.fetchone())
            finally:
                cursor.close()  # ends the read, so the snapshot never outlives the call
        async with self._use() as conn, conn.execute(sql, params) as cur:
            return cast("aiosqlite.Row | None", await cur.fetchone())

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        # Always on an aiosqlite thread: a list can be thousands of rows (every schedule at
        # start), and reading it on the event loop's thread would stall the gateway.
        lister = self._lister
        if lister is not None and self._outside_my_transaction():
            return list(await lister.execute_fetchall(sql, params))
        async with self._use() as conn, conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetch_as(
        self, make: Callable[[aiosqlite.Row], T], sql: str, params: Params = ()
    ) -> list[T]:
        """`fetchall`, each row turned into an object by `make`, handing the loop back every
        few milliseconds: thousands of rows at start must not hold the gateway up."""
        breathe = Breather()
        made = []
        for row in await self.fetchall(sql, params):
            await breathe()
            made.append(make(row))
        return made

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def aggregate(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """One row that sums up many (COUNT, MIN, MAX…): read where lists are, on
        aiosqlite's thread, because it may scan thousands of rows — never on the event
        loop's fast path that `fetchone` takes for point reads. Like every read, it never
        queues behind another task's write."""
        lister = self._lister
        if lister is not None and self._outside_my_transaction():
            rows = list(await lister.execute_fetchall(sql, params))
            return rows[0] if rows else None
        async with self._use() as conn, conn.execute(sql, params) as cur:
            return cast("aiosqlite.Row | None", await cur.fetchone())

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; returns the rows changed. (For the
        machinery — tests, tools; a practice writes through its store with a `tx`.)"""
        async with self.transaction() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def scrub(self) -> bool:
        """Make what was just deleted unreadable on disk, now: True when it is.

        `secure_delete` zeroes deleted rows, but in WAL mode the zeroed pages land in the
        write-ahead log while the log still holds the earlier frames carrying the words; a
        TRUNCATE checkpoint copies the latest pages into the database file and empties the
        log. Call it after the deleting transaction has committed.

        The checkpoint can't finish while another connection holds an older snapshot (our
        read connections hold one only while a read runs: the point reader never across an
        await, the list reader for one `fetchall`; another process might — a backup, a
        `sqlite3` shell). It waits SCRUB_WAIT_MS for that, then returns False, logs a
        warning and keeps retrying in the background (SCRUB_RETRY_SECONDS, then every
        minute) until it finishes or the database closes (SQLite checkpoints on close too).
        """
        if self._reader is None:
            return True  # in memory: nothing on disk
        if self.in_transaction():
            raise RuntimeError("scrub() runs after the deleting transaction, not inside it")
        if await self._checkpoint():
            return True
        log.warning("deleted rows still in the write-ahead log (a reader is open); retrying")
        if self._scrub_retry is None or self._scrub_retry.done():
            self._scrub_retry = asyncio.get_running_loop().create_task(self._retry_scrub())
        return False

    async def _checkpoint(self) -> bool:
        # On aiosqlite's thread (it waits for readers), holding the lock: no writer between.
        async with self._lock:
            conn = self._conn
            if conn is None:
                return True  # closed meanwhile: closing checkpointed
            await conn.execute(f"PRAGMA busy_timeout={SCRUB_WAIT_MS}")
            try:
                async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                    row = await cur.fetchone()
            finally:
                await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if row is None:
            return False
        # (busy, frames in the log, frames moved): (0, 0, 0) once the log is truncated;
        # (0, -1, -1) when the file isn't in WAL mode at all (nothing to empty then).
        busy, frames, moved = row
        return bool(busy == 0 and frames == moved and frames <= 0)

    async def _retry_scrub(self) -> None:
        attempt = 0
        while self._conn is not None:
            delays = self.scrub_retry_seconds
            await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
            attempt += 1
            if self._conn is not None and await self._checkpoint():
                log.info("write-ahead log emptied after %d retries", attempt)
                return

    # -- the schema (the privacy coverage test and key rotation walk it) -------------

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        return [r[0] for r in rows]

    async def columns(self, table: str) -> list[tuple[str, str]]:
        """(name, declared type) of each column, in order."""
        return [
            (str(r[1]), str(r[2]).upper())
            for r in await self.fetchall(f"PRAGMA table_info({table})")
        ]

    async def foreign_keys(self, table: str) -> list[tuple[str, str]]:
        """(referenced table, ON DELETE rule) of each foreign key."""
        return [
            (str(r[2]), str(r[6])) for r in await self.fetchall(f"PRAGMA foreign_key_list({table})")
        ]

    def _migration_statements(self, statements: Sequence[str]) -> list[str]:
        return list(statements)

    async def _after_migrations(self) -> None:
        return None

    # -- migrations -------------------------------------------------------------

    async def migrate(self, migrations: Sequence[Migration]) -> list[Migration]:
        """Apply what is missing, each migration in its own transaction.

        Refuses (SchemaTooNew) when the file holds a component or version this
        code doesn't know: running old code on a newer schema could corrupt it.
        """
        async with self.transaction(bulk=True) as conn:
            for statement in self._migration_statements(
                [
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
                    " applied_at TEXT NOT NULL, PRIMARY KEY (component, version))"
                ]
            ):
                await conn.execute(statement)
        known: dict[str, int] = {}
        for m in migrations:
            known[m.component] = max(known.get(m.component, 0), m.version)
        applied: dict[str, int] = {
            row[0]: row[1]
            for row in await self.fetchall(
                "SELECT component, MAX(version) FROM schema_migrations GROUP BY component"
            )
        }
        for component, version in applied.items():
            if version > known.get(component, 0):
                raise SchemaTooNew(
                    f"The database {self.path} has schema {component} v{version}, newer than "
                    f"this Hearth knows (v{known.get(component, 0)}). Update Hearth, or point "
                    "HEARTH_DATABASE at another file."
                )
        done: list[Migration] = []
        for m in migrations:
            if m.version <= applied.get(m.component, 0):
                continue
            async with self.transaction(bulk=True) as conn:
                for statement in self._migration_statements(list(m.statements())):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (component, version, name, applied_at)"
                    " VALUES (?, ?, ?, ?)",
                    (m.component, m.version, m.name, datetime.now(UTC).isoformat()),
                )
            log.info("migration applied component=%s version=%d", m.component, m.version)
            done.append(m)
        if done:
            await self._after_migrations()
        return done
