"""Numbered SQL migrations: `NNNN_name.sql` files, per component, applied in order.

The core's live in `bot/db/migrations/`; each cog may keep its own in
`cogs/<name>/migrations/`. A component is versioned on its own so practices built
in parallel never fight over one global number.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True, slots=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str

    def statements(self) -> Iterator[str]:
        """Split the script into whole statements (triggers included) for one transaction."""
        buffer = ""
        for line in self.sql.splitlines(keepends=True):
            buffer += line
            if sqlite3.complete_statement(buffer):
                statement = buffer.strip()
                buffer = ""
                if statement.rstrip(";").strip():
                    yield statement
        if buffer.strip() and not all(
            part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
        ):
            raise ValueError(f"{self.component} migration {self.version:04d} ends mid-statement")


def _read_dir(component: str, directory: Path) -> list[Migration]:
    found: list[Migration] = []
    if not directory.is_dir():
        return found
    for path in sorted(directory.iterdir()):
        match = _NAME.match(path.name)
        if match is None:
            continue
        found.append(
            Migration(component, int(match.group(1)), match.group(2), path.read_text("utf-8"))
        )
    versions = [m.version for m in found]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"{component} migrations must be numbered 0001, 0002, … without gaps")
    return found


def discover_migrations(root: Path = ROOT) -> list[Migration]:
    """Core migrations first, then each cog's, each list in version order."""
    migrations = _read_dir("core", root / "bot" / "db" / "migrations")
    cogs_dir = root / "cogs"
    if cogs_dir.is_dir():
        for package in sorted(p for p in cogs_dir.iterdir() if p.is_dir()):
            migrations.extend(_read_dir(package.name, package / "migrations"))
    return migrations
