"""The data key from the operator's side: `.env`, the database it belongs to, rotation.

A database remembers its key by a check value in `meta` that only that key opens. So
Hearth can tell, before anything else, whether a database is bound to a key — and then
it never makes a new one: a new key can't open the words people wrote, and writing it
into `.env` would bury the old one (re-running Quickstart's `cp .env.example .env`).
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import crypto
from bot.db import Database
from bot.storage import read_only

KEY_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?HEARTH_DATA_KEY[ \t]*=[ \t]*(.*?)[ \t]*$", re.M)
OLD_KEYS_LINE = re.compile(
    r"^[ \t]*(?:export[ \t]+)?HEARTH_OLD_DATA_KEYS[ \t]*=[ \t]*(.*?)[ \t]*$", re.M
)


def _unquote(value: str) -> str:
    return value.strip().strip("'\"").strip()


def file_key(env_file: Path) -> str | None:
    """HEARTH_DATA_KEY as written in `env_file` (None when missing or empty)."""
    if not env_file.exists():
        return None
    match = KEY_LINE.search(env_file.read_text("utf-8"))
    value = _unquote(match.group(1)) if match else ""
    return value or None


def given_key(env_file: Path) -> tuple[str | None, str]:
    """The key Hearth will use and where it comes from (the environment wins over .env)."""
    value = os.environ.get("HEARTH_DATA_KEY", "").strip()
    if value:
        return value, "the environment"
    return file_key(env_file), str(env_file)


def database_check(database: Path | str) -> str | None:
    """The key check stored in `database`, or None when it has none (or doesn't exist).

    Read-only: this never creates or changes the file. Disk errors propagate.
    """
    if isinstance(database, str):
        return asyncio.run(_postgres_check(database))
    if str(database) == ":memory:" or not database.exists() or database.stat().st_size == 0:
        return None
    conn = read_only(database)
    try:
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if not has_meta:
            return None
        row = conn.execute(
            "SELECT value FROM meta WHERE key = ?", (crypto.KEY_CHECK_META,)
        ).fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


async def _postgres_check(url: str) -> str | None:
    db = Database(url)
    await db.connect()
    try:
        if "meta" not in await db.tables():
            return None
        value = await db.fetchval("SELECT value FROM meta WHERE key = ?", (crypto.KEY_CHECK_META,))
    finally:
        await db.close()
    return None if value is None else str(value)


def missing_key_for(database: Path | str, env_file: Path) -> str:
    """Why Hearth won't make a new key for a database already sealed with one."""
    return (
        f"HEARTH_DATA_KEY is empty in {env_file}, but the database {database} was set up "
        "with a data key: the words people wrote there are encrypted with it. Hearth didn't "
        "make a new key — a new one can't open them, and writing it into "
        f"{env_file} would bury the old one.\n\n"
        "This usually happens after copying .env.example over .env again. Put the key back: "
        f"copy the HEARTH_DATA_KEY=… line from your backup of .env into {env_file}, then "
        "start Hearth again (`make run`). If the key is lost for good, nobody can read those "
        "words any more; to start afresh, point HEARTH_DATABASE at a new file (the old one "
        "stays untouched)."
    )


def malformed_key(source: str, database: Path | str, bound: bool) -> str:
    head = (
        f"HEARTH_DATA_KEY in {source} isn't a valid key: it should be 44 characters of "
        "URL-safe base64, exactly as Hearth made it. Hearth left it as it is."
    )
    if bound:
        return (
            f"{head} The database {database} is encrypted with a key: copy that key again, "
            "whole, from your backup of .env (a missing character or a stray quote is "
            "enough to break it)."
        )
    return (
        f"{head} No database uses a key yet ({database} has none), so nothing is lost: "
        "empty the line (HEARTH_DATA_KEY=) and run `make run` or `python -m bot "
        "ensure-data-key` again for a fresh one."
    )


# --------------------------------------------------------------------------- .env


def write_env(env_file: Path, text: str) -> None:
    """Replace `env_file` whole (a temporary file renamed over it), private to its owner.
    A symlinked .env (a secrets folder) is written where it points."""
    env_file = env_file.resolve() if env_file.is_symlink() else env_file
    env_file.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{env_file.name}.", dir=env_file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(name, 0o600)
        os.replace(name, env_file)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def set_line(text: str, line: re.Pattern[str], assignment: str) -> str:
    """`text` with the setting `line` matches set to `assignment` (added when missing)."""
    match = line.search(text)
    if match is not None:
        return text[: match.start()] + assignment + text[match.end() :]
    return (text if not text or text.endswith("\n") else text + "\n") + assignment + "\n"


def tighten(env_file: Path) -> str | None:
    """Make `env_file` readable by its owner only; a sentence saying so, if it wasn't."""
    try:
        mode = env_file.stat().st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode) or not mode & 0o077:
        return None
    try:
        env_file.chmod(0o600)
    except OSError:
        return (
            f"{env_file} can be read by other users of this machine, and it holds the bot's "
            f"token and the data key. Make it private: chmod 600 {env_file}"
        )
    return (
        f"Made {env_file} private (readable by you only): it holds the bot's token and the "
        "data key, and other users of this machine could read it."
    )


@dataclass(frozen=True, slots=True)
class KeyReport:
    code: int  # 0 when Hearth can start with the key
    message: str  # empty when there is nothing worth saying


