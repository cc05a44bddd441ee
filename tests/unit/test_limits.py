"""Hearth's own limits: per-person rate limits and the DM-opening pacer."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest

from bot.limits import Pacer, RateLimiter, WindowLimit
from bot.timeutil import UTC, FakeClock


def test_rate_limiter_allows_the_rate_then_refuses_until_the_window_passes() -> None:
    clock = FakeClock(datetime(2026, 5, 1, tzinfo=UTC))
    limiter = RateLimiter(clock, rate=3, per=timedelta(hours=1))
    assert [limiter.try_acquire(("alice", "bob")) for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after(("alice", "bob")) == timedelta(hours=1)
    assert limiter.try_acquire(("alice", "carol"))  # keys are independent
    clock.advance(timedelta(minutes=59))
    assert not limiter.try_acquire(("alice", "bob"))
    clock.advance(timedelta(minutes=2))
    assert limiter.try_acquire(("alice", "bob"))


def test_rate_limiter_refusal_changes_nothing() -> None:
    clock = FakeClock(datetime(2026, 5, 1, tzinfo=UTC))
    limiter = RateLimiter(clock, rate=1, per=timedelta(minutes=10))
    assert limiter.try_acquire("k")
    clock.advance(timedelta(minutes=5))
    for _ in range(100):  # hammering doesn't extend the wait
        assert not limiter.try_acquire("k")
    clock.advance(timedelta(minutes=5, seconds=1))
    assert limiter.try_acquire("k")


def test_rate_limiter_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)), rate=0, per=timedelta(1))


async def test_pacer_spreads_a_burst() -> None:
    pacer = Pacer(rate_per_second=200, burst=5)
    start = time.monotonic()
    await asyncio.gather(*(pacer.wait() for _ in range(25)))
    elapsed = time.monotonic() - start
    # 5 go at once; the other 20 must wait their turn: 20 / 200 = 0.1 s at least.
    assert elapsed >= 0.09


def test_a_hit_given_back_frees_its_place() -> None:
    clock = FakeClock(datetime(2026, 5, 1, tzinfo=UTC))
    limiter = RateLimiter(clock, rate=1, per=timedelta(hours=1))
    assert limiter.try_acquire("k")
    assert not limiter.try_acquire("k")
    limiter.give_back("k")  # the DM it was taken for never arrived
    assert limiter.try_acquire("k")
    limiter.give_back("unknown")  # nothing to give back: no error, no change


async def test_window_limit_keeps_every_window_under_its_limit() -> None:
    window = 0.05
    limit = WindowLimit(limit=5, window=window)
    stamps: list[float] = []

    async def act() -> None:
        await limit.wait()
        stamps.append(time.monotonic())

    await asyncio.gather(*(act() for _ in range(20)))
    stamps.sort()
    # Any five apart: the sixth of any run comes a full window after the first.
    for first, sixth in zip(stamps, stamps[5:], strict=False):
        assert sixth - first >= window - 0.001
    assert stamps[-1] - stamps[0] >= 3 * window - 0.003  # 20 acts need four windows


def test_window_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="limit"):
        WindowLimit(limit=0, window=1.0)
