"""The scheduler wrapper: stable ids, idempotent rebuilds, injected time."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from bot.scheduler import Scheduler
from bot.timeutil import UTC, FakeClock, SystemClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sched():
    s = Scheduler(FakeClock(START))
    s.start()
    yield s
    await s.shutdown()


async def test_jobs_wait_for_their_time_on_the_injected_clock(sched: Scheduler) -> None:
    ran: list[str] = []

    async def job(name: str) -> None:
        ran.append(name)

    sched.at("a", START + timedelta(minutes=5), job, "a")
    sched.at("b", START + timedelta(minutes=1), job, "b")
    assert await sched.run_due() == []
    assert isinstance(sched.clock, FakeClock)
    sched.clock.advance(timedelta(minutes=2))
    assert await sched.run_due() == ["b"]
    sched.clock.advance(timedelta(minutes=10))
    assert await sched.run_due() == ["a"]
    assert ran == ["b", "a"]
    assert sched.job_ids() == []


async def test_rebuilding_the_same_id_is_idempotent(sched: Scheduler) -> None:
    ran: list[int] = []

    async def job(n: int) -> None:
        ran.append(n)

    for n in range(3):  # a rebuild on every start re-adds the same id
        sched.at("prompt:1", START + timedelta(hours=1), job, n)
    assert sched.job_ids() == ["prompt:1"]
    assert await sched.fire("prompt:1")
    assert ran == [2]
    assert not await sched.fire("prompt:1")


async def test_cancel_and_prefix_cancel(sched: Scheduler) -> None:
    async def job() -> None:
        return None

    sched.at("pd:end:1", START, job)
    sched.at("pd:end:2", START, job)
    sched.at("prompt:9", START, job)
    assert sched.cancel("prompt:9")
    assert sched.cancel_prefix("pd:") == 2
    assert sched.job_ids() == []


async def test_a_failing_job_is_logged_and_others_still_run(
    sched: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    async def bad() -> None:
        raise RuntimeError("kaput")

    async def good() -> None:
        ran.append("good")

    sched.at("bad", START, bad)
    sched.at("good", START, good)
    with caplog.at_level(logging.ERROR):
        await sched.run_due()
    assert ran == ["good"]
    assert "job_id=bad" in caplog.text


async def test_naive_times_are_refused(sched: Scheduler) -> None:
    async def job() -> None:
        return None

    with pytest.raises(ValueError, match="aware"):
        sched.at("x", datetime(2026, 1, 1), job)


async def test_real_clock_runs_a_due_job_by_itself() -> None:
    s = Scheduler(SystemClock())
    s.start()
    done = asyncio.Event()

    async def job() -> None:
        done.set()

    try:
        s.at("now", SystemClock().now() - timedelta(seconds=5), job)  # past: runs at once
        await asyncio.wait_for(done.wait(), timeout=5)
    finally:
        await s.shutdown()
