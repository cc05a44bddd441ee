"""The boundaries cog's own SQL: questions about going deeper, their votes, and pace settings.

People's boundaries themselves live in the core (`bot.boundaries`); this is only the
consent vote. Votes are deleted in the same transaction that decides a question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.db import Database
from bot.privacy import Person, PersonalData, Table
from bot.timeutil import UTC
from cogs.boundaries.logic import PaceSettings


def _ts(dt: datetime) -> str:
    # The same fixed-width UTC text as the core, so times compare as text.
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Proposal:
    proposal_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    from_depth: int
    to_depth: int
    status: str  # open · deeper · stayed · cancelled
    opened_at: datetime
    closes_at: datetime
    decided_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


_COLUMNS = (
    "proposal_id, guild_id, channel_id, message_id, from_depth, to_depth, status,"
    " opened_at, closes_at, decided_at"
)


def _from_row(row: Any) -> Proposal:
    opened_at = _dt(row["opened_at"])
    closes_at = _dt(row["closes_at"])
    assert opened_at is not None
    assert closes_at is not None
    return Proposal(
        proposal_id=row["proposal_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        from_depth=row["from_depth"],
        to_depth=row["to_depth"],
        status=row["status"],
        opened_at=opened_at,
        closes_at=closes_at,
        decided_at=_dt(row["decided_at"]),
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
    value = await db.fetchval(
        "SELECT MAX(decided_at) FROM depth_proposals WHERE guild_id = ? AND status = 'stayed'",
        (guild_id,),
    )
    return _dt(value)


async def set_message(db: Database, proposal_id: int, message_id: int) -> None:
    await db.execute(
        "UPDATE depth_proposals SET message_id = ? WHERE proposal_id = ?",
        (message_id, proposal_id),
    )


async def withdraw(db: Database, proposal_id: int) -> None:
    """A question that never reached the group goes, with its votes."""
    await db.execute("DELETE FROM depth_proposals WHERE proposal_id = ?", (proposal_id,))


async def insert(
    db: Database,
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
    """Open a question. Raises sqlite3.IntegrityError if the server already has one open."""
    async with db.transaction() as conn:
        await conn.execute(
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
                _ts(opened_at),
                _ts(closes_at),
            ),
        )


async def record_vote(
    db: Database, proposal_id: int, user_id: int, in_favour: bool, now: datetime
) -> None:
    """Save or change one person's answer."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO depth_votes (proposal_id, user_id, in_favour, voted_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (proposal_id, user_id)"
            " DO UPDATE SET in_favour = excluded.in_favour, voted_at = excluded.voted_at",
            (proposal_id, user_id, int(in_favour), _ts(now)),
        )


async def votes(db: Database, proposal_id: int) -> dict[int, bool]:
    rows = await db.fetchall(
        "SELECT user_id, in_favour FROM depth_votes WHERE proposal_id = ?", (proposal_id,)
    )
    return {row[0]: bool(row[1]) for row in rows}


async def settle(db: Database, proposal_id: int, status: str, now: datetime) -> bool:
    """Record the outcome of an open question and drop its votes; False if already settled.

    The status change is the idempotence key: closing twice decides (and posts) once.
    """
    if status not in ("deeper", "stayed", "cancelled"):
        raise ValueError(f"unknown outcome {status!r}")
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE depth_proposals SET status = ?, decided_at = ?"
            " WHERE proposal_id = ? AND status = 'open'",
            (status, _ts(now), proposal_id),
        )
        if cur.rowcount == 0:
            return False
        await conn.execute("DELETE FROM depth_votes WHERE proposal_id = ?", (proposal_id,))
    return True


async def pace(db: Database, guild_id: int) -> PaceSettings:
    row = await db.fetchone(
        "SELECT window_hours, cooldown_days FROM depth_settings WHERE guild_id = ?", (guild_id,)
    )
    if row is None:
        return PaceSettings()
    return PaceSettings(
        window=timedelta(hours=row["window_hours"]), cooldown=timedelta(days=row["cooldown_days"])
    )


async def set_pace(
    db: Database, guild_id: int, *, window_days: int | None, cooldown_days: int | None
) -> PaceSettings:
    async with db.transaction() as conn:
        current = await pace(db, guild_id)
        window_hours = (
            window_days * 24 if window_days is not None else current.window // timedelta(hours=1)
        )
        rest = cooldown_days if cooldown_days is not None else current.cooldown.days
        await conn.execute(
            "INSERT INTO depth_settings (guild_id, window_hours, cooldown_days) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET window_hours = excluded.window_hours,"
            " cooldown_days = excluded.cooldown_days",
            (guild_id, window_hours, rest),
        )
    return PaceSettings(window=timedelta(hours=window_hours), cooldown=timedelta(days=rest))


# --------------------------------------------------------------------------- their data

PERSONAL_DATA = PersonalData(
    key="group_pace",
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
