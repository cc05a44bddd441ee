"""Benchmarks 1–4 — interactions arriving at a stated rate for a stated time
(`bench/load.py`), each from a fresh bot process and after a warm-up.

1. Sustained load: the mix at 50 a second for 15 minutes.
2. Capacity on one core: the mix at 200 a second for 15 minutes, the bot pinned to one
   core and the emulator to the other.
3. CPU per interaction against a plain discord.py bot answering `/ping` at the same rate.
4. Uptime: after 15 minutes at 20 a second, memory and garbage-collection pauses against
   their values at ready.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.common import Outcome, Row, Size, percentile
from bench.load import DEADLINE_MS, Run, run_load

SUSTAINED = "1. sustained load"
CAPACITY = "2. capacity on one core"
CPU = "3. CPU against a plain bot"
UPTIME = "4. memory and pauses over time"


def _minutes(seconds: float) -> str:
    if seconds >= 60:
        minutes = seconds / 60
        return f"{minutes:g} minute{'s' * (minutes != 1)}"
    return f"{seconds:g} s"


def _where(run: Run) -> str:
    return (
        f"{run.interactions:,} interactions in {run.wall:.0f} s ({run.achieved:.1f}/s), "
        f"{run.guilds} servers, {run.people:,} people; p50/p99 ms by kind: {run.by_kind()}"
    )


def _late(run: Run) -> str:
    t = run.tally
    return f"{t.late_unmeasured} with no answer at all" if t.late_unmeasured else "all answered"


async def sustained(size: Size, work: Path) -> Outcome:
    rate, seconds = size.sustained_rate, size.sustained_seconds
    run = await run_load(
        size, work, name="sustained", rate=rate, seconds=seconds, count_writes=True
    )
    writes = run.after["interaction_writes"]
    commits = run.after["transactions"] - run.before["transactions"]
    out = Outcome(problems=run.problems, timing=run.timing)
    out.rows += [
        Row(
            SUSTAINED,
            f"p50 at {rate:g}/s for {_minutes(seconds)}",
            run.percentile(50),
            "ms",
            5.0,
            digits=1,
            note=_where(run),
        ),
        Row(
            SUSTAINED,
            "p99",
            run.percentile(99),
            "ms",
            25.0,
            digits=1,
            note=f"{run.cpu_note()}; {run.trend()}",
        ),
        Row(
            SUSTAINED,
            "p99.9",
            run.percentile(99.9),
            "ms",
            100.0,
            digits=1,
            note=f"slowest {max(run.tally.every, default=float('nan')):.0f} ms",
        ),
        Row(
            SUSTAINED,
            "answered after 3 s, or not at all",
            run.tally.late,
            "",
            0,
            digits=0,
            note=_late(run),
        ),
        Row(
            SUSTAINED,
            "write transactions per interaction (most)",
            writes["worst"],
            "",
            1,
            digits=0,
            note=f"{commits / max(run.interactions, 1):.2f} commits per interaction on average; "
            f"handlers by commits: {writes['histogram']}"
            + (f"; more than one: {', '.join(writes['who'])}" if writes["who"] else ""),
        ),
        Row(
            SUSTAINED,
            "longest loop stall",
            run.stall_longest(),
            "ms",
            50.0,
            digits=0,
            note=f"longest garbage collection {run.gc_longest():.0f} ms",
        ),
    ]
    out.stall_ms = run.stall_longest()
    out.seconds = run.wall
    return out


def _own_core() -> tuple[set[int] | None, set[int] | None]:
    """The last core for the bot, the rest for the emulator and the load (None, None on a
    machine with one core)."""
    cores = sorted(os.sched_getaffinity(0))
    return ({cores[-1]}, set(cores[:-1])) if len(cores) > 1 else (None, None)


async def capacity(size: Size, work: Path) -> Outcome:
    rate, seconds = size.capacity_rate, size.capacity_seconds
    bot_core, bench_cores = _own_core()
    run = await run_load(
        size,
        work,
        name="capacity",
        rate=rate,
        seconds=seconds,
        cpus=bot_core,
        emulator_cpus=bench_cores,
    )
    busy = (run.after["cpu"] - run.before["cpu"]) / run.wall * 100 if run.wall else 0.0
    answered = [ms for ms in run.tally.every if ms <= DEADLINE_MS]
    out = Outcome(problems=run.problems, timing=run.timing)
    pinned = f"the bot on core {min(bot_core)}" if bot_core else "one core only: not pinned"
    out.rows += [
        Row(
            CAPACITY,
            f"interactions a second, {_minutes(seconds)}",
            # The load offers rate × seconds interactions (the last flows' next steps come a
            # moment after `seconds`): those answered within 3 s, over the time they were
            # offered in. Dividing by the wall time would count the drain as idle.
            len(answered) / seconds if seconds else 0.0,
            "/s",
            rate,
            better="higher",
            digits=1,
            note=f"{len(answered):,} of {run.interactions:,} offered answered within 3 s; "
            f"{_where(run)}; {pinned}, its core {busy:.0f} % busy",
        ),
        Row(
            CAPACITY,
            f"p99 at {rate:g}/s",
            run.percentile(99),
            "ms",
            100.0,
            digits=1,
            note=f"p50 {run.percentile(50):.1f} ms, p99.9 {run.percentile(99.9):.1f} ms; "
            f"{run.cpu_note()}; {run.trend()}; {_late(run)}",
        ),
    ]
    out.seconds = run.wall
    return out


async def cpu(size: Size, work: Path) -> Outcome:
    """Each bot measured over `cpu_rounds` runs in the order plain, Hearth, Hearth, plain, …
    so a drift in the machine's speed falls on both alike; each figure is the CPU of all of
    its runs over all of their interactions."""
    rate, rounds = size.cpu_rate, max(size.cpu_rounds, 1)
    seconds = size.cpu_seconds / rounds
    bot_core, bench_cores = _own_core()  # neither bot shares its core with the emulator
    runs: dict[str, list[Run]] = {"plain": [], "hearth": []}
    for i in range(rounds):
        for kind in ("plain", "hearth") if i % 2 == 0 else ("hearth", "plain"):
            run = await run_load(
                size,
                work,
                name="cpu",
                rate=rate,
                seconds=seconds,
                kind=kind,
                cpus=bot_core,
                emulator_cpus=bench_cores,
            )
            runs[kind].append(run)
    plain, hearth = _cpu_ms(runs["plain"]), _cpu_ms(runs["hearth"])
    ratio = hearth / plain if plain else float("nan")
    each = [
        f"{h.bot_cpu_ms() / p.bot_cpu_ms():.2f}" if p.bot_cpu_ms() else "?"
        for p, h in zip(runs["plain"], runs["hearth"], strict=True)
    ]
    everything = runs["plain"] + runs["hearth"]
    out = Outcome(
        problems=[p for r in everything for p in r.problems],
        timing=[t for r in everything for t in r.timing],
    )
    out.rows += [
        Row(
            CPU,
            f"plain bot, /ping at {rate:g}/s",
            plain,
            "ms",
            digits=2,
            note=f"CPU per interaction; {_cpu_note(runs['plain'])}; the same intents as Hearth",
        ),
        Row(
            CPU,
            f"Hearth, the mix at {rate:g}/s",
            hearth,
            "ms",
            digits=2,
            note=f"CPU per interaction; {_cpu_note(runs['hearth'])}",
        ),
        Row(
            CPU,
            "Hearth ÷ plain bot",
            ratio,
            "×",
            2.0,
            digits=2,
            note=f"{rounds} rounds, each bot's runs alternating; round by round: {', '.join(each)}",
        ),
    ]
    out.seconds = sum(r.wall for r in everything)
    return out


def _cpu_ms(runs: list[Run]) -> float:
    """CPU per interaction over several runs: all their CPU over all their interactions."""
    interactions = sum(r.interactions for r in runs)
    cpu = sum(r.bot_cpu_ms() * r.interactions for r in runs)
    return cpu / interactions if interactions else float("nan")


def _cpu_note(runs: list[Run]) -> str:
    every = [t for r in runs for t in r.tally.every]
    return (
        f"{sum(r.interactions for r in runs):,} interactions in {len(runs)} run"
        f"{'s' * (len(runs) > 1)} ({' / '.join(f'{r.bot_cpu_ms():.2f}' for r in runs)} ms), "
        f"p50/p99 {percentile(every, 50):.1f}/{percentile(every, 99):.1f} ms"
    )


async def uptime(size: Size, work: Path) -> Outcome:
    rate, seconds = size.uptime_rate, size.uptime_seconds
    run = await run_load(size, work, name="uptime", rate=rate, seconds=seconds)
    ready_gc = run.ready["gc"]["longest_ms"]
    last = run.windows[-1] if run.windows else None
    last_gc = last.gc_longest_ms if last else float("nan")
    window = f"the last {size.load_window:g} s"
    out = Outcome(problems=run.problems, timing=run.timing)
    out.rows += [
        Row(
            UPTIME,
            f"resident memory after {_minutes(seconds)} at {rate:g}/s − at ready",
            run.end["rss"] - run.ready["rss"],
            "MB",
            10.0,
            digits=1,
            note=f"at ready {run.ready['rss']:.1f} MB, after setting up {run.guilds} servers "
            f"and warming up {run.warmed['rss']:.1f} MB, at the end {run.end['rss']:.1f} MB "
            f"(each after a collection); {run.interactions:,} interactions",
        ),
        Row(
            UPTIME,
            f"longest collection in {window} − up to ready",
            last_gc - ready_gc,
            "ms",
            50.0,
            digits=0,
            note=f"up to ready {ready_gc:.0f} ms, in {window} {last_gc:.0f} ms; "
            f"{run.trend()}; p99 {run.percentile(99):.1f} ms",
        ),
    ]
    out.seconds = run.wall
    return out
