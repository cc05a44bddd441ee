"""A thin wrapper over APScheduler 3.11.

The database is the truth; the scheduler is a cache of it that each cog rebuilds
on start (`HearthCog.rebuild_jobs`). Only one-shot jobs exist: recurring things
(a weekly prompt) re-arm themselves with the DST-safe `timeutil.next_weekly`, so
a cron trigger can never fire twice on a fall-back night.

Time comes from the bot's clock. With a FakeClock (tests) APScheduler stays
paused and jobs run only through `fire()` / `run_due()`, so no test waits.
"""

from __future__ import annotations

import asyncio
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


class Scheduler:
    def __init__(self, clock: Clock, *, misfire_grace_seconds: int = 6 * 3600) -> None:
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
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

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop taking new runs and let running ones finish their transaction."""
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
        now = self.clock.now()
        # APScheduler keeps real time; translate our clock's delay onto it.
        run_at = datetime.now(UTC) + max(entry.due - now, timedelta(0))
        self._aps.add_job(
            self._run,
            "date",
            run_date=run_at,
            args=(job_id,),
            id=job_id,
            replace_existing=True,
        )

    def cancel(self, job_id: str) -> bool:
        entry = self._entries.pop(job_id, None)
        if self._aps.get_job(job_id) is not None:
            self._aps.remove_job(job_id)
        return entry is not None

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
        if job_id not in self._entries:
            return False
        if self._aps.get_job(job_id) is not None:
            self._aps.remove_job(job_id)
        await self._run(job_id)
        return True

    async def run_due(self, limit: int = 10_000) -> list[str]:
        """Run every job due by the clock's now, earliest first; returns their ids."""
        ran: list[str] = []
        for _ in range(limit):
            now = self.clock.now()
            ready = [e for e in self._entries.values() if e.due <= now]
            if not ready:
                break
            entry = min(ready, key=lambda e: (e.due, e.job_id))
            await self.fire(entry.job_id)
            ran.append(entry.job_id)
        return ran

    async def _run(self, job_id: str) -> None:
        entry = self._entries.pop(job_id, None)
        if entry is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await entry.func(*entry.args)
        except Exception:
            # One failed job must never take the scheduler (or its siblings) down.
            log.exception("scheduled job failed job_id=%s", job_id)
        finally:
            if task is not None:
                self._running.discard(task)

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("scheduled job missed job_id=%s", event.job_id)
        else:
            log.error("scheduled job error job_id=%s", event.job_id)
