"""The connection a transaction hands its stores, on either engine.

`async with db.transaction() as tx:` yields a `Tx`: `bot.db.database.LoopTx` on SQLite
(aiosqlite's connection for `bulk=True`), `bot.db.postgres.PgTx` on PostgreSQL. Stores use
only this much of it — `await tx.execute(sql, params)` (or `async with tx.execute(…) as
cur`), the cursor's `fetchone`, `fetchall`, `rowcount`, `lastrowid` and `close`, and
`executemany` — with `?` placeholders, and rows read by position or by column name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator, Sequence
from typing import Any, Protocol

Params = Sequence[Any] | dict[str, Any]


class Row(Protocol):
    def __getitem__(self, key: Any, /) -> Any: ...

    def keys(self) -> Any: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Any: ...

    async def close(self) -> None: ...


class Executing(Protocol):
    """What `execute` returns: awaited for its cursor, or entered with `async with`."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, *exc: Any) -> Any: ...


class Tx(Protocol):
    """`execute` gives what aiosqlite's does: awaited, a cursor (`fetchone`, `fetchall`,
    `rowcount`, `lastrowid`, `close`); or entered with `async with`."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Executing: ...

    def executemany(self, sql: str, parameters: Any, /) -> Awaitable[Any]: ...
