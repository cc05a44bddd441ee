"""The scheduler wrapper: stable ids, idempotent rebuilds, injected time."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from bot.scheduler import HORIZON, PER_SLOT, REFILL_ID, Scheduler
from bot.timeutil import UTC, FakeClock, SystemClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HORIZON_MINUTES = HORIZON.total_seconds() / 60


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


async def test_apscheduler_holds_the_jobs_due_within_the_horizon() -> None:
    # Thousands of jobs (one per server, one per person) cost a table entry each; only
    # those due within the horizon are APScheduler's (a start with 36,000 APScheduler jobs
    # took seconds) — and `jobs()` shows exactly what will run soon, by stable id.
    clock = FakeClock(START)
    s = Scheduler(clock)
    s.start()

    async def job() -> None:
        return None

    try:
        for n in range(2000):  # one every 3 minutes, for 100 hours
            s.at(f"checkin:{n}", START + timedelta(minutes=3 * n + 1), job)
        await s.refill()
        assert len(s.job_ids()) == 2000
        soon = sorted(j.id for j in s.jobs())
        within = [f"checkin:{n}" for n in range(2000) if 3 * n + 1 <= HORIZON_MINUTES]
        assert soon == sorted(within)
        assert all(j.id != REFILL_ID for j in s.jobs())

        # Two hours later the refill hands over the next stretch; what ran is gone.
        clock.advance(timedelta(hours=2))
        ran = await s.run_due()  # runs what fell due, then refills as the job would
        assert len(ran) == 40
        soon = {j.id for j in s.jobs()}
        assert "checkin:40" in soon
        assert "checkin:59" in soon
        assert "checkin:0" not in soon
        assert "checkin:61" not in soon  # 3 h 4 min: beyond the horizon still

        # Cancelled or replaced jobs leave APScheduler too.
        s.cancel("checkin:45")
        s.at("checkin:46", START + timedelta(days=30), job)
        assert not {"checkin:45", "checkin:46"} & {j.id for j in s.jobs()}
    finally:
        await s.shutdown()


async def test_a_burst_due_at_once_is_handed_over_in_short_slots() -> None:
    # 500 servers' prompts due at the same second: APScheduler would run all of one
    # moment's jobs in one callback (~100 µs each), so at most PER_SLOT share a slot.
    clock = FakeClock(START)
    s = Scheduler(clock)
    s.start()

    async def job() -> None:
        return None

    try:
        for n in range(500):
            s.at(f"prompt:{n}", START + timedelta(minutes=5), job)
        await s.refill()
        times = [j.next_run_time for j in s.jobs()]
        assert len(times) == 500
        per_time: dict[object, int] = {}
        for t in times:
            per_time[t] = per_time.get(t, 0) + 1
        assert max(per_time.values()) <= PER_SLOT
        assert len(per_time) >= 500 // PER_SLOT  # spread over that many slots at least
    finally:
        await s.shutdown()


async def test_a_job_due_sooner_than_the_next_wake_up_still_runs_on_time() -> None:
    s = Scheduler(SystemClock())
    s.start()
    ran: list[str] = []
    done = asyncio.Event()

    async def job(name: str) -> None:
        ran.append(name)
        done.set()

    try:
        now = SystemClock().now()
        s.at("far", now + timedelta(hours=1), job, "far")
        await asyncio.sleep(0)
        s.at("soon", now - timedelta(seconds=1), job, "soon")  # past: runs at once
        await asyncio.wait_for(done.wait(), timeout=5)
        assert ran == ["soon"]
        assert s.job_ids() == ["far"]
    finally:
        await s.shutdown()


async def test_due_jobs_run_earliest_first_and_cancelled_or_replaced_ones_never() -> None:
    s = Scheduler(SystemClock())
    s.start()
    ran: list[str] = []
    done = asyncio.Event()

    async def job(name: str) -> None:
        ran.append(name)
        if name == "last":
            done.set()

    try:
        now = SystemClock().now()
        s.at("last", now - timedelta(seconds=1), job, "last")
        s.at("first", now - timedelta(seconds=3), job, "first")
        s.at("gone", now - timedelta(seconds=2), job, "gone")
        s.cancel("gone")
        s.at("moved", now - timedelta(seconds=2), job, "old")
        s.at("moved", now + timedelta(hours=1), job, "moved")  # replaced: only the new time
        await asyncio.wait_for(done.wait(), timeout=5)
        await asyncio.sleep(0)
        assert ran == ["first", "last"]
        assert s.job_ids() == ["moved"]
    finally:
        await s.shutdown()
