"""One change in a transaction of its own, for tests that set things up directly.

Code that writes takes the transaction of whoever acts (`tx` first); a test that is the
actor opens it: `await write(bot.db, bot.boundaries.set_dms_allowed, ana.id, True)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from bot.db import Database, Tx

P = ParamSpec("P")
T = TypeVar("T")


async def write(
    db: Database,
    change: Callable[Concatenate[Tx, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    async with db.transaction() as tx:
        return await change(tx, *args, **kwargs)
