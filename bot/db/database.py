"""One aiosqlite connection for the whole bot's writes, one plain connection for reads.

Every write goes through `transaction()` (BEGIN IMMEDIATE). An asyncio lock
serialises use of the write connection, so two writers never meet "database is
locked", and a read waits for the writes queued before it.

When nobody holds or waits for the lock, a read outside a transaction doesn't queue at
all: it runs on a second, read-only connection on the event loop's own thread, which in
WAL mode sees exactly the committed state the locked read would have seen — without
hopping to aiosqlite's thread (a point read costs ~5 µs instead of ~190 µs and ~120 µs
of CPU). (An in-memory database has no second connection; everything goes through the
lock, as before.)
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
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
        self._conn: aiosqlite.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._queued = 0  # tasks holding or waiting for the lock
        self.transactions = 0  # commits so far; benchmarks count writes per interaction
        # Run after the current transaction commits (nothing runs if it rolls back).
        self._after_commit: list[Callable[[], object]] = []
        self._scrub_retry: asyncio.Task[None] | None = None
        self.scrub_retry_seconds = SCRUB_RETRY_SECONDS

    @property
    def backend(self) -> str:
        return "sqlite"

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("the database is not open")
        return self._conn

    async def connect(self) -> None:
        if self._conn is not None:
            return
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN ourselves, so nothing opens implicitly.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        reader: sqlite3.Connection | None = None
        try:
            conn.row_factory = aiosqlite.Row
            for pragma in _PRAGMAS:
                await conn.execute(pragma)
            if str(self.path) != ":memory:":
                reader = sqlite3.connect(self.path, isolation_level=None)
                reader.row_factory = sqlite3.Row  # the same Row class aiosqlite returns
                for pragma in (*_PRAGMAS, "PRAGMA query_only=ON"):
                    reader.execute(pragma)
        except BaseException:
            # A read-only folder or a full disk fails a PRAGMA: close what was opened, or
            # aiosqlite's thread keeps the process alive after the error.
            if reader is not None:
                reader.close()
            await conn.close()
            raise
        self._conn = conn
        self._reader = reader

    async def close(self) -> None:
        if self._conn is None:
            return
        if self._scrub_retry is not None:
            self._scrub_retry.cancel()
            self._scrub_retry = None
        async with self._lock:
            conn, self._conn = self._conn, None
            reader, self._reader = self._reader, None
            if reader is not None:
                reader.close()
            await conn.close()

    def in_transaction(self) -> bool:
        """Whether the current task is inside one of this database's transactions."""
        return _holder.get() == _me(self)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the current transaction has committed (never if it rolls
        back): in-memory effects — arming a job, waking a worker — follow the data."""
        if not self.in_transaction():
            raise RuntimeError("after_commit outside a transaction")
        self._after_commit.append(callback)

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[aiosqlite.Connection]:
        if _holder.get() == _me(self):
            yield self.conn
            return
        self._queued += 1
        try:
            async with self._lock:
                token = _holder.set(_me(self))
                try:
                    yield self.conn
                finally:
                    _holder.reset(token)
        finally:
            self._queued -= 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write transaction: committed on success, rolled back on any error.

        One per unit of work. Joining is explicit: code that writes inside a transaction
        takes its `tx`; opening another one inside it (the same task) is a bug and raises
        at once, instead of silently becoming part of the outer one."""
        if _holder.get() == _me(self):
            raise RuntimeError(
                "already in a transaction: pass its tx to the code that writes, "
                "instead of opening another"
            )
        async with self._use() as conn:
            await conn.execute("BEGIN IMMEDIATE")
            self._after_commit = []
            try:
                yield conn
            except BaseException:
                self._after_commit = []
                await conn.rollback()
                raise
            await conn.commit()
            self.transactions += 1
            callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("after-commit callback failed")

    def _committed_reader(self) -> sqlite3.Connection | None:
        """The read connection when a read needn't queue: no transaction of this task (it
        must see its own writes) and nobody holding or waiting for the lock (a read waits
        for the writes queued before it, as it always has)."""
        if self._reader is None or self._queued or _holder.get() == _me(self):
            return None
        return self._reader

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        reader = self._committed_reader()
        if reader is not None:
            cursor = reader.execute(sql, params)
            try:
                return cast("aiosqlite.Row | None", cursor.fetchone())
            finally:
                cursor.close()  # ends the read, so the snapshot never outlives the call
        async with self._use() as conn, conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        # Always on aiosqlite's thread: a list can be thousands of rows (every schedule at
        # start), and reading it on the event loop's thread would stall the gateway.
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
        loop's fast path that `fetchone` takes for point reads."""
        async with self._use() as conn, conn.execute(sql, params) as cur:
            return await cur.fetchone()

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
        read connection never does across an await; another process might — a backup, a
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
        async with self._use() as conn:
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
        async with self.transaction() as conn:
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
            async with self.transaction() as conn:
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
