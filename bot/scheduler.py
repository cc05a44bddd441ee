"""A thin wrapper over APScheduler 3.11.

The database is the truth; the scheduler is a cache of it that each cog rebuilds
on start (`HearthCog.rebuild_jobs`). Only one-shot jobs exist: recurring things
(a weekly prompt) re-arm themselves with the DST-safe `timeutil.next_weekly`, so
a cron trigger can never fire twice on a fall-back night.

Time comes from the bot's clock. With a FakeClock (tests) APScheduler stays
paused and jobs run only through `fire()` / `run_due()`, so no test waits.

Jobs live in our own table (a dict by id plus a heap by time); APScheduler holds one
job, the next wake-up. Handing APScheduler every job cost ~150 µs and ~1.3 KB each:
36,000 jobs (5,000 servers, 20,000 check-ins) took 5.9 s and ~45 MB at every start.
Now a rebuild costs a dict entry and a heap push per job, and at each wake-up every
job that is due runs as its own task, as APScheduler would run them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.timeutil import UTC, Clock, FakeClock

log = logging.getLogger(__name__)

JobFunc = Callable[..., Awaitable[None]]


@dataclass(slots=True)
class _Entry:
    job_id: str
    due: datetime
    func: JobFunc
    args: tuple[Any, ...]


# APScheduler's one job: run whatever is due, then sleep until the next due time.
WAKE_ID = "hearth:wake"


class Scheduler:
    def __init__(self, clock: Clock, *, misfire_grace_seconds: int = 6 * 3600) -> None:
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        # (due, job_id, seq, entry); an item whose entry was replaced or cancelled is
        # skipped when it surfaces (the dict is the truth).
        self._heap: list[tuple[datetime, str, int, _Entry]] = []
        self._seq = itertools.count()
        self._wake_at: datetime | None = None  # due time the armed wake-up stands for
        self._arm_pending = False
        self._closed = False
        self._running: set[asyncio.Task[None]] = set()
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                # APScheduler's default of 1 s silently drops a job after a short stall.
                "misfire_grace_time": misfire_grace_seconds,
            },
        )
        self._aps.add_listener(self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self._manual = isinstance(clock, FakeClock)

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Start on the running loop (call from setup_hook)."""
        self._aps.start(paused=self._manual)
        self._arm()

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop taking new runs and let running ones finish their transaction."""
        self._closed = True
        if self._aps.running:
            self._aps.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)

    # -- jobs -------------------------------------------------------------------

    def at(self, job_id: str, when: datetime, func: JobFunc, *args: Any) -> None:
        """Run `func(*args)` at `when` (aware). A time already past runs at once.

        Re-adding an id replaces the job, so rebuilding from the database is idempotent.
        """
        if when.tzinfo is None:
            raise ValueError("job times must be timezone-aware")
        entry = _Entry(job_id, when.astimezone(UTC), func, args)
        self._entries[job_id] = entry
        heapq.heappush(self._heap, (entry.due, job_id, next(self._seq), entry))
        if len(self._heap) > 2 * len(self._entries) + 1024:
            self._compact()
        if self._wake_at is None or entry.due < self._wake_at:
            self._arm_soon()

    def cancel(self, job_id: str) -> bool:
        return self._entries.pop(job_id, None) is not None

    def cancel_prefix(self, prefix: str) -> int:
        ids = [j for j in self._entries if j.startswith(prefix)]
        for job_id in ids:
            self.cancel(job_id)
        return len(ids)

    def due(self, job_id: str) -> datetime | None:
        entry = self._entries.get(job_id)
        return None if entry is None else entry.due

    def job_ids(self, prefix: str = "") -> list[str]:
        return sorted(j for j in self._entries if j.startswith(prefix))

    async def fire(self, job_id: str) -> bool:
        """Run a job now, whatever its time (tests and admin use). False if unknown."""
        entry = self._entries.pop(job_id, None)
        if entry is None:
            return False
        await self._run(entry)
        return True

    async def run_due(self, limit: int = 10_000) -> list[str]:
        """Run every job due by the clock's now, earliest first; returns their ids."""
        ran: list[str] = []
        for _ in range(limit):
            entry = self._pop_due(self.clock.now())
            if entry is None:
                break
            await self._run(entry)
            ran.append(entry.job_id)
        return ran

    # -- the table and the one wake-up ------------------------------------------

    def _peek(self) -> _Entry | None:
        heap = self._heap
        while heap:
            entry = heap[0][3]
            if self._entries.get(entry.job_id) is entry:
                return entry
            heapq.heappop(heap)  # replaced or cancelled
        return None

    def _pop_due(self, now: datetime) -> _Entry | None:
        entry = self._peek()
        if entry is None or entry.due > now:
            return None
        heapq.heappop(self._heap)
        del self._entries[entry.job_id]
        return entry

    def _compact(self) -> None:
        self._heap = [(e.due, e.job_id, next(self._seq), e) for e in self._entries.values()]
        heapq.heapify(self._heap)

    def _arm_soon(self) -> None:
        # Once per loop turn, however many jobs a rebuild adds in between.
        if self._arm_pending or self._manual or self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not started yet: start() arms
        self._arm_pending = True
        loop.call_soon(self._arm)

    def _arm(self) -> None:
        """Keep APScheduler's one job at the earliest due time (real time for our clock)."""
        self._arm_pending = False
        if self._manual or self._closed or not self._aps.running:
            return
        first = self._peek()
        if first is None or (self._wake_at is not None and self._wake_at <= first.due):
            return
        self._wake_at = first.due
        # APScheduler keeps real time; translate our clock's delay onto it.
        run_at = datetime.now(UTC) + max(first.due - self.clock.now(), timedelta(0))
        self._aps.add_job(self._wake, "date", run_date=run_at, id=WAKE_ID, replace_existing=True)

    async def _wake(self) -> None:
        self._wake_at = None
        if self._closed:
            return
        now = self.clock.now()
        loop = asyncio.get_running_loop()
        while (entry := self._pop_due(now)) is not None:
            task = loop.create_task(self._execute(entry), name=f"job:{entry.job_id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        self._arm()

    async def _run(self, entry: _Entry) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await self._execute(entry)
        finally:
            if task is not None:
                self._running.discard(task)

    @staticmethod
    async def _execute(entry: _Entry) -> None:
        try:
            await entry.func(*entry.args)
        except Exception:
            # One failed job must never take the scheduler (or its siblings) down.
            log.exception("scheduled job failed job_id=%s", entry.job_id)

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("scheduled job missed job_id=%s", event.job_id)
        else:
            log.error("scheduled job error job_id=%s", event.job_id)
