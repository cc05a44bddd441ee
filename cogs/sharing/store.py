"""The sharing cog's SQL: shares, their delivery, and deleting them when their time is up."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import crypto
from bot.db import Database
from bot.privacy import Person, PersonalData, Table
from bot.timeutil import UTC
from cogs.sharing import logic


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def new_id() -> int:
    return secrets.randbelow(2**53 - 2) + 1


@dataclass(frozen=True, slots=True)
class Share:
    share_id: int
    guild_id: int
    user_id: int
    friend_user_id: int | None
    visibility: str
    wants: str
    prompt_text: str | None
    body: str
    status: str
    channel_id: int | None
    message_id: int | None
    created_at: datetime
    deliver_at: datetime | None = None


_COLUMNS = (
    "share_id, guild_id, user_id, friend_user_id, visibility, wants, prompt_text, body,"
    " status, channel_id, message_id, created_at, deliver_at"
)


def _share(row: Any) -> Share:
    created_at = _dt(row["created_at"])
    assert created_at is not None
    return Share(
        share_id=row["share_id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        friend_user_id=row["friend_user_id"],
        visibility=row["visibility"],
        wants=row["wants"],
        prompt_text=crypto.unseal(row["prompt_text"]),
        body=crypto.unseal(row["body"]) or "",
        status=row["status"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        created_at=created_at,
        deliver_at=_dt(row["deliver_at"]),
    )


async def insert(db: Database, share: Share) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            f"INSERT INTO shares ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                share.share_id,
                share.guild_id,
                share.user_id,
                share.friend_user_id,
                share.visibility,
                share.wants,
                crypto.seal(share.prompt_text),
                crypto.seal(share.body),
                share.status,
                share.channel_id,
                share.message_id,
                _ts(share.created_at),
                _ts(share.deliver_at) if share.deliver_at else None,
            ),
        )


async def get(db: Database, share_id: int) -> Share | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM shares WHERE share_id = ?", (share_id,))
    return None if row is None else _share(row)


async def delete(db: Database, share_id: int) -> None:
    await db.execute("DELETE FROM shares WHERE share_id = ?", (share_id,))


async def pending(db: Database) -> list[Share]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM shares WHERE status = 'pending'")
    return [_share(row) for row in rows]


async def settle(
    db: Database,
    share_id: int,
    status: str,
    *,
    channel_id: int | None = None,
    message_id: int | None = None,
) -> bool:
    """Move a pending share on (posted / delivered / undelivered) exactly once."""
    if status not in (logic.POSTED, logic.DELIVERED, logic.UNDELIVERED):
        raise ValueError(f"unknown outcome {status!r}")
    changed = await db.execute(
        "UPDATE shares SET status = ?, deliver_at = NULL,"
        " channel_id = COALESCE(?, channel_id), message_id = COALESCE(?, message_id)"
        " WHERE share_id = ? AND status = 'pending'",
        (
            status,
            channel_id if status == logic.POSTED else None,
            message_id if status == logic.POSTED else None,
            share_id,
        ),
    )
    return changed > 0


async def expire(db: Database, now: datetime, default_days: int, custom: Mapping[int, int]) -> int:
    """Delete shares older than their server's retention period; returns how many."""
    earliest, _ = logic.expired_cutoffs(now, default_days, custom)
    removed = 0
    async with db.transaction() as conn:
        cur = await conn.execute(
            "SELECT DISTINCT guild_id FROM shares WHERE created_at < ?", (_ts(earliest),)
        )
        for (guild_id,) in await cur.fetchall():
            cutoff = logic.cutoff_for(guild_id, now, default_days, custom)
            cur = await conn.execute(
                "DELETE FROM shares WHERE guild_id = ? AND created_at < ?",
                (guild_id, _ts(cutoff)),
            )
            removed += cur.rowcount
    return removed


PERSONAL_DATA = PersonalData(
    key="sharing",
    title="Shares",
    practice="sharing",
    statement=(
        "What you shared with /share: your words and the prompt you kept (encrypted), "
        "whether it went to the group with your name, anonymously or privately to one "
        "friend, and what you'd like back. A private share waiting for your friend's quiet "
        "hours is kept so it can be delivered then. Deleted after the server's retention "
        "period: 90 days unless its admins chose another."
    ),
    kept="90 days, or the period the server's admins chose (7 to 365 days).",
    tables=(
        Table(
            "shares",
            "Something shared with /share: the words, how it was shown, and for a private "
            "share, which friend it was for.",
            people={
                "user_id": Person("share", "shares"),
                "friend_user_id": Person("share sent to you privately", "shares sent to you"),
            },
            when="created_at",
            sealed=("body", "prompt_text"),
            server="guild_id",
            # The words are the sharer's: a friend's export shows that one came, not the text.
            owner_only={"body": "user_id", "prompt_text": "user_id"},
        ),
    ),
)
