"""The database file as the operator sees it: one Hearth per file, plain words when the disk
says no, and backups that are safe while Hearth runs.

- `hold(database)` — the run lock: a file beside the database (`hearth.sqlite3.lock`)
  held with `flock` while a command that writes runs. The system releases it when the
  process ends, however it ends, so a crash never leaves a stale lock behind.
- `storage_problem(exc, database)` — a read-only folder, a full disk, a missing folder or
  a file that isn't a database, as one paragraph saying what to do (None for anything
  else, which stays a bug with its traceback).
- `backup(database, target)` / `restore(backup, database)` — SQLite's `VACUUM INTO`: a
  consistent snapshot including what is still in the write-ahead log, written to a
  temporary name and renamed into place, so a failed backup leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; Hearth runs on Linux and macOS
    fcntl = None  # type: ignore[assignment]


class AlreadyRunning(RuntimeError):
    """Another Hearth process holds this database."""

    def __init__(self, database: Path, pid: int | None) -> None:
        super().__init__(f"{database} is in use by process {pid}")
        self.database = database
        self.pid = pid


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def _owner(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def hold(database: Path | str) -> Iterator[None]:
    """Hold `database` for this process (AlreadyRunning if another one does). A
    PostgreSQL database is shared by design — several processes, each running its shards
    under a lease in the database (bot.leases) — so there is nothing to hold here."""
    if isinstance(database, str) or str(database) == ":memory:" or fcntl is None:
        yield
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(database, _owner(fd)) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race a newcomer)


def already_running(exc: AlreadyRunning, doing: str) -> str:
    who = f"process {exc.pid}" if exc.pid else "another process"
    stop = f"`kill {exc.pid}`" if exc.pid else "stopping it"
    return (
        f"Hearth is already running on {exc.database} ({who}), so this {doing} stopped "
        "before touching it. One Hearth per database: a second one would answer every "
        f"interaction twice. Stop the other one first (Ctrl-C in its terminal, or {stop}), "
        "or point HEARTH_DATABASE at another file."
    )


# --------------------------------------------------------------------------- disk trouble

_FULL = ("database or disk is full",)
_READ_ONLY = ("attempt to write a readonly database", "readonly database")
_CANT_OPEN = ("unable to open database file",)
_IO = ("disk i/o error",)
_NOT_DB = ("file is not a database", "database disk image is malformed")
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_MISSING_ERRNOS = {errno.ENOENT, errno.ENOTDIR}


def _where(database: Path) -> str:
    folder = database.parent if str(database.parent) else Path(".")
    return str(folder)


def storage_problem(exc: BaseException, database: Path) -> str | None:
    """One paragraph for the operator when `exc` is the disk saying no, else None."""
    folder = _where(database)
    full = (
        f"The disk holding Hearth's database ({database}) is full, so Hearth stopped before "
        "writing anything half-way; what was saved before is intact. Free some space there "
        "(or point HEARTH_DATABASE in .env at a disk with room) and start Hearth again."
    )
    denied = (
        f"Hearth can't write to its database at {database}: the folder {folder} (or the "
        "file) isn't writable by the user running Hearth. Hearth writes the database and, "
        "beside it, its -wal, -shm and .lock companions, so that folder must be writable "
        f"(for example `chmod u+w {folder}`, or run Hearth as the folder's owner) — or "
        "point HEARTH_DATABASE in .env at a folder that is. Nothing was changed."
    )
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if any(s in text for s in _FULL):
            return full
        if any(s in text for s in _READ_ONLY):
            return denied
        if any(s in text for s in _CANT_OPEN):
            if not database.parent.is_dir():
                return missing_folder(database, "it doesn't exist")
            return denied
        if any(s in text for s in _IO):
            return (
                f"Hearth couldn't write its database at {database} (the disk reported an "
                "input/output error). The disk may be full, read-only or failing: check it "
                "(`df -h`, the system log), then start Hearth again. What was saved before "
                "is intact — each change is written whole or not at all."
            )
        if any(s in text for s in _NOT_DB):
            return (
                f"{database} isn't a SQLite database Hearth can read ({exc}). If you "
                "restored a backup there, check it is the right file (`python -m bot "
                "restore` checks one before using it); otherwise point HEARTH_DATABASE in "
                ".env at another file. Hearth changed nothing."
            )
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in _FULL_ERRNOS:
            return full
        if exc.errno in _MISSING_ERRNOS:
            return missing_folder(database, exc.strerror or "it doesn't exist")
        if exc.errno in _DENIED_ERRNOS:
            if not database.parent.is_dir():
                return missing_folder(database, exc.strerror or "permission denied")
            return denied
    return None


def missing_folder(database: Path, why: str) -> str:
    return (
        f"Hearth can't create the folder for its database, {_where(database)} ({why.lower()}). "
        "Create it yourself as the user running Hearth, or point HEARTH_DATABASE in .env at "
        "a folder Hearth can write to. Nothing was changed."
    )


# --------------------------------------------------------------------------- backups


@dataclass(frozen=True, slots=True)
class Copied:
    path: Path
    size: int
    tables: int


class BackupError(RuntimeError):
    """A backup or restore that can't go ahead; the message is for the operator."""


