"""Command line: `python -m bot [run|migrate|sync-commands|check-commands|check-config]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import discord
from pydantic import ValidationError

from bot.config import TOKEN_HELP, Settings, token_problem
from bot.crypto import DATA_KEY_HELP, DataCipher, DataKeyError, new_key
from bot.db import Database, SchemaTooNew, discover_migrations
from bot.logs import setup_logging


class Abort(Exception):
    """Stop with this message and a non-zero exit, no traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def load_settings() -> Settings:
    try:
        return Settings()
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


def require_data_key(settings: Settings) -> None:
    if settings.data_key is None:
        raise Abort(f"No data key is set (HEARTH_DATA_KEY is empty or missing).\n\n{DATA_KEY_HELP}")
    try:
        DataCipher(settings.data_key.get_secret_value())
    except DataKeyError as exc:
        raise Abort(str(exc)) from None


_KEY_LINE = re.compile(
    r"^[ \t]*(?:export[ \t]+)?HEARTH_DATA_KEY[ \t]*=[ \t]*(.*?)[ \t]*$", re.MULTILINE
)


def ensure_data_key(env_file: Path) -> str:
    """Write a fresh HEARTH_DATA_KEY into `env_file` unless one is set; never print it.

    An empty `HEARTH_DATA_KEY=` line (as in .env.example) is filled in; otherwise a line
    is added. A key already in the environment or the file is left alone.
    """
    # Nothing to say when a key exists: `make run` calls this on every start.
    if os.environ.get("HEARTH_DATA_KEY", "").strip():
        return ""
    text = env_file.read_text("utf-8") if env_file.exists() else ""
    match = _KEY_LINE.search(text)
    if match is not None and match.group(1).strip("'\" "):
        return ""
    line = f"HEARTH_DATA_KEY={new_key()}"
    if match is not None:
        text = text[: match.start()] + line + text[match.end() :]
    else:
        text = (text if not text or text.endswith("\n") else text + "\n") + line + "\n"
    created = not env_file.exists()
    env_file.write_text(text, "utf-8")
    if created:
        env_file.chmod(0o600)
    return (
        f"Made a new data key in {env_file} (HEARTH_DATA_KEY). It encrypts the words people "
        "write to Hearth: back it up with the database — without it they can't be read."
    )


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


async def _verify_data_key(settings: Settings) -> None:
    """Refuse a key that isn't this database's before connecting to Discord at all."""
    from bot.privacy import check_data_key

    assert settings.data_key is not None
    db = Database(settings.database)
    await db.connect()
    try:
        if await db.fetchval("SELECT 1 FROM sqlite_master WHERE name = 'meta'"):
            await check_data_key(db, DataCipher(settings.data_key.get_secret_value()))
    except DataKeyError as exc:
        raise Abort(str(exc)) from None
    finally:
        await db.close()


async def _run(settings: Settings, token: str) -> None:
    from bot.app import HearthBot
    from bot.decks import DEFAULT_DECK_DIR, DeckError, Decks

    try:
        decks = Decks.load(DEFAULT_DECK_DIR)
    except DeckError as exc:
        raise Abort(f"A prompt deck needs fixing before Hearth can start: {exc}") from None
    bot = HearthBot(settings, decks=decks, freeze_gc=True)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []

    def _stop() -> None:
        # First signal closes gracefully: scheduler, gateway, then the database.
        if not closing:
            closing.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop)
    try:
        await bot.start(token)
    except discord.LoginFailure:
        raise Abort(f"Discord didn't accept the token.\n\n{TOKEN_HELP}") from None
    except DataKeyError as exc:
        raise Abort(str(exc)) from None
    except discord.PrivilegedIntentsRequired:
        raise Abort("Discord refused an intent Hearth asked for; please report this.") from None
    finally:
        # start() returns as soon as closing begins; wait for the whole close
        # (scheduler, gateway, database) before the loop goes away.
        if closing:
            await closing[0]
        elif not bot.is_closed():
            await bot.close()


async def _migrate(settings: Settings) -> None:
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
        print(f"{settings.database} is up to date.")


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
    print(f"HEARTH_DATABASE      {settings.database}")
    print(f"HEARTH_DEV_GUILD_ID  {settings.dev_guild_id or '(not set: commands sync globally)'}")
    print(f"HEARTH_LOG_LEVEL     {settings.log_level}")
    key_problem: str | None = None
    if settings.data_key is None:
        key_problem = "No data key is set (HEARTH_DATA_KEY is empty or missing)."
    else:
        try:
            DataCipher(settings.data_key.get_secret_value())
        except DataKeyError:
            key_problem = "HEARTH_DATA_KEY isn't a valid key."
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth", description="Hearth, a Discord bot for friends."
    )
    sub = parser.add_subparsers(dest="command")
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
        "ensure-data-key", help="write a data key into .env if there is none (never printed)"
    )
    keygen.add_argument("--env-file", type=Path, default=Path(".env"), help="default: .env")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    if command == "ensure-data-key":
        said = ensure_data_key(args.env_file)
        if said:
            print(said)
        return 0
    if command == "privacy-docs":
        return privacy_docs(check=args.check)
    if command == "check-commands":
        return check_commands()
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        if command == "migrate":
            asyncio.run(_migrate(settings))
        elif command == "check-config":
            _check_config(settings)
        elif command == "sync-commands":
            token = require_token(settings)
            require_data_key(settings)
            asyncio.run(_sync(settings, token, args.guild))
        else:
            token = require_token(settings)
            require_data_key(settings)
            if settings.database.exists():  # a new one stores its key check on first start
                asyncio.run(_verify_data_key(settings))
            asyncio.run(_run(settings, token))
    except Abort as exc:
        print(exc.message, file=sys.stderr)
        return exc.code
    except SchemaTooNew as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
