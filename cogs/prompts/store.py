"""The prompts cog's SQL: schedules, rounds, the weekly ledger, used prompts and answers.

Functions that write take the caller's transaction (`tx`) first; those that read take the
`Database`. Whoever acts — the cog, inside `boundaries.acting(...)` or
`db.transaction()` — owns the one transaction, so an interaction costs one commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import retention
from bot.db import Database, Tx, read_all, read_one
from bot.db.codec import dt, need_dt, opened, sealed, ts
from bot.limits import Breather
from bot.privacy import Person, PersonalData, Table
from cogs.prompts import logic
from cogs.prompts.logic import PauseReason, RoundKind, RoundStatus, Skip

# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True, slots=True)
class Schedule:
    guild_id: int
    pinned_practice: str | None = None
    deadline_hours: int = logic.DEFAULT_DEADLINE_HOURS
    paused_reason: PauseReason | None = None
    paused_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_reason is not None

    @property
    def deadline(self) -> timedelta:
        return timedelta(hours=self.deadline_hours)


async def schedule(db: Database, guild_id: int) -> Schedule:
    row = await db.fetchone(
        "SELECT pinned_practice, deadline_hours, paused_reason, paused_at"
        " FROM prompt_schedules WHERE guild_id = ?",
        (guild_id,),
    )
    if row is None:
        return Schedule(guild_id)
    return Schedule(
        guild_id,
        pinned_practice=row["pinned_practice"],
        deadline_hours=row["deadline_hours"],
        paused_reason=_reason(row["paused_reason"]),
        paused_at=dt(row["paused_at"]),
    )


def _reason(value: str | None) -> PauseReason | None:
    return None if value is None else PauseReason(value)


@dataclass(frozen=True, slots=True)
class WeeklyState:
    """Everything the weekly job asks about a server, read in one query."""

    schedule: Schedule
    week_done: bool
    live_rounds: int
    last_practice: str | None


async def weekly_state(db: Database, guild_id: int, week: str) -> WeeklyState:
    row = await db.aggregate(
        "SELECT s.pinned_practice, s.deadline_hours, s.paused_reason, s.paused_at,"
        " (SELECT 1 FROM prompt_weeks w WHERE w.guild_id = g.id AND w.week = ?),"
        " (SELECT COUNT(*) FROM prompt_rounds r WHERE r.guild_id = g.id"
        "   AND r.status IN ('posting', 'open')),"
        " (SELECT r.practice FROM prompt_rounds r WHERE r.guild_id = g.id"
        "   AND r.status != 'failed' ORDER BY r.opened_at DESC LIMIT 1)"
        " FROM (SELECT ? AS id) g LEFT JOIN prompt_schedules s ON s.guild_id = g.id",
        (week, guild_id),
    )
    assert row is not None
    schedule = Schedule(
        guild_id,
        pinned_practice=row[0],
        deadline_hours=row[1] if row[1] is not None else logic.DEFAULT_DEADLINE_HOURS,
        paused_reason=_reason(row[2]),
        paused_at=dt(row[3]),
    )
    return WeeklyState(schedule, row[4] is not None, int(row[5]), row[6])


async def _upsert_schedule(tx: Tx, guild_id: int, values: dict[str, Any]) -> None:
    # `values` keys are column names chosen in this module, never from input.
    columns = ["guild_id", *values]
    updates = ", ".join(f"{c} = excluded.{c}" for c in values)
    await tx.execute(
        f"INSERT INTO prompt_schedules ({', '.join(columns)})"
        f" VALUES ({', '.join('?' for _ in columns)})"
        f" ON CONFLICT (guild_id) DO UPDATE SET {updates}",
        [guild_id, *values.values()],
    )


async def set_pin(tx: Tx, guild_id: int, practice: str | None) -> None:
    await _upsert_schedule(tx, guild_id, {"pinned_practice": practice})


async def set_deadline(tx: Tx, guild_id: int, hours: int) -> None:
    await _upsert_schedule(tx, guild_id, {"deadline_hours": logic.check_deadline_hours(hours)})


async def pause(tx: Tx, guild_id: int, reason: PauseReason, now: datetime) -> bool:
    """Pause the schedule; False when it was already paused (the first reason stays)."""
    cur = await tx.execute(
        "INSERT INTO prompt_schedules (guild_id, paused_reason, paused_at) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET paused_reason = excluded.paused_reason,"
        " paused_at = excluded.paused_at WHERE prompt_schedules.paused_reason IS NULL",
        (guild_id, PauseReason(reason), ts(now)),
    )
    return cur.rowcount > 0


async def resume(tx: Tx, guild_id: int, *, only: PauseReason | None = None) -> bool:
    """Clear a pause (only one with reason `only`, if given); False if it wasn't paused."""
    sql = (
        "UPDATE prompt_schedules SET paused_reason = NULL, paused_at = NULL"
        " WHERE guild_id = ? AND paused_reason IS NOT NULL"
    )
    params: list[Any] = [guild_id]
    if only is not None:
        sql += " AND paused_reason = ?"
        params.append(only)
    cur = await tx.execute(sql, params)
    return cur.rowcount > 0