def backup_name(now: datetime) -> str:
    return f"hearth-{now.astimezone(UTC):%Y%m%d-%H%M%S}.sqlite3"


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to `path` (its name quoted for SQLite's URI form)."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _check_whole(path: Path) -> int:
    """Integrity-check a database file; the number of its tables (BackupError if broken)."""
    try:
        conn = read_only(path)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} can't be opened as a database ({exc}).") from None
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = conn.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} isn't a SQLite database ({exc}).") from None
    finally:
        conn.close()
    if verdict != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check ({verdict}).")
    return int(tables)


def backup(database: Path, target: Path, now: datetime) -> Copied:
    """A consistent copy of `database` at `target` (a file, or a folder to put one in).

    Safe while Hearth runs: `VACUUM INTO` reads one snapshot, WAL included, without
    blocking Hearth's writes, and leaves free pages (deleted rows) behind.
    """
    if not database.exists():
        raise BackupError(f"There is no database at {database} to back up yet.")
    if target.is_dir():
        target = target / backup_name(now)
    if target.exists():
        raise BackupError(f"{target} already exists; Hearth won't overwrite it. Pick a new name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} doesn't exist; create it first.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = read_only(database)
    try:
        source.execute("PRAGMA busy_timeout=5000")
        source.execute("VACUUM INTO ?", (str(partial),))
        tables = _check_whole(partial)
        os.chmod(partial, 0o600)  # people's (sealed) words: readable by the operator only
        os.replace(partial, target)
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return Copied(target, target.stat().st_size, tables)


def restore(source: Path, database: Path, now: datetime) -> Path | None:
    """Put the backup `source` in place of `database`; the file it replaced, kept aside.

    Call with the run lock held (Hearth stopped). The old database and its -wal/-shm are
    moved aside, never deleted: a restore can be undone by moving them back.
    """
    if not source.is_file():
        raise BackupError(f"There is no backup at {source}.")
    _check_whole(source)
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(f".{database.name}.restoring")
    partial.unlink(missing_ok=True)
    try:
        # A consistent copy in the same folder first, then one rename: never half a file.
        conn = read_only(source)
        try:
            conn.execute("VACUUM INTO ?", (str(partial),))
        finally:
            conn.close()
        os.chmod(partial, 0o600)
        aside = database.with_name(f"{database.name}.before-restore-{now:%Y%m%d-%H%M%S}")
        kept = aside if database.exists() else None
        moved: list[tuple[Path, Path]] = []
        try:
            # The old database and its companions go aside together: a -wal left beside
            # the restored file would be replayed into it.
            for suffix in ("", "-wal", "-shm"):
                current = database.with_name(database.name + suffix)
                if current.exists():
                    os.replace(current, aside.with_name(aside.name + suffix))
                    moved.append((aside.with_name(aside.name + suffix), current))
            os.replace(partial, database)
        except BaseException:
            for away, current in reversed(moved):  # put everything back as it was
                os.replace(away, current)
            raise
    finally:
        partial.unlink(missing_ok=True)
    return kept
