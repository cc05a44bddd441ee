"""Command line: `python -m bot [command]` (also installed as `hearth`); `--help` lists them.

Each command is a `sub.add_parser(...)` in `build_parser` and a branch in `_dispatch`.
Whatever goes wrong in a way the operator can fix — settings, the data key, the disk,
the network, a second Hearth on the same database — ends as one plain paragraph on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
from pydantic import ValidationError

from bot import keys, storage
from bot.config import (
    TOKEN_HELP,
    Settings,
    old_keys,
    shown_database,
    sqlite_path,
    token_problem,
)
from bot.connection import unreachable
from bot.crypto import DATA_KEY_HELP, WRONG_KEY_HELP, DataCipher, DataKeyError
from bot.db import Database, SchemaTooNew, discover_migrations
from bot.logs import setup_logging
from bot.timeutil import Clock, ShiftedSystemClock

log = logging.getLogger("bot")

ENV_FILE = Path(".env")  # where Settings reads from (pydantic-settings, relative to here)

# Exit codes: 1 the machine said no (disk, network, another Hearth); 2 a setting needs a
# look; 3 the database is newer than this Hearth.
TROUBLE, SETTINGS, TOO_NEW = 1, 2, 3


class Abort(Exception):
    """Stop with this message and a non-zero exit, no traceback."""

    def __init__(self, message: str, code: int = SETTINGS) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def load_settings(env_file: Path = ENV_FILE) -> Settings:
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'setting'}: {err['msg']}"
            for err in exc.errors()
        )
        raise Abort(f"Hearth's settings need a look ({problems}). See .env.example.") from None


def require_token(settings: Settings) -> str:
    problem = token_problem(settings)
    if problem is not None:
        raise Abort(f"{problem}\n\n{TOKEN_HELP}")
    assert settings.discord_token is not None
    return settings.discord_token.get_secret_value().strip()


def require_cipher(settings: Settings) -> DataCipher:
    """The data key (and any old ones) as a cipher, refusing a missing or malformed key —
    and one that doesn't open the database, before anything connects or writes."""
    if settings.data_key is None:
        if keys.database_check(settings.database) is not None:
            raise Abort(keys.missing_key_for(settings.database, ENV_FILE))
        raise Abort(f"No data key is set (HEARTH_DATA_KEY is empty or missing).\n\n{DATA_KEY_HELP}")
    try:
        cipher = DataCipher(settings.data_key.get_secret_value(), old_keys(settings))
    except DataKeyError as exc:
        raise Abort(str(exc)) from None
    check = keys.database_check(settings.database)
    if check is not None and not cipher.opens(check):
        raise Abort(WRONG_KEY_HELP)
    return cipher


DOC_FILES = ("README.md", "PRIVACY.md")


def privacy_docs(*, check: bool, root: Path | None = None) -> int:
    """Write each practice's personal-data statement into the docs (or check they match)."""
    from bot.db.migrate import ROOT
    from bot.privacy import discover_declarations, docs_block, with_docs_block

    block = docs_block(discover_declarations())
    stale: list[str] = []
    for name in DOC_FILES:
        path = (root or ROOT) / name
        text = path.read_text("utf-8")
        fresh = with_docs_block(text, block)
        if fresh != text:
            stale.append(name)
            if not check:
                path.write_text(fresh, "utf-8")
    if check and stale:
        print(f"Out of date: {', '.join(stale)}. Run `python -m bot privacy-docs`.")
        return 1
    print("Updated: " + ", ".join(stale) if stale else "Privacy docs are up to date.")
    return 0


def ensure_data_key(env_file: Path, settings: Settings, *, quiet: bool = False) -> int:
    """`ensure-data-key`: a usable key in `env_file` (written when none is given and no
    database needs an old one), checked against the database. Never prints the key."""
    report = keys.ensure_data_key(env_file, settings.database, old_keys(settings), quiet=quiet)
    if report.message:
        print(report.message, file=sys.stdout if report.code == 0 else sys.stderr)
    return report.code


# --------------------------------------------------------------------------- run


def _clock() -> Clock | None:
    """The real clock — unless a rehearsal or the crash tests ask for a later date."""
    offset = os.environ.get("HEARTH_CLOCK_OFFSET_SECONDS", "").strip()
    if not offset:
        return None
    return ShiftedSystemClock(timedelta(seconds=float(offset)))


