"""How long what people share is kept: each server's retention period, and the daily sweep.

The sweep is the core's (`retention:daily`, 03:30 UTC, armed by the bot at start): every
cog's `HearthCog.retention_due(tx, policy, now)` runs in a transaction of its own — prompt
answers and shares by each server's period, check-ins by support's own year — then the
outbox's settled intents older than a week go, and the write-ahead log is scrubbed, so what
was deleted is gone from the disk too. Whichever practices a server switched off, the sweep
runs (it once lived in the prompts cog: without prompts, shares were kept forever).

No discord here: practices' pure rules may use `Policy`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.db import Database, Tx
from bot.db.codec import ts
from bot.outbox_store import prune

if TYPE_CHECKING:
    from bot.cog import HearthCog

log = logging.getLogger(__name__)

DEFAULT_DAYS = 90
MIN_DAYS = 7
MAX_DAYS = 365

JOB_ID = "retention:daily"
RUN_AT = time(3, 30)  # UTC, a quiet hour for most of the world
# What the outbox delivered (or gave up on) keeps only ids this long (bot.privacy: CORE).
OUTBOX_KEPT = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Policy:
    """How long each server keeps what people share: a default and the servers that chose."""

    default_days: int = DEFAULT_DAYS
    custom: Mapping[int, int] = field(default_factory=dict)

    def days_for(self, guild_id: int) -> int:
        return self.custom.get(guild_id, self.default_days)

    def cutoff_for(self, guild_id: int, now: datetime) -> datetime:
        """Anything created before this instant has outlived its server's period."""
        return now - timedelta(days=self.days_for(guild_id))

    def earliest_cutoff(self, now: datetime) -> datetime:
        """Nothing newer than this has expired anywhere (the shortest period)."""
        return now - timedelta(days=min([self.default_days, *self.custom.values()]))


def check_days(days: int) -> int:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"Pick a number of days from {MIN_DAYS} to {MAX_DAYS}.")
    return days


async def policy(db: Database) -> Policy:
    rows = await db.fetchall("SELECT guild_id, days FROM guild_retention")
    return Policy(custom={row[0]: int(row[1]) for row in rows})


async def days(db: Database, guild_id: int) -> int:
    value = await db.fetchval("SELECT days FROM guild_retention WHERE guild_id = ?", (guild_id,))
    return DEFAULT_DAYS if value is None else int(value)


async def set_days(tx: Tx, guild_id: int, days: int) -> None:
    await tx.execute(
        "INSERT INTO guild_retention (guild_id, days) VALUES (?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET days = excluded.days",
        (guild_id, check_days(days)),
    )


async def expire(tx: Tx, policy: Policy, now: datetime, *, table: str, when: str) -> int:
    """Delete rows of `table` (with a `guild_id`) whose `when` is older than their server's
    period; returns how many. Names come from code, never from input."""
    if not (table.isidentifier() and when.isidentifier()):
        raise ValueError("table and column names come from code")
    removed = 0
    cur = await tx.execute(
        f"SELECT DISTINCT guild_id FROM {table} WHERE {when} < ?",
        (ts(policy.earliest_cutoff(now)),),
    )
    for (guild_id,) in list(await cur.fetchall()):
        cur = await tx.execute(
            f"DELETE FROM {table} WHERE guild_id = ? AND {when} < ?",
            (guild_id, ts(policy.cutoff_for(guild_id, now))),
        )
        removed += max(cur.rowcount, 0)
    return removed


async def sweep(db: Database, cogs: Iterable[HearthCog], now: datetime) -> dict[str, int]:
    """The daily sweep: each cog's `retention_due` in its own transaction (one failing
    keeps nobody else's data longer), the outbox's settled intents, then the scrub."""
    current = await policy(db)
    removed: dict[str, int] = {}
    for cog in cogs:
        try:
            async with db.transaction(bulk=True) as tx:
                removed[cog.qualified_name] = await cog.retention_due(tx, current, now)
        except Exception:
            log.exception("retention sweep failed cog=%s", cog.qualified_name)
    async with db.transaction(bulk=True) as tx:
        removed["outbox"] = await prune(tx, now - OUTBOX_KEPT)
    await db.scrub()
    log.info(
        "retention swept %s", " ".join(f"{name}={n}" for name, n in removed.items() if n) or "-"
    )
    return removed