async def paused_guilds(db: Database) -> set[int]:
    rows = await db.fetchall(
        "SELECT guild_id FROM prompt_schedules WHERE paused_reason IS NOT NULL"
    )
    return {row[0] for row in rows}


async def recent_weeks(db: Database, since: datetime) -> set[tuple[int, str]]:
    """(guild, week) ledger rows recorded since `since` (one query for a whole rebuild)."""
    rows = await db.fetchall(
        "SELECT guild_id, week FROM prompt_weeks WHERE recorded_at >= ?", (ts(since),)
    )
    return {(row[0], row[1]) for row in rows}


async def week_done(db: Database, guild_id: int, week: str) -> bool:
    value = await db.fetchval(
        "SELECT 1 FROM prompt_weeks WHERE guild_id = ? AND week = ?", (guild_id, week)
    )
    return value is not None


# --------------------------------------------------------------------------- rounds


@dataclass(frozen=True, slots=True)
class Round:
    round_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    thread_id: int | None
    kind: RoundKind
    practice: str
    prompt_id: str
    depth: int
    status: RoundStatus
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None
    answer_count: int | None = None

    @property
    def live(self) -> bool:
        return self.status in logic.LIVE_STATUSES


_ROUND_COLUMNS = (
    "round_id, guild_id, channel_id, message_id, thread_id, kind, practice, prompt_id,"
    " depth, status, opened_at, closes_at, closed_at, answer_count"
)