async def _run(settings: Settings, token: str) -> None:
    from bot import connection
    from bot.app import HearthBot
    from bot.decks import DEFAULT_DECK_DIR, DeckError, Decks

    try:
        decks = Decks.load(DEFAULT_DECK_DIR)
    except DeckError as exc:
        raise Abort(f"A prompt deck needs fixing before Hearth can start: {exc}") from None
    bot = HearthBot(settings, decks=decks, freeze_gc=True, clock=_clock())
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    closing: list[asyncio.Task[None]] = []

    def _stop() -> None:
        # First signal closes gracefully: scheduler, gateway, then the database.
        stopping.set()
        if not closing:
            closing.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop)
    try:
        # The database first, before Discord: a disk that says no is reported even when
        # the network is down too (setup_hook finds it open and up to date).
        await bot.db.connect()
        await bot.db.migrate(discover_migrations())
        # Without network, logging in waits and retries (the gateway does the same later).
        if await connection.login(bot, token, stopping):
            await bot.connect(reconnect=True)
    except discord.LoginFailure:
        raise Abort(f"Discord didn't accept the token.\n\n{TOKEN_HELP}") from None
    except DataKeyError as exc:
        raise Abort(str(exc)) from None
    except discord.PrivilegedIntentsRequired:
        raise Abort("Discord refused an intent Hearth asked for; please report this.") from None
    finally:
        # connect() returns as soon as closing begins; wait for the whole close
        # (scheduler, gateway, database) before the loop goes away.
        if closing:
            await closing[0]
        elif not bot.is_closed():
            await bot.close()


async def _migrate(settings: Settings) -> None:
    # This command reports each migration itself; the database's log line would repeat it.
    logging.getLogger("bot.db.database").setLevel(logging.WARNING)
    db = Database(settings.database)
    await db.connect()
    try:
        applied = await db.migrate(discover_migrations())
    finally:
        await db.close()
    if applied:
        for m in applied:
            print(f"applied {m.component} {m.version:04d}_{m.name}")
    else:
        print(f"{shown_database(settings)} is up to date.")


async def _sync(settings: Settings, token: str, guild_id: int | None) -> None:
    from bot.app import HearthBot

    bot = HearthBot(settings, auto_sync=False)
    try:
        await bot.login(token)  # runs setup_hook: database, cogs
        await bot.sync_commands(force=True, guild_id=guild_id)
    except discord.LoginFailure:
        raise Abort(f"Discord didn't accept the token.\n\n{TOKEN_HELP}") from None
    except DataKeyError as exc:
        raise Abort(str(exc)) from None
    except Exception as exc:
        why = unreachable(exc)
        if why is None:
            raise
        raise Abort(
            f"Hearth can't reach Discord ({why}). Check this machine's connection and try "
            "again; nothing was synced.",
            TROUBLE,
        ) from None
    finally:
        await bot.close()
    if bot.sync_refusal is not None:
        raise Abort(f"Discord refused the commands: {bot.sync_refusal}", code=1)
    where = f"server {guild_id}" if guild_id else "everywhere (global; may take a while to show)"
    print(f"Commands synced {where}.")


def check_commands() -> int:
    """Check the command tree against Discord's rules offline, before a deploy."""
    from bot.app import offline_command_payload
    from bot.commandcheck import SIZE_LIMIT, problems, size

    payload = asyncio.run(offline_command_payload())
    for command in payload:
        counted = (
            f"{size(command):>5} of {SIZE_LIMIT} characters" if command.get("type", 1) == 1 else ""
        )
        print(f"/{command['name']:<20} {counted}")
    found = problems(payload)
    if found:
        print("Discord would refuse these commands:\n- " + "\n- ".join(map(str, found)))
        return 1
    print(f"All {len(payload)} commands keep Discord's rules.")
    return 0


