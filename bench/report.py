"""The table: to stdout, and into docs/performance.md (replacing the last run)."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.common import Row, cores

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
RESULTS_START = "<!-- bench:results -->"
RESULTS_END = "<!-- /bench:results -->"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    try:
        dpy = metadata.version("discord.py")
    except metadata.PackageNotFoundError:  # pragma: no cover
        dpy = "?"
    return (
        f"{cores()} cores ({_cpu_model()}), Python {platform.python_version()}, "
        f"discord.py {dpy}, {platform.system()} {platform.release()}"
    )


def _target(row: Row) -> str:
    if row.target is None:
        return ""
    sign = "≤" if row.better == "lower" else "≥"
    return f"{sign} {row.shown(row.target)}"


def _result(row: Row) -> str:
    if row.ok is None:
        return ""
    return "pass" if row.ok else "**miss**"


def _ratio(row: Row) -> str:
    ratio = row.ratio
    if ratio is None or row.unit == "×" or row.target in (None, 0):
        return ""
    return f"{ratio:.2f}"


def markdown(rows: Sequence[Row]) -> str:
    lines = [
        "| benchmark | figure | value | target | ratio | result | notes |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        note = r.note.replace("|", "/")
        lines.append(
            f"| {r.bench} | {r.figure} | {r.shown(r.value)} | {_target(r)} | {_ratio(r)} "
            f"| {_result(r)} | {note} |"
        )
    return "\n".join(lines)


def text(rows: Sequence[Row]) -> str:
    """A plain table for the terminal (notes on their own indented line)."""
    heads = ("figure", "value", "target", "ratio", "result")
    body = [
        (
            f"{r.bench.split('.')[0]}. {r.figure}",
            r.shown(r.value),
            _target(r),
            _ratio(r),
            {True: "pass", False: "MISS", None: ""}[r.ok],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(heads)]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for r, b in zip(rows, body, strict=True):
        out.append("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)))
        if r.note:
            out.append("      " + r.note)
    return "\n".join(out)


def results_section(rows: Sequence[Row], *, seconds: float, problems: Sequence[str]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        RESULTS_START,
        f"Last run: {when} on {machine()}; `make bench` took {seconds / 60:.1f} minutes.",
        "",
        markdown(rows),
    ]
    if problems:
        parts += ["", "Problems seen during the run:", ""]
        parts += [f"- {p}" for p in problems]
    parts.append(RESULTS_END)
    return "\n".join(parts)


def write_doc(section: str, doc: Path = DOC) -> None:
    """Replace the results between the markers; keep every other word of the document."""
    current = doc.read_text("utf-8") if doc.exists() else ""
    if RESULTS_START in current and RESULTS_END in current:
        head, rest = current.split(RESULTS_START, 1)
        _, tail = rest.split(RESULTS_END, 1)
        doc.write_text(head + section + tail, "utf-8")
        return
    doc.write_text(current.rstrip() + "\n\n## Latest results\n\n" + section + "\n", "utf-8")


def python_line() -> str:
    return sys.version.split()[0]
