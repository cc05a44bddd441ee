"""What the bot keeps per interaction (diagnosis, not part of `make bench`).

    python -m bench.retained                      # panels as they are now
    python -m bench.retained --keep-panels 900    # panels kept as live views, as before

The boundaries flow alone (`/boundaries mine`, then a new comfort depth on the panel) at
`--rate` for `--seconds` after a warm-up, in a fresh bot process with `tracemalloc` on
(`HEARTH_BENCH_TRACEMALLOC`): the memory allocated since the warm-up that is still alive,
after a collection, at each window and at the end, and the biggest stacks holding it
(`DIR/traced.<n>`). tracemalloc slows the bot several times over: keep the rate low.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path

from bench.common import SHORT
from bench.load import Run, run_load
from bench.world import workspace


async def measure(work: Path, rate: float, seconds: float) -> Run:
    os.environ["HEARTH_BENCH_TRACEMALLOC"] = str(work / "traced")
    os.environ.setdefault("HEARTH_BENCH_TRACEMALLOC_FRAMES", "4")
    size = replace(SHORT, load_warmup=10.0, load_window=15.0)
    return await run_load(
        size, work, name="retained", rate=rate, seconds=seconds, kinds=("boundaries",)
    )


def report(work: Path, run: Run) -> None:
    print(f"{run.interactions:,} interactions ({run.achieved:.1f}/s)")
    print(
        f"RSS at ready {run.ready['rss']:.1f} MB, after the warm-up {run.warmed['rss']:.1f} MB, "
        f"at the end {run.end['rss']:.1f} MB"
    )
    for w in run.windows:
        print(
            f"  by {w.seconds:3.0f} s: longest collection {w.gc_longest_ms:.0f} ms, "
            f"RSS {w.rss_mb:.1f} MB"
        )
    gc = run.end.get("gc", {})
    print(
        f"longest collection {gc.get('longest_ms', float('nan')):.0f} ms (generation "
        f"{gc.get('longest_gen')}), collections by generation {gc.get('runs')}"
    )
    traced = sorted(work.glob("traced.*"), key=lambda p: int(p.suffix[1:]))
    for path in traced:
        print(f"  {path.name}: {path.read_text('utf-8').splitlines()[0]}")
    if traced:
        print(f"\nThe end's biggest stacks ({traced[-1]}):\n")
        print("\n".join(traced[-1].read_text("utf-8").splitlines()[1:40]))
    for p in run.problems:
        print(f"problem: {p}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.retained",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--rate", type=float, default=10.0, help="interactions a second")
    p.add_argument("--seconds", type=float, default=60.0, help="how long, after the warm-up")
    p.add_argument(
        "--keep-panels",
        type=float,
        default=None,
        help="send panels as live views kept this many seconds (as before issue 21)",
    )
    p.add_argument("--keep", type=Path, default=None, help="keep the log and traces here")
    args = p.parse_args(argv)
    if args.keep_panels is not None:
        os.environ["HEARTH_BENCH_KEEP_PANELS"] = str(args.keep_panels)
    with workspace(args.keep) as work:
        report(work, asyncio.run(measure(work, args.rate, args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