def _round(row: Any) -> Round:
    return Round(
        round_id=row["round_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        kind=RoundKind(row["kind"]),
        practice=row["practice"],
        prompt_id=row["prompt_id"],
        depth=row["depth"],
        status=RoundStatus(row["status"]),
        opened_at=need_dt(row["opened_at"]),
        closes_at=need_dt(row["closes_at"]),
        closed_at=dt(row["closed_at"]),
        answer_count=row["answer_count"],
    )


async def get_round(db: Database, round_id: int) -> Round | None:
    row = await db.fetchone(
        f"SELECT {_ROUND_COLUMNS} FROM prompt_rounds WHERE round_id = ?", (round_id,)
    )
    return None if row is None else _round(row)


async def live_rounds(db: Database, guild_id: int | None = None) -> list[Round]:
    """Rounds still taking answers (everywhere, or in one server), oldest first."""
    sql = f"SELECT {_ROUND_COLUMNS} FROM prompt_rounds WHERE status IN ('posting', 'open')"
    params: tuple[Any, ...] = ()
    if guild_id is not None:
        sql += " AND guild_id = ?"
        params = (guild_id,)
    rows = await db.fetchall(sql + " ORDER BY opened_at", params)
    return [_round(row) for row in rows]


async def live_deadlines(
    db: Database, guild_id: int | None = None
) -> list[tuple[int, int, str, str]]:
    """(round id, server, opened-at, closes-at text) of every live round in servers Hearth is
    in (or in one): all a rebuild needs, without building thousands of rows into objects."""
    sql = (
        "SELECT round_id, guild_id, opened_at, closes_at FROM prompt_rounds"
        " WHERE status IN ('posting', 'open')"
        " AND guild_id NOT IN (SELECT guild_id FROM guilds WHERE left_at IS NOT NULL)"
    )
    params: tuple[Any, ...] = ()
    if guild_id is not None:
        sql += " AND guild_id = ?"
        params = (guild_id,)
    rows = await db.fetchall(sql, params)
    return [(row[0], row[1], row[2], row[3]) for row in rows]


async def rounds_in(db: Database, guild_id: int, limit: int = 20) -> list[Round]:
    """A server's latest rounds, newest first."""
    rows = await db.fetchall(
        f"SELECT {_ROUND_COLUMNS} FROM prompt_rounds WHERE guild_id = ?"
        " ORDER BY opened_at DESC LIMIT ?",
        (guild_id, limit),
    )
    return [_round(row) for row in rows]


async def last_practice(db: Database, guild_id: int) -> str | None:
    """The practice of the server's latest prompt that reached the channel."""
    value = await db.fetchval(
        "SELECT practice FROM prompt_rounds WHERE guild_id = ? AND status != 'failed'"
        " ORDER BY opened_at DESC LIMIT 1",
        (guild_id,),
    )
    return None if value is None else str(value)


async def used_ids(db: Database, guild_id: int) -> set[str]:
    rows = await db.fetchall("SELECT prompt_id FROM prompt_used WHERE guild_id = ?", (guild_id,))
    return {row[0] for row in rows}


@dataclass(frozen=True, slots=True)
class NewRound:
    round_id: int
    guild_id: int
    channel_id: int
    kind: RoundKind
    practice: str
    prompt_id: str
    depth: int
    opened_at: datetime
    closes_at: datetime
    # Prompts whose cycle is complete: forgotten so the group can have them again.
    forget_ids: frozenset[str] = frozenset()

    def as_round(self, message_id: int | None) -> Round:
        """The round as recorded once its post is in the channel."""
        return Round(
            round_id=self.round_id,
            guild_id=self.guild_id,
            channel_id=self.channel_id,
            message_id=message_id,
            thread_id=None,
            kind=self.kind,
            practice=self.practice,
            prompt_id=self.prompt_id,
            depth=self.depth,
            status=RoundStatus.OPEN,
            opened_at=self.opened_at,
            closes_at=self.closes_at,
        )


async def _insert_round(
    tx: Tx, new: NewRound, *, status: RoundStatus, message_id: int | None = None
) -> None:
    await tx.execute(
        f"INSERT INTO prompt_rounds ({_ROUND_COLUMNS})"
        " VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        (
            new.round_id,
            new.guild_id,
            new.channel_id,
            message_id,
            new.kind,
            new.practice,
            new.prompt_id,
            new.depth,
            status,
            ts(new.opened_at),
            ts(new.closes_at),
        ),
    )
    if new.forget_ids:
        ids = sorted(new.forget_ids)
        await tx.execute(
            f"DELETE FROM prompt_used WHERE guild_id = ?"
            f" AND prompt_id IN ({', '.join('?' for _ in ids)})",
            [new.guild_id, *ids],
        )
    await tx.execute(
        "INSERT INTO prompt_used (guild_id, prompt_id, used_at) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, prompt_id) DO UPDATE SET used_at = excluded.used_at",
        (new.guild_id, new.prompt_id, ts(new.opened_at)),
    )


async def claim_week(tx: Tx, new: NewRound, week: str) -> bool:
    """Claim this server's week and record its round (status 'posting') in one transaction.

    False when the week is already in the ledger: that prompt was posted (or tried) before,
    by an earlier run, a restart, or the second 02:30 of a fall-back night.
    """
    cur = await tx.execute(
        "INSERT INTO prompt_weeks (guild_id, week, round_id, recorded_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (guild_id, week) DO NOTHING",
        (new.guild_id, week, new.round_id, ts(new.opened_at)),
    )
    if cur.rowcount == 0:
        return False
    await _insert_round(tx, new, status=RoundStatus.POSTING)
    return True


async def record_manual(tx: Tx, new: NewRound) -> None:
    """An admin's prompt (status 'posting' until its post is in the channel)."""
    await _insert_round(tx, new, status=RoundStatus.POSTING)


async def mark_posted(tx: Tx, round_id: int, message_id: int) -> Round | None:
    """The post is in the channel: the round opens (None if it closed meanwhile)."""
    cur = await tx.execute(
        "UPDATE prompt_rounds SET status = 'open', message_id = ?"
        " WHERE round_id = ? AND status = 'posting'",
        (message_id, round_id),
    )
    if cur.rowcount == 0:
        return None
    row = await read_one(
        tx, f"SELECT {_ROUND_COLUMNS} FROM prompt_rounds WHERE round_id = ?", (round_id,)
    )
    return None if row is None else _round(row)


async def mark_revealed(tx: Tx, round_id: int, now: datetime) -> None:
    """The last of a close's messages is out (the reveal is complete)."""
    await tx.execute(
        "UPDATE prompt_rounds SET revealed_at = ? WHERE round_id = ? AND revealed_at IS NULL",
        (ts(now), round_id),
    )


