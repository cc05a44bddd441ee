"""The disk says no — a read-only `data/`, a folder that can't be made, a full disk, a file
that isn't a database: one paragraph saying what to do, a non-zero exit, no traceback, no
hang, and nothing half-written."""

from __future__ import annotations

import resource
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import crypto
from tests.ops.helpers import (
    PYTHON,
    TOKEN,
    checkout,
    child_env,
    hearth,
    permissions_apply,
)
from tests.ops.test_data_key import first_start

needs_permissions = pytest.mark.skipif(
    not permissions_apply(), reason="file permissions can't bind this user here"
)

CANT_WRITE = "Hearth can't write to its database at data/hearth.sqlite3"


@pytest.fixture
def here(tmp_path: Path) -> Iterator[Path]:
    here = checkout(tmp_path)
    key = crypto.new_key()
    (here / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nHEARTH_DATA_KEY={key}\n")
    (here / ".env").chmod(0o600)
    (here / "data").mkdir()
    yield here
    for folder in here.rglob("*"):  # give pytest its files back
        if folder.is_dir():
            folder.chmod(0o755)


def key_of(here: Path) -> str:
    return (here / ".env").read_text().split("HEARTH_DATA_KEY=")[1].strip()


def whole(database: Path) -> bool:
    with sqlite3.connect(database) as conn:
        return bool(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


@needs_permissions
@pytest.mark.parametrize("command", ["run", "migrate", "backup"])
def test_a_read_only_data_folder_with_a_database(here: Path, command: str) -> None:
    database = here / "data" / "hearth.sqlite3"
    first_start(database, key_of(here))
    (here / "data" / "hearth.sqlite3.lock").write_text("")  # as a clean stop leaves it
    before = database.read_bytes()
    (here / "data").chmod(0o555)

    args = [command, "backups"] if command == "backup" else [command]
    if command == "backup":
        (here / "backups").mkdir()
    ran = hearth(*args, cwd=here, plain_user=True, timeout=20).clean()  # once: a hang

    assert ran.code == 1
    assert ran.err.startswith(CANT_WRITE), ran.err
    assert "chmod u+w data" in ran.err
    assert ran.err.count("\n") == 1  # one paragraph
    assert database.read_bytes() == before
    assert sorted(p.name for p in (here / "data").iterdir()) == [
        "hearth.sqlite3",
        "hearth.sqlite3.lock",
    ]


@needs_permissions
def test_a_read_only_data_folder_on_a_first_start(here: Path) -> None:
    (here / "data").chmod(0o555)
    ran = hearth("run", cwd=here, plain_user=True, timeout=20).clean()
    assert ran.code == 1
    assert ran.err.startswith(CANT_WRITE), ran.err
    assert list((here / "data").iterdir()) == []


@needs_permissions
def test_a_folder_that_cant_be_made(here: Path) -> None:
    (here / "locked").mkdir(mode=0o555)
    env = here / ".env"
    env.write_text(env.read_text() + "HEARTH_DATABASE=locked/hearth/h.sqlite3\n")
    ran = hearth("run", cwd=here, plain_user=True, timeout=20).clean()
    assert ran.code == 1
    assert ran.err.startswith(
        "Hearth can't create the folder for its database, locked/hearth (permission denied)."
    ), ran.err
    assert not (here / "locked" / "hearth").exists()


def test_a_file_that_isnt_a_database(here: Path) -> None:
    (here / "data" / "hearth.sqlite3").write_text("my shopping list\n")
    ran = hearth("run", cwd=here, timeout=20).clean()
    assert ran.code == 1
    assert ran.err.startswith("data/hearth.sqlite3 isn't a SQLite database Hearth can read")
    assert (here / "data" / "hearth.sqlite3").read_text() == "my shopping list\n"


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "-r", "-m", "true"], capture_output=True, timeout=10, check=False
    )
    return done.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs user namespaces (unshare -r -m)")
def test_a_full_disk(here: Path) -> None:
    """A 40 KB disk (a tmpfs in a private mount namespace): the first start can't fit the
    schema. Checked inside, before the tmpfs goes away: every migration is whole or absent."""
    check = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        "print('integrity', c.execute('PRAGMA integrity_check').fetchone()[0])"
    )
    script = (
        f"mount -t tmpfs -o size=40k tmpfs data && {PYTHON} -m bot run; echo exit=$?;"
        f' {PYTHON} -c "{check}" data/hearth.sqlite3'
    )
    done = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", script],
        cwd=here,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.startswith(
        "The disk holding Hearth's database (data/hearth.sqlite3) is full"
    ), done.stderr
    assert "exit=1" in done.stdout
    assert "integrity ok" in done.stdout


def test_a_disk_that_stops_taking_writes(here: Path) -> None:
    """A file-size limit makes every write past 48 KB fail, as a failing or full disk does:
    the paragraph, and a database still whole, holding only complete migrations."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (48_000, 48_000))

    ran = hearth("migrate", cwd=here, timeout=20, limit=limit).clean()
    assert ran.code == 1
    assert ran.err.startswith("Hearth couldn't write its database at data/hearth.sqlite3")
    database = here / "data" / "hearth.sqlite3"
    assert whole(database)
    assert hearth("migrate", cwd=here, timeout=20).clean().code == 0  # room again: it goes on
    assert whole(database)
