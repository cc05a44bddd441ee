"""Command line: `python -m bot [run|migrate|sync-commands|check-config]`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

import discord
from pydantic import ValidationError

from bot.config import TOKEN_HELP, Settings, token_problem
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


async def _run(settings: Settings, token: str) -> None:
    from bot.app import HearthBot
    from bot.decks import DEFAULT_DECK_DIR, DeckError, Decks

    try:
        decks = Decks.load(DEFAULT_DECK_DIR)
    except DeckError as exc:
        raise Abort(f"A prompt deck needs fixing before Hearth can start: {exc}") from None
    bot = HearthBot(settings, decks=decks)
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
    finally:
        await bot.close()
    where = f"server {guild_id}" if guild_id else "everywhere (global; may take a while to show)"
    print(f"Commands synced {where}.")


def _check_config(settings: Settings) -> None:
    problems: list[str] = []
    token = token_problem(settings)
    print(f"DISCORD_TOKEN        {'looks right' if token is None else token}")
    print(f"HEARTH_DATABASE      {settings.database}")
    print(f"HEARTH_DEV_GUILD_ID  {settings.dev_guild_id or '(not set: commands sync globally)'}")
    print(f"HEARTH_LOG_LEVEL     {settings.log_level}")
    if token is not None:
        problems.append(token)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        if command == "migrate":
            asyncio.run(_migrate(settings))
        elif command == "check-config":
            _check_config(settings)
        elif command == "sync-commands":
            asyncio.run(_sync(settings, require_token(settings), args.guild))
        else:
            asyncio.run(_run(settings, require_token(settings)))
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