def _check_config(settings: Settings) -> None:
    problems: list[str] = []
    token = token_problem(settings)
    print(f"DISCORD_TOKEN        {'looks right' if token is None else token}")
    print(f"HEARTH_DATABASE      {shown_database(settings)}")
    print(f"HEARTH_DEV_GUILD_ID  {settings.dev_guild_id or '(not set: commands sync globally)'}")
    print(f"HEARTH_LOG_LEVEL     {settings.log_level}")
    key_problem: str | None = None
    if settings.data_key is None:
        key_problem = "No data key is set (HEARTH_DATA_KEY is empty or missing)."
    else:
        try:
            DataCipher(settings.data_key.get_secret_value(), old_keys(settings))
        except DataKeyError as exc:
            key_problem = str(exc).split(":", 1)[0] + "."  # "… isn't a valid key."
    print(f"HEARTH_DATA_KEY      {'looks right' if key_problem is None else key_problem}")
    if token is not None:
        problems.append(token)
    if key_problem is not None:
        problems.append(f"{key_problem} {DATA_KEY_HELP}")
    try:
        discover_migrations()
    except ValueError as exc:
        problems.append(str(exc))
    try:
        from bot.decks import DEFAULT_DECK_DIR, Decks

        Decks.load(DEFAULT_DECK_DIR)
        print("prompt decks         valid")
    except Exception as exc:  # a broken deck names its file and line
        problems.append(str(exc))
    if problems:
        raise Abort("Not ready yet:\n- " + "\n- ".join(problems), code=1)
    print("All good.")


# --------------------------------------------------------------------------- backups, keys


def _sqlite_only(settings: Settings, doing: str) -> Path:
    path = sqlite_path(settings)
    if path is None:
        raise Abort(
            f"HEARTH_DATABASE is PostgreSQL: {doing} is for Hearth's SQLite file. Use "
            "PostgreSQL's own tools (pg_dump and pg_restore; docs/scaling.md)."
        )
    return path


def _backup(settings: Settings, target: Path) -> None:
    database = _sqlite_only(settings, "backup")
    try:
        copied = storage.backup(database, target, datetime.now(UTC))
    except storage.BackupError as exc:
        raise Abort(str(exc), TROUBLE) from None
    opens = ""
    check = keys.database_check(copied.path)
    if check is not None and settings.data_key is not None:
        try:
            cipher = DataCipher(settings.data_key.get_secret_value(), old_keys(settings))
        except DataKeyError:
            cipher = None
        if cipher is not None and cipher.opens(check):
            opens = " It opens with your HEARTH_DATA_KEY."
    print(
        f"Backed up {settings.database} to {copied.path} ({copied.size / 1024:.0f} KB, "
        f"{copied.tables} tables, checked whole).{opens} The words people wrote stay "
        "encrypted in it: keep the data key (HEARTH_DATA_KEY) safe too, stored apart from "
        "the backups — without the key a backup can't be read, and anyone with both can."
    )


def _restore(settings: Settings, source: Path) -> None:
    try:
        check = keys.database_check(source) if source.is_file() else None
    except sqlite3.DatabaseError as exc:
        raise Abort(f"{source} isn't a SQLite database Hearth can read ({exc}).", TROUBLE) from None
    if check is not None:
        if settings.data_key is None:
            raise Abort(
                f"The backup {source} is encrypted with a data key, and HEARTH_DATA_KEY is "
                "empty. Put the key that was in use when the backup was made into .env, then "
                "restore again. Nothing was changed."
            )
        cipher = require_key_shape(settings)
        if not cipher.opens(check):
            raise Abort(
                f"HEARTH_DATA_KEY doesn't open the backup {source}: it was made while another "
                "key was in use. Put that key into .env (as HEARTH_DATA_KEY, or in "
                "HEARTH_OLD_DATA_KEYS after a rotation), then restore again. Nothing was "
                "changed."
            )
    try:
        kept = storage.restore(source, _sqlite_only(settings, "restore"), datetime.now(UTC))
    except storage.BackupError as exc:
        raise Abort(f"{exc} Nothing was changed.", TROUBLE) from None
    aside = (
        f" The database it replaced is kept as {kept} (with its -wal and -shm, if any): "
        "delete it once you're happy."
        if kept is not None
        else ""
    )
    print(f"Restored {source} into {settings.database}.{aside} Start Hearth as usual.")


def require_key_shape(settings: Settings) -> DataCipher:
    assert settings.data_key is not None
    try:
        return DataCipher(settings.data_key.get_secret_value(), old_keys(settings))
    except DataKeyError as exc:
        raise Abort(str(exc)) from None


