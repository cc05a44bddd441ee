"""Backups: `python -m bot backup` while Hearth runs copies everything (a plain `cp` of the
file misses what is still in the write-ahead log); `restore` puts one back, checked first,
keeping the database it replaces."""

from __future__ import annotations

import re
import sqlite3
import stat
from pathlib import Path

import pytest

from bot import crypto
from tests.ops.helpers import PYTHON, ROOT, TOKEN, checkout, hearth, running
from tests.ops.test_data_key import first_start

RESOURCES = "Call Sam on 0123 if it's a hard night"


@pytest.fixture
def here(tmp_path: Path) -> Path:
    here = checkout(tmp_path, f"DISCORD_TOKEN={TOKEN}\nHEARTH_DATA_KEY={crypto.new_key()}\n")
    (here / ".env").chmod(0o600)
    (here / "backups").mkdir()
    return here


def key_of(here: Path) -> str:
    return (here / ".env").read_text().split("HEARTH_DATA_KEY=")[1].strip()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_a_backup_while_hearth_runs_holds_everything(here: Path) -> None:
    live = here / "data" / "hearth.sqlite3"
    with running([PYTHON, "-m", "bot", "run"], cwd=here) as run:
        # Running (waiting for Discord, here): its schema is written, most of it in the WAL.
        run.wait_for(lambda lines: any("can't reach Discord" in line for line in lines))
        ran = hearth("backup", "backups", cwd=here).clean()
        assert run.proc.poll() is None  # Hearth carried on
    assert ran.code == 0
    [copy] = list((here / "backups").iterdir())
    assert copy.name.startswith("hearth-")
    assert copy.suffix == ".sqlite3"
    assert f"Backed up data/hearth.sqlite3 to {Path('backups') / copy.name} (" in ran.out
    assert "checked whole)." in ran.out
    assert "stored apart from the backups" in ran.out
    assert {"meta", "checkins", "support_resources", "prompt_answers"} <= tables(copy)
    assert tables(copy) == tables(live)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # sealed words, still: owner only
    assert not list((here / "backups").glob(".*"))  # no partial file left behind

    again = hearth("backup", f"backups/{copy.name}", cwd=here).clean()
    assert again.code == 1
    assert "already exists; Hearth won't overwrite it" in again.err


def test_restore_puts_a_backup_back_and_keeps_what_it_replaced(here: Path) -> None:
    live = here / "data" / "hearth.sqlite3"
    first_start(live, key_of(here))
    monday = hearth("backup", "backups/monday.sqlite3", cwd=here).clean()
    assert "It opens with your HEARTH_DATA_KEY." in monday.out
    conn = sqlite3.connect(live)  # later that week, more is written
    with conn:
        conn.execute(
            "INSERT INTO support_resources (guild_id, text, updated_at) VALUES (2, 'x', '')"
        )
    conn.close()
    assert rows(live, "support_resources") == 2

    ran = hearth("restore", "backups/monday.sqlite3", cwd=here).clean()
    assert ran.code == 0, ran.err
    assert "Restored backups/monday.sqlite3 into data/hearth.sqlite3." in ran.out
    assert rows(live, "support_resources") == 1
    [kept] = [
        p
        for p in (here / "data").glob("hearth.sqlite3.before-restore-*")
        if not p.name.endswith(("-wal", "-shm"))  # its companions, if it had any, go with it
    ]
    assert rows(kept, "support_resources") == 2
    assert f"kept as {kept.relative_to(here)}" in ran.out
    # The restored database opens with the key, as Hearth would open it.
    with sqlite3.connect(live) as conn:
        sealed = conn.execute("SELECT text FROM support_resources").fetchone()[0]
    assert crypto.DataCipher(key_of(here)).try_open(sealed) == RESOURCES


def test_restore_refuses_what_it_cant_use(here: Path) -> None:
    live = here / "data" / "hearth.sqlite3"
    first_start(live, key_of(here))
    before = live.read_bytes()
    other = here / "backups" / "other.sqlite3"
    first_start(other, crypto.new_key())  # a backup from another install
    (here / "backups" / "notes.txt").write_text("not a database")

    wrong_key = hearth("restore", "backups/other.sqlite3", cwd=here).clean()
    assert wrong_key.code == 2
    assert "HEARTH_DATA_KEY doesn't open the backup backups/other.sqlite3" in wrong_key.err
    not_db = hearth("restore", "backups/notes.txt", cwd=here).clean()
    assert not_db.code == 1
    assert "backups/notes.txt isn't a SQLite database" in not_db.err
    assert live.read_bytes() == before
    assert not list((here / "data").glob("*before-restore*"))

    with running([PYTHON, "-m", "bot", "run"], cwd=here) as run:
        run.wait_for(lambda lines: any("can't reach Discord" in line for line in lines))
        busy = hearth("restore", "backups/other.sqlite3", cwd=here).clean()
    assert busy.code == 1
    assert "Hearth is already running on data/hearth.sqlite3" in busy.err


def test_the_docs_agree_on_how_long_backups_keep_deleted_data() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    privacy = (ROOT / "PRIVACY.md").read_text("utf-8")
    found = re.search(r"backup backups/ && find backups .* -mtime \+(\d+) -delete", readme)
    assert found is not None, "README's cron line for backups"
    assert f"Backups are deleted after **{found.group(1)} days**" in privacy
