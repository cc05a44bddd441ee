"""One codec for what stores write and read: times, and free text sealed at rest.

Every store (each cog's `store.py`, `bot.guilds`, `bot.boundaries`, the outbox) writes a
time with `ts` and reads it with `dt` / `need_dt`, and seals a person's words with
`sealed` / opens them with `opened`; none keeps a copy of its own.

One rule for times: stored as UTC ISO-8601 text of fixed width (always microseconds), so
times compare correctly as text in SQL (`WHERE sent_at < ?`). A naive `datetime` is refused
when written (its zone would be a guess); stored text without an offset — written by hand,
or by an older Hearth — is read as UTC. A local wall time (a schedule's "19:00", read in
its own time zone) is stored as 'HH:MM' (`hhmm` / `wall_time`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time

from bot import crypto

__all__ = [
    "dt",
    "hhmm",
    "need_dt",
    "new_id",
    "opened",
    "sealed",
    "ts",
    "ts_or_none",
    "wall_time",
]


def ts(when: datetime) -> str:
    """A time as stored: fixed-width UTC text. ValueError for a naive datetime."""
    if when.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def ts_or_none(when: datetime | None) -> str | None:
    return None if when is None else ts(when)


def dt(text: str | None) -> datetime | None:
    """A stored time (None for NULL or empty); text without an offset is UTC."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def need_dt(text: str | None) -> datetime:
    """A stored time that must be there (a NOT NULL column); ValueError if it isn't."""
    parsed = dt(text)
    if parsed is None:
        raise ValueError("missing time")
    return parsed


def hhmm(value: time) -> str:
    """A local wall time as stored: 'HH:MM' (seconds never matter to a schedule)."""
    return value.strftime("%H:%M")


def wall_time(text: str) -> time:
    return time.fromisoformat(text)


def new_id() -> int:
    """A random positive id for a row a button or an export will name: unguessable by
    counting, and within JavaScript's safe integers (Discord's clients read custom ids)."""
    return secrets.randbelow(2**53 - 2) + 1


def sealed(text: str | None) -> str | None:
    """Free text as stored: encrypted with the data key (`bot.crypto`); None stays None."""
    return crypto.seal(text)


def opened(value: str | None) -> str | None:
    """Stored free text, readable again."""
    return crypto.unseal(value)
