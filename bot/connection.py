"""Reaching Discord: one plain line when the network is down, and patience at start.

discord.py already reconnects the gateway with an exponential backoff; logging in has no
such loop, so a start without network died with a long traceback. `login` here retries it
with the same backoff (`discord.backoff.ExponentialBackoff`) until Discord answers or
Hearth is asked to stop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

import aiohttp
import discord
from discord.backoff import ExponentialBackoff
from discord.utils import MISSING

log = logging.getLogger("bot.connection")

UNREACHABLE = "Hearth can't reach Discord (%s); trying again in %.0f s."

# aiohttp 3.11 split DNS failures out of ClientConnectorError.
_DNS_ERROR: type[BaseException] | None = getattr(aiohttp, "ClientConnectorDNSError", None)
_DNS: tuple[type[BaseException], ...] = (
    (socket.gaierror, _DNS_ERROR) if _DNS_ERROR else (socket.gaierror,)
)


def unreachable(exc: BaseException) -> str | None:
    """Why Discord can't be reached, in a few words, when `exc` means that; else None."""
    if isinstance(exc, _DNS):
        host = getattr(exc, "host", "discord.com")
        return f"can't look up {host}: no network, or no DNS"
    if isinstance(exc, aiohttp.ClientConnectorError):
        error = exc.os_error
        # asyncio words a refusal "connect call failed (…)"; the errno says it plainly.
        why = os.strerror(error.errno) if error.errno else type(error).__name__
        return f"{why.lower()} at {exc.host}:{exc.port}"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return "the connection dropped"
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "no answer in time"
    if isinstance(exc, discord.DiscordServerError):
        return f"Discord answered {exc.status}: it is having trouble"
    if isinstance(exc, ConnectionError):
        return "the connection failed"
    return None


async def login(bot: Any, token: str, stopping: asyncio.Event) -> bool:
    """Log `bot` in, retrying with backoff while Discord can't be reached. False when Hearth
    was asked to stop first. Only failures before Hearth's own set-up are retried (a
    `setup_hook` is never run twice)."""
    backoff = ExponentialBackoff()
    while not stopping.is_set():
        try:
            await bot.login(token)
        except Exception as exc:
            why = unreachable(exc)
            if stopping.is_set():
                return False
            if why is None or getattr(bot, "setup_started", False):
                raise
            delay = backoff.delay()
            log.warning(UNREACHABLE, why, delay)
            # The failed attempt's session and its connector go; the next makes new ones.
            await bot.http.close()
            bot.http.connector = MISSING
            try:
                await asyncio.wait_for(stopping.wait(), delay)
            except TimeoutError:
                continue
            return False
        else:
            return True
    return False


class OneLineReconnects(logging.Filter):
    """discord.py logs each gateway reconnect with a full traceback; when the cause is only
    the network, one line says it (the same line as at start)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.name == "discord.client"
            and record.exc_info
            and str(record.msg).startswith("Attempting a reconnect in")
        ):
            exc = record.exc_info[1]
            why = unreachable(exc) if exc is not None else None
            if why is not None:
                args = record.args if isinstance(record.args, tuple) else ()
                delay = args[0] if args and isinstance(args[0], int | float) else 0.0
                record.msg, record.args = UNREACHABLE, (why, float(delay))
                record.exc_info, record.exc_text = None, None
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
