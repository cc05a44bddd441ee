"""The outbox's rows, for code that must not import discord (`bot.privacy`, which the
practices' pure rules import): the closed value sets, and what forgetting someone's words
does to intents and to `posted_words` inside a deletion's transaction. The delivering
worker is `bot.outbox`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.db import Database, Tx
from bot.db.codec import opened, sealed, ts


class Op(StrEnum):
    POST = "post"
    DM = "dm"
    EDIT = "edit"
    DELETE = "delete"
    THREAD = "thread"
    REACT = "react"
    MEMBER = "member"  # someone added to a (private) thread


class Status(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


def reseal(value: str | None) -> str | None:
    return None if value is None else sealed(opened(value))


async def writers_of(db: Database, message_id: int) -> list[int]:
    """Whose words one of Hearth's messages is (a revealed answer, a share, a debrief
    answer): the people it carries no redacted form for. A card kept for the group with
    someone's words in it (a challenge's title) is nobody's words in this sense."""
    rows = await db.fetchall(
        "SELECT user_id FROM posted_words WHERE message_id = ? AND redact IS NULL ORDER BY user_id",
        (message_id,),
    )
    return [int(row[0]) for row in rows]


# ---------------------------------------------------------------------- forgetting


@dataclass(slots=True)
class Unsaid:
    """What forgetting someone's words set in motion: intents deleting (or redacting) the
    messages already made, and how many messages were stopped before they existed."""

    intents: list[int] = field(default_factory=list)
    stopped: int = 0


async def forget_words(
    tx: Tx, column: str, value: int, now: datetime, *, on_discord: bool = True
) -> Unsaid:
    """Inside a deletion's transaction: every message carrying the words of this person
    (`column` "user_id") or server ("guild_id") is deleted from Discord — or edited to
    its redacted form — and every intent not yet delivered stops carrying them. Without
    `on_discord` (Hearth has left that server) they are only forgotten.
    """
    assert column in ("user_id", "guild_id")
    unsaid = Unsaid()
    cur = await tx.execute(
        f"SELECT message_id, channel_id, guild_id, redact FROM posted_words WHERE {column} = ?",
        (value,),
    )
    posted = list(await cur.fetchall())
    await cur.close()
    seen: set[int] = set()
    for row in posted:
        message_id = int(row["message_id"])
        if message_id in seen:
            continue
        seen.add(message_id)
        if not on_discord:
            continue
        # No server on these: a server's own deletion must not take its deletions with it.
        # The redacted form names nobody; sealed afresh, it shares no bytes with the row
        # being forgotten (which is wiped from disk with the rest of theirs).
        redact = reseal(row["redact"]) if column == "user_id" else None
        op = Op.EDIT if redact is not None else Op.DELETE
        unsaid.intents.append(
            await _raw_add(tx, op, int(row["channel_id"]), message_id, redact, now)
        )
    cur = await tx.execute(
        f"SELECT w.intent_id, w.redact FROM outbox_words w JOIN outbox o USING (intent_id)"
        f" WHERE w.{column} = ? AND o.status = 'pending'",
        (value,),
    )
    waiting = list(await cur.fetchall())
    await cur.close()
    for row in waiting:
        unsaid.stopped += 1
        if row["redact"] is not None and column == "user_id":
            await tx.execute(
                "UPDATE outbox SET body = ?, version = version + 1 WHERE intent_id = ?",
                (reseal(row["redact"]), row["intent_id"]),
            )
        else:
            await tx.execute(
                "UPDATE outbox SET status = 'cancelled', body = NULL, settled_at = ?,"
                " version = version + 1 WHERE intent_id = ?",
                (ts(now), row["intent_id"]),
            )
    # The ledger rows themselves go with the rest of the person's (or server's) rows.
    if column == "guild_id":
        # Nothing more is said in a server that is forgotten (deletions still go).
        await tx.execute(
            "UPDATE outbox SET status = 'cancelled', body = NULL, settled_at = ?"
            " WHERE guild_id = ? AND status = 'pending' AND op != 'delete'",
            (ts(now), value),
        )
        if not on_discord:
            await tx.execute(
                "UPDATE outbox SET status = 'cancelled', settled_at = ?"
                " WHERE guild_id = ? AND status = 'pending'",
                (ts(now), value),
            )
    return unsaid


async def _raw_add(
    tx: Tx, op: Op, channel_id: int, message_id: int, body: str | None, now: datetime
) -> int:
    cur = await tx.execute(
        "INSERT INTO outbox (lane, op, channel_id, message_id, body, due_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING intent_id",
        (f"ch:{channel_id}", op.value, channel_id, message_id, body, ts(now), ts(now)),
    )
    row = await cur.fetchone()
    await cur.close()
    assert row is not None
    return int(row[0])


async def prune(tx: Tx, before: datetime) -> int:
    """Settled intents older than `before` go (pending ones never do, nor anything a
    pending intent still depends on). The newest row always stays: SQLite numbers a new
    row after the highest one left, and the worker picks up only ids above those it has
    seen — a pruned top would hand new intents old numbers it skips."""
    cur = await tx.execute(
        "DELETE FROM outbox WHERE status != 'pending' AND settled_at < ?"
        " AND intent_id < (SELECT MAX(intent_id) FROM outbox)"
        " AND intent_id NOT IN (SELECT channel_of FROM outbox WHERE status = 'pending'"
        " AND channel_of IS NOT NULL)"
        " AND intent_id NOT IN (SELECT message_of FROM outbox WHERE status = 'pending'"
        " AND message_of IS NOT NULL)",
        (ts(before),),
    )
    return max(cur.rowcount, 0)