async def mark_failed(
    tx: Tx, round_id: int, guild_id: int, *, pause_reason: PauseReason | None, now: datetime
) -> None:
    """The post never reached the channel; pause the schedule too when it can't work."""
    await tx.execute(
        "UPDATE prompt_rounds SET status = 'failed', closed_at = ?, answer_count = 0"
        " WHERE round_id = ?",
        (ts(now), round_id),
    )
    # Answers can't exist without the post, but leave nothing behind either way.
    await tx.execute("DELETE FROM prompt_answers WHERE round_id = ?", (round_id,))
    if pause_reason is not None:
        await pause(tx, guild_id, pause_reason, now)
        # Nothing was posted and the pause stops any retry; once an admin fixes the
        # channel, this week's prompt may still go out.
        await tx.execute("DELETE FROM prompt_weeks WHERE round_id = ?", (round_id,))


async def set_thread(tx: Tx, round_id: int, thread_id: int) -> None:
    await tx.execute(
        "UPDATE prompt_rounds SET thread_id = ? WHERE round_id = ?", (thread_id, round_id)
    )


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True, slots=True)
class Answer:
    user_id: int
    body: str | None
    anonymous: bool
    skipped: bool
    answered_at: datetime


def _answer(row: Any) -> Answer:
    return Answer(
        user_id=row["user_id"],
        body=opened(row["body"]),
        anonymous=bool(row["anonymous"]),
        skipped=bool(row["skipped"]),
        answered_at=need_dt(row["answered_at"]),
    )


_ANSWER_COLUMNS = "user_id, body, anonymous, skipped, answered_at"


async def answer_of(db: Database, round_id: int, user_id: int) -> Answer | None:
    row = await db.fetchone(
        f"SELECT {_ANSWER_COLUMNS} FROM prompt_answers WHERE round_id = ? AND user_id = ?",
        (round_id, user_id),
    )
    return None if row is None else _answer(row)


async def recent_responders(
    db: Database, guild_id: int, before: datetime, rounds: int = logic.RECENT_ROUNDS
) -> set[int]:
    """Who answered or skipped one of the server's last `rounds` closed prompts posted
    before `before`: the people an early reveal waits for."""
    rows = await db.fetchall(
        "SELECT DISTINCT a.user_id FROM prompt_answers a WHERE a.round_id IN"
        " (SELECT round_id FROM prompt_rounds WHERE guild_id = ? AND opened_at < ?"
        "  AND status IN ('revealed', 'quiet') ORDER BY opened_at DESC LIMIT ?)",
        (guild_id, ts(before), rounds),
    )
    return {row[0] for row in rows}


async def responses(db: Database, round_id: int) -> tuple[set[int], set[int]]:
    """Who answered this round, and who skipped it."""
    rows = await db.fetchall(
        "SELECT user_id, skipped FROM prompt_answers WHERE round_id = ?", (round_id,)
    )
    return {r[0] for r in rows if not r[1]}, {r[0] for r in rows if r[1]}


@dataclass(frozen=True, slots=True)
class EarlyInputs:
    """What `logic.early_reveal_at` decides a round's early reveal on."""

    regulars: set[int]
    answered: set[int]
    skipped: set[int]


async def early_inputs(db: Database, guild_id: int | None = None) -> dict[int, EarlyInputs]:
    """`recent_responders` and `responses` of every live round (or one server's) that has
    MIN_TO_REVEAL answers — no other can come out early — in two reads for all of them,
    instead of two per round: a start with 5,000 open prompts asked 10,000 times."""
    live = "r.status IN ('posting', 'open')"
    params: tuple[Any, ...] = (logic.MIN_TO_REVEAL,)
    if guild_id is not None:
        live += " AND r.guild_id = ?"
        params = (guild_id, logic.MIN_TO_REVEAL)
    enough = (
        " AND (SELECT COUNT(*) FROM prompt_answers n"
        " WHERE n.round_id = r.round_id AND n.skipped = 0) >= ?"
    )
    found: dict[int, EarlyInputs] = {}
    breathe = Breather()  # tens of thousands of rows when every open prompt has answers
    rows = await db.fetchall(
        "SELECT a.round_id, a.user_id, a.skipped FROM prompt_answers a WHERE a.round_id IN"
        f" (SELECT r.round_id FROM prompt_rounds r WHERE {live}{enough})",
        params,
    )
    for round_id, user_id, skipped in rows:
        await breathe()
        inputs = found.get(round_id)
        if inputs is None:
            inputs = found[round_id] = EarlyInputs(set(), set(), set())
        (inputs.skipped if skipped else inputs.answered).add(user_id)
    if not found:
        return found
    # Each round's regulars: as `recent_responders(db, its server, its opened_at)`.
    rows = await db.fetchall(
        "SELECT r.round_id, a.user_id FROM prompt_rounds r JOIN prompt_answers a"
        " ON a.round_id IN (SELECT c.round_id FROM prompt_rounds c"
        "  WHERE c.guild_id = r.guild_id AND c.opened_at < r.opened_at"
        "  AND c.status IN ('revealed', 'quiet') ORDER BY c.opened_at DESC LIMIT ?)"
        f" WHERE {live}{enough}",
        (logic.RECENT_ROUNDS, *params),
    )
    for round_id, user_id in rows:
        await breathe()
        inputs = found.get(round_id)
        if inputs is not None:  # an answer since the first read: the job re-checks anyway
            inputs.regulars.add(user_id)
    return found


