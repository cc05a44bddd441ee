"""`python -m bench` (`make bench`): run Hearth's five benchmarks through the local Discord
emulator, print the table, and write it to bench/results/latest.md (not tracked by git).
`--doc` (`make bench-doc`) also rewrites the results in docs/performance.md.

    python -m bench                  # everything, full size (about five minutes)
    python -m bench --only 2,4       # some of them
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

from bench import checkins, fanout, latency, memory, report, startup
from bench.common import FULL, TINY, Outcome, Row, Size
from bench.world import workspace

Bench = Callable[[Size, Path], Awaitable[Outcome]]
BENCHMARKS: dict[int, tuple[str, Bench]] = {
    1: (latency.NAME, latency.run),
    2: (fanout.NAME, fanout.run),
    3: (checkins.NAME, checkins.run),
    4: (startup.NAME, startup.run),
    5: (memory.NAME, memory.run),
}
STALLS = "6. event-loop stalls"


def stall_rows(outcomes: dict[int, Outcome]) -> list[Row]:
    """The longest stall during 2–4, and the same once start-up counts only from the moment
    Hearth connects to Discord (before that, nothing can be kept waiting)."""
    seen = {n: o for n, o in outcomes.items() if n in (2, 3, 4) and o.stall_ms is not None}
    if not seen:
        return []

    def name(n: int) -> str:
        return BENCHMARKS[n][0].split(" ", 1)[1]

    every = {n: o.stall_ms or 0.0 for n, o in seen.items()}
    connected = {
        n: o.stall_connected_ms if o.stall_connected_ms is not None else o.stall_ms or 0.0
        for n, o in seen.items()
    }
    return [
        Row(
            STALLS,
            "longest stall during 2–4",
            max(every.values()),
            "ms",
            50.0,
            digits=0,
            note=", ".join(f"{name(n)} {ms:.0f} ms" for n, ms in every.items()),
        ),
        Row(
            STALLS,
            "longest stall during 2–4, while connected",
            max(connected.values()),
            "ms",
            50.0,
            digits=0,
            note="start-up from the gateway connection on: "
            + ", ".join(f"{name(n)} {ms:.0f} ms" for n, ms in connected.items()),
        ),
    ]


async def run_all(
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
        print(f"  done in {out.seconds:.0f} s", file=sys.stderr, flush=True)
    rows += stall_rows(outcomes)
    return rows, problems, timing


LATEST = Path(__file__).resolve().parent / "results" / "latest.md"


def epilog() -> str:
    listed = "\n".join(f"  {name}" for name, _ in BENCHMARKS.values())
    return (
        f"The {len(BENCHMARKS)} benchmarks:\n{listed}\n"
        f"and one more figure, {STALLS}, measured while 2–4 run.\n\n"
        "Without --doc nothing tracked by git changes."
    )


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--tiny", action="store_true", help="every benchmark at a tiny size")
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
    size = TINY if args.tiny else FULL
    chosen = [int(n) for n in args.only.split(",") if n.strip()] or sorted(BENCHMARKS)
    started = time.perf_counter()
    with workspace(args.keep) as work:
        rows, problems, timing = asyncio.run(run_all(size, chosen, work))
    seconds = time.perf_counter() - started
    print()
    print(f"Hearth benchmarks ({size.name} size) on {report.machine()}")
    print()
    print(report.text(rows))
    if problems:
        print("\nProblems:")
        for p in problems:
            print(f"- {p}")
    if timing:
        print("\nLate (a busy machine slows these; the figures above judge speed):")
        for t in timing:
            print(f"- {t}")
    print(f"\nTook {seconds / 60:.1f} minutes.")
    if not args.no_write:
        section = report.results_section(rows, seconds=seconds, problems=problems + timing)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Hearth benchmarks ({size.name} size)\n\n{section}\n", "utf-8")
        print(f"Wrote {args.out}.")
        if args.doc and not args.tiny and not args.only:
            report.write_doc(section)
            print(f"Wrote {report.DOC}.")
        elif args.doc:
            print(f"Left {report.DOC} alone: it shows full runs of every benchmark only.")
    return 1 if any(r.figure == "did not finish" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
