"""`python -m bench` (`make bench`): Hearth's benchmarks through the local Discord emulator,
each run twice; prints every figure with its target and PASS or FAIL, writes the table to
bench/results/latest.md (not tracked by git), and exits non-zero when a figure fails.
`--doc` (`make bench-doc`) also rewrites the results in docs/performance.md.

    python -m bench                  # everything, full length, twice (about two hours)
    python -m bench --short          # a minute per load row, once: a quick look
    python -m bench --only 1,6       # some of them
    python -m bench --runs 1         # once
    python -m bench --tiny           # every benchmark at a tiny size (what the smoke test runs)
    python -m bench --keep DIR       # keep the databases and the bots' logs in DIR
    python -m bench --doc            # also update docs/performance.md (full runs only)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bench import checkins, fanout, memory, report, startup, sustained
from bench.common import FULL, SHORT, TINY, Outcome, Row, Size
from bench.world import workspace

Bench = Callable[[Size, Path], Awaitable[Outcome]]
BENCHMARKS: dict[int, tuple[str, Bench]] = {
    1: (sustained.SUSTAINED, sustained.sustained),
    2: (sustained.CAPACITY, sustained.capacity),
    3: (sustained.CPU, sustained.cpu),
    4: (sustained.UPTIME, sustained.uptime),
    5: (memory.NAME, memory.run),
    6: (startup.NAME, startup.run),
    7: (fanout.NAME, fanout.run),
    8: (checkins.NAME, checkins.run),
}
STALLS = "9. event-loop stalls"
STALL_SOURCES = (1, 6, 7, 8)  # sustained load, start-up (once connected), fan-out, check-ins


def stall_rows(outcomes: dict[int, Outcome]) -> list[Row]:
    """The longest stall during the sustained load, the start-up (from the moment Hearth
    connects to Discord: before that, nothing can be kept waiting), the fan-out and the
    check-in burst."""
    seen: dict[int, float] = {}
    for n, o in outcomes.items():
        if n not in STALL_SOURCES:
            continue
        ms = o.stall_connected_ms if o.stall_connected_ms is not None else o.stall_ms
        if ms is not None:
            seen[n] = ms
    if not seen:
        return []

    def name(n: int) -> str:
        return BENCHMARKS[n][0].split(" ", 1)[1]

    return [
        Row(
            STALLS,
            "longest stall during 1 and 6–8",
            max(seen.values()),
            "ms",
            50.0,
            digits=0,
            note=", ".join(f"{name(n)} {ms:.0f} ms" for n, ms in seen.items())
            + (" (start-up from the gateway connection on)" if 6 in seen else ""),
        )
    ]


async def run_once(
    size: Size, chosen: Sequence[int], work: Path
) -> tuple[list[Row], list[str], list[str]]:
    """(rows, problems, timing): what went wrong, and what only came late (`Outcome`)."""
    rows: list[Row] = []
    problems: list[str] = []
    timing: list[str] = []
    outcomes: dict[int, Outcome] = {}
    for n in chosen:
        name, bench = BENCHMARKS[n]
        print(f"… {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            out = await bench(size, work)
        except Exception as exc:  # one broken benchmark must not hide the others
            traceback.print_exc()
            rows.append(Row(name, "did not finish", None, "", note=f"{type(exc).__name__}: {exc}"))
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        outcomes[n] = out
        rows += out.rows
        problems += [f"{name}: {p}" for p in out.problems]
        timing += [f"{name}: {t}" for t in out.timing]
        print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    rows += stall_rows(outcomes)
    return rows, problems, timing


async def run_all(
    size: Size, chosen: Sequence[int], work: Path, runs: int = 1
) -> tuple[list[report.Figure], list[str], list[str]]:
    """Every chosen benchmark, `runs` times over (each run the whole set, in order): the
    figures with one value per run, and the problems and lateness of every run."""
    every: list[list[Row]] = []
    problems: list[str] = []
    timing: list[str] = []
    for i in range(runs):
        if runs > 1:
            print(f"run {i + 1} of {runs}", file=sys.stderr, flush=True)
        rows, p, t = await run_once(size, chosen, work)
        every.append(rows)
        tag = f"run {i + 1}: " if runs > 1 else ""
        problems += [tag + x for x in p]
        timing += [tag + x for x in t]
    return report.merge(every), problems, timing


LATEST = Path(__file__).resolve().parent / "results" / "latest.md"


def epilog() -> str:
    listed = "\n".join(f"  {name}" for name, _ in BENCHMARKS.values())
    return (
        f"The {len(BENCHMARKS)} benchmarks:\n{listed}\n"
        f"and one more figure, {STALLS}, measured while 1 and 6–8 run.\n\n"
        "Without --doc nothing tracked by git changes."
    )


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--tiny", action="store_true", help="every benchmark at a tiny size")
    size.add_argument(
        "--short", action="store_true", help="a minute per load row (not the targets' 15)"
    )
    p.add_argument(
        "--runs",
        type=int,
        default=None,
        help="how many times to run each (default: 2 at full length, else 1)",
    )
    p.add_argument(
        "--only", default="", help=f"comma-separated benchmark numbers (1–{len(BENCHMARKS)})"
    )
    p.add_argument("--keep", type=Path, default=None, help="keep databases and logs here")
    p.add_argument(
        "--out",
        type=Path,
        default=LATEST,
        help="where the table goes (default: bench/results/latest.md, git-ignored)",
    )
    p.add_argument(
        "--doc", action="store_true", help="also rewrite the results in docs/performance.md"
    )
    p.add_argument("--no-write", action="store_true", help="write no file at all")
    args = p.parse_args(argv)
    wrong = [n for n in args.only.split(",") if n.strip() and n.strip() not in map(str, BENCHMARKS)]
    if wrong:
        p.error(f"no benchmark {', '.join(wrong)}: they are numbered 1–{len(BENCHMARKS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    size = TINY if args.tiny else SHORT if args.short else FULL
    runs = args.runs or (2 if size is FULL else 1)
    chosen = [int(n) for n in args.only.split(",") if n.strip()] or sorted(BENCHMARKS)
    started = time.perf_counter()
    with workspace(args.keep) as work:
        figures, problems, timing = asyncio.run(run_all(size, chosen, work, runs))
    seconds = time.perf_counter() - started
    print()
    print(
        f"Hearth benchmarks ({size.name} size, {runs} run{'s' * (runs > 1)}) on {report.machine()}"
    )
    print()
    print(report.text(figures))
    if problems:
        print("\nProblems:")
        for p in problems:
            print(f"- {p}")
    if timing:
        print("\nLate (a busy machine slows these; the figures above judge speed):")
        for t in timing:
            print(f"- {t}")
    failed = [f for f in figures if f.ok is False]
    print(f"\n{len(failed)} of {sum(f.ok is not None for f in figures)} figures FAIL.")
    print(f"Took {seconds / 60:.1f} minutes.")
    if not args.no_write:
        section = report.results_section(
            figures, seconds=seconds, problems=problems + timing, size=size.name
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Hearth benchmarks ({size.name} size)\n\n{section}\n", "utf-8")
        print(f"Wrote {args.out}.")
        if args.doc and size is FULL and not args.only:
            report.write_doc(section)
            print(f"Wrote {report.DOC}.")
        elif args.doc:
            print(f"Left {report.DOC} alone: it shows full-length runs of every benchmark only.")
    broken = any(f.figure == "did not finish" for f in figures) or problems
    return 1 if failed or broken else 0


if __name__ == "__main__":
    sys.exit(main())
