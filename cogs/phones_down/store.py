"""All of phones down's SQL. Times are ISO-8601 UTC text (`bot.db.codec`).

Functions that write take the caller's transaction (`tx`) first; reads take the
`Database`. Every state change is guarded by the status it expects (`WHERE status =
'lobby'`), so a button and a job racing each other, or a job run twice, change things once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Any

from bot.db import Database, Tx, changed, read_one
from bot.db.codec import dt, hhmm, need_dt, opened, sealed, ts, wall_time
from bot.privacy import Forget, Person, PersonalData, Table
from cogs.phones_down import logic
from cogs.phones_down.logic import (
    LIVE,
    ChallengeStatus,
    ResultsWhere,
    SessionPause,
    SessionStatus,
)

# --------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class Challenge:
    challenge_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    starter_user_id: int
    session_id: int | None
    title: str | None
    duration_minutes: int
    status: ChallengeStatus
    created_at: datetime
    starts_at: datetime
    started_at: datetime | None
    ends_at: datetime | None
    ended_at: datetime | None
    results_message_id: int | None
    results_where: ResultsWhere | None
    posted_late: bool
    prompt_id: str | None
    thread_id: int | None
    participant_count: int | None
    made_it_count: int | None
    free_minutes: int | None
    card_intent: int | None = None  # the outbox intent posting its card
    thread_intent: int | None = None  # …and opening its debrief thread

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def live(self) -> bool:
        return self.status in LIVE


_CHALLENGE_COLUMNS = (
    "challenge_id, guild_id, channel_id, message_id, starter_user_id, session_id, title,"
    " duration_minutes, status, created_at, starts_at, started_at, ends_at, ended_at,"
    " results_message_id, results_where, posted_late, prompt_id, thread_id,"
    " participant_count, made_it_count, free_minutes, card_intent, thread_intent"
)


def _challenge(row: Any) -> Challenge:
    return Challenge(
        challenge_id=row["challenge_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        starter_user_id=row["starter_user_id"],
        session_id=row["session_id"],
        title=opened(row["title"]),
        duration_minutes=row["duration_minutes"],
        status=ChallengeStatus(row["status"]),
        created_at=need_dt(row["created_at"]),
        starts_at=need_dt(row["starts_at"]),
        started_at=dt(row["started_at"]),
        ends_at=dt(row["ends_at"]),
        ended_at=dt(row["ended_at"]),
        results_message_id=row["results_message_id"],
        results_where=None if row["results_where"] is None else ResultsWhere(row["results_where"]),
        posted_late=bool(row["posted_late"]),
        prompt_id=row["prompt_id"],
        thread_id=row["thread_id"],
        participant_count=row["participant_count"],
        made_it_count=row["made_it_count"],
        free_minutes=row["free_minutes"],
        card_intent=row["card_intent"],
        thread_intent=row["thread_intent"],
    )


@dataclass(frozen=True, slots=True)
class Session:
    session_id: int
    guild_id: int
    channel_id: int
    creator_user_id: int
    weekday: int
    local_time: time
    duration_minutes: int
    remind_minutes: int
    title: str | None
    status: SessionStatus
    pause_reason: SessionPause | None
    quiet_rounds: int
    next_at: datetime

    @property
    def reminder_at(self) -> datetime:
        return self.next_at - timedelta(minutes=self.remind_minutes)


_SESSION_COLUMNS = (
    "session_id, guild_id, channel_id, creator_user_id, weekday, local_time,"
    " duration_minutes, remind_minutes, title, status, pause_reason, quiet_rounds, next_at"
)


def _session(row: Any) -> Session:
    return Session(
        session_id=row["session_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        creator_user_id=row["creator_user_id"],
        weekday=row["weekday"],
        local_time=wall_time(row["local_time"]),
        duration_minutes=row["duration_minutes"],
        remind_minutes=row["remind_minutes"],
        title=opened(row["title"]),
        status=SessionStatus(row["status"]),
        pause_reason=None if row["pause_reason"] is None else SessionPause(row["pause_reason"]),
        quiet_rounds=row["quiet_rounds"],
        next_at=need_dt(row["next_at"]),
    )


def _taking(row: Any) -> logic.Taking:
    return logic.Taking(
        user_id=row["user_id"],
        joined_at=need_dt(row["joined_at"]),
        picked_up_at=dt(row["picked_up_at"]),
        stepped_away_at=dt(row["stepped_away_at"]),
    )


# --------------------------------------------------------------------------- challenges


async def get(db: Database, challenge_id: int) -> Challenge | None:
    row = await db.fetchone(
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges WHERE challenge_id = ?", (challenge_id,)
    )
    return None if row is None else _challenge(row)


async def live_in_channel(db: Database, channel_id: int) -> Challenge | None:
    row = await db.fetchone(
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges"
        " WHERE channel_id = ? AND status IN ('lobby', 'running')",
        (channel_id,),
    )
    return None if row is None else _challenge(row)


async def with_status(db: Database, status: ChallengeStatus) -> list[Challenge]:
    rows = await db.fetchall(
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges WHERE status = ? ORDER BY challenge_id",
        (status,),
    )
    return [_challenge(r) for r in rows]


async def for_occurrence(db: Database, session_id: int, starts_at: datetime) -> Challenge | None:
    row = await db.fetchone(
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges WHERE session_id = ? AND starts_at = ?",
        (session_id, ts(starts_at)),
    )
    return None if row is None else _challenge(row)


class ChannelBusy(Exception):
    """There is already a lobby or running challenge in that channel."""

    def __init__(self, existing: Challenge | None) -> None:
        super().__init__("channel busy")
        self.existing = existing


async def create(
    tx: Tx,
    *,
    challenge_id: int,
    guild_id: int,
    channel_id: int,
    starter_user_id: int,
    duration_minutes: int,
    starts_at: datetime,
    now: datetime,
    title: str | None = None,
    message_id: int | None = None,
    card_intent: int | None = None,
    session_id: int | None = None,
    starter_joins: bool = True,
) -> Challenge:
    """A new lobby (with its starter in it, unless told otherwise). ChannelBusy if the
    channel already has a live challenge — checked and written in one transaction."""
    row = await read_one(
        tx,
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges"
        " WHERE channel_id = ? AND status IN ('lobby', 'running')",
        (channel_id,),
    )
    if row is not None:
        raise ChannelBusy(_challenge(row))
    await tx.execute(
        "INSERT INTO pd_challenges (challenge_id, guild_id, channel_id, message_id,"
        " card_intent, starter_user_id, session_id, title, duration_minutes, status,"
        " created_at, starts_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'lobby', ?, ?)",
        (
            challenge_id,
            guild_id,
            channel_id,
            message_id,
            card_intent,
            starter_user_id,
            session_id,
            sealed(title),
            duration_minutes,
            ts(now),
            ts(starts_at),
        ),
    )
    if starter_joins:
        await tx.execute(
            "INSERT INTO pd_participants (challenge_id, user_id, joined_at) VALUES (?, ?, ?)",
            (challenge_id, starter_user_id, ts(now)),
        )
    row = await read_one(
        tx,
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges WHERE challenge_id = ?",
        (challenge_id,),
    )
    return _challenge(row)


async def set_card_intent(tx: Tx, challenge_id: int, intent: int) -> None:
    await changed(
        tx,
        "UPDATE pd_challenges SET card_intent = ? WHERE challenge_id = ?",
        (intent, challenge_id),
    )


async def set_message(tx: Tx, challenge_id: int, message_id: int) -> None:
    await changed(
        tx,
        "UPDATE pd_challenges SET message_id = ? WHERE challenge_id = ?",
        (message_id, challenge_id),
    )


class Join(Enum):
    JOINED = "joined"
    LATE = "late"
    ALREADY = "already"
    WAS_AWAY = "was_away"
    TOO_LATE = "too_late"
    CLOSED = "closed"
    GONE = "gone"


async def join(tx: Tx, challenge_id: int, user_id: int, now: datetime) -> Join:
    """Join a lobby, or a running challenge until half-time. Safe to race: one row each."""
    row = await read_one(
        tx,
        "SELECT status, started_at, ends_at FROM pd_challenges WHERE challenge_id = ?",
        (challenge_id,),
    )
    if row is None:
        return Join.GONE
    status = ChallengeStatus(row["status"])
    if status not in LIVE:
        return Join.CLOSED
    mine = await read_one(
        tx,
        "SELECT stepped_away_at FROM pd_participants WHERE challenge_id = ? AND user_id = ?",
        (challenge_id, user_id),
    )
    if mine is not None:
        return Join.WAS_AWAY if mine["stepped_away_at"] else Join.ALREADY
    if status is ChallengeStatus.RUNNING and not logic.can_join_late(
        need_dt(row["started_at"]), need_dt(row["ends_at"]), now
    ):
        return Join.TOO_LATE
    cur = await tx.execute(
        "INSERT INTO pd_participants (challenge_id, user_id, joined_at) VALUES (?, ?, ?)"
        " ON CONFLICT (challenge_id, user_id) DO NOTHING",
        (challenge_id, user_id, ts(now)),
    )
    if cur.rowcount == 0:
        return Join.ALREADY
    return Join.LATE if status is ChallengeStatus.RUNNING else Join.JOINED


class Leave(Enum):
    LEFT = "left"  # out of a lobby, no trace
    STEPPED_AWAY = "stepped_away"
    ALREADY_AWAY = "already_away"
    NOT_IN = "not_in"
    CLOSED = "closed"
    GONE = "gone"


async def leave(tx: Tx, challenge_id: int, user_id: int, now: datetime) -> Leave:
    """Leave a lobby (as if never joined) or step away from a running challenge."""
    row = await read_one(
        tx, "SELECT status FROM pd_challenges WHERE challenge_id = ?", (challenge_id,)
    )
    if row is None:
        return Leave.GONE
    status = ChallengeStatus(row["status"])
    if status is ChallengeStatus.LOBBY:
        cur = await tx.execute(
            "DELETE FROM pd_participants WHERE challenge_id = ? AND user_id = ?",
            (challenge_id, user_id),
        )
        return Leave.LEFT if cur.rowcount else Leave.NOT_IN
    if status is not ChallengeStatus.RUNNING:
        return Leave.CLOSED
    mine = await read_one(
        tx,
        "SELECT stepped_away_at FROM pd_participants WHERE challenge_id = ? AND user_id = ?",
        (challenge_id, user_id),
    )
    if mine is None:
        return Leave.NOT_IN
    if mine["stepped_away_at"] is not None:
        return Leave.ALREADY_AWAY
    await tx.execute(
        "UPDATE pd_participants SET stepped_away_at = ?"
        " WHERE challenge_id = ? AND user_id = ? AND stepped_away_at IS NULL",
        (ts(now), challenge_id, user_id),
    )
    return Leave.STEPPED_AWAY


async def record_pickup(tx: Tx, challenge_id: int, user_id: int, now: datetime) -> bool:
    """The first sign of a phone in hand, once, while the challenge runs. True if recorded."""
    cur_time = ts(now)
    cur = await tx.execute(
        "UPDATE pd_participants SET picked_up_at = ?"
        " WHERE challenge_id = ? AND user_id = ? AND picked_up_at IS NULL"
        " AND stepped_away_at IS NULL AND joined_at <= ?"
        " AND EXISTS (SELECT 1 FROM pd_challenges c WHERE c.challenge_id = ?"
        " AND c.status = 'running' AND c.started_at <= ? AND c.ends_at > ?)",
        (cur_time, challenge_id, user_id, cur_time, challenge_id, cur_time, cur_time),
    )
    return cur.rowcount > 0


async def participants(db: Database, challenge_id: int) -> list[logic.Taking]:
    rows = await db.fetchall(
        "SELECT user_id, joined_at, picked_up_at, stepped_away_at FROM pd_participants"
        " WHERE challenge_id = ? ORDER BY joined_at, user_id",
        (challenge_id,),
    )
    return [_taking(r) for r in rows]


class Begin(Enum):
    STARTED = "started"
    NOBODY = "nobody"  # cancelled: nobody joined
    STALE = "stale"  # cancelled: the start passed long ago while Hearth was offline
    NOT_LOBBY = "not_lobby"


@dataclass(frozen=True, slots=True)
class BeginResult:
    what: Begin
    challenge: Challenge | None
    session_paused: bool = False


async def begin(tx: Tx, challenge_id: int, now: datetime) -> BeginResult:
    """Lobby → running (or cancelled when nobody joined), once.

    For a scheduled session this also keeps its count of quiet sessions, and pauses the
    schedule after a few in a row, in the same transaction.
    """
    row = await read_one(
        tx,
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges WHERE challenge_id = ?",
        (challenge_id,),
    )
    if row is None or ChallengeStatus(row["status"]) is not ChallengeStatus.LOBBY:
        return BeginResult(Begin.NOT_LOBBY, None if row is None else _challenge(row))
    ch = _challenge(row)
    count_row = await read_one(
        tx, "SELECT COUNT(*) FROM pd_participants WHERE challenge_id = ?", (challenge_id,)
    )
    count = 0 if count_row is None else int(count_row[0])
    paused = False
    if now - ch.starts_at > logic.STALE_START:
        what = Begin.STALE
    elif count == 0:
        what = Begin.NOBODY
    else:
        what = Begin.STARTED
    if what is Begin.STARTED:
        await tx.execute(
            "UPDATE pd_challenges SET status = 'running', started_at = ?, ends_at = ?"
            " WHERE challenge_id = ? AND status = 'lobby'",
            (ts(now), ts(now + ch.duration), challenge_id),
        )
    else:
        await tx.execute(
            "UPDATE pd_challenges SET status = 'cancelled', ended_at = ?"
            " WHERE challenge_id = ? AND status = 'lobby'",
            (ts(now), challenge_id),
        )
    if ch.session_id is not None:
        if what is Begin.STARTED:
            await tx.execute(
                "UPDATE pd_sessions SET quiet_rounds = 0 WHERE session_id = ?",
                (ch.session_id,),
            )
        elif what is Begin.NOBODY:
            await tx.execute(
                "UPDATE pd_sessions SET quiet_rounds = quiet_rounds + 1 WHERE session_id = ?",
                (ch.session_id,),
            )
            cur = await tx.execute(
                "UPDATE pd_sessions SET status = 'paused', pause_reason = 'quiet'"
                " WHERE session_id = ? AND status = 'active' AND quiet_rounds >= ?",
                (ch.session_id, logic.QUIET_ROUNDS_TO_PAUSE),
            )
            paused = cur.rowcount > 0
    row = await read_one(
        tx,
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges WHERE challenge_id = ?",
        (challenge_id,),
    )
    assert row is not None
    return BeginResult(what, _challenge(row), paused)


async def cancel_lobby(tx: Tx, challenge_id: int, now: datetime) -> bool:
    cur_rows = await changed(
        tx,
        "UPDATE pd_challenges SET status = 'cancelled', ended_at = ?"
        " WHERE challenge_id = ? AND status = 'lobby'",
        (ts(now), challenge_id),
    )
    return cur_rows > 0


async def finish(
    tx: Tx,
    challenge_id: int,
    *,
    now: datetime,
    results: logic.Results,
    where: ResultsWhere,
    message_id: int | None,
    late: bool,
    prompt_id: str | None,
    pause_session: bool,
) -> bool:
    """Running → ended, with where the results went, in one transaction. False if it had
    already ended (nothing changes then)."""
    cur = await tx.execute(
        "UPDATE pd_challenges SET status = 'ended', ended_at = ?, results_where = ?,"
        " results_message_id = ?, posted_late = ?, prompt_id = ?, participant_count = ?,"
        " made_it_count = ?, free_minutes = ? WHERE challenge_id = ? AND status = 'running'",
        (
            ts(now),
            where,
            message_id,
            int(late),
            prompt_id,
            results.participants,
            len(results.made_it),
            results.free_minutes,
            challenge_id,
        ),
    )
    if cur.rowcount == 0:
        return False
    if pause_session:
        await tx.execute(
            "UPDATE pd_sessions SET status = 'paused', pause_reason = 'channel'"
            " WHERE session_id = (SELECT session_id FROM pd_challenges WHERE challenge_id = ?)"
            " AND status = 'active'",
            (challenge_id,),
        )
    return True


async def set_results_message(tx: Tx, challenge_id: int, message_id: int) -> None:
    await changed(
        tx,
        "UPDATE pd_challenges SET results_message_id = ? WHERE challenge_id = ?",
        (message_id, challenge_id),
    )


async def results_elsewhere(
    tx: Tx, challenge_id: int, where: ResultsWhere, *, pause_session: bool
) -> None:
    """The results couldn't be posted in the channel: where they went instead ('dm' or
    'nowhere'), and the weekly session paused when the channel is lost to Hearth."""
    await tx.execute(
        "UPDATE pd_challenges SET results_where = ?, results_message_id = NULL"
        " WHERE challenge_id = ?",
        (where, challenge_id),
    )
    if pause_session:
        await tx.execute(
            "UPDATE pd_sessions SET status = 'paused', pause_reason = 'channel'"
            " WHERE session_id = (SELECT session_id FROM pd_challenges WHERE challenge_id = ?)"
            " AND status = 'active'",
            (challenge_id,),
        )


async def claim_thread(tx: Tx, challenge_id: int, intent: int) -> int:
    """The intent opening this challenge's debrief thread: `intent` if none was claimed yet,
    else the one an earlier answer claimed (one thread, however many answer at once)."""
    await tx.execute(
        "UPDATE pd_challenges SET thread_intent = ?"
        " WHERE challenge_id = ? AND thread_intent IS NULL",
        (intent, challenge_id),
    )
    row = await read_one(
        tx, "SELECT thread_intent FROM pd_challenges WHERE challenge_id = ?", (challenge_id,)
    )
    assert row is not None
    return int(row[0])


async def set_thread(tx: Tx, challenge_id: int, thread_id: int) -> None:
    await changed(
        tx,
        "UPDATE pd_challenges SET thread_id = ? WHERE challenge_id = ? AND thread_id IS NULL",
        (thread_id, challenge_id),
    )


async def used_prompt_ids(db: Database, guild_id: int) -> set[str]:
    rows = await db.fetchall(
        "SELECT DISTINCT prompt_id FROM pd_challenges WHERE guild_id = ? AND prompt_id IS NOT NULL",
        (guild_id,),
    )
    return {r[0] for r in rows}


async def running_index(db: Database) -> list[tuple[int, int, datetime, list[int]]]:
    """(guild, challenge, ends_at, still-phone-free user ids) for every running challenge."""
    rows = await db.fetchall(
        "SELECT c.guild_id, c.challenge_id, c.ends_at, p.user_id FROM pd_challenges c"
        " LEFT JOIN pd_participants p ON p.challenge_id = c.challenge_id"
        " AND p.picked_up_at IS NULL AND p.stepped_away_at IS NULL"
        " WHERE c.status = 'running' ORDER BY c.challenge_id"
    )
    found: dict[int, tuple[int, int, datetime, list[int]]] = {}
    for r in rows:
        entry = found.setdefault(r[1], (r[0], r[1], need_dt(r[2]), []))
        if r[3] is not None:
            entry[3].append(r[3])
    return list(found.values())


async def ended_sessions(
    db: Database, guild_id: int, since: datetime | None = None
) -> list[logic.Session]:
    sql = (
        "SELECT started_at, duration_minutes, participant_count, made_it_count, free_minutes"
        " FROM pd_challenges WHERE guild_id = ? AND status = 'ended'"
    )
    params: list[Any] = [guild_id]
    if since is not None:
        sql += " AND started_at >= ?"
        params.append(ts(since))
    rows = await db.fetchall(sql + " ORDER BY started_at", params)
    return [
        logic.Session(
            started_at=need_dt(r[0]),
            duration_minutes=r[1],
            participants=r[2] or 0,
            made_it=r[3] or 0,
            free_minutes=r[4] or 0,
        )
        for r in rows
    ]


async def mine(
    db: Database, guild_id: int, user_id: int
) -> list[tuple[logic.Taking, datetime, datetime]]:
    rows = await db.fetchall(
        "SELECT p.user_id, p.joined_at, p.picked_up_at, p.stepped_away_at, c.started_at,"
        " c.ends_at FROM pd_participants p JOIN pd_challenges c"
        " ON c.challenge_id = p.challenge_id"
        " WHERE c.guild_id = ? AND p.user_id = ? AND c.status = 'ended'",
        (guild_id, user_id),
    )
    return [(_taking(r), need_dt(r["started_at"]), need_dt(r["ends_at"])) for r in rows]


# --------------------------------------------------------------------------- sessions


async def create_session(
    tx: Tx,
    *,
    guild_id: int,
    channel_id: int,
    creator_user_id: int,
    weekday: int,
    local_time: time,
    duration_minutes: int,
    remind_minutes: int,
    title: str | None,
    next_at: datetime,
    now: datetime,
) -> Session:
    cur = await tx.execute(
        "INSERT INTO pd_sessions (guild_id, channel_id, creator_user_id, weekday,"
        " local_time, duration_minutes, remind_minutes, title, next_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            channel_id,
            creator_user_id,
            weekday,
            hhmm(local_time),
            duration_minutes,
            remind_minutes,
            sealed(title),
            ts(next_at),
            ts(now),
        ),
    )
    row = await read_one(
        tx,
        f"SELECT {_SESSION_COLUMNS} FROM pd_sessions WHERE session_id = ?",
        (cur.lastrowid,),
    )
    return _session(row)


async def get_session(db: Database, session_id: int) -> Session | None:
    row = await db.fetchone(
        f"SELECT {_SESSION_COLUMNS} FROM pd_sessions WHERE session_id = ?", (session_id,)
    )
    return None if row is None else _session(row)


async def guild_sessions(db: Database, guild_id: int) -> list[Session]:
    """Active and paused sessions of a server, soonest first."""
    rows = await db.fetchall(
        f"SELECT {_SESSION_COLUMNS} FROM pd_sessions"
        " WHERE guild_id = ? AND status IN ('active', 'paused') ORDER BY next_at, session_id",
        (guild_id,),
    )
    return [_session(r) for r in rows]


async def active_sessions(db: Database) -> list[Session]:
    rows = await db.fetchall(
        f"SELECT {_SESSION_COLUMNS} FROM pd_sessions WHERE status = 'active' ORDER BY session_id"
    )
    return [_session(r) for r in rows]


async def move_session(tx: Tx, session_id: int, after: datetime, next_at: datetime) -> bool:
    """Move an active session's next start from `after` to `next_at`, once (the week ran,
    or the server's time zone changed)."""
    count = await changed(
        tx,
        "UPDATE pd_sessions SET next_at = ? WHERE session_id = ? AND next_at = ?"
        " AND status = 'active'",
        (ts(next_at), session_id, ts(after)),
    )
    return count > 0


