"""Every benchmark at a tiny size, so none of them rots (`make bench` runs them full size).

Nothing about speed is asserted here: not the targets, and not what only a slow machine
causes (a bot ready after the due time, an answer past 3 s: the benchmarks' `timing`). A
loaded 2-core machine does both. What a benchmark needs to work is: the bots start, every
scheduled post and check-in arrives, quiet hours hold, each interaction commits at most
once, and every figure comes out.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from bench import report
from bench.__main__ import BENCHMARKS, run_all
from bench.common import TINY, Row


def _row(rows: list[Row], bench: int, figure: str) -> Row:
    prefix = f"{bench}."
    for r in rows:
        if r.bench.startswith(prefix) and r.figure.startswith(figure):
            return r
    raise AssertionError(f"benchmark {bench} has no figure {figure!r}: {[r.figure for r in rows]}")


async def test_every_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    rows, problems, _timing = await run_all(TINY, sorted(BENCHMARKS), tmp_path)

    assert problems == []
    assert not [r for r in rows if r.figure == "did not finish"]
    for r in rows:
        assert r.value is not None, r
        assert not math.isnan(r.value), r
    # What a person would notice if a benchmark (or Hearth under it) broke:
    assert _row(rows, 1, "write transactions per interaction").value == 1
    assert _row(rows, 2, "429 responses").value == 0
    assert _row(rows, 3, "quiet hours honoured").ok
    assert _row(rows, 4, "jobs rebuilt").ok
    assert _row(rows, 5, "Hearth growth per 1,000 servers").value is not None
    assert _row(rows, 6, "longest stall").value is not None
    # The table renders for the terminal and for docs/performance.md.
    assert "| 2. weekly prompt fan-out |" in report.markdown(rows)
    assert "quiet hours honoured" in report.text(rows)


def test_the_results_replace_the_last_run_and_keep_the_prose(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(
        f"# Performance\n\nWords.\n\n{report.RESULTS_START}\nold\n{report.RESULTS_END}\n\nMore.\n"
    )
    rows = [Row("2. weekly prompt fan-out", "429 responses", 0, "", 0, digits=0)]
    report.write_doc(report.results_section(rows, seconds=60, problems=[]), doc)
    text = doc.read_text()
    assert "old" not in text
    assert text.startswith("# Performance\n\nWords.")
    assert text.rstrip().endswith("More.")
    assert "| 2. weekly prompt fan-out | 429 responses | 0 | ≤ 0 |" in text
    assert "cores" in text


async def test_a_bot_ready_after_the_due_time_is_late_not_broken(tmp_path: Path) -> None:
    # As on a loaded machine: the bot comes up only after the prompts fell due. Every
    # prompt still arrives (they run at once on start); that it came late is for the
    # figures to judge, not a failure of the benchmark.
    late = replace(TINY, lead_seconds=-5.0)
    rows, problems, timing = await run_all(late, [2], tmp_path)

    assert problems == []
    assert [t for t in timing if "ready only" in t]
    assert _row(rows, 2, "429 responses").value == 0