async def _is_live(tx: Tx, round_id: int) -> bool:
    row = await read_one(
        tx,
        "SELECT 1 FROM prompt_rounds WHERE round_id = ? AND status IN ('posting', 'open')",
        (round_id,),
    )
    return row is not None


async def save_answer(
    tx: Tx,
    round_id: int,
    guild_id: int,
    user_id: int,
    body: str,
    anonymous: bool,
    now: datetime,
) -> bool:
    """Save (or replace, or turn a skip into) an answer; False once the round has closed."""
    if not await _is_live(tx, round_id):
        return False
    await tx.execute(
        "INSERT INTO prompt_answers"
        " (round_id, user_id, guild_id, body, anonymous, skipped, answered_at)"
        " VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (round_id, user_id) DO UPDATE SET"
        " body = excluded.body, anonymous = excluded.anonymous, skipped = 0,"
        " answered_at = excluded.answered_at",
        (round_id, user_id, guild_id, sealed(body), int(anonymous), ts(now)),
    )
    return True


async def save_skip(tx: Tx, round_id: int, guild_id: int, user_id: int, now: datetime) -> Skip:
    """Record a skip (an answer stays as it is; nothing changes once the round closed)."""
    if not await _is_live(tx, round_id):
        return Skip.CLOSED
    cur = await tx.execute(
        "INSERT INTO prompt_answers"
        " (round_id, user_id, guild_id, body, anonymous, skipped, answered_at)"
        " VALUES (?, ?, ?, NULL, 0, 1, ?) ON CONFLICT (round_id, user_id) DO NOTHING",
        (round_id, user_id, guild_id, ts(now)),
    )
    if cur.rowcount:
        return Skip.SKIPPED
    row = await read_one(
        tx,
        "SELECT skipped FROM prompt_answers WHERE round_id = ? AND user_id = ?",
        (round_id, user_id),
    )
    return Skip.SKIPPED if row is not None and row[0] else Skip.ANSWERED


async def set_anonymous(tx: Tx, round_id: int, user_id: int, anonymous: bool) -> bool:
    """Change how an answer will be shown; False once the round closed (or no answer)."""
    if not await _is_live(tx, round_id):
        return False
    cur = await tx.execute(
        "UPDATE prompt_answers SET anonymous = ?"
        " WHERE round_id = ? AND user_id = ? AND skipped = 0",
        (int(anonymous), round_id, user_id),
    )
    return cur.rowcount > 0


async def withdraw(tx: Tx, round_id: int, user_id: int) -> str | None:
    """Delete an answer before the reveal; returns its text (None: closed, or nothing there)."""
    if not await _is_live(tx, round_id):
        return None
    row = await read_one(
        tx,
        "SELECT body FROM prompt_answers WHERE round_id = ? AND user_id = ? AND skipped = 0",
        (round_id, user_id),
    )
    if row is None:
        return None
    await tx.execute(
        "DELETE FROM prompt_answers WHERE round_id = ? AND user_id = ?", (round_id, user_id)
    )
    return opened(str(row[0]))


@dataclass(frozen=True, slots=True)
class Closing:
    """A round that has just closed: what to reveal (or not), decided in one transaction."""

    round: Round
    answers: list[Answer]
    status: RoundStatus
    paused: bool  # this close made the schedule pause itself (a quiet room)


