"""Shared pieces of the benchmarks: rows, sizes, memory, the loop-lag probe, clocks.

Kept light on purpose: the bot worker (`bench.worker`) imports this module, and anything
imported here is counted in its resident memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    """How big and how long each benchmark runs. `FULL` is the issue's (`make bench`);
    `SHORT` the same at a minute a row, for a quick look; `TINY` keeps the smoke test fast."""

    name: str
    # 1–4. interactions arriving at a rate (bench/load.py), each after a warm-up
    sustained_rate: float
    sustained_seconds: float
    capacity_rate: float  # on one core
    capacity_seconds: float
    cpu_rate: float  # Hearth's mix against a plain bot's /ping
    cpu_seconds: float  # each bot's measured time, split into `cpu_rounds` runs
    uptime_rate: float
    uptime_seconds: float
    load_warmup: float  # seconds at the rate before measuring
    load_window: float  # seconds per reading of the bot's memory, collections and stalls
    load_guilds: int  # at least this many servers of 20 people
    # weekly prompt fan-out
    fanout_guilds: int
    # check-in burst
    checkin_people: int
    checkin_quiet_people: int
    # start-up at scale
    startup_guilds: int
    startup_people: int
    startup_sessions: int
    # memory against a plain bot
    memory_guilds: int
    memory_small_guilds: int
    memory_members: int
    # Limits the bot works under (Hearth's own defaults at full size).
    dm_open_rate: float = 5.0
    dm_open_burst: int = 5
    # A tiny run picks people whose check-in spread (cogs/support JITTER) is this short.
    checkin_max_spread: float | None = None
    # Seconds between one person's steps in the load (reading, then clicking), and how many
    # people have a DM check-in (they pick a mood now and then).
    load_think: float = 1.0
    load_mood_people: int = 200
    # How long the bot idles between ready and the moment the prompts / check-ins fall due.
    lead_seconds: float = 4.0
    # Benchmark 3 alternates the two bots (plain, Hearth, Hearth, plain, …) over this many
    # rounds: this machine's speed drifts by a fifth over minutes, and a ratio of two runs
    # taken a minute apart moved with it.
    cpu_rounds: int = 4
    # discord.py's wait for GUILD_CREATEs after READY: its default (production's) 2 s.
    guild_ready_timeout: float = 2.0


FULL = Size(
    name="full",
    sustained_rate=50.0,
    sustained_seconds=900.0,
    capacity_rate=200.0,
    capacity_seconds=900.0,
    cpu_rate=50.0,
    cpu_seconds=120.0,
    uptime_rate=20.0,
    uptime_seconds=900.0,
    load_warmup=30.0,
    load_window=60.0,
    load_guilds=100,
    fanout_guilds=1000,
    checkin_people=1000,
    checkin_quiet_people=100,
    startup_guilds=5000,
    startup_people=20_000,
    startup_sessions=500,
    memory_guilds=5000,
    memory_small_guilds=1000,
    memory_members=20,
)

TINY = Size(
    name="tiny",
    sustained_rate=10.0,
    sustained_seconds=1.5,
    capacity_rate=10.0,
    capacity_seconds=1.5,
    cpu_rate=10.0,
    cpu_seconds=1.5,
    uptime_rate=10.0,
    uptime_seconds=1.5,
    load_warmup=0.5,
    load_window=0.5,
    load_guilds=2,
    load_think=0.1,
    load_mood_people=4,
    fanout_guilds=12,
    checkin_people=12,
    checkin_quiet_people=3,
    startup_guilds=30,
    startup_people=60,
    startup_sessions=6,
    memory_guilds=40,
    memory_small_guilds=10,
    memory_members=4,
    dm_open_rate=20.0,
    dm_open_burst=5,
    checkin_max_spread=1.0,
    cpu_rounds=1,
    lead_seconds=3.0,  # a start on a busy machine must still be ready before it's due
    guild_ready_timeout=0.02,
)

# The full size's servers and people, a minute per row of load: a quick look, not figures
# to compare with the targets (those are for 15 minutes).
SHORT = replace(
    FULL,
    name="short",
    sustained_seconds=60.0,
    capacity_seconds=60.0,
    cpu_seconds=60.0,
    cpu_rounds=2,
    uptime_seconds=60.0,
    load_warmup=10.0,
    load_window=10.0,
)

# --------------------------------------------------------------------------- rows


@dataclass
class Row:
    """One line of the table: a figure, its target and whether it met it."""

    bench: str
    figure: str
    value: float | None
    unit: str
    target: float | None = None
    better: str = "lower"  # "lower": value ≤ target passes; "higher": value ≥ target
    note: str = ""
    digits: int = 1

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.target:
            return None
        return self.value / self.target

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        if self.value is None or math.isnan(self.value):
            return False
        if self.better == "lower":
            return self.value <= self.target
        return self.value >= self.target

    def shown(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "—"
        return f"{value:,.{self.digits}f} {self.unit}".strip()

    def as_dict(self) -> dict[str, Any]:
        return {
            "bench": self.bench,
            "figure": self.figure,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "better": self.better,
            "ratio": self.ratio,
            "ok": self.ok,
            "note": self.note,
        }


@dataclass
class Outcome:
    """What one benchmark returns: its rows and the loop stalls it saw (for benchmark 6)."""

    rows: list[Row] = field(default_factory=list)
    stall_ms: float | None = None
    stall_connected_ms: float | None = None  # start-up: only while connected to Discord
    seconds: float = 0.0
    # What went wrong: a post missing or doubled, an error nobody provoked. The smoke test
    # (tests/test_bench_smoke.py) fails on these.
    problems: list[str] = field(default_factory=list)
    # What came later than the run allowed for (a bot ready after the due time, an answer
    # past 3 s): a loaded machine does this. Reported with the figures, which judge speed.
    timing: list[str] = field(default_factory=list)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank: a value that really occurred."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- memory


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB (MiB), from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cores() -> int:
    return len(os.sched_getaffinity(0))


# --------------------------------------------------------------------------- loop lag


# Lags below this aren't kept as stalls (a row of 0 ms means none reached it).
STALL_THRESHOLD = 0.02


class LoopProbe:
    """Measures event-loop stalls: a task that asks to wake every `interval` seconds and
    records how late it actually woke. A callback that holds the loop for 80 ms shows up as
    a wake-up ~80 ms late. (Not asyncio debug mode, which slows everything it watches.)"""

    def __init__(self, interval: float = 0.005, threshold: float = STALL_THRESHOLD) -> None:
        self.interval = interval
        self.threshold = threshold
        self.max_lag = 0.0
        self.samples = 0
        self.stalls: list[tuple[float, float]] = []  # (monotonic time, lag s) above threshold
        self._task: asyncio.Task[None] | None = None
        self.last_tick = time.monotonic()

    def watch_stacks(self, limit: float = 0.04) -> None:
        """Diagnosis: a thread prints the loop thread's stack while the loop is stalled."""
        import sys
        import threading
        import traceback

        main = threading.get_ident()

        def watch() -> None:
            reported = 0.0
            while True:
                time.sleep(0.005)
                tick = self.last_tick
                if time.monotonic() - tick > limit and tick != reported:
                    reported = tick
                    frame = sys._current_frames().get(main)
                    if frame is not None:
                        stack = "".join(traceback.format_stack(frame)[-14:])
                        print(f"STALL >{limit * 1000:.0f} ms:\n{stack}", file=sys.stderr)

        threading.Thread(target=watch, daemon=True, name="stall-watch").start()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-probe")

    def reset(self) -> None:
        self.max_lag = 0.0
        self.samples = 0
        self.stalls.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            lag = max(0.0, loop.time() - expected)
            self.last_tick = time.monotonic()
            self.samples += 1
            if lag > self.max_lag:
                self.max_lag = lag
            if lag >= self.threshold:
                self.stalls.append((time.monotonic(), lag))

    def worst_between(self, start: float, end: float) -> float:
        """The longest stall (s) that ended in [start, end] (monotonic), from the record."""
        return max((lag for t, lag in self.stalls if start <= t <= end), default=0.0)


