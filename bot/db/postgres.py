"""PostgreSQL, for Hearth in several processes (docs/scaling.md): asyncpg and a pool.

The same stores and migrations as SQLite (`bot.db.dialect` makes the few differences).
Inside one process it behaves exactly as `Database` does: one asyncio lock serialises the
process's write transactions (so no read sees another task's half-done write), and a read
outside the task's own transaction takes any pooled connection without queueing, whoever
is writing.

Between processes, PostgreSQL's own rules hold: every transaction is READ COMMITTED (its
default); what two processes could both change is guarded where it is changed — unique
keys for every ledger row (a week's prompt, a check-in's slot, an outbox nonce), updates
conditioned on the state they move from (`… WHERE status = 'pending'`), upserts with
`ON CONFLICT`; and each scheduled job and outbox intent is run by one process only, the
one holding its shard's lease (`bot.leases`). A transaction that meets another's row waits
for it (row locks), as `SELECT … FOR UPDATE` would.

Deleting: PostgreSQL has no `secure_delete`; a deleted row's bytes stay in its page until
VACUUM reuses the space, and in the write-ahead log until it is recycled. `scrub()` is
therefore a no-op here (documented in docs/scaling.md): the free text in those rows is
sealed with HEARTH_DATA_KEY anyway, and the operator's disk encryption covers the rest.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.db import dialect
from bot.db.database import Database, IntegrityError, Params, _holder, _me
from bot.db.migrate import Migration

log = logging.getLogger(__name__)

POOL_SIZE = 8
# pg_advisory_lock's key while migrating ("Hearth" in ASCII): one process at a time.
MIGRATION_LOCK = 0x486561727468


class PgCursor:
    """What `execute` gives back: the rows, how many changed, the key an INSERT made."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> asyncpg.Record | None:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    async def fetchall(self) -> list[asyncpg.Record]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    async def close(self) -> None:
        self._rows = []


class _Pending:
    """`await tx.execute(…)` and `async with tx.execute(…) as cur`, as aiosqlite allows."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self._run = run
        self._cursor: PgCursor | None = None

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run().__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> PgCursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class PgTx:
    """One pooled connection, speaking the part of aiosqlite's API the stores use."""

    def __init__(self, conn: asyncpg.Connection, keys: dict[str, str]) -> None:
        self.conn = conn
        self._keys = keys  # table → the column `lastrowid` reports

    def execute(self, sql: str, parameters: Params = ()) -> _Pending:
        return _Pending(lambda: self._execute(sql, parameters))

    async def _execute(self, sql: str, parameters: Params) -> PgCursor:
        try:
            return await self._run(sql, parameters)
        except asyncpg.IntegrityConstraintViolationError as exc:
            # The same exception, and the same first words, as SQLite's: code that meets a
            # unique key in a race (two votes, one open question) handles both alike.
            raise IntegrityError(
                f"{_CONSTRAINT.get(exc.sqlstate, 'constraint failed')}: {exc}"
            ) from exc

    async def _run(self, sql: str, parameters: Params) -> PgCursor:
        if isinstance(parameters, dict):
            raise TypeError("named parameters aren't used by Hearth's SQL")
        text, args = dialect.placeholders(sql, list(parameters))
        table = dialect.inserted_table(sql)
        key = self._keys.get(table) if table is not None else None
        if key is not None:
            body = text.rstrip().rstrip(";")
            rows = await self.conn.fetch(f"{body} RETURNING {key}", *args)
            last = int(rows[-1][0]) if rows and rows[-1][0] is not None else None
            return PgCursor([], len(rows), last)
        if dialect.returns_rows(sql):
            rows = await self.conn.fetch(text, *args)
            return PgCursor(rows, len(rows), None)
        status = await self.conn.execute(text, *args)
        return PgCursor([], _changed(status), None)

    def executemany(self, sql: str, parameters: Iterable[Params]) -> _Pending:
        async def run() -> PgCursor:
            changed = 0
            for params in parameters:
                cur = await self._execute(sql, params)
                changed += max(cur.rowcount, 0)
            return PgCursor([], changed, None)

        return _Pending(run)


# PostgreSQL's SQLSTATE → the words SQLite starts the same failure with.
_CONSTRAINT = {
    "23505": "UNIQUE constraint failed",
    "23514": "CHECK constraint failed",
    "23503": "FOREIGN KEY constraint failed",
    "23502": "NOT NULL constraint failed",
}


