"""Hearth's own limits: per-person rate limits and the DM-opening pacer."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from bot.app import under_global_limit
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
        async with limit.slot():
            stamps.append(time.monotonic())

    await asyncio.gather(*(act() for _ in range(20)))
    stamps.sort()
    # Any five apart: the sixth of any run comes a full window after the first.
    for first, sixth in zip(stamps, stamps[5:], strict=False):
        assert sixth - first >= window - 0.001
    assert stamps[-1] - stamps[0] >= 3 * window - 0.003  # 20 acts need four windows


def most_in_a_window(stamps: list[float], window: float) -> int:
    ordered, first, most = sorted(stamps), 0, 0
    for last, stamp in enumerate(ordered):
        while ordered[first] <= stamp - window:
            first += 1
        most = max(most, last - first + 1)
    return most


async def test_requests_slow_on_the_way_still_arrive_under_the_limit() -> None:
    # What Discord counts is arrivals. Here the first requests of a burst take 40 % of a
    # window to get there (a stalled loop, a busy machine) and the rest go straight
    # through: counted from the moment each left, the next window's would arrive beside
    # them (ten in one window). A place is held until the answer is back.
    window, most = 0.1, 5
    limit = WindowLimit(limit=most, window=window)
    arrivals: list[float] = []

    async def request(slow: bool) -> None:
        async with limit.slot():
            if slow:
                await asyncio.sleep(0.4 * window)
            arrivals.append(time.monotonic())

    await asyncio.gather(*(request(slow=i < most) for i in range(3 * most)))
    assert len(arrivals) == 3 * most
    assert most_in_a_window(arrivals, window) <= most


async def test_a_request_that_fails_frees_its_place_too() -> None:
    limit = WindowLimit(limit=1, window=0.01)
    with pytest.raises(RuntimeError):
        async with limit.slot():
            raise RuntimeError("503")
    async with asyncio.timeout(1):
        async with limit.slot():
            pass


async def test_a_request_cancelled_while_waiting_takes_no_place() -> None:
    limit = WindowLimit(limit=1, window=30.0)
    await limit.acquire()  # on its way, answer not back yet
    waiting = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert limit._open == 1


def test_only_bot_token_requests_to_the_api_count() -> None:
    api = "https://discord.com/api/v10"
    assert under_global_limit(URL(f"{api}/channels/1/messages"))
    assert under_global_limit(URL("http://127.0.0.1:5000/api/v10/users/@me/channels"))
    assert not under_global_limit(URL(f"{api}/interactions/1/tok/callback"))
    assert not under_global_limit(URL(f"{api}/webhooks/1/tok/messages/@original"))
    assert not under_global_limit(URL("wss://gateway.discord.gg/?v=10&encoding=json"))
    assert not under_global_limit(URL("https://cdn.discordapp.com/attachments/1/2/a.png"))


def test_window_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="limit"):
        WindowLimit(limit=0, window=1.0)


def test_processes_share_the_global_limit_by_their_shards() -> None:
    from bot.limits import GLOBAL_LIMIT, global_share

    assert global_share(4, 4) == GLOBAL_LIMIT  # one process, every shard: all of it
    assert global_share(2, 4) == GLOBAL_LIMIT // 2
    assert global_share(2, 4) * 2 <= GLOBAL_LIMIT  # two processes never exceed it together
    assert global_share(1, 64) == 1  # never nothing


async def test_a_process_with_some_shards_keeps_to_its_share_from_its_first_request(
    tmp_path: Path,
) -> None:
    # A replacement started beside a live process (and one just killed, whose requests
    # still count in Discord's second) must not log in at the whole limit: its login and
    # GET /gateway/bot drew a global 429 that way.
    from bot.app import HearthBot
    from bot.config import Settings
    from bot.limits import GLOBAL_LIMIT, GLOBAL_WINDOW
    from tests.fakediscord.harness import TEST_DATA_KEY

    def window(**shards: Any) -> WindowLimit:
        settings = Settings(database=tmp_path / "h.sqlite3", data_key=TEST_DATA_KEY, **shards)
        return HearthBot(settings, auto_sync=False).rest_limit.window

    before = time.monotonic()
    half, quarter, whole = (
        window(shard_count=4, shard_ids="2-3"),
        window(shard_count=4, shard_ids="3"),
        window(),
    )
    assert (half.limit, quarter.limit) == (GLOBAL_LIMIT // 2, GLOBAL_LIMIT // 4)
    # ...and its first request waits a second, in case the one it replaces just used it.
    after = time.monotonic()
    assert half.free(before) == quarter.free(before) == 0
    assert half.free(after + GLOBAL_WINDOW + 0.01) == GLOBAL_LIMIT // 2
    # One process: all of it at once (its shards come from Discord, as does the count).
    assert whole.limit == whole.free() == GLOBAL_LIMIT