class GcWatch:
    """How long the cyclic garbage collector held the process (a stall the probe also sees;
    this says how much of it was the collector)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_gen = -1
        self.total = 0.0
        self.runs = [0, 0, 0]
        self._started = 0.0

    def start(self) -> None:
        import gc

        gc.callbacks.append(self._callback)

    def reset(self) -> None:
        self.longest, self.longest_gen, self.total, self.runs = 0.0, -1, 0.0, [0, 0, 0]

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.total += took
        self.runs[info["generation"]] += 1
        if took > self.longest:
            self.longest, self.longest_gen = took, info["generation"]

    def summary(self) -> dict[str, Any]:
        return {
            "longest_ms": self.longest * 1000,
            "longest_gen": self.longest_gen,
            "total_ms": self.total * 1000,
            "runs": list(self.runs),
        }


def gc_note(stats: dict[str, Any]) -> str:
    gc = stats.get("gc") or {}
    if not gc or gc.get("longest_gen", -1) < 0:
        return "no garbage collection"
    return (
        f"longest garbage collection {gc['longest_ms']:.0f} ms (generation {gc['longest_gen']}), "
        f"{gc['total_ms']:.0f} ms in all"
    )


# --------------------------------------------------------------------------- clocks


class ShiftedClock:
    """The real clock moved to a chosen instant: time runs at real speed, so APScheduler
    and Discord's rate limits behave as in production, but the date is the benchmark's.

    Not a FakeClock, so Hearth's scheduler runs jobs at their time (bot/scheduler.py)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    @classmethod
    def at(cls, instant: datetime) -> ShiftedClock:
        return cls(instant - datetime.now(UTC))

    def set(self, instant: datetime) -> None:
        """From now on, read `instant` (and onwards at real speed)."""
        self.offset = instant - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def monotonic() -> float:
    return time.monotonic()