def _changed(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1") → rows changed."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PostgresDatabase(Database):
    """`Database` on PostgreSQL (made by `Database("postgresql://…")`)."""

    def __init__(self, url: str) -> None:
        super().__init__(":memory:")
        self.url = url
        self.path = safe_url(url)  # type: ignore[assignment]  # what messages name
        self._pool: asyncpg.Pool | None = None
        self._tx: PgTx | None = None
        self._keys: dict[str, str] = {}

    @property
    def backend(self) -> str:
        return "postgresql"

    def __repr__(self) -> str:
        return f"PostgresDatabase({safe_url(self.url)})"

    async def connect(self) -> None:
        if self._pool is not None:
            return
        self._pool = await asyncpg.create_pool(
            self.url, min_size=1, max_size=POOL_SIZE, command_timeout=60
        )
        await self._learn_keys()

    async def close(self) -> None:
        if self._pool is None:
            return
        async with self._lock:
            pool, self._pool = self._pool, None
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not open")
        return self._pool

    async def _learn_keys(self) -> None:
        """The key `lastrowid` reports for each table: its own integer key (SQLite's row id
        alias) or the `rowid` column every migrated table has."""
        with_rowid = await self.pool.fetch(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = $1",
            dialect.ROWID,
        )
        keys = {str(r[0]): dialect.ROWID for r in with_rowid}
        rows = await self.pool.fetch(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.table_constraints t"
            "   ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            "   AND t.constraint_type = 'PRIMARY KEY'"
            " JOIN information_schema.key_column_usage k"
            "   ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema"
            "   AND k.column_name = c.column_name"
            " WHERE c.table_schema = current_schema() AND c.is_identity = 'YES'"
            "   AND c.column_name != $1",
            dialect.ROWID,
        )
        keys.update({str(r[0]): str(r[1]) for r in rows})
        self._keys.clear()
        self._keys.update(keys)  # in place: open transactions hold this dict

    # -- transactions ----------------------------------------------------------------

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[Any]:
        if _holder.get() == _me(self) and self._tx is not None:
            yield self._tx
            return
        async with self._lock:
            token = _holder.set(_me(self))
            try:
                async with self.pool.acquire() as conn:
                    self._tx = PgTx(conn, self._keys)
                    try:
                        yield self._tx
                    finally:
                        self._tx = None
            finally:
                _holder.reset(token)

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[Any]:
        # `bulk` matters on SQLite only (its thread); here every statement is awaited I/O.
        if _holder.get() == _me(self):
            raise RuntimeError(
                "already in a transaction: pass its tx to the code that writes, "
                "instead of opening another"
            )
        async with self._use() as tx:
            transaction = tx.conn.transaction()
            await transaction.start()
            self._after_commit = []
            try:
                yield tx
            except BaseException:
                self._after_commit = []
                await transaction.rollback()
                raise
            await transaction.commit()
            self.transactions += 1
            callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("after-commit callback failed")

    async def _read(self, sql: str, params: Params) -> list[asyncpg.Record]:
        # Inside the task's own transaction a read goes through it (it sees its own
        # writes); any other read sees the last commit on a pooled connection, never
        # queueing behind writers it doesn't depend on (as on SQLite).
        if _holder.get() == _me(self):
            async with self._use() as tx:
                cur = await tx.execute(sql, params)
                return await cur.fetchall()  # type: ignore[no-any-return]
        async with self.pool.acquire() as conn:
            cur = await PgTx(conn, self._keys).execute(sql, params)
            return await cur.fetchall()

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        rows = await self._read(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        return await self._read(sql, params)

    async def aggregate(self, sql: str, params: Params = ()) -> Any:
        # Every read here already leaves the loop (asyncpg): an aggregate is a read.
        return await self.fetchone(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as tx:
            cur = await tx.execute(sql, params)
            return int(cur.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def scrub(self) -> bool:
        """Nothing to do: see the module's docstring (deleted rows on PostgreSQL)."""
        if self.in_transaction():
            raise RuntimeError("scrub() runs after the deleting transaction, not inside it")
        return True

    # -- the schema ------------------------------------------------------------------

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " ORDER BY table_name"
        )
        return [str(r[0]) for r in rows]

    async def columns(self, table: str) -> list[tuple[str, str]]:
        rows = await self.fetchall(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?"
            " AND column_name != ? ORDER BY ordinal_position",
            (table, dialect.ROWID),
        )
        return [(str(r[0]), _sqlite_type(str(r[1]))) for r in rows]

    async def foreign_keys(self, table: str) -> list[tuple[str, str]]:
        rows = await self.fetchall(
            "SELECT ccu.table_name, rc.delete_rule"
            " FROM information_schema.referential_constraints rc"
            " JOIN information_schema.table_constraints tc"
            "   ON tc.constraint_name = rc.constraint_name"
            "   AND tc.constraint_schema = rc.constraint_schema"
            " JOIN information_schema.constraint_column_usage ccu"
            "   ON ccu.constraint_name = rc.unique_constraint_name"
            "   AND ccu.constraint_schema = rc.unique_constraint_schema"
            " WHERE tc.table_schema = current_schema() AND tc.table_name = ?",
            (table,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def migrate(self, migrations: Sequence[Migration]) -> list[Migration]:
        """As on SQLite — one process at a time: processes started together on a new
        database (compose.yaml) would otherwise each create the same tables. The others
        wait here for the first, then find nothing left to apply."""
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                applied = await super().migrate(migrations)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        if not applied:
            await self._learn_keys()  # another process made the tables since we connected
        return applied

    def _migration_statements(self, statements: Sequence[str]) -> list[str]:
        return [dialect.ddl(s) for s in statements]

    async def _after_migrations(self) -> None:
        await self._learn_keys()

    async def reset_sequences(self, tx: PgTx) -> None:
        """After rows were copied in with their ids (`migrate-to-postgres`, in its
        transaction `tx`), every identity column continues after the highest id there."""
        rows = await self.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
        for table, column in rows:
            await tx.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" GREATEST((SELECT MAX({column}) FROM {table}), 1))"
            )


def _sqlite_type(pg: str) -> str:
    """PostgreSQL's column type in the words SQLite's PRAGMA table_info would use."""
    if pg in ("bigint", "integer", "smallint"):
        return "INTEGER"
    if pg in ("text", "character varying"):
        return "TEXT"
    if pg == "double precision":
        return "REAL"
    return pg.upper()


def safe_url(url: str) -> str:
    """A URL without its password, for messages and logs."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{tail}"