async def cancel_reminded_occurrence(
    tx: Tx, challenge_id: int, session_id: int, now: datetime, reason: SessionPause
) -> None:
    """A reminder that couldn't be posted: let the lobby go and pause the schedule."""
    await tx.execute(
        "UPDATE pd_challenges SET status = 'cancelled', ended_at = ?"
        " WHERE challenge_id = ? AND status = 'lobby'",
        (ts(now), challenge_id),
    )
    await tx.execute(
        "UPDATE pd_sessions SET status = 'paused', pause_reason = ?"
        " WHERE session_id = ? AND status = 'active'",
        (reason, session_id),
    )


async def resume_session(tx: Tx, session_id: int, next_at: datetime) -> bool:
    count = await changed(
        tx,
        "UPDATE pd_sessions SET status = 'active', pause_reason = NULL, quiet_rounds = 0,"
        " next_at = ? WHERE session_id = ? AND status = 'paused'",
        (ts(next_at), session_id),
    )
    return count > 0


async def cancel_session(
    tx: Tx, session_id: int, guild_id: int, now: datetime
) -> tuple[bool, Challenge | None]:
    """Cancel a session and its waiting lobby, if any. (cancelled?, the lobby let go)."""
    cur = await tx.execute(
        "UPDATE pd_sessions SET status = 'cancelled' WHERE session_id = ? AND guild_id = ?"
        " AND status IN ('active', 'paused')",
        (session_id, guild_id),
    )
    if cur.rowcount == 0:
        return False, None
    row = await read_one(
        tx,
        f"SELECT {_CHALLENGE_COLUMNS} FROM pd_challenges WHERE session_id = ? AND status = 'lobby'",
        (session_id,),
    )
    lobby = None if row is None else _challenge(row)
    if lobby is not None:
        await tx.execute(
            "UPDATE pd_challenges SET status = 'cancelled', ended_at = ?"
            " WHERE challenge_id = ? AND status = 'lobby'",
            (ts(now), lobby.challenge_id),
        )
    return True, lobby


