"""The sharing cog's SQL: shares, their delivery, and deleting them when their time is up.

Functions that write take the caller's transaction (`tx`) first; reads take the `Database`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import retention
from bot.db import Database, Tx
from bot.db.codec import dt, need_dt, opened, sealed, ts, ts_or_none
from bot.privacy import Person, PersonalData, Table
from cogs.sharing.logic import ShareStatus, Visibility


@dataclass(frozen=True, slots=True)
class Share:
    share_id: int
    guild_id: int
    user_id: int
    friend_user_id: int | None
    visibility: Visibility
    wants: str
    prompt_text: str | None
    body: str
    status: ShareStatus
    channel_id: int | None
    message_id: int | None
    created_at: datetime
    deliver_at: datetime | None = None


_COLUMNS = (
    "share_id, guild_id, user_id, friend_user_id, visibility, wants, prompt_text, body,"
    " status, channel_id, message_id, created_at, deliver_at"
)


def _share(row: Any) -> Share:
    return Share(
        share_id=row["share_id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        friend_user_id=row["friend_user_id"],
        visibility=Visibility(row["visibility"]),
        wants=row["wants"],
        prompt_text=opened(row["prompt_text"]),
        body=opened(row["body"]) or "",
        status=ShareStatus(row["status"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        created_at=need_dt(row["created_at"]),
        deliver_at=dt(row["deliver_at"]),
    )


async def insert(tx: Tx, share: Share) -> None:
    await tx.execute(
        f"INSERT INTO shares ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            share.share_id,
            share.guild_id,
            share.user_id,
            share.friend_user_id,
            share.visibility,
            share.wants,
            sealed(share.prompt_text),
            sealed(share.body),
            share.status,
            share.channel_id,
            share.message_id,
            ts(share.created_at),
            ts_or_none(share.deliver_at),
        ),
    )


async def get(db: Database, share_id: int) -> Share | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM shares WHERE share_id = ?", (share_id,))
    return None if row is None else _share(row)


async def delete(tx: Tx, share_id: int) -> None:
    await tx.execute("DELETE FROM shares WHERE share_id = ?", (share_id,))


async def pending(db: Database) -> list[Share]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM shares WHERE status = 'pending'")
    return [_share(row) for row in rows]


async def settle(
    tx: Tx,
    share_id: int,
    status: ShareStatus,
    *,
    channel_id: int | None = None,
    message_id: int | None = None,
) -> bool:
    """Move a pending share on (posted / delivered / undelivered) exactly once."""
    if ShareStatus(status) is ShareStatus.PENDING:
        raise ValueError("a share settles as posted, delivered or undelivered")
    cur = await tx.execute(
        "UPDATE shares SET status = ?, deliver_at = NULL,"
        " channel_id = COALESCE(?, channel_id), message_id = COALESCE(?, message_id)"
        " WHERE share_id = ? AND status = 'pending'",
        (
            status,
            channel_id if status is ShareStatus.POSTED else None,
            message_id if status is ShareStatus.POSTED else None,
            share_id,
        ),
    )
    return cur.rowcount > 0


async def expire(tx: Tx, policy: retention.Policy, now: datetime) -> int:
    """Delete shares older than their server's retention period; returns how many."""
    return await retention.expire(tx, policy, now, table="shares", when="created_at")


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
