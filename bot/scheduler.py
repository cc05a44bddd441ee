"""A thin wrapper over APScheduler 3.11.

The database is the truth; the scheduler is a cache of it that each cog rebuilds
on start (`HearthCog.rebuild_jobs`). Only one-shot jobs exist: recurring things
(a weekly prompt) re-arm themselves with the DST-safe `timeutil.next_weekly`, so
a cron trigger can never fire twice on a fall-back night.

Time comes from the bot's clock. With a FakeClock (tests) APScheduler stays
paused and jobs run only through `fire()` / `run_due()`, so no test waits.

APScheduler holds the real jobs — those due within `HORIZON` (`scheduler.jobs()`, or
APScheduler's own `get_jobs()`, shows what will run soon, each under its stable id) — and
runs them. Later ones wait in a table of ours (a dict by id, a heap by time) until a
refill job, every `REFILL_EVERY`, hands APScheduler the next stretch. Handing it every
job at start cost ~150–290 µs and ~1.3 KB each: 36,000 jobs (5,000 servers, 20,000
check-ins) took 5.9 s and ~45 MB; a rebuild now costs a dict entry and a heap push per
job, and APScheduler only ever holds the next hour's.

Thousands of jobs due in the same minute (every server's weekly prompt at 18:00) are
handed over in stretches that leave the loop a turn, and given run times at most
`PER_SLOT` per `SLOT` apart: APScheduler runs all of one moment's due jobs in one
callback (~100 µs each — 5,000 at once held the loop for half a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.limits import Breather
from bot.shards import HOUSEKEEPING_SHARD, shard_of
from bot.timeutil import UTC, Clock, FakeClock

log = logging.getLogger(__name__)

JobFunc = Callable[..., Awaitable[None]]

# APScheduler holds what is due this far ahead; the refill job runs this often.
HORIZON = timedelta(hours=1)
REFILL_EVERY = timedelta(minutes=10)
# At most PER_SLOT jobs share a SLOT of run time (the rest move to the next slot).
SLOT = timedelta(milliseconds=10)
PER_SLOT = 40
REFILL_ID = "hearth:refill"


@dataclass(slots=True)
class _Entry:
    job_id: str
    due: datetime
    func: JobFunc
    args: tuple[Any, ...]
    seq: int = 0
    handed: bool = False  # APScheduler holds it
    slot: int = field(default=0)  # the run-time slot it was given (for the slot counts)
    shard: int | None = None  # whose it is (None: this process's own, like a wake-up)


class Scheduler:
    def __init__(self, clock: Clock, *, misfire_grace_seconds: int = 6 * 3600) -> None:
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        # (due, job_id, seq, entry) of every job; an item whose entry was replaced,
        # cancelled or run is skipped when it surfaces (the dict is the truth).
        self._heap: list[tuple[datetime, str, int, _Entry]] = []
        # The same, for jobs not yet handed to APScheduler.
        self._waiting: list[tuple[datetime, str, int, _Entry]] = []
        self._seq = itertools.count(1)
        self._frontier: datetime | None = None  # everything due before it is handed over
        self._slots: dict[int, int] = {}  # run-time slot → jobs given it
        self._handing: asyncio.Task[None] | None = None
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
        # Jobs belong to shards (bot.shards): only the shards this process holds run here.
        # None: every shard (one process, the usual Hearth). Jobs of other shards are
        # parked, and armed the moment their shard's lease is taken over (bot.leases).
        self._count = 1
        self._held: set[int] | None = None
        self._parked: dict[str, _Entry] = {}

    # -- shards -------------------------------------------------------------------

    def own(self, count: int, held: set[int]) -> None:
        """From now on run only the jobs of `held` shards (of `count`)."""
        self._count = count
        self._held = set()
        for shard_id in held:
            self.hold(shard_id)
        for entry in [e for e in self._entries.values() if e.shard is not None]:
            if entry.shard not in self._held:
                self._park(entry)

    def hold(self, shard_id: int) -> int:
        """This process now runs `shard_id`'s jobs (its lease was taken): those parked are
        armed. Returns how many."""
        if self._held is None:
            return 0
        self._held.add(shard_id)
        mine = [e for e in self._parked.values() if e.shard == shard_id]
        for entry in mine:
            del self._parked[entry.job_id]
            self._arm(entry.job_id, entry.due, entry.func, entry.args, entry.shard)
        return len(mine)

    def release(self, shard_id: int) -> int:
        """`shard_id`'s lease is gone: its jobs stop here (parked, for a later hold)."""
        if self._held is None:
            return 0
        self._held.discard(shard_id)
        theirs = [e for e in self._entries.values() if e.shard == shard_id]
        for entry in theirs:
            self._park(entry)
        return len(theirs)

    def _park(self, entry: _Entry) -> None:
        self._entries.pop(entry.job_id, None)
        self._unhand(entry)
        self._parked[entry.job_id] = entry

    def _shard(self, guild: int | None, person: int | None, housekeeping: bool) -> int | None:
        if guild is not None:
            return shard_of(guild, self._count)
        if person is not None:
            return shard_of(person, self._count)
        return HOUSEKEEPING_SHARD if housekeeping else None

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Start on the running loop (call from setup_hook)."""
        self._aps.start(paused=self._manual)
        if not self._manual:
            self._aps.add_job(
                self.refill,
                "interval",
                seconds=REFILL_EVERY.total_seconds(),
                id=REFILL_ID,
                replace_existing=True,
            )
        self._frontier = self.clock.now() + HORIZON
        self._hand_soon()

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop taking new runs and let running ones finish their transaction."""
        self._closed = True
        if self._handing is not None:
            self._handing.cancel()
        if self._aps.running:
            self._aps.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)

    # -- jobs -------------------------------------------------------------------

    def at(
        self,
        job_id: str,
        when: datetime,
        func: JobFunc,
        *args: Any,
        guild: int | None = None,
        person: int | None = None,
        housekeeping: bool = False,
    ) -> None:
        """Run `func(*args)` at `when` (aware). A time already past runs at once.

        Whose job it is decides where it runs (bot.shards): a server's (`guild=`), a
        person's (`person=`), or a tidy-up of shard 0's (`housekeeping=True`); none of
        these: this process's own. Re-adding an id replaces the job, so rebuilding from the
        database is idempotent.
        """
        if when.tzinfo is None:
            raise ValueError("job times must be timezone-aware")
        shard = self._shard(guild, person, housekeeping)
        self._parked.pop(job_id, None)
        if shard is not None and self._held is not None and shard not in self._held:
            old = self._entries.pop(job_id, None)
            if old is not None:
                self._unhand(old)
            self._parked[job_id] = _Entry(job_id, when.astimezone(UTC), func, args, 0, shard=shard)
            return
        self._arm(job_id, when, func, args, shard)

    def _arm(
        self, job_id: str, when: datetime, func: JobFunc, args: tuple[Any, ...], shard: int | None
    ) -> None:
        old = self._entries.get(job_id)
        if old is not None:
            self._unhand(old)
        entry = _Entry(job_id, when.astimezone(UTC), func, args, next(self._seq), shard=shard)
        self._entries[job_id] = entry
        item = (entry.due, job_id, entry.seq, entry)
        heapq.heappush(self._heap, item)
        heapq.heappush(self._waiting, item)
        if len(self._heap) > 2 * len(self._entries) + 1024:
            self._compact()
        if self._frontier is not None and entry.due <= self._frontier:
            self._hand_soon()

    def cancel(self, job_id: str) -> bool:
        parked = self._parked.pop(job_id, None) is not None
        entry = self._entries.pop(job_id, None)
        if entry is None:
            return parked
        self._unhand(entry)
        return True

    def cancel_prefix(self, prefix: str) -> int:
        ids = [j for j in {*self._entries, *self._parked} if j.startswith(prefix)]
        for job_id in ids:
            self.cancel(job_id)
        return len(ids)

    def due(self, job_id: str) -> datetime | None:
        entry = self._entries.get(job_id)
        return None if entry is None else entry.due

    def job_ids(self, prefix: str = "") -> list[str]:
        """The jobs that run here (not those parked for shards another process holds)."""
        return sorted(j for j in self._entries if j.startswith(prefix))

    def parked_ids(self, prefix: str = "") -> list[str]:
        return sorted(j for j in self._parked if j.startswith(prefix))

    def jobs(self) -> list[Any]:
        """What will run soon: APScheduler's own jobs (each under its stable id), without
        the refill job."""
        return [job for job in self._aps.get_jobs() if job.id != REFILL_ID]

    async def fire(self, job_id: str) -> bool:
        """Run a job now, whatever its time (tests and admin use). False if unknown."""
        entry = self._entries.pop(job_id, None)
        if entry is None:
            return False
        self._unhand(entry)
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
        if self._manual:
            await self.refill()  # the clock moved: the next stretch, as the refill job would
        return ran

    async def refill(self) -> None:
        """Hand APScheduler every job due within the horizon from now."""
        self._frontier = self.clock.now() + HORIZON
        await self._hand_over()

    # -- handing jobs to APScheduler ---------------------------------------------

    def _hand_soon(self) -> None:
        # One hand-over at a time, however many jobs a rebuild adds in between.
        if self._closed or (self._handing is not None and not self._handing.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not started yet: start() hands over
        self._handing = loop.create_task(self._hand_over(), name="scheduler:hand-over")

    async def _hand_over(self) -> None:
        breathe = Breather()
        frontier = self._frontier
        while frontier is not None and self._waiting and not self._closed:
            due, job_id, _, entry = self._waiting[0]
            if due > frontier:
                break
            heapq.heappop(self._waiting)
            if self._entries.get(job_id) is not entry or entry.handed:
                continue  # replaced, cancelled or run meanwhile
            self._hand(entry)
            await breathe()
            frontier = self._frontier

    def _hand(self, entry: _Entry) -> None:
        now = self.clock.now()
        # APScheduler keeps real time; translate our clock's delay onto it.
        run_at = datetime.now(UTC) + max(entry.due - now, timedelta(0))
        slot = int(run_at.timestamp() / SLOT.total_seconds())
        while self._slots.get(slot, 0) >= PER_SLOT:
            slot += 1
        self._slots[slot] = self._slots.get(slot, 0) + 1
        if len(self._slots) > 4096:
            horizon_start = int(datetime.now(UTC).timestamp() / SLOT.total_seconds()) - 1
            self._slots = {k: v for k, v in self._slots.items() if k >= horizon_start}
        run_at = max(run_at, datetime.fromtimestamp(slot * SLOT.total_seconds(), UTC))
        entry.handed = True
        entry.slot = slot
        self._aps.add_job(
            self._run_handed,
            "date",
            run_date=run_at,
            args=(entry.job_id, entry.seq),
            id=entry.job_id,
            replace_existing=True,
        )

    def _unhand(self, entry: _Entry) -> None:
        if not entry.handed:
            return
        entry.handed = False
        left = self._slots.get(entry.slot, 0) - 1
        if left > 0:
            self._slots[entry.slot] = left
        else:
            self._slots.pop(entry.slot, None)
        with contextlib.suppress(JobLookupError):  # it is running right now
            self._aps.remove_job(entry.job_id)

    async def _run_handed(self, job_id: str, seq: int) -> None:
        """APScheduler's job: run ours, unless it was replaced or cancelled meanwhile."""
        entry = self._entries.get(job_id)
        if entry is None or entry.seq != seq or self._closed:
            return
        del self._entries[job_id]
        entry.handed = False
        await self._run(entry)

    # -- the table ----------------------------------------------------------------

    def _peek(self) -> _Entry | None:
        heap = self._heap
        while heap:
            entry = heap[0][3]
            if self._entries.get(entry.job_id) is entry:
                return entry
            heapq.heappop(heap)  # replaced, cancelled or run
        return None

    def _pop_due(self, now: datetime) -> _Entry | None:
        entry = self._peek()
        if entry is None or entry.due > now:
            return None
        heapq.heappop(self._heap)
        del self._entries[entry.job_id]
        self._unhand(entry)
        return entry

    def _compact(self) -> None:
        live = [(e.due, e.job_id, e.seq, e) for e in self._entries.values()]
        self._heap = list(live)
        heapq.heapify(self._heap)
        self._waiting = [item for item in live if not item[3].handed]
        heapq.heapify(self._waiting)

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
