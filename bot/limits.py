"""Limits Hearth puts on itself.

- `RateLimiter`: so one person can't use Hearth to flood another (e.g. support
  notes, shares to a friend). Sliding window on the bot's clock, keyed by anything.
- `ReachLimiter`: the one shared limit on anything that DMs someone else on a person's
  behalf (`bot.reach`), across every practice.
- `Pacer`: spreads bursts over real time, e.g. opening DMs, because Discord limits
  how fast a bot may open new DM channels (DISCORD_FACTS: spread check-ins out).
- `WindowLimit` / `GlobalRestLimit`: Discord's 50 requests a second for the whole bot,
  kept as requests leave and counted until their answers are back, rather than learnt
  from a 429 (`bot.rest_limit`, hooked into discord.py's session by `bot.app.rest_trace`).
- `InvalidResponses`: the answers Discord holds against Hearth's IP (401, 403, 429),
  counted as they arrive and logged once a minute when there were any
  (`bot.invalid_responses`): 10,000 in ten minutes and every request is refused a while.
"""

from __future__ import annotations

import asyncio
import logging
import time as _time
from collections import Counter, deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace

import aiohttp

from bot.refusal import HearthError
from bot.timeutil import Clock

log = logging.getLogger(__name__)


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

    def give_back(self, key: Hashable) -> None:
        """Undo the latest hit for `key` (the thing it was taken for didn't happen)."""
        hits = self._hits.get(key)
        if hits:
            hits.pop()

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


class WindowLimit:
    """At most `limit` requests *arriving* in any `window` seconds of real time, however long
    each spends on the way.

    A request holds a place from the moment it leaves until `window` seconds after its
    answer came back: it arrived somewhere in between, so no `limit + 1` arrivals can ever
    fall inside one window. (Counting from the moment a request left, as before, let a
    first few delayed on the way — a stall of the loop, a busy machine — arrive beside the
    next window's: 52 arrivals in one second under load, and two global 429s.) Exact for a
    per-second limit, whatever the moment Discord's windows start, at the cost of one
    round trip per window (a few ms).
    """

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._open = 0  # requests on their way
        self._ended: deque[float] = deque()  # when answers came back, oldest first
        self._lock = asyncio.Lock()
        self._answered = asyncio.Event()

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            while True:
                now = _time.monotonic()
                while self._ended and self._ended[0] <= now - self.window:
                    self._ended.popleft()
                if self._open + len(self._ended) < self.limit:
                    self._open += 1  # no await since the check: a cancel can't leak it
                    return
                if self._ended:
                    await asyncio.sleep(self._ended[0] + self.window - now)
                else:  # every place is on its way: one must come back first
                    self._answered.clear()
                    await self._answered.wait()

    def free(self, now: float | None = None) -> int:
        """How many requests could leave at `now` (default: this moment) without waiting."""
        now = _time.monotonic() if now is None else now
        recent = sum(1 for t in self._ended if t > now - self.window)
        return max(0, self.limit - self._open - recent)

    def spent(self) -> None:
        """Count every place as used a moment ago: the first request waits one window."""
        now = _time.monotonic()
        self._ended.extend([now] * (self.limit - self._open - len(self._ended)))

    def release(self) -> None:
        """The request's answer is back (or it failed): its place frees a window later."""
        self._open -= 1
        self._ended.append(_time.monotonic())
        self._answered.set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()


# Discord allows a bot 50 requests a second (interaction responses aside). Hearth sends at
# most 48 in any second, counted as they arrive (`WindowLimit`): two to spare for what
# discord.py resends by itself after a 5xx or a route's 429.
GLOBAL_LIMIT = 48
GLOBAL_WINDOW = 1.0


