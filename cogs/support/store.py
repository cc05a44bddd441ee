"""All of steady support's SQL: schedules, check-ins, circles, waiting DMs, notices, resources.

Functions that write take the caller's transaction (`tx`) first — `async with
bot.boundaries.acting(...) as tx` or `bot.db.transaction()`, opened by whoever acts — so an
interaction writes once; functions that read take the `Database`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from bot.db import Database, Tx, read_one
from bot.db.codec import dt, hhmm, need_dt, opened, sealed, ts, wall_time
from bot.privacy import Person, PersonalData, Table
from cogs.support import logic
from cogs.support.logic import (
    CheckinStatus,
    CircleStatus,
    Frequency,
    FriendDm,
    HistoryRow,
    Schedule,
)


def slot_key(slot: datetime) -> str:
    return ts(slot)


def now_key(now: datetime) -> str:
    return "now:" + ts(now)


# --------------------------------------------------------------------------- schedules

_SCHEDULE_COLUMNS = (
    "user_id, guild_id, frequency, local_time, weekday, active, next_slot, next_send_at,"
    " quiet_days, quiet_since, quiet_alerted_at"
)


def _schedule(row: Any) -> Schedule:
    return Schedule(
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        frequency=Frequency(row["frequency"]),
        local_time=wall_time(row["local_time"]),
        weekday=row["weekday"],
        active=bool(row["active"]),
        next_slot=dt(row["next_slot"]),
        next_send_at=dt(row["next_send_at"]),
        quiet_days=row["quiet_days"],
        quiet_since=dt(row["quiet_since"]),
        quiet_alerted_at=dt(row["quiet_alerted_at"]),
    )


async def get_schedule(db: Database, user_id: int) -> Schedule | None:
    row = await db.fetchone(
        f"SELECT {_SCHEDULE_COLUMNS} FROM checkin_schedules WHERE user_id = ?", (user_id,)
    )
    return None if row is None else _schedule(row)


@dataclass(frozen=True, slots=True)
class Armed:
    """What an active schedule's jobs are armed from: its next check-in, and when its
    quiet watch looks next (None: off, or already told for this quiet spell)."""

    user_id: int
    next_send_at: datetime | None
    quiet_due: datetime | None


def _armed(row: Any) -> Armed:
    return Armed(row[0], dt(row[1]), logic.quiet_due_at(row[2], dt(row[3]), dt(row[4])))


async def active_schedules(db: Database) -> list[Armed]:
    """Every active schedule, as its jobs are armed: at start, 20,000 of them, so only the
    five columns that takes are read and nothing else is built (a `Schedule` each cost
    ~5 µs of the event loop's time)."""
    return await db.fetch_as(
        _armed,
        "SELECT user_id, next_send_at, quiet_days, quiet_since, quiet_alerted_at"
        " FROM checkin_schedules WHERE active = 1 ORDER BY user_id",
    )


async def save_schedule(
    tx: Tx,
    *,
    user_id: int,
    guild_id: int,
    frequency: Frequency,
    local_time: time,
    weekday: int,
    next_slot: datetime,
    next_send_at: datetime,
    now: datetime,
) -> None:
    """Start (or change) someone's check-ins. A quiet watch they set counts from now."""
    await tx.execute(
        "INSERT INTO checkin_schedules (user_id, guild_id, frequency, local_time, weekday,"
        " active, next_slot, next_send_at, quiet_since, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET guild_id = excluded.guild_id,"
        " frequency = excluded.frequency, local_time = excluded.local_time,"
        " weekday = excluded.weekday, active = 1, next_slot = excluded.next_slot,"
        " next_send_at = excluded.next_send_at, quiet_since = excluded.quiet_since,"
        " quiet_alerted_at = NULL, updated_at = excluded.updated_at",
        (
            user_id,
            guild_id,
            frequency,
            hhmm(local_time),
            weekday,
            ts(next_slot),
            ts(next_send_at),
            ts(now),
            ts(now),
            ts(now),
        ),
    )


async def move_next(
    tx: Tx, user_id: int, next_slot: datetime, next_send_at: datetime, now: datetime
) -> None:
    await tx.execute(
        "UPDATE checkin_schedules SET next_slot = ?, next_send_at = ?, updated_at = ?"
        " WHERE user_id = ? AND active = 1",
        (ts(next_slot), ts(next_send_at), ts(now), user_id),
    )


async def stop_schedule(tx: Tx, user_id: int, now: datetime) -> bool:
    cur = await tx.execute(
        "UPDATE checkin_schedules SET active = 0, next_slot = NULL, next_send_at = NULL,"
        " updated_at = ? WHERE user_id = ? AND active = 1",
        (ts(now), user_id),
    )
    return cur.rowcount > 0


async def set_quiet(tx: Tx, user_id: int, days: int | None, now: datetime) -> bool:
    """Turn the quiet watch on (counting from now) or off; False without a schedule."""
    cur = await tx.execute(
        "UPDATE checkin_schedules SET quiet_days = ?, quiet_since = ?, quiet_alerted_at = NULL,"
        " updated_at = ? WHERE user_id = ?",
        (days, ts(now), ts(now), user_id),
    )
    return cur.rowcount > 0


async def mark_alive(tx: Tx, user_id: int, now: datetime) -> None:
    """They answered: a new quiet spell may start counting from now."""
    await tx.execute(
        "UPDATE checkin_schedules SET quiet_since = ?, quiet_alerted_at = NULL WHERE user_id = ?",
        (ts(now), user_id),
    )


async def bump_quiet(tx: Tx, user_id: int, now: datetime) -> None:
    """They weren't being asked (paused, DMs closed): count the quiet spell from now."""
    await tx.execute(
        "UPDATE checkin_schedules SET quiet_since = ? WHERE user_id = ? AND quiet_alerted_at"
        " IS NULL",
        (ts(now), user_id),
    )


async def claim_quiet_alert(tx: Tx, user_id: int, now: datetime) -> bool:
    """Mark this quiet spell as told; False if it already was (so it fires once)."""
    cur = await tx.execute(
        "UPDATE checkin_schedules SET quiet_alerted_at = ?"
        " WHERE user_id = ? AND quiet_alerted_at IS NULL AND quiet_days IS NOT NULL",
        (ts(now), user_id),
    )
    return cur.rowcount > 0


async def unanswered_since(db: Database, user_id: int, since: datetime) -> int:
    """Check-ins that reached them after `since` and got no answer."""
    row = await db.aggregate(
        "SELECT COUNT(*) FROM checkins WHERE user_id = ? AND status = 'sent' AND sent_at >= ?",
        (user_id, ts(since)),
    )
    return 0 if row is None else int(row[0])


# --------------------------------------------------------------------------- check-ins


@dataclass(frozen=True, slots=True)
class CheckIn:
    checkin_id: int
    user_id: int
    slot: str
    sent_at: datetime
    status: CheckinStatus
    mood: int | None
    note: str | None
    answered_at: datetime | None
    circle_told_at: datetime | None


_CHECKIN_COLUMNS = (
    "checkin_id, user_id, slot, sent_at, status, mood, note, answered_at, circle_told_at"
)


def _checkin(row: Any) -> CheckIn:
    return CheckIn(
        checkin_id=row["checkin_id"],
        user_id=row["user_id"],
        slot=row["slot"],
        sent_at=need_dt(row["sent_at"]),
        status=CheckinStatus(row["status"]),
        mood=row["mood"],
        note=opened(row["note"]),
        answered_at=dt(row["answered_at"]),
        circle_told_at=dt(row["circle_told_at"]),
    )


async def create_checkin(tx: Tx, user_id: int, slot: str, now: datetime) -> int | None:
    """The ledger row for one check-in DM, written before it goes out; None when this
    slot already has one (a repeated job), so nobody gets the same check-in twice."""
    cur = await tx.execute(
        "INSERT INTO checkins (user_id, slot, sent_at, status) VALUES (?, ?, ?, 'sent')"
        " ON CONFLICT (user_id, slot) DO NOTHING",
        (user_id, slot, ts(now)),
    )
    if cur.rowcount == 0:
        return None
    return cur.lastrowid


async def mark_failed(tx: Tx, checkin_id: int) -> None:
    """The DM couldn't be delivered: not an unanswered check-in."""
    await tx.execute(
        "UPDATE checkins SET status = 'failed' WHERE checkin_id = ? AND status = 'sent'",
        (checkin_id,),
    )


async def get_checkin(db: Database, checkin_id: int) -> CheckIn | None:
    row = await db.fetchone(
        f"SELECT {_CHECKIN_COLUMNS} FROM checkins WHERE checkin_id = ?", (checkin_id,)
    )
    return None if row is None else _checkin(row)


async def record_mood(tx: Tx, checkin_id: int, mood: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE checkins SET mood = ?, status = 'answered', answered_at = ? WHERE checkin_id = ?",
        (mood, ts(now), checkin_id),
    )


async def record_note(tx: Tx, checkin_id: int, note: str | None, now: datetime) -> None:
    await tx.execute(
        "UPDATE checkins SET note = ?, status = 'answered', answered_at = ? WHERE checkin_id = ?",
        (sealed(note), ts(now), checkin_id),
    )


async def record_skip(tx: Tx, checkin_id: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE checkins SET status = 'skipped', answered_at = ?"
        " WHERE checkin_id = ? AND mood IS NULL AND note IS NULL",
        (ts(now), checkin_id),
    )


async def claim_circle_told(tx: Tx, checkin_id: int, now: datetime) -> bool:
    cur = await tx.execute(
        "UPDATE checkins SET circle_told_at = ? WHERE checkin_id = ? AND circle_told_at IS NULL",
        (ts(now), checkin_id),
    )
    return cur.rowcount > 0


async def history(db: Database, user_id: int, limit: int) -> list[HistoryRow]:
    """The person's latest check-ins, newest first."""
    rows = await db.fetchall(
        "SELECT sent_at, status, mood, note FROM checkins"
        " WHERE user_id = ? ORDER BY sent_at DESC, checkin_id DESC"
        " LIMIT ?",
        (user_id, limit),
    )
    return [
        HistoryRow(need_dt(r["sent_at"]), CheckinStatus(r["status"]), r["mood"], opened(r["note"]))
        for r in rows
    ]


async def prune(tx: Tx, before: datetime) -> int:
    """Delete everyone's check-ins, and unshown DM notices, older than `before`."""
    cur = await tx.execute("DELETE FROM checkins WHERE sent_at < ?", (ts(before),))
    removed = max(cur.rowcount, 0)
    cur = await tx.execute("DELETE FROM support_dm_notices WHERE failed_at < ?", (ts(before),))
    return removed + max(cur.rowcount, 0)


# --------------------------------------------------------------------------- circles


@dataclass(frozen=True, slots=True)
class CircleEntry:
    user_id: int
    member_user_id: int
    guild_id: int
    status: CircleStatus
    invited_at: datetime


def _entry(row: Any) -> CircleEntry:
    return CircleEntry(
        row["user_id"],
        row["member_user_id"],
        row["guild_id"],
        CircleStatus(row["status"]),
        need_dt(row["invited_at"]),
    )


_CIRCLE_COLUMNS = "user_id, member_user_id, guild_id, status, invited_at"


async def circle_entry(db: Database, user_id: int, member_user_id: int) -> CircleEntry | None:
    row = await db.fetchone(
        f"SELECT {_CIRCLE_COLUMNS} FROM support_circle WHERE user_id = ? AND member_user_id = ?",
        (user_id, member_user_id),
    )
    return None if row is None else _entry(row)


async def circle(db: Database, user_id: int) -> list[CircleEntry]:
    rows = await db.fetchall(
        f"SELECT {_CIRCLE_COLUMNS} FROM support_circle WHERE user_id = ? ORDER BY invited_at",
        (user_id,),
    )
    return [_entry(row) for row in rows]


async def accepted_members(db: Database, user_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT member_user_id FROM support_circle WHERE user_id = ? AND status = 'accepted'"
        " ORDER BY member_user_id",
        (user_id,),
    )
    return [row[0] for row in rows]


async def circles_of(db: Database, member_user_id: int) -> list[int]:
    """Whose circles this person has joined."""
    rows = await db.fetchall(
        "SELECT user_id FROM support_circle WHERE member_user_id = ? AND status = 'accepted'"
        " ORDER BY user_id",
        (member_user_id,),
    )
    return [row[0] for row in rows]


async def is_accepted(db: Database, user_id: int, member_user_id: int) -> bool:
    entry = await circle_entry(db, user_id, member_user_id)
    return entry is not None and entry.status is CircleStatus.ACCEPTED


async def add_invite(
    tx: Tx, user_id: int, member_user_id: int, guild_id: int, now: datetime
) -> None:
    await tx.execute(
        "INSERT INTO support_circle (user_id, member_user_id, guild_id, status, invited_at)"
        " VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (user_id, member_user_id) DO NOTHING",
        (user_id, member_user_id, guild_id, ts(now)),
    )


async def answer_invite(
    tx: Tx, user_id: int, member_user_id: int, accept: bool, now: datetime
) -> bool:
    status = CircleStatus.ACCEPTED if accept else CircleStatus.DECLINED
    cur = await tx.execute(
        "UPDATE support_circle SET status = ?, answered_at = ?"
        " WHERE user_id = ? AND member_user_id = ?",
        (status, ts(now), user_id, member_user_id),
    )
    return cur.rowcount > 0


async def remove_from_circle(tx: Tx, user_id: int, member_user_id: int) -> bool:
    cur = await tx.execute(
        "DELETE FROM support_circle WHERE user_id = ? AND member_user_id = ?",
        (user_id, member_user_id),
    )
    # Anything still waiting to go between them about this circle goes too.
    await tx.execute(
        "DELETE FROM support_outbox WHERE kind IN ('invite', 'signal', 'quiet')"
        " AND sender_user_id = ? AND recipient_user_id = ?",
        (user_id, member_user_id),
    )
    return cur.rowcount > 0


async def invite_ref(tx: Tx, user_id: int, member_user_id: int) -> int | None:
    """A pending invitation's row, as a reference that names nobody."""
    row = await read_one(
        tx,
        "SELECT rowid FROM support_circle"
        " WHERE user_id = ? AND member_user_id = ? AND status = 'pending'",
        (user_id, member_user_id),
    )
    return None if row is None else int(row[0])


async def forget_invite_ref(tx: Tx, ref: int) -> None:
    await tx.execute("DELETE FROM support_circle WHERE rowid = ? AND status = 'pending'", (ref,))


async def forget_invite(tx: Tx, user_id: int, member_user_id: int) -> None:
    """An invitation that couldn't be delivered is not left hanging."""
    await tx.execute(
        "DELETE FROM support_circle"
        " WHERE user_id = ? AND member_user_id = ? AND status = 'pending'",
        (user_id, member_user_id),
    )


# --------------------------------------------------------------------------- waiting DMs
# (DMs between friends held for the end of someone's quiet hours: `support_outbox`)


@dataclass(frozen=True, slots=True)
class Outgoing:
    outbox_id: int
    kind: FriendDm
    sender_user_id: int
    recipient_user_id: int
    guild_id: int | None
    note: str | None
    quiet_days: int | None
    due_at: datetime


async def add_outgoing(
    tx: Tx,
    *,
    kind: FriendDm,
    sender_user_id: int,
    recipient_user_id: int,
    guild_id: int | None,
    due_at: datetime,
    now: datetime,
    note: str | None = None,
    quiet_days: int | None = None,
) -> int:
    cur = await tx.execute(
        "INSERT INTO support_outbox (kind, sender_user_id, recipient_user_id, guild_id, note,"
        " quiet_days, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            kind,
            sender_user_id,
            recipient_user_id,
            guild_id,
            sealed(note),
            quiet_days,
            ts(due_at),
            ts(now),
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


_OUTBOX_COLUMNS = (
    "outbox_id, kind, sender_user_id, recipient_user_id, guild_id, note, quiet_days, due_at"
)


def _outgoing(row: Any) -> Outgoing:
    return Outgoing(
        outbox_id=row["outbox_id"],
        kind=FriendDm(row["kind"]),
        sender_user_id=row["sender_user_id"],
        recipient_user_id=row["recipient_user_id"],
        guild_id=row["guild_id"],
        note=opened(row["note"]),
        quiet_days=row["quiet_days"],
        due_at=need_dt(row["due_at"]),
    )


async def get_outgoing(db: Database, outbox_id: int) -> Outgoing | None:
    row = await db.fetchone(
        f"SELECT {_OUTBOX_COLUMNS} FROM support_outbox WHERE outbox_id = ?", (outbox_id,)
    )
    return None if row is None else _outgoing(row)


async def all_outgoing(db: Database) -> list[Outgoing]:
    rows = await db.fetchall(f"SELECT {_OUTBOX_COLUMNS} FROM support_outbox ORDER BY outbox_id")
    return [_outgoing(row) for row in rows]


async def postpone_outgoing(tx: Tx, outbox_id: int, due_at: datetime) -> None:
    await tx.execute(
        "UPDATE support_outbox SET due_at = ? WHERE outbox_id = ?", (ts(due_at), outbox_id)
    )


async def take_outgoing(tx: Tx, outbox_id: int) -> bool:
    """Remove a row about to be delivered; False if someone else already took it."""
    cur = await tx.execute("DELETE FROM support_outbox WHERE outbox_id = ?", (outbox_id,))
    return cur.rowcount > 0


# --------------------------------------------------------------------------- DM notices


async def add_dm_notice(tx: Tx, user_id: int, now: datetime) -> None:
    await tx.execute(
        "INSERT INTO support_dm_notices (user_id, failed_at) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET failed_at = excluded.failed_at",
        (user_id, ts(now)),
    )


async def dm_notices(db: Database) -> set[int]:
    rows = await db.fetchall("SELECT user_id FROM support_dm_notices")
    return {row[0] for row in rows}


async def take_dm_notice(tx: Tx, user_id: int) -> bool:
    cur = await tx.execute("DELETE FROM support_dm_notices WHERE user_id = ?", (user_id,))
    return cur.rowcount > 0


# --------------------------------------------------------------------------- resources


async def get_resources(db: Database, guild_id: int) -> str | None:
    value = await db.fetchval("SELECT text FROM support_resources WHERE guild_id = ?", (guild_id,))
    return None if value is None else opened(str(value))


async def set_resources(tx: Tx, guild_id: int, text: str | None, now: datetime) -> None:
    """A server's own help text; None goes back to Hearth's general one."""
    if text is None:
        await tx.execute("DELETE FROM support_resources WHERE guild_id = ?", (guild_id,))
        return
    await tx.execute(
        "INSERT INTO support_resources (guild_id, text, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET text = excluded.text,"
        " updated_at = excluded.updated_at",
        # Sealed like people's words: a server's help text can name people and numbers.
        (guild_id, sealed(text), ts(now)),
    )


# --------------------------------------------------------------------------- their data

PERSONAL_DATA = PersonalData(
    key="support",
    title="Steady support",
    practice="support",
    statement=(
        "Check-ins: when you asked for them (how often, what time, which server) and your "
        "answers — the mood you tapped and any words you added, encrypted — kept for you "
        "alone so you can see them in /checkin history, and deleted after a year. Your "
        "support circle: who you asked and whether they said yes, until you remove them. "
        "A note to a friend is kept only until it's delivered. If your DMs turn out "
        "closed, a reminder to tell you so, until you've been told."
    ),
    kept="Check-ins: a year. Circle: until you change it. Notes: until delivered.",
    tables=(
        Table(
            "checkin_schedules",
            "When you asked for check-ins: how often, at what time, from which server.",
            people={"user_id": Person("check-in schedule", "check-in schedules")},
            when="created_at",
            server="guild_id",
        ),
        Table(
            "checkins",
            "One check-in DM and your answer: the mood you tapped and your own words.",
            people={"user_id": Person("check-in", "check-ins")},
            when="sent_at",
            sealed=("note",),
        ),
        Table(
            "support_circle",
            "Someone asked into a support circle, and whether they said yes.",
            people={
                "user_id": Person(
                    "friend you asked into your circle", "friends you asked into your circle"
                ),
                "member_user_id": Person(
                    "circle you were asked into", "circles you were asked into"
                ),
            },
            when="invited_at",
            server="guild_id",
        ),
        Table(
            "support_outbox",
            "A DM between friends waiting for the end of someone's quiet hours.",
            people={
                "sender_user_id": Person(
                    "note waiting to reach a friend", "notes waiting to reach friends"
                ),
                "recipient_user_id": Person(
                    "note waiting to reach you", "notes waiting to reach you"
                ),
            },
            when="created_at",
            sealed=("note",),
            server="guild_id",
            # The words are the sender's until they're delivered.
            owner_only={"note": "sender_user_id"},
        ),
        Table(
            "support_dm_notices",
            "A reminder to tell you, once, that your DMs turned out closed.",
            people={"user_id": Person("reminder about closed DMs", "reminders about closed DMs")},
            when="failed_at",
        ),
        Table(
            "support_resources",
            "Where a server's members can find help, as its admins wrote it.",
            sealed=("text",),
            server="guild_id",
        ),
    ),
)
