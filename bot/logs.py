"""Logging: one line per event, ids not words, and never a token.

Libraries log their internals at DEBUG — aiosqlite every statement with its parameters
(moods, the words people wrote), discord.py every payload — so whatever
HEARTH_LOG_LEVEL says, only Hearth's own loggers speak below INFO.
"""

from __future__ import annotations

import logging
import re

_TOKENISH = re.compile(r"[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")


class RedactTokens(logging.Filter):
    """A last line of defence: anything shaped like a bot token is blanked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKENISH.search(message):
            record.msg = _TOKENISH.sub("[token removed]", message)
            record.args = ()
        return True


OWN_LOGGERS = ("bot", "cogs")


class NoLibraryDebug(logging.Filter):
    """Drops a library's DEBUG records: they carry SQL parameters and message payloads."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.INFO:
            return True
        return record.name.split(".", 1)[0] in OWN_LOGGERS


def setup_logging(level: str) -> None:
    from bot.connection import OneLineReconnects

    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(NoLibraryDebug())
    handler.addFilter(OneLineReconnects())
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Not even built: a library's DEBUG records never leave it (see NoLibraryDebug too).
    for name in ("discord", "aiosqlite", "asyncio", "aiohttp"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