def global_share(shards_here: int, shard_count: int) -> int:
    """This process's fixed share of the global limit, when several processes (each with
    some of the shards) use one bot token: in proportion to the shards it runs, at least
    one request a second. One process with every shard gets all of it."""
    if shards_here >= shard_count:
        return GLOBAL_LIMIT
    return max(1, GLOBAL_LIMIT * shards_here // shard_count)


# ...and not all 48 in the same instant: a dozen posts leaving at once is a dozen jobs
# waking together on the loop.
GLOBAL_SPACING_RATE = 100.0


class GlobalRestLimit:
    """Every request Hearth makes with its bot token waits here (`bot.rest_limit`) at the
    moment it would leave — after discord.py's own wait for the route's bucket, retries
    included (see `bot.app.rest_trace`) — so weekly prompts, welcomes, shares, check-ins and
    phones-down together never draw a 429 from Discord's global limit, however many
    servers are due at once."""

    def __init__(
        self,
        limit: int = GLOBAL_LIMIT,
        window: float = GLOBAL_WINDOW,
        spacing_rate: float = GLOBAL_SPACING_RATE,
    ) -> None:
        self.window = WindowLimit(limit, window)
        self.spacing = Pacer(spacing_rate)

    async def acquire(self) -> None:
        await self.spacing.wait()
        await self.window.acquire()

    def release(self) -> None:
        self.window.release()


# One person reaching another through Hearth (a support note, an "I'm here", a circle
# invitation, a private share…), counted across every practice together.
REACH_PER_PAIR = 3  # to the same friend, per day
REACH_PER_SENDER = 20  # to anyone, per day
REACH_WINDOW = timedelta(days=1)

PAIR_REFUSAL = (
    "You've reached out to them a few times today already — that's plenty. Let it land, "
    "and try again tomorrow."
)
SENDER_REFUSAL = "That's a lot of messages to friends for one day — let's pause till tomorrow."


class Breather:
    """Hands the event loop back every few milliseconds of work, so rebuilding thousands of
    jobs at start never stalls the gateway (heartbeats, GUILD_CREATEs) behind it."""

    def __init__(self, budget: float = 0.005) -> None:
        self.budget = budget
        self._since = _time.monotonic()

    async def __call__(self) -> None:
        if _time.monotonic() - self._since >= self.budget:
            await asyncio.sleep(0)
            self._since = _time.monotonic()


class ReachLimiter:
    """The one limit on anything that makes Hearth DM someone on another person's behalf.

    Shared by every practice (`bot.reach`), so nobody can flood a friend by switching
    between features: at most `per_pair` a day to the same person and `per_sender` a day
    in all. `check` before deferring or opening a modal; `take` once it goes ahead.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        per_pair: int = REACH_PER_PAIR,
        per_sender: int = REACH_PER_SENDER,
        per: timedelta = REACH_WINDOW,
    ) -> None:
        self.pairs = RateLimiter(clock, rate=per_pair, per=per)
        self.senders = RateLimiter(clock, rate=per_sender, per=per)

    def refusal(self, sender_id: int, recipient_id: int) -> str | None:
        """Why this can't go now (a sentence for the sender), or None when it can."""
        if self.pairs.retry_after((sender_id, recipient_id)) > timedelta(0):
            return PAIR_REFUSAL
        if self.senders.retry_after(sender_id) > timedelta(0):
            return SENDER_REFUSAL
        return None

    def check(self, sender_id: int, recipient_id: int) -> None:
        """Raise HearthError (shown kindly) when the sender has reached their limit."""
        refusal = self.refusal(sender_id, recipient_id)
        if refusal is not None:
            raise HearthError(refusal)

    def take(self, sender_id: int, recipient_id: int) -> None:
        """Count one reach (after `check`): the pair's and the sender's."""
        self.pairs.try_acquire((sender_id, recipient_id))
        self.senders.try_acquire(sender_id)

    def give_back(self, sender_id: int, recipient_id: int) -> None:
        """Return a reach taken for something that never arrived."""
        self.pairs.give_back((sender_id, recipient_id))
        self.senders.give_back(sender_id)

    def acquire(self, sender_id: int, recipient_id: int) -> None:
        """`check` and `take` at once."""
        self.check(sender_id, recipient_id)
        self.take(sender_id, recipient_id)


class InvalidResponses:
    """Every 401, 403 and 429 Discord answers Hearth — retried ones included — except the
    429s Discord marks `X-RateLimit-Scope: shared`, which it doesn't hold against anyone.

    Seen through aiohttp's tracing of discord.py's HTTP session, which carries both the
    bot's own requests and the answers to interactions. `report()` logs what came since
    the last report (ids and counts only) and starts counting again.
    """

    BAN_THRESHOLD = 10_000  # per ten minutes, per IP (Discord's rate-limit docs)

    def __init__(self) -> None:
        self.since_report: Counter[int] = Counter()
        self.total = 0

    def record(self, status: int, scope: str | None = None) -> None:
        if status in (401, 403) or (status == 429 and scope != "shared"):
            self.since_report[status] += 1
            self.total += 1

    def trace(self, config: aiohttp.TraceConfig | None = None) -> aiohttp.TraceConfig:
        """Hooks into discord.py's `http_trace` (a new one, or `config`): sees every
        response of its session."""
        config = config or aiohttp.TraceConfig()

        async def on_end(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            response = params.response
            self.record(response.status, response.headers.get("X-RateLimit-Scope"))

        config.on_request_end.append(on_end)
        return config

    def report(self) -> int:
        """Log the invalid responses since the last report, if any; return how many."""
        count = sum(self.since_report.values())
        if count:
            log.warning(
                "invalid responses from Discord since the last report=%d "
                "401=%d 403=%d 429=%d (Discord bans an IP at %d in 10 minutes)",
                count,
                self.since_report[401],
                self.since_report[403],
                self.since_report[429],
                self.BAN_THRESHOLD,
            )
        self.since_report.clear()
        return count

    async def report_every(self, seconds: float) -> None:
        """Report forever, every `seconds` of real time (runs as a task; cancel to stop)."""
        while True:
            await asyncio.sleep(seconds)
            self.report()
