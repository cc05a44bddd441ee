"""`make scale-proof` at a tiny size (bench/scale.py), so it doesn't rot: two `python -m bot
run` processes with two of four shards each, one emulator, one PostgreSQL; every prompt and
check-in exactly once, then the same with one process killed (SIGKILL) mid-fan-out and a
replacement taking its shards over. Speed is the full run's business, not asserted here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench import report, scale
from tests.pg import _server, unavailable


async def test_two_processes_and_a_kill_deliver_everything_exactly_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server = _server(request.config)
    if isinstance(server, str):
        unavailable(server)
        return
    rows, problems = await scale.run(scale.TINY, tmp_path, server.url())

    assert problems == []
    for r in rows:
        assert r.value is not None, r
        assert not math.isnan(r.value), r
    judged = {(r.bench.split(".")[0], r.figure): r.value for r in rows if r.target is not None}
    for phase in ("7", "8"):
        assert judged[(phase, "prompts lost or doubled")] == 0
        assert judged[(phase, "check-ins lost or doubled")] == 0
        assert judged[(phase, "429 responses")] == 0
        assert judged[(phase, "jobs run outside the process's shards")] == 0
    assert "| 8. kill -9 mid-fan-out | kill -9 → the replacement" in report.markdown(
        report.merge([rows])
    )


def test_its_section_of_the_doc_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nWords.\n\n{scale.START}\nold\n{scale.END}\n\nMore.\n")
    scale.write_doc(f"{scale.START}\nnew\n{scale.END}", doc)
    text = doc.read_text()
    assert "old" not in text
    assert "new" in text
    assert text.startswith("# Performance\n\nWords.")
    assert text.rstrip().endswith("More.")
