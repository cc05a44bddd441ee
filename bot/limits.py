"""Limits Hearth puts on itself.

- `RateLimiter`: so one person can't use Hearth to flood another (e.g. support
  notes, shares to a friend). Sliding window on the bot's clock, keyed by anything.
- `Pacer`: spreads bursts over real time, e.g. opening DMs, because Discord limits
  how fast a bot may open new DM channels (DISCORD_FACTS: spread check-ins out).
"""

from __future__ import annotations

import asyncio
import time as _time
from collections import deque
from collections.abc import Hashable
from datetime import datetime, timedelta

from bot.timeutil import Clock


class RateLimiter:
    """At most `rate` hits per `per` for each key (a sliding window)."""

    def __init__(self, clock: Clock, *, rate: int, per: timedelta) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.clock = clock
        self.rate = rate
        self.per = per
        self._hits: dict[Hashable, deque[datetime]] = {}

    def _window(self, key: Hashable) -> deque[datetime]:
        hits = self._hits.setdefault(key, deque())
        cutoff = self.clock.now() - self.per
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def try_acquire(self, key: Hashable) -> bool:
        """Take one hit for `key` if there is room; False (and no change) if not."""
        hits = self._window(key)
        if len(hits) >= self.rate:
            return False
        hits.append(self.clock.now())
        if len(self._hits) > 50_000:  # keep memory bounded: drop idle keys
            self._prune()
        return True

    def retry_after(self, key: Hashable) -> timedelta:
        hits = self._window(key)
        if len(hits) < self.rate:
            return timedelta(0)
        return hits[0] + self.per - self.clock.now()

    def _prune(self) -> None:
        for key in [k for k in self._hits if not self._window(k)]:
            del self._hits[key]


class Pacer:
    """An async token bucket in real (monotonic) time: `await pacer.wait()` before each act."""

    def __init__(self, rate_per_second: float, burst: int = 1) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        self.rate = rate_per_second
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = _time.monotonic()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:  # first come, first served
            while True:
                now = _time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)