def ensure_data_key(
    env_file: Path, database: Path | str, old_keys: list[str], *, quiet: bool = False
) -> KeyReport:
    """Make sure a usable key is given: write a fresh one only when none is given and no
    database needs an old one; check a given one (shape, and that it opens the database).
    Never prints a key."""
    key, source = given_key(env_file)
    check = database_check(database)
    if key is None:
        if check is not None:
            return KeyReport(1, missing_key_for(database, env_file))
        text = env_file.read_text("utf-8") if env_file.exists() else ""
        write_env(env_file, set_line(text, KEY_LINE, f"HEARTH_DATA_KEY={crypto.new_key()}"))
        return KeyReport(
            0,
            f"Made a new data key in {env_file} (HEARTH_DATA_KEY). It encrypts the words "
            "people write to Hearth: back it up with the database — without it they can't "
            "be read.",
        )
    if not crypto.key_is_valid(key):
        return KeyReport(1, malformed_key(source, database, check is not None))
    try:
        cipher = crypto.DataCipher(key, old_keys)
    except crypto.DataKeyError as exc:  # an old key is malformed
        return KeyReport(1, str(exc))
    if check is not None and not cipher.opens(check):
        return KeyReport(1, crypto.WRONG_KEY_HELP)
    if quiet:
        return KeyReport(0, "")
    opens = f" and opens {database}" if check is not None else ""
    return KeyReport(0, f"The data key in {source} is a valid key{opens}. Nothing to do.")


# --------------------------------------------------------------------------- rotation

BATCH = 500


@dataclass(slots=True)
class Rotation:
    resealed: int = 0  # values moved from an old key to the current one
    current: int = 0  # values already under the current key (left alone)
    unopened: int = 0  # values shaped like sealed ones that no key opens (left alone)
    tables: dict[str, int] = field(default_factory=dict)


Progress = Callable[[Rotation], Awaitable[None]]


async def rotate(
    db: Database, cipher: crypto.DataCipher, progress: Progress | None = None
) -> Rotation:
    """Re-seal every sealed value in the database under the current key.

    Walks every text column of every table (not only the declared ones, so nothing sealed
    is missed), a batch per transaction: interrupted at any point, it resumes where it
    stopped, because a value already under the current key is simply skipped. The key
    check in `meta` moves last, so until everything is re-sealed the old key stays
    necessary — and removing it too early is refused at start instead of losing words.
    """
    result = Rotation()
    for table in await db.tables():
        columns = [name for name, type_ in await db.columns(table) if type_ in ("TEXT", "")]
        for column in columns:
            if (table, column) == ("meta", "value"):
                continue  # the key check: last, below
            after = -1
            while True:
                rows = await db.fetchall(
                    f"SELECT rowid, {column} FROM {table} WHERE rowid > ?"
                    f" AND substr({column}, 1, {len(crypto.PREFIX)}) = ? ORDER BY rowid LIMIT ?",
                    (after, crypto.PREFIX, BATCH),
                )
                if not rows:
                    break
                after = int(rows[-1][0])
                changes: list[tuple[str, int]] = []
                for rowid, value in rows:
                    text = str(value)
                    if cipher.is_current(text):
                        result.current += 1
                        continue
                    fresh = cipher.reseal(text)
                    if fresh is None:
                        result.unopened += 1
                        continue
                    changes.append((fresh, int(rowid)))
                if changes:
                    async with db.transaction(bulk=True) as conn:
                        await conn.executemany(
                            f"UPDATE {table} SET {column} = ? WHERE rowid = ?", changes
                        )
                    result.resealed += len(changes)
                    result.tables[table] = result.tables.get(table, 0) + len(changes)
                    if progress is not None:
                        await progress(result)
    # Values under other meta keys (not the check) are sealed like any column's.
    prefix = len(crypto.PREFIX)
    rows = await db.fetchall(
        f"SELECT key, value FROM meta WHERE key != ? AND substr(value, 1, {prefix}) = ?",
        (crypto.KEY_CHECK_META, crypto.PREFIX),
    )
    for key, value in rows:
        if cipher.is_current(str(value)):
            continue
        fresh = cipher.reseal(str(value))
        if fresh is not None:
            await db.execute("UPDATE meta SET value = ? WHERE key = ?", (fresh, key))
            result.resealed += 1
    await db.execute(
        "UPDATE meta SET value = ? WHERE key = ?", (cipher.key_check(), crypto.KEY_CHECK_META)
    )
    return result


def retire_old_keys(env_file: Path) -> bool:
    """Empty HEARTH_OLD_DATA_KEYS in `env_file` once nothing needs them (True if it did)."""
    if not env_file.exists():
        return False
    text = env_file.read_text("utf-8")
    match = OLD_KEYS_LINE.search(text)
    if match is None or not _unquote(match.group(1)):
        return False
    write_env(env_file, set_line(text, OLD_KEYS_LINE, "HEARTH_OLD_DATA_KEYS="))
    return True


def new_key_into(env_file: Path, current: str, old_keys: list[str]) -> None:
    """Write a fresh HEARTH_DATA_KEY into `env_file`, moving `current` to the front of
    HEARTH_OLD_DATA_KEYS (one write: the old key is never out of the file)."""
    text = env_file.read_text("utf-8") if env_file.exists() else ""
    text = set_line(text, KEY_LINE, f"HEARTH_DATA_KEY={crypto.new_key()}")
    keep = ",".join([current, *(k for k in old_keys if k != current)])
    text = set_line(text, OLD_KEYS_LINE, f"HEARTH_OLD_DATA_KEYS={keep}")
    write_env(env_file, text)
