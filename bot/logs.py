"""Logging: one line per event, ids not words, and never a token."""

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


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.py's gateway chatter is DEBUG-level noise for operators.
    logging.getLogger("discord").setLevel(max(logging.INFO, root.level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