# --------------------------------------------------------------------------- their data

PERSONAL_DATA = PersonalData(
    key="phones_down",
    title="Phones down",
    practice="phones_down",
    statement=(
        "Who joined each challenge, when, and when they picked a phone up or stepped away "
        "— times only, never what anyone wrote — to count the group's phone-free minutes "
        "and draw its forest. Also who started a challenge or set up a weekly time, and the "
        "name they gave it (encrypted). Debrief answers are posted in a thread and not "
        "stored; Hearth only remembers which message is yours, so it can delete it if you "
        "ask. Kept while Hearth is in the server. When you delete your data, your part "
        "goes; challenges you started stay in the group's history without your name or "
        "the name you gave them."
    ),
    kept="While Hearth is in the server, or until you delete your data.",
    tables=(
        Table(
            "pd_sessions",
            "A weekly phones-down time: who set it up, when, and the name they gave it.",
            people={
                "creator_user_id": Person(
                    "weekly phones-down time you set up",
                    "weekly phones-down times you set up",
                    Forget.ANONYMISE,
                )
            },
            when="created_at",
            sealed=("title",),
            clear=("title",),
            server="guild_id",
        ),
        Table(
            "pd_challenges",
            "A phones-down challenge: who started it, its name, when it ran, how it went.",
            people={
                "starter_user_id": Person(
                    "challenge you started", "challenges you started", Forget.ANONYMISE
                )
            },
            when="created_at",
            sealed=("title",),
            clear=("title",),
            server="guild_id",
        ),
        Table(
            "pd_participants",
            "Your part in a challenge: when you joined, picked a phone up or stepped away.",
            people={"user_id": Person("challenge you joined", "challenges you joined")},
            when="joined_at",
            server_via="pd_challenges",
        ),
    ),
)
