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

import pytest

from bench import __main__ as bench_main
from bench import report
from bench.__main__ import BENCHMARKS, run_all
from bench.common import TINY, Outcome, Row, Size


def _figure(figures: list[report.Figure], bench: int, figure: str) -> Row:
    prefix = f"{bench}."
    for f in figures:
        if f.bench.startswith(prefix) and f.figure.startswith(figure):
            row = f.rows[0]
            assert row is not None
            return row
    names = [f.figure for f in figures]
    raise AssertionError(f"benchmark {bench} has no figure {figure!r}: {names}")


async def test_every_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    figures, problems, _timing = await run_all(TINY, sorted(BENCHMARKS), tmp_path)

    assert problems == []
    assert not [f for f in figures if f.figure == "did not finish"]
    for f in figures:
        for r in f.rows:
            assert r is not None, f.figure
            assert r.value is not None, r
            assert not math.isnan(r.value), r
    # What a person would notice if a benchmark (or Hearth under it) broke:
    assert _figure(figures, 1, "write transactions per interaction").value == 1
    assert _figure(figures, 3, "Hearth ÷ plain bot").value > 0  # type: ignore[operator]
    assert _figure(figures, 5, "growth per 1,000 servers").value is not None
    assert _figure(figures, 6, "jobs rebuilt").ok
    assert _figure(figures, 7, "429 responses").value == 0
    assert _figure(figures, 8, "quiet hours honoured").ok
    assert _figure(figures, 9, "longest stall").value is not None
    # Every figure with a target says PASS or FAIL; the table renders for the terminal
    # and for docs/performance.md.
    assert all(report.result(f) in ("PASS", "FAIL") for f in figures if f.first.target)
    assert "| 7. weekly prompt fan-out |" in report.markdown(figures)
    assert "quiet hours honoured" in report.text(figures)


def test_a_figure_that_misses_its_target_in_any_run_fails_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = iter([10.0, 30.0])

    async def bench(size: Size, work: Path) -> Outcome:
        return Outcome(rows=[Row("1. sustained load", "p99", next(values), "ms", 25.0)])

    monkeypatch.setitem(BENCHMARKS, 1, ("1. sustained load", bench))
    assert bench_main.main(["--only", "1", "--runs", "2", "--no-write", "--tiny"]) == 1

    values = iter([10.0, 20.0])
    assert bench_main.main(["--only", "1", "--runs", "2", "--no-write", "--tiny"]) == 0


def test_both_runs_show_with_one_result() -> None:
    runs = [
        [Row("1. sustained load", "p99", 10.0, "ms", 25.0, note="a")],
        [Row("1. sustained load", "p99", 30.0, "ms", 25.0, note="b")],
    ]
    (figure,) = report.merge(runs)
    assert figure.values() == ["10.0 ms", "30.0 ms"]
    assert report.result(figure) == "FAIL"
    table = report.markdown([figure])
    assert "| run 1 | run 2 |" in table
    assert "| 1. sustained load | p99 | ≤ 25.0 ms | 10.0 ms | 30.0 ms | **FAIL** |" in table
    assert "run 1: a · run 2: b" in table


def test_the_results_replace_the_last_run_and_keep_the_prose(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(
        f"# Performance\n\nWords.\n\n{report.RESULTS_START}\nold\n{report.RESULTS_END}\n\nMore.\n"
    )
    figures = report.merge([[Row("7. weekly prompt fan-out", "429 responses", 0, "", 0, digits=0)]])
    report.write_doc(report.results_section(figures, seconds=60, problems=[]), doc)
    text = doc.read_text()
    assert "old" not in text
    assert text.startswith("# Performance\n\nWords.")
    assert text.rstrip().endswith("More.")
    assert "| 7. weekly prompt fan-out | 429 responses | ≤ 0 | 0 | PASS |" in text
    assert "cores" in text


async def test_a_bot_ready_after_the_due_time_is_late_not_broken(tmp_path: Path) -> None:
    # As on a loaded machine: the bot comes up only after the prompts fell due. Every
    # prompt still arrives (they run at once on start); that it came late is for the
    # figures to judge, not a failure of the benchmark.
    late = replace(TINY, lead_seconds=-5.0)
    figures, problems, timing = await run_all(late, [7], tmp_path)

    assert problems == []
    assert [t for t in timing if "ready only" in t]
    assert _figure(figures, 7, "429 responses").value == 0
