"""The table: to stdout, and into docs/performance.md (replacing the last run)."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class Figure:
    """One figure across runs: its target, a value per run, and PASS only if every run
    met the target."""

    first: Row  # the first run's row: names, unit, target
    rows: list[Row | None]  # one per run (None: that run didn't produce it)

    @property
    def bench(self) -> str:
        return self.first.bench

    @property
    def figure(self) -> str:
        return self.first.figure

    @property
    def ok(self) -> bool | None:
        if self.first.target is None and self.figure != "did not finish":
            return None
        if self.figure == "did not finish":
            return False
        return all(r is not None and r.ok for r in self.rows)

    def values(self) -> list[str]:
        return [r.shown(r.value) if r is not None else "—" for r in self.rows]

    def note(self) -> str:
        notes = [r.note if r is not None else "" for r in self.rows]
        if len(set(notes)) <= 1:
            return notes[0]
        return " · ".join(f"run {i + 1}: {n}" for i, n in enumerate(notes) if n)


def merge(runs: Sequence[Sequence[Row]]) -> list[Figure]:
    """The runs' rows as figures, in the first order each appeared."""
    order: list[tuple[str, str]] = []
    first: dict[tuple[str, str], Row] = {}
    for rows in runs:
        for r in rows:
            key = (r.bench, r.figure)
            if key not in first:
                first[key] = r
                order.append(key)
    by_run = [{(r.bench, r.figure): r for r in rows} for rows in runs]
    return [Figure(first[k], [seen.get(k) for seen in by_run]) for k in order]


def _target(row: Row) -> str:
    if row.target is None:
        return ""
    sign = "≤" if row.better == "lower" else "≥"
    return f"{sign} {row.shown(row.target)}"


def result(figure: Figure) -> str:
    return {True: "PASS", False: "FAIL", None: ""}[figure.ok]


def markdown(figures: Sequence[Figure]) -> str:
    runs = max((len(f.rows) for f in figures), default=1)
    heads = " | ".join(f"run {i + 1}" for i in range(runs)) if runs > 1 else "value"
    lines = [
        f"| benchmark | figure | target | {heads} | result | notes |",
        "|---|---|---:|" + "---:|" * runs + "---|---|",
    ]
    for f in figures:
        note = f.note().replace("|", "/")
        values = " | ".join(f.values())
        shown = f"**{result(f)}**" if f.ok is False else result(f)
        lines.append(
            f"| {f.bench} | {f.figure} | {_target(f.first)} | {values} | {shown} | {note} |"
        )
    return "\n".join(lines)


def text(figures: Sequence[Figure]) -> str:
    """A plain table for the terminal (notes on their own indented line)."""
    runs = max((len(f.rows) for f in figures), default=1)
    heads = ("figure", "target", *(f"run {i + 1}" for i in range(runs)), "result")
    body = [
        (f"{f.bench.split('.')[0]}. {f.figure}", _target(f.first), *f.values(), result(f))
        for f in figures
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(heads)]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for f, b in zip(figures, body, strict=True):
        out.append("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)))
        if f.note():
            out.append("      " + f.note())
    return "\n".join(out)


def results_section(
    figures: Sequence[Figure], *, seconds: float, problems: Sequence[str], size: str = "full"
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    runs = max((len(f.rows) for f in figures), default=1)
    load = os.getloadavg()
    parts = [
        RESULTS_START,
        f"Last run: {when} on {machine()}; {size} size, {runs} run{'s' * (runs > 1)}; "
        f"took {seconds / 60:.0f} minutes; load average at the end "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min).",
        "",
        markdown(figures),
    ]
    if problems:
        parts += ["", "Problems seen during the runs:", ""]
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
