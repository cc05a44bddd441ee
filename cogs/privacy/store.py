"""The privacy cog's own SQL: which servers Hearth has left (and when)."""

from __future__ import annotations

from datetime import datetime

from bot.db import Database
from bot.db.codec import dt, need_dt


async def left_servers(db: Database) -> list[tuple[int, datetime]]:
    """Servers Hearth was removed from and hasn't forgotten yet, with when it left."""
    rows = await db.fetchall(
        "SELECT guild_id, left_at FROM guilds WHERE left_at IS NOT NULL ORDER BY guild_id"
    )
    return [(row[0], need_dt(row[1])) for row in rows]


async def left_at(db: Database, guild_id: int) -> datetime | None:
    return dt(await db.fetchval("SELECT left_at FROM guilds WHERE guild_id = ?", (guild_id,)))
