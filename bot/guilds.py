"""Each server's set-up, read by every cog through these functions (never raw SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from bot.db import Database, Tx, read_one
from bot.db.codec import dt, hhmm, ts, wall_time
from bot.practices import KEYS

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    channel_id: int | None
    timezone: str
    prompt_weekday: int  # 0 = Monday
    prompt_time: time
    practices: frozenset[str]
    configured_at: datetime | None
    left_at: datetime | None

    @property
    def configured(self) -> bool:
        return self.configured_at is not None and self.channel_id is not None

    def practice_on(self, key: str) -> bool:
        return key in self.practices


_COLUMNS = (
    "guild_id, channel_id, timezone, prompt_weekday, prompt_time, practices, configured_at, left_at"
)


def _from_row(row: Any) -> GuildSettings:
    return GuildSettings(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        timezone=row["timezone"],
        prompt_weekday=row["prompt_weekday"],
        prompt_time=wall_time(row["prompt_time"]),
        practices=frozenset(p for p in row["practices"].split(",") if p in KEYS),
        configured_at=dt(row["configured_at"]),
        left_at=dt(row["left_at"]),
    )


async def get(db: Database, guild_id: int) -> GuildSettings | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM guilds WHERE guild_id = ?", (guild_id,))
    return None if row is None else _from_row(row)


async def configured(db: Database) -> list[GuildSettings]:
    """Every server that finished `/hearth setup` and still has Hearth (one query)."""
    return await db.fetch_as(
        _from_row,
        f"SELECT {_COLUMNS} FROM guilds WHERE configured_at IS NOT NULL AND left_at IS NULL",
    )


async def known_ids(db: Database) -> set[int]:
    """Servers Hearth knows it is in (one query, for reconciling after a restart)."""
    rows = await db.fetchall("SELECT guild_id FROM guilds WHERE left_at IS NULL")
    return {row[0] for row in rows}


async def left_ids(db: Database) -> set[int]:
    """Servers Hearth has left (their data waits 14 days): their jobs stay suspended."""
    rows = await db.fetchall("SELECT guild_id FROM guilds WHERE left_at IS NOT NULL")
    return {row[0] for row in rows}


async def mark_joined(tx: Tx, guild_id: int, now: datetime) -> bool:
    """Record that Hearth is in this server. True if it is new (or back after leaving)."""
    row = await read_one(tx, "SELECT left_at FROM guilds WHERE guild_id = ?", (guild_id,))
    if row is None:
        await tx.execute(
            "INSERT INTO guilds (guild_id, joined_at) VALUES (?, ?)", (guild_id, ts(now))
        )
        return True
    if row["left_at"] is not None:
        await tx.execute(
            "UPDATE guilds SET left_at = NULL, joined_at = ? WHERE guild_id = ?",
            (ts(now), guild_id),
        )
        return True
    return False


async def mark_left(tx: Tx, guild_id: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE guilds SET left_at = ? WHERE guild_id = ? AND left_at IS NULL",
        (ts(now), guild_id),
    )


async def save_setup(
    tx: Tx,
    guild_id: int,
    *,
    channel_id: int,
    timezone: str,
    prompt_weekday: int,
    prompt_time: time,
    now: datetime,
) -> None:
    await tx.execute(
        "INSERT INTO guilds (guild_id, channel_id, timezone, prompt_weekday, prompt_time,"
        " configured_at, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
        " timezone = excluded.timezone, prompt_weekday = excluded.prompt_weekday,"
        " prompt_time = excluded.prompt_time, configured_at = excluded.configured_at,"
        " left_at = NULL",
        (
            guild_id,
            channel_id,
            timezone,
            prompt_weekday,
            hhmm(prompt_time),
            ts(now),
            ts(now),
        ),
    )


async def set_practices(tx: Tx, guild_id: int, practices: set[str] | frozenset[str]) -> None:
    ordered = ",".join(k for k in KEYS if k in practices)
    await tx.execute("UPDATE guilds SET practices = ? WHERE guild_id = ?", (ordered, guild_id))


async def get_meta(db: Database, key: str) -> str | None:
    value = await db.fetchval("SELECT value FROM meta WHERE key = ?", (key,))
    return None if value is None else str(value)


async def set_meta(tx: Tx, key: str, value: str) -> None:
    await tx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
