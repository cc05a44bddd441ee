"""A lease per shard in the database: which process runs that shard's jobs and outbox.

With PostgreSQL several processes share one database, each running some shards
(docs/scaling.md). A process takes the lease of each shard it is given — one row in
`shard_leases` (owner, expiry, heartbeat) — and renews it every `BEAT`; only while it holds
a shard's lease does it run that shard's scheduled jobs and deliver its outbox intents.

- Taking a lease is one statement: insert it, or take it over when it has expired (or is
  already ours). Two processes given the same shard by mistake: one holds it, the other
  logs that it waits, and takes over only if the holder stops renewing.
- A process killed with `kill -9` renews nothing: `TTL` later its replacement (or any
  process given that shard) takes the lease and rebuilds the shard's jobs from the
  database; the outbox's ledger and nonces make anything the dead one had half-sent
  harmless to send again.
- A renewal that finds the lease taken (this process stalled past `TTL`) gives the shard
  up at once: its jobs are parked and its intents left to the new holder.
- A clean stop gives its leases back, so a restart takes them without waiting.

With SQLite there is one process (the run lock, bot.storage) and no leases.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.db import Database
from bot.db.codec import ts
from bot.shards import ShardPlan, spell_ids
from bot.timeutil import Clock

log = logging.getLogger(__name__)

TTL = timedelta(seconds=30)
BEAT = timedelta(seconds=10)

Hook = Callable[[int], Awaitable[None]]


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Leases:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        plan: ShardPlan,
        *,
        owner: str | None = None,
        ttl: timedelta = TTL,
        beat: timedelta = BEAT,
    ) -> None:
        self.db = db
        self.clock = clock
        self.plan = plan
        self.owner = owner or process_name()
        self.ttl = ttl
        self.beat = beat
        self.held: set[int] = set()
        self.gained: Hook | None = None  # called after a lease is taken (not at start)
        self.lost: Hook | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting_logged: set[int] = set()

    async def start(self) -> set[int]:
        """Take every lease that is free now; the heartbeat keeps trying for the others."""
        for shard_id in self.plan.ids:
            if await self._take(shard_id):
                self.held.add(shard_id)
        log.info(
            "shard leases held=%s waiting=%s owner=%s",
            spell_ids(self.held) or "-",
            spell_ids(set(self.plan.ids) - self.held) or "-",
            self.owner,
        )
        self._task = asyncio.get_running_loop().create_task(self._beat(), name="shard-leases")
        return set(self.held)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.held:
            # Given back: a restart (or a replacement) takes them at once.
            await self.db.execute(
                "DELETE FROM shard_leases WHERE owner = ?",
                (self.owner,),
            )
            log.info("shard leases released shards=%s", spell_ids(self.held))
            self.held.clear()

    async def renew(self) -> None:
        """One heartbeat: renew what is held, give up what was taken, take what is free."""
        now = self.clock.now()
        for shard_id in sorted(self.held):
            changed = await self.db.execute(
                "UPDATE shard_leases SET expires_at = ?, heartbeat_at = ?"
                " WHERE shard_id = ? AND owner = ?",
                (ts(now + self.ttl), ts(now), shard_id, self.owner),
            )
            if changed == 0:
                self.held.discard(shard_id)
                log.warning("shard lease lost shard=%d: another process took it over", shard_id)
                if self.lost is not None:
                    await self.lost(shard_id)
        for shard_id in self.plan.ids:
            if shard_id in self.held:
                continue
            if await self._take(shard_id):
                self.held.add(shard_id)
                self._waiting_logged.discard(shard_id)
                log.info("shard lease taken over shard=%d owner=%s", shard_id, self.owner)
                if self.gained is not None:
                    await self.gained(shard_id)

    async def _take(self, shard_id: int) -> bool:
        now = self.clock.now()
        changed = await self.db.execute(
            "INSERT INTO shard_leases (shard_id, shard_count, owner, expires_at, heartbeat_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (shard_id) DO UPDATE SET shard_count = excluded.shard_count,"
            " owner = excluded.owner, expires_at = excluded.expires_at,"
            " heartbeat_at = excluded.heartbeat_at"
            " WHERE shard_leases.owner = excluded.owner OR shard_leases.expires_at < ?",
            (shard_id, self.plan.count, self.owner, ts(now + self.ttl), ts(now), ts(now)),
        )
        if changed == 0 and shard_id not in self._waiting_logged:
            self._waiting_logged.add(shard_id)
            row = await self.db.fetchone(
                "SELECT owner, expires_at FROM shard_leases WHERE shard_id = ?", (shard_id,)
            )
            if row is not None:
                log.warning(
                    "shard %d is held by %s until %s; waiting to take it over",
                    shard_id,
                    row[0],
                    row[1],
                )
        return changed > 0

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.beat.total_seconds())
            try:
                await self.renew()
            except Exception:
                # The database may be briefly away; the next beat tries again (a lease
                # outlives TTL - BEAT of trouble).
                log.exception("shard lease heartbeat failed")
