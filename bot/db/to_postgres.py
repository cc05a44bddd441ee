"""Moving a Hearth from SQLite to PostgreSQL (`python -m bot migrate-to-postgres`).

A group that outgrows one process keeps everything: every table copied with its ids,
into an empty PostgreSQL database brought to the same migrations, in one transaction —
and checked before it commits, so a copy that doesn't match leaves the target as empty
as it was.

- **The source is never written.** It is read through SQLite's online backup API into a
  snapshot beside nothing else (a temporary folder): a page-for-page copy of one moment,
  consistent even while a Hearth runs on it (its row ids too, which a few references
  hold). The snapshot — not the source — is brought up to this Hearth's migrations.
- **The target must be empty**: no row in any table (a database that only ran
  `python -m bot migrate` is fine). Nothing is ever merged or overwritten.
- **Checked**: each table's row count, every row value for value (both ordered by row
  id), and every sealed value opens with the data key (HEARTH_DATA_KEY, or one of
  HEARTH_OLD_DATA_KEYS). Then each identity sequence continues after the highest id
  copied (`PostgresDatabase.reset_sequences`), and the transaction commits.

Errors are `MoveError`s whose message is one paragraph for the operator.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import crypto
from bot.db import dialect
from bot.db.database import Database, SchemaTooNew
from bot.db.migrate import Migration, discover_migrations
from bot.db.postgres import PgTx, PostgresDatabase, safe_url
from bot.storage import read_only

BATCH = 2000
# Hearth's record of which migrations ran: each database keeps its own.
BOOKKEEPING = "schema_migrations"


class MoveError(RuntimeError):
    """The move can't go ahead, or didn't check out; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Moved:
    rows: dict[str, int] = field(default_factory=dict)  # table → rows copied
    sealed: int = 0  # sealed values that opened with the data key

    @property
    def total(self) -> int:
        return sum(self.rows.values())


Progress = Callable[[str, int], None]