async def _rotate_key(settings: Settings, new_key: bool) -> None:
    cipher = require_cipher(settings)
    if keys.database_check(settings.database) is None:
        raise Abort(
            f"{settings.database} holds nothing encrypted yet (Hearth hasn't started on it), "
            "so there is nothing to re-seal.",
            TROUBLE,
        )
    if new_key:
        key, source = keys.given_key(ENV_FILE)
        if source != str(ENV_FILE) or key is None:
            raise Abort(
                "--new-key writes a fresh key into .env, but HEARTH_DATA_KEY comes from the "
                "environment here. Make a key yourself (`python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())'`), set it as "
                "HEARTH_DATA_KEY, put the current one in HEARTH_OLD_DATA_KEYS, and run "
                "`python -m bot rotate-key`."
            )
        keys.new_key_into(ENV_FILE, key, old_keys(settings))
        print(
            "Wrote a new HEARTH_DATA_KEY into .env and moved the current one to "
            "HEARTH_OLD_DATA_KEYS (never printed)."
        )
        settings = load_settings()
        cipher = require_cipher(settings)
    if not cipher.has_old_keys:
        print(
            "HEARTH_OLD_DATA_KEYS is empty, so everything sealed is already under "
            "HEARTH_DATA_KEY; checking anyway."
        )

    async def progress(done: keys.Rotation) -> None:
        print(f"… {done.resealed} re-sealed so far", flush=True)

    db = Database(settings.database)
    await db.connect()
    try:
        result = await keys.rotate(db, cipher, progress)
        # Old tokens out of the write-ahead log too (secure_delete zeroes the main file).
        await db.scrub()
    finally:
        await db.close()
    print(
        f"Re-sealed {result.resealed} values under HEARTH_DATA_KEY "
        f"({result.current} already were). Every value now opens with HEARTH_DATA_KEY "
        "alone: you can remove HEARTH_OLD_DATA_KEYS from .env — but keep those keys with "
        "the backups made before today, which still need them."
    )
    if result.unopened:
        print(
            f"{result.unopened} values didn't open with any key given and were left as they "
            "are. If you still have the key they were sealed with, add it to "
            "HEARTH_OLD_DATA_KEYS and run `python -m bot rotate-key` again."
        )


# --------------------------------------------------------------------------- to PostgreSQL


async def _to_postgres(settings: Settings, source: Path, url: str) -> None:
    import tempfile

    from bot.db import to_postgres
    from bot.db.postgres import safe_url

    logging.getLogger("bot.db.database").setLevel(logging.WARNING)  # migrations: not news here
    cipher = require_key_shape(settings) if settings.data_key is not None else None
    running = False
    with contextlib.ExitStack() as stack:
        try:
            # Held while copying, so no Hearth starts on the file meanwhile; a running one is
            # copied as it is this moment (SQLite's online backup) and goes on.
            stack.enter_context(storage.hold(source))
        except storage.AlreadyRunning:
            running = True
        except OSError:
            pass  # a read-only folder: the copy reads it all the same
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hearth-move-")))

        def progress(table: str, rows: int) -> None:
            print(f"… {table}: {rows:,} rows", flush=True)

        try:
            moved = await to_postgres.move(source, url, cipher, work, progress=progress)
        except to_postgres.MoveError as exc:
            raise Abort(exc.message, TROUBLE) from None
    print(
        f"Copied {source} into {safe_url(url)}: {moved.total:,} rows in "
        f"{sum(1 for n in moved.rows.values() if n)} tables, checked — every table's rows "
        f"match, and the {moved.sealed:,} sealed values open with HEARTH_DATA_KEY. Set "
        f"HEARTH_DATABASE={safe_url(url)} (with its password) and start Hearth; keep {source} "
        "until you're happy."
    )
    if running:
        print(
            f"Hearth was running on {source} while it was copied: what it did after this "
            "moment isn't in the copy. Stop it before starting Hearth on PostgreSQL; to take "
            "the latest too, drop and create the PostgreSQL database again and run this once "
            "more with Hearth stopped."
        )