async def close_round(tx: Tx, round_id: int, now: datetime) -> Closing | None:
    """Close a live round exactly once: fix its answers, its outcome and any silence pause.

    Returns None when it was already closed (a second reveal is then a no-op). Answers are
    read in the same transaction, so an edit racing the reveal is either in or refused.
    """
    row = await read_one(
        tx,
        f"SELECT {_ROUND_COLUMNS} FROM prompt_rounds"
        " WHERE round_id = ? AND status IN ('posting', 'open')",
        (round_id,),
    )
    if row is None:
        return None
    current = _round(row)
    answers = [
        _answer(r)
        for r in await read_all(
            tx,
            f"SELECT {_ANSWER_COLUMNS} FROM prompt_answers WHERE round_id = ? AND skipped = 0",
            (round_id,),
        )
    ]
    status = logic.outcome(len(answers))
    await tx.execute(
        "UPDATE prompt_rounds SET status = ?, closed_at = ?, answer_count = ? WHERE round_id = ?",
        (status, ts(now), len(answers), round_id),
    )
    paused = False
    if not answers and current.kind is RoundKind.WEEKLY:
        history = [
            (RoundKind(r[0]), int(r[1] or 0))
            for r in await read_all(
                tx,
                "SELECT kind, answer_count FROM prompt_rounds WHERE guild_id = ?"
                " AND status IN ('revealed', 'quiet') ORDER BY opened_at DESC LIMIT 50",
                (current.guild_id,),
            )
        ]
        if logic.should_pause(history):
            paused = await pause(tx, current.guild_id, PauseReason.SILENT, now)
    closed = Round(**{**_as_dict(current), "status": status, "answer_count": len(answers)})
    return Closing(closed, answers, status, paused)


def _as_dict(r: Round) -> dict[str, Any]:
    return {name: getattr(r, name) for name in Round.__slots__}


# --------------------------------------------------------------------------- retention


async def expire_answers(tx: Tx, policy: retention.Policy, now: datetime) -> int:
    """Delete answers older than their server's retention period; returns how many."""
    return await retention.expire(tx, policy, now, table="prompt_answers", when="answered_at")


# --------------------------------------------------------------------------- their data


async def kept_for(db: Database, user_id: int) -> str | None:
    """How long this person's answers are kept, in their own servers' actual periods."""
    rows = await db.fetchall(
        "SELECT DISTINCT a.guild_id, r.days FROM prompt_answers a"
        " LEFT JOIN guild_retention r ON r.guild_id = a.guild_id WHERE a.user_id = ?",
        (user_id,),
    )
    days = sorted({retention.DEFAULT_DAYS if r[1] is None else int(r[1]) for r in rows})
    if not days:
        return None
    if len(days) == 1:
        return f"{days[0]} days after you answer, as the server keeps them."
    return f"{days[0]} to {days[-1]} days after you answer, depending on the server."


PERSONAL_DATA = PersonalData(
    key="prompts",
    title="Weekly group prompts",
    practice="sharing",
    statement=(
        "Your answers to the group's weekly prompts (your words, encrypted, and whether to "
        "show them with your name or anonymously) and the prompts you skipped, so everyone's "
        "answers can be revealed together, you can edit or withdraw yours until then, and a "
        "new prompt can wait for those who took part in the last three before coming out "
        "early. "
        "Deleted after the server's retention period: 90 days unless its admins chose "
        "another. The prompts themselves, and how each week went, name no one."
    ),
    kept="90 days, or the period the server's admins chose (7 to 365 days).",
    kept_detail=kept_for,
    tables=(
        Table(
            "prompt_answers",
            "Your answer to one group prompt (or that you skipped it), and whether it is "
            "shown with your name.",
            people={"user_id": Person("prompt answer or skip", "prompt answers and skips")},
            when="answered_at",
            sealed=("body",),
            server="guild_id",
        ),
        Table(
            "prompt_rounds",
            "One prompt posted to a server, and how it closed (no one is named).",
            server="guild_id",
        ),
        Table(
            "prompt_weeks",
            "The weeks a server's prompt went out, so none goes out twice (no one is named).",
            server="guild_id",
        ),
        Table(
            "prompt_used",
            "Prompts a server has had, so none repeats too soon (no one is named).",
            server="guild_id",
        ),
        Table(
            "prompt_schedules",
            "A server's weekly prompt settings: a pinned practice, how long answers stay "
            "private, whether it is paused (no one is named).",
            server="guild_id",
        ),
    ),
)
