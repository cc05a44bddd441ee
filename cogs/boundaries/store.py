"""The boundaries cog's own SQL: questions about going deeper, their votes, and pace settings.

People's boundaries themselves live in the core (`bot.boundaries`); this is only the
consent vote. Votes are deleted in the same transaction that decides a question.
Functions that write take the caller's transaction (`tx`) first; reads take the `Database`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.db import Database, Tx, read_one
from bot.db.codec import dt, need_dt, ts
from bot.privacy import Person, PersonalData, Table
from cogs.boundaries.logic import PaceSettings, ProposalStatus


@dataclass(frozen=True, slots=True)
class Proposal:
    proposal_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    from_depth: int
    to_depth: int
    status: ProposalStatus
    opened_at: datetime
    closes_at: datetime
    decided_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status is ProposalStatus.OPEN


_COLUMNS = (
    "proposal_id, guild_id, channel_id, message_id, from_depth, to_depth, status,"
    " opened_at, closes_at, decided_at"
)


def _from_row(row: Any) -> Proposal:
    return Proposal(
        proposal_id=row["proposal_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        from_depth=row["from_depth"],
        to_depth=row["to_depth"],
        status=ProposalStatus(row["status"]),
        opened_at=need_dt(row["opened_at"]),
        closes_at=need_dt(row["closes_at"]),
        decided_at=dt(row["decided_at"]),
    )


async def get(db: Database, proposal_id: int) -> Proposal | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM depth_proposals WHERE proposal_id = ?", (proposal_id,)
    )
    return None if row is None else _from_row(row)


async def open_in(db: Database, guild_id: int) -> Proposal | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM depth_proposals WHERE guild_id = ? AND status = 'open'",
        (guild_id,),
    )
    return None if row is None else _from_row(row)


async def all_open(db: Database) -> list[Proposal]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM depth_proposals WHERE status = 'open'")
    return [_from_row(row) for row in rows]


async def last_stayed_at(db: Database, guild_id: int) -> datetime | None:
    """When this server last decided to stay where it was (for the rest after a "not yet")."""
    row = await db.aggregate(
        "SELECT MAX(decided_at) FROM depth_proposals WHERE guild_id = ? AND status = 'stayed'",
        (guild_id,),
    )
    return None if row is None else dt(row[0])


async def set_message(tx: Tx, proposal_id: int, message_id: int) -> None:
    await tx.execute(
        "UPDATE depth_proposals SET message_id = ? WHERE proposal_id = ?",
        (message_id, proposal_id),
    )


async def withdraw(tx: Tx, proposal_id: int) -> None:
    """A question that never reached the group goes, with its votes."""
    await tx.execute("DELETE FROM depth_proposals WHERE proposal_id = ?", (proposal_id,))


async def insert(
    tx: Tx,
    *,
    proposal_id: int,
    guild_id: int,
    channel_id: int,
    message_id: int | None,
    from_depth: int,
    to_depth: int,
    opened_at: datetime,
    closes_at: datetime,
) -> None:
    """Open a question. Raises bot.db.IntegrityError if the server already has one open."""
    await tx.execute(
        "INSERT INTO depth_proposals (proposal_id, guild_id, channel_id, message_id,"
        " from_depth, to_depth, status, opened_at, closes_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (
            proposal_id,
            guild_id,
            channel_id,
            message_id,
            from_depth,
            to_depth,
            ts(opened_at),
            ts(closes_at),
        ),
    )


async def record_vote(
    tx: Tx, proposal_id: int, user_id: int, in_favour: bool, now: datetime
) -> None:
    """Save or change one person's answer."""
    await tx.execute(
        "INSERT INTO depth_votes (proposal_id, user_id, in_favour, voted_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (proposal_id, user_id)"
        " DO UPDATE SET in_favour = excluded.in_favour, voted_at = excluded.voted_at",
        (proposal_id, user_id, int(in_favour), ts(now)),
    )


async def votes(db: Database, proposal_id: int) -> dict[int, bool]:
    rows = await db.fetchall(
        "SELECT user_id, in_favour FROM depth_votes WHERE proposal_id = ?", (proposal_id,)
    )
    return {row[0]: bool(row[1]) for row in rows}


async def settle(tx: Tx, proposal_id: int, status: ProposalStatus, now: datetime) -> bool:
    """Record the outcome of an open question and drop its votes; False if already settled.

    The status change is the idempotence key: closing twice decides (and posts) once.
    """
    if ProposalStatus(status) is ProposalStatus.OPEN:
        raise ValueError("a question is settled with an outcome, not 'open'")
    cur = await tx.execute(
        "UPDATE depth_proposals SET status = ?, decided_at = ?"
        " WHERE proposal_id = ? AND status = 'open'",
        (status, ts(now), proposal_id),
    )
    if cur.rowcount == 0:
        return False
    await tx.execute("DELETE FROM depth_votes WHERE proposal_id = ?", (proposal_id,))
    return True


async def pace(db: Database, guild_id: int) -> PaceSettings:
    row = await db.fetchone(
        "SELECT window_hours, cooldown_days FROM depth_settings WHERE guild_id = ?", (guild_id,)
    )
    return _pace(row)


def _pace(row: Any) -> PaceSettings:
    if row is None:
        return PaceSettings()
    return PaceSettings(
        window=timedelta(hours=row["window_hours"]), cooldown=timedelta(days=row["cooldown_days"])
    )


async def set_pace(
    tx: Tx, guild_id: int, *, window_days: int | None, cooldown_days: int | None
) -> PaceSettings:
    row = await read_one(
        tx, "SELECT window_hours, cooldown_days FROM depth_settings WHERE guild_id = ?", (guild_id,)
    )
    current = _pace(row)
    window_hours = (
        window_days * 24 if window_days is not None else current.window // timedelta(hours=1)
    )
    rest = cooldown_days if cooldown_days is not None else current.cooldown.days
    await tx.execute(
        "INSERT INTO depth_settings (guild_id, window_hours, cooldown_days) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET window_hours = excluded.window_hours,"
        " cooldown_days = excluded.cooldown_days",
        (guild_id, window_hours, rest),
    )
    return PaceSettings(window=timedelta(hours=window_hours), cooldown=timedelta(days=rest))


# --------------------------------------------------------------------------- their data

PERSONAL_DATA = PersonalData(
    key="boundaries",
    title="Going deeper together",
    practice="boundaries",
    statement=(
        "Your answer to an open question about the group going deeper (yes or not yet), "
        "so it can be decided privately. Nobody sees who answered what, questions never "
        "name who asked, and every answer is deleted the moment the question closes."
    ),
    kept="Until the question closes (three days unless the admins chose otherwise).",
    tables=(
        Table(
            "depth_proposals",
            "A question to a server about going one level deeper (it names no one).",
            server="guild_id",
        ),
        Table(
            "depth_votes",
            "Your answer to an open question about going deeper.",
            people={"user_id": Person("answer to an open question", "answers to open questions")},
            when="voted_at",
            server_via="depth_proposals",
        ),
        Table(
            "depth_settings",
            "How long a server's questions stay open and how long it rests after a no.",
            server="guild_id",
        ),
    ),
)