# --------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Hearth, a Discord bot for friends. Run inside .venv (`make run` makes "
        "it): `.venv/bin/python -m bot COMMAND`, or `hearth COMMAND` once it is activated.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="start the bot (the default)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sync = sub.add_parser("sync-commands", help="push slash commands to Discord now")
    sync.add_argument("--guild", type=int, default=None, help="only this server (instant)")
    sub.add_parser("check-config", help="check .env and the prompt decks without connecting")
    sub.add_parser("check-commands", help="check the commands against Discord's rules, offline")
    docs = sub.add_parser(
        "privacy-docs", help="refresh what README.md and PRIVACY.md say each practice keeps"
    )
    docs.add_argument("--check", action="store_true", help="only check they are up to date")
    keygen = sub.add_parser(
        "ensure-data-key",
        help="write a data key into .env if there is none, or check the one there (never printed)",
    )
    keygen.add_argument("--env-file", type=Path, default=ENV_FILE, help="default: .env")
    keygen.add_argument("--quiet", action="store_true", help="say nothing when all is well")
    backup = sub.add_parser("backup", help="copy the database to PATH, safely while Hearth runs")
    backup.add_argument("path", type=Path, help="a new file, or a folder to put one in")
    restore = sub.add_parser(
        "restore", help="put a backup in place of the database (Hearth stopped)"
    )
    restore.add_argument("path", type=Path, help="the backup file")
    rotate = sub.add_parser(
        "rotate-key",
        help="re-seal everything under HEARTH_DATA_KEY, opening it with HEARTH_OLD_DATA_KEYS",
    )
    rotate.add_argument(
        "--new-key",
        action="store_true",
        help="first write a fresh key into .env, moving the current one to HEARTH_OLD_DATA_KEYS",
    )
    move = sub.add_parser(
        "migrate-to-postgres",
        help="copy a SQLite database into an empty PostgreSQL one, checked (docs/scaling.md)",
    )
    move.add_argument("sqlite_path", type=Path, help="Hearth's SQLite file (it is only read)")
    move.add_argument("postgres_url", help="postgresql://user:password@host/database, empty")
    return parser


# Commands that write the database take the run lock: one Hearth per database.
# (migrate-to-postgres writes only its PostgreSQL target; it holds the SQLite file's lock
# itself while copying, when no Hearth runs on it.)
LOCKED = {"run", "migrate", "sync-commands", "restore", "rotate-key"}


def _dispatch(command: str, args: argparse.Namespace, settings: Settings) -> None:
    if command == "migrate":
        asyncio.run(_migrate(settings))
    elif command == "check-config":
        _check_config(settings)
    elif command == "sync-commands":
        token = require_token(settings)
        require_cipher(settings)
        asyncio.run(_sync(settings, token, args.guild))
    elif command == "backup":
        _backup(settings, args.path)
    elif command == "restore":
        _restore(settings, args.path)
    elif command == "rotate-key":
        asyncio.run(_rotate_key(settings, args.new_key))
    elif command == "migrate-to-postgres":
        asyncio.run(_to_postgres(settings, args.sqlite_path, args.postgres_url))
    else:
        token = require_token(settings)
        require_cipher(settings)
        asyncio.run(_run(settings, token))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    database: Path | str | None = None
    try:
        if command == "privacy-docs":
            return privacy_docs(check=args.check)
        if command == "check-commands":
            return check_commands()
        env_file = args.env_file if command == "ensure-data-key" else ENV_FILE
        tightened = keys.tighten(env_file)
        settings = load_settings(env_file)
        if command == "ensure-data-key":
            if tightened:
                print(tightened)
            database = settings.database
            return ensure_data_key(env_file, settings, quiet=args.quiet)
        database = settings.database
        setup_logging(settings.log_level)
        if tightened:
            log.warning("%s", tightened)
        if command in LOCKED:
            with storage.hold(settings.database):
                _dispatch(command, args, settings)
        else:
            _dispatch(command, args, settings)
    except Abort as exc:
        print(exc.message, file=sys.stderr)
        return exc.code
    except storage.AlreadyRunning as exc:
        print(storage.already_running(exc, command), file=sys.stderr)
        return TROUBLE
    except SchemaTooNew as exc:
        print(str(exc), file=sys.stderr)
        return TOO_NEW
    except KeyboardInterrupt:
        return 130
    except (sqlite3.Error, OSError) as exc:
        problem = storage_problem_for(exc, database)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        return TROUBLE
    return 0


def storage_problem_for(exc: BaseException, database: Path | str | None) -> str | None:
    if not isinstance(database, Path):
        return None
    return storage.storage_problem(exc, database)


if __name__ == "__main__":
    sys.exit(main())
