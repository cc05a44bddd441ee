"""Which shard a server or a person belongs to, and which shards this process runs.

Discord hears a server on shard `(guild_id >> 22) % shard_count`; Hearth gives every
scheduled job and every outbox intent to one shard by the same rule, so that with several
processes (each running some of the shards, docs/scaling.md) each job runs in exactly one:

- a server's jobs and posts: the server's shard (where its events and interactions arrive);
- a person's jobs and DMs (check-ins, quiet watch, notes between friends): the shard of
  their user id by the same formula — stable while the shard count stays, and spread as
  evenly as servers are;
- the daily tidy-ups that span everyone: shard 0.

No discord import: the database layer and pure rules use it too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

# Tidy-ups that belong to nobody in particular run where shard 0 runs.
HOUSEKEEPING_SHARD = 0

# Discord lets each bucket of shards (shard_id % max_concurrency) IDENTIFY once per 5 s.
IDENTIFY_SPACING = 5.0


def shard_of(snowflake: int, count: int) -> int:
    """Discord's rule, for a server's id; Hearth's, for a person's or a channel's."""
    return (snowflake >> 22) % count if count > 1 else 0


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """How many shards the bot has, and which of them this process runs."""

    count: int = 1
    ids: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("a bot has at least one shard")
        bad = [i for i in self.ids if not 0 <= i < self.count]
        if bad or not self.ids:
            raise ValueError(
                f"shard ids {', '.join(map(str, bad)) or '(none)'} aren't between 0 and "
                f"{self.count - 1} (HEARTH_SHARD_COUNT is {self.count})"
            )

    @classmethod
    def of(cls, count: int, ids: Iterable[int] | None = None) -> ShardPlan:
        return cls(count, tuple(sorted(set(ids))) if ids is not None else tuple(range(count)))

    @property
    def everything(self) -> bool:
        """One process runs every shard (the usual single-process Hearth)."""
        return len(self.ids) == self.count

    def runs(self, shard_id: int) -> bool:
        return shard_id in self.ids

    def owns_guild(self, guild_id: int) -> bool:
        return self.runs(shard_of(guild_id, self.count))

    def owns_person(self, user_id: int) -> bool:
        return self.runs(shard_of(user_id, self.count))

    @property
    def housekeeping(self) -> bool:
        return self.runs(HOUSEKEEPING_SHARD)

    def describe(self) -> str:
        """ "0-3 of 4", "4,5 of 8": for logs."""
        return f"{spell_ids(self.ids)} of {self.count}"


def spell_ids(ids: Iterable[int]) -> str:
    """[0, 1, 2, 5] → "0-2,5"."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    start = prev = None
    for i in ordered:
        if start is None:
            start = prev = i
        elif prev is not None and i == prev + 1:
            prev = i
        else:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = i
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)


@dataclass(slots=True)
class IdentifyGate:
    """Discord's identify rule: shards in one bucket (`shard_id % max_concurrency`, the
    `session_start_limit` of GET /gateway/bot) IDENTIFY at least 5 s apart; different
    buckets may go at once. (discord.py's own hook waits 5 s before every shard but the
    first, whatever the concurrency.)"""

    concurrency: int = 1
    spacing: float = IDENTIFY_SPACING
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _last: dict[int, float] = field(default_factory=dict)

    async def wait(self, shard_id: int) -> None:
        bucket = shard_id % max(self.concurrency, 1)
        last = self._last.get(bucket)
        if last is not None:
            delay = last + self.spacing - self.now()
            if delay > 0:
                await self.sleep(delay)
        self._last[bucket] = self.now()