def snapshot(source: Path, target: Path) -> None:
    """`source` as it is at this moment, into the new file `target` (SQLite's online
    backup: pages copied as they are, row ids included; a running Hearth goes on)."""
    if not source.is_file():
        raise MoveError(f"There is no SQLite database at {source}. Nothing was copied.")
    try:
        src = read_only(source)
        try:
            src.execute("PRAGMA busy_timeout=5000")
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        conn = sqlite3.connect(target)
        try:
            known = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (BOOKKEEPING,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise MoveError(
            f"{source} isn't a SQLite database Hearth can read ({exc}). Nothing was copied."
        ) from None
    if known is None:
        raise MoveError(
            f"{source} isn't a Hearth database (it has no {BOOKKEEPING} table). Check the "
            "path: it is the file HEARTH_DATABASE named. Nothing was copied."
        )


def key_check(path: Path) -> str | None:
    """The data key's check value in a SQLite snapshot, if it has one."""
    conn = sqlite3.connect(path)
    try:
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        row = None
        if has_meta:
            row = conn.execute(
                "SELECT value FROM meta WHERE key = ?", (crypto.KEY_CHECK_META,)
            ).fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


async def move(
    source: Path,
    url: str,
    cipher: crypto.DataCipher | None,
    work: Path,
    *,
    migrations: Sequence[Migration] | None = None,
    progress: Progress | None = None,
) -> Moved:
    """Copy the Hearth database at `source` into the empty PostgreSQL database at `url`,
    checked (see the module's docstring). `work`: an empty folder for the snapshot."""
    shown = safe_url(url)
    if not url.startswith(("postgresql://", "postgres://")):
        raise MoveError(
            f"{shown} isn't a PostgreSQL URL: it starts with postgresql:// (for example "
            "postgresql://hearth:PASSWORD@localhost/hearth). Nothing was copied."
        )
    migrations = list(migrations if migrations is not None else discover_migrations())
    copy = work / "snapshot.sqlite3"
    await asyncio.to_thread(snapshot, source, copy)
    check = key_check(copy)
    if check is not None and (cipher is None or not cipher.opens(check)):
        raise MoveError(
            f"HEARTH_DATA_KEY doesn't open {source}: the words people wrote there are sealed "
            "with another key. Set HEARTH_DATA_KEY to the key that Hearth uses with that file "
            "(and HEARTH_OLD_DATA_KEYS to any older ones), then run this again. Nothing was "
            "copied."
            if cipher is not None
            else f"{source} is sealed with a data key and HEARTH_DATA_KEY is empty. Set it to "
            "the key Hearth uses with that file, then run this again. Nothing was copied."
        )
    older = Database(copy)
    await older.connect()
    try:
        await older.migrate(migrations)
    except SchemaTooNew:
        raise MoveError(
            f"{source} was written by a newer Hearth than this one. Update Hearth, then run "
            "this again. Nothing was copied."
        ) from None
    finally:
        await older.close()

    target = PostgresDatabase(url)
    try:
        await target.connect()
    except Exception as exc:
        raise MoveError(
            f"Hearth can't reach the PostgreSQL database {shown} ({_why(exc)}). Check the URL, "
            "that the server is running and that the database exists (`createdb`). Nothing "
            "was copied."
        ) from None
    try:
        await _refuse_unless_empty(target, shown)
        try:
            await target.migrate(migrations)
        except SchemaTooNew:
            raise MoveError(
                f"{shown} has a schema from a newer Hearth than this one. Use an empty "
                "database. Nothing was copied."
            ) from None
        return await _copy(copy, target, shown, cipher, progress)
    finally:
        await target.close()


async def _refuse_unless_empty(target: PostgresDatabase, shown: str) -> None:
    holding: list[str] = []
    for table in await target.tables():
        if table == BOOKKEEPING:
            continue
        count = int(await target.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
        if count:
            holding.append(f"{table} {count:,}")
    if holding:
        listed = ", ".join(holding[:4]) + (", …" if len(holding) > 4 else "")
        raise MoveError(
            f"The PostgreSQL database {shown} isn't empty (rows in {listed}). Hearth copies "
            "only into an empty database, so nothing is mixed or overwritten: create a new "
            "one (`createdb hearth`) and name that instead. Nothing was changed."
        )


def _in_order(tables: list[str], parents: dict[str, set[str]]) -> list[str]:
    """Tables with those they refer to (foreign keys) first."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(table: str) -> None:
        if table in seen:
            return
        seen.add(table)
        for parent in sorted(parents.get(table, ())):
            if parent != table and parent in tables:
                visit(parent)
        done.append(table)

    for table in tables:
        visit(table)
    return done


def _rows(path: Path, table: str, columns: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    """A table's rows from the snapshot, with their row ids first, in batches by row id."""
    conn = sqlite3.connect(path)
    try:
        listed = ", ".join(f'"{c}"' for c in columns)
        after: int | None = None
        while True:
            rows = conn.execute(
                f'SELECT rowid, {listed} FROM "{table}"'
                + (" WHERE rowid > ?" if after is not None else "")
                + " ORDER BY rowid LIMIT ?",
                (after, BATCH) if after is not None else (BATCH,),
            ).fetchall()
            if not rows:
                return
            after = int(rows[-1][0])
            yield rows
    finally:
        conn.close()


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    finally:
        conn.close()


async def _copy(
    snapshot_path: Path,
    target: PostgresDatabase,
    shown: str,
    cipher: crypto.DataCipher | None,
    progress: Progress | None,
) -> Moved:
    source = Database(snapshot_path)
    await source.connect()
    try:
        tables = [t for t in await source.tables() if t != BOOKKEEPING]
        columns = {t: [c for c, _kind in await source.columns(t)] for t in tables}
        parents = {t: {ref for ref, _rule in await source.foreign_keys(t)} for t in tables}
    finally:
        await source.close()
    there = set(await target.tables())
    for table in tables:
        theirs = [c for c, _kind in await target.columns(table)] if table in there else []
        if theirs != columns[table]:
            raise MoveError(
                f"The table {table} differs between the SQLite file and {shown} after both "
                "were brought up to date, so Hearth won't copy it. Please report this. "
                "Nothing was copied."
            )
    moved = Moved()
    order = _in_order(tables, parents)
    async with target.transaction() as tx:
        assert isinstance(tx, PgTx)
        conn = tx.conn  # asyncpg's connection: COPY, a batch at a time
        await _refuse_unless_empty(target, shown)  # nobody started on it meanwhile
        for table in order:
            names = [dialect.ROWID, *columns[table]]
            copied = 0
            for batch in _rows(snapshot_path, table, columns[table]):
                try:
                    await conn.copy_records_to_table(table, records=batch, columns=names)
                except Exception as exc:
                    raise MoveError(
                        f"PostgreSQL refused a row of {table} ({_why(exc)}). Nothing was "
                        "copied; please report this."
                    ) from None
                copied += len(batch)
            moved.rows[table] = copied
            if progress is not None and copied:
                progress(table, copied)
        for table in order:
            moved.sealed += await _check_table(
                snapshot_path, target, table, columns[table], cipher, moved.rows[table]
            )
        await target.reset_sequences(tx)
    return moved


async def _check_table(
    snapshot_path: Path,
    target: PostgresDatabase,
    table: str,
    columns: list[str],
    cipher: crypto.DataCipher | None,
    copied: int,
) -> int:
    """Raise unless the table in PostgreSQL holds exactly the snapshot's rows; the number
    of sealed values in it (each opened with the key)."""
    expected = _count(snapshot_path, table)
    there = int(await target.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
    if not expected == copied == there:
        raise MoveError(
            f"The copy of {table} didn't check out: {expected:,} rows in the SQLite file, "
            f"{there:,} in PostgreSQL. Nothing was copied; please report this."
        )
    listed = ", ".join(f'"{c}"' for c in [dialect.ROWID, *columns])
    sealed = unopened = 0
    after = 0
    for batch in _rows(snapshot_path, table, columns):
        theirs = await target.fetchall(
            f'SELECT {listed} FROM "{table}" WHERE {dialect.ROWID} > ? ORDER BY {dialect.ROWID}'
            " LIMIT ?",
            (after, len(batch)),
        )
        after = int(batch[-1][0])
        for ours, row in zip(batch, theirs, strict=False):
            if tuple(ours) != tuple(row):
                raise MoveError(
                    f"The copy of {table} didn't check out: a row differs from the SQLite "
                    "file. Nothing was copied; please report this."
                )
            for value in row:
                if crypto.looks_sealed(value):
                    sealed += 1
                    if cipher is None or cipher.try_open(value) is None:
                        unopened += 1
        if len(theirs) != len(batch):
            raise MoveError(
                f"The copy of {table} didn't check out: rows are missing in PostgreSQL. "
                "Nothing was copied; please report this."
            )
    if unopened:
        raise MoveError(
            f"{unopened:,} sealed values in {table} don't open with HEARTH_DATA_KEY or "
            "HEARTH_OLD_DATA_KEYS, so nobody could read them after the move. Put the key they "
            "were sealed with into HEARTH_OLD_DATA_KEYS (or run `python -m bot rotate-key` on "
            "the SQLite file first), then run this again. Nothing was copied."
        )
    return sealed


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
