"""All of active listening's SQL. Times are ISO-8601 UTC text.

Every state change is guarded by what it expects (`WHERE phase = ? AND turn_no = ?`), so
a button and a job racing each other, or a job run twice after a restart, change things
once. Functions take the database and join the caller's transaction when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from bot import crypto
from bot.db import Database
from bot.privacy import Forget, Person, PersonalData, Table
from bot.timeutil import UTC
from cogs.listening.logic import (
    Answer,
    Cadence,
    EndReason,
    Met,
    Phase,
    RoundStatus,
    ScheduleStatus,
    Turn,
)


def ts(dt: datetime) -> str:
    """Fixed-width UTC text, so stored times compare correctly as strings."""
    if dt.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _need(value: str | None) -> datetime:
    parsed = _dt(value)
    if parsed is None:
        raise ValueError("missing time")
    return parsed


# --------------------------------------------------------------------------- reflections


@dataclass(frozen=True, slots=True)
class Reflection:
    reflection_id: int
    guild_id: int
    channel_id: int
    message_id: int
    writer_user_id: int
    reflector_user_id: int
    named: bool
    answer: Answer
    post_intent: int | None
    created_at: datetime


def _reflection(row: Any) -> Reflection:
    return Reflection(
        reflection_id=row["reflection_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        writer_user_id=row["writer_user_id"],
        reflector_user_id=row["reflector_user_id"],
        named=bool(row["named"]),
        answer=Answer(row["answer"]),
        post_intent=row["post_intent"],
        created_at=_need(row["created_at"]),
    )


async def create_reflection(
    db: Database,
    *,
    reflection_id: int,
    guild_id: int,
    channel_id: int,
    message_id: int,
    writer_user_id: int,
    reflector_user_id: int,
    named: bool,
    now: datetime,
) -> None:
    await db.execute(
        "INSERT INTO listening_reflections (reflection_id, guild_id, channel_id, message_id,"
        " writer_user_id, reflector_user_id, named, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            reflection_id,
            guild_id,
            channel_id,
            message_id,
            writer_user_id,
            reflector_user_id,
            int(named),
            ts(now),
        ),
    )


async def set_reflection_intent(db: Database, reflection_id: int, intent: int) -> None:
    await db.execute(
        "UPDATE listening_reflections SET post_intent = ? WHERE reflection_id = ?",
        (intent, reflection_id),
    )


async def get_reflection(db: Database, reflection_id: int) -> Reflection | None:
    row = await db.fetchone(
        "SELECT * FROM listening_reflections WHERE reflection_id = ?", (reflection_id,)
    )
    return None if row is None else _reflection(row)


async def answer_reflection(
    db: Database, reflection_id: int, answer: Answer, now: datetime
) -> bool:
    """The writer's answer, once: False when it was already answered."""
    changed = await db.execute(
        "UPDATE listening_reflections SET answer = ?, answered_at = ?"
        " WHERE reflection_id = ? AND answer = 'open'",
        (answer.value, ts(now), reflection_id),
    )
    return changed == 1


async def prune_reflections(db: Database, before: datetime) -> int:
    return await db.execute("DELETE FROM listening_reflections WHERE created_at < ?", (ts(before),))


# --------------------------------------------------------------------------- circles


@dataclass(frozen=True, slots=True)
class Circle:
    circle_id: int
    guild_id: int
    channel_id: int
    thread_id: int | None
    in_thread: bool
    starter_user_id: int
    topic: str | None
    turn_minutes: int
    phase: Phase
    holder_user_id: int | None
    turn_no: int
    phase_ends_at: datetime | None
    last_active_at: datetime
    card_intent: int | None
    card_message_id: int | None
    thread_intent: int | None
    turn_intent: int | None
    created_at: datetime
    ended_at: datetime | None
    end_reason: EndReason | None

    @property
    def live(self) -> bool:
        return self.phase is not Phase.ENDED


def _circle(row: Any) -> Circle:
    return Circle(
        circle_id=row["circle_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        thread_id=row["thread_id"],
        in_thread=bool(row["in_thread"]),
        starter_user_id=row["starter_user_id"],
        topic=crypto.unseal(row["topic"]),
        turn_minutes=row["turn_minutes"],
        phase=Phase(row["phase"]),
        holder_user_id=row["holder_user_id"] or None,
        turn_no=row["turn_no"],
        phase_ends_at=_dt(row["phase_ends_at"]),
        last_active_at=_need(row["last_active_at"]),
        card_intent=row["card_intent"],
        card_message_id=row["card_message_id"],
        thread_intent=row["thread_intent"],
        turn_intent=row["turn_intent"],
        created_at=_need(row["created_at"]),
        ended_at=_dt(row["ended_at"]),
        end_reason=EndReason(row["end_reason"]) if row["end_reason"] else None,
    )


async def create_circle(
    db: Database,
    *,
    circle_id: int,
    guild_id: int,
    channel_id: int,
    in_thread: bool,
    starter_user_id: int,
    topic: str,
    turn_minutes: int,
    now: datetime,
) -> Circle:
    """A circle gathering, with its starter as the first member."""
    await db.execute(
        "INSERT INTO listening_circles (circle_id, guild_id, channel_id, thread_id, in_thread,"
        " starter_user_id, topic, turn_minutes, phase, last_active_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'gathering', ?, ?)",
        (
            circle_id,
            guild_id,
            channel_id,
            channel_id if in_thread else None,
            int(in_thread),
            starter_user_id,
            crypto.seal(topic),
            turn_minutes,
            ts(now),
            ts(now),
        ),
    )
    await join_circle(db, circle_id, starter_user_id, now)
    found = await get_circle(db, circle_id)
    assert found is not None
    return found


async def get_circle(db: Database, circle_id: int) -> Circle | None:
    row = await db.fetchone("SELECT * FROM listening_circles WHERE circle_id = ?", (circle_id,))
    return None if row is None else _circle(row)


async def live_circle_at(db: Database, channel_id: int) -> Circle | None:
    """The live circle whose card or thread is this channel (one at a time)."""
    row = await db.fetchone(
        "SELECT * FROM listening_circles WHERE phase != 'ended'"
        " AND ((channel_id = ? AND in_thread = 1) OR thread_id = ? OR"
        " (channel_id = ? AND thread_id IS NULL))",
        (channel_id, channel_id, channel_id),
    )
    return None if row is None else _circle(row)


async def live_circles(db: Database) -> list[Circle]:
    return await db.fetch_as(_circle, "SELECT * FROM listening_circles WHERE phase != 'ended'")


async def circles_in(db: Database, channel_id: int) -> list[Circle]:
    """Live circles living in (or carded in) a channel or thread."""
    return await db.fetch_as(
        _circle,
        "SELECT * FROM listening_circles WHERE phase != 'ended'"
        " AND (channel_id = ? OR thread_id = ?)",
        (channel_id, channel_id),
    )


async def set_circle_intents(
    db: Database, circle_id: int, *, card: int | None = None, thread: int | None = None
) -> None:
    await db.execute(
        "UPDATE listening_circles SET card_intent = COALESCE(?, card_intent),"
        " thread_intent = COALESCE(?, thread_intent) WHERE circle_id = ?",
        (card, thread, circle_id),
    )


async def set_card_message(db: Database, circle_id: int, message_id: int) -> None:
    await db.execute(
        "UPDATE listening_circles SET card_message_id = ? WHERE circle_id = ?",
        (message_id, circle_id),
    )


async def set_circle_thread(db: Database, circle_id: int, thread_id: int) -> None:
    await db.execute(
        "UPDATE listening_circles SET thread_id = ? WHERE circle_id = ?", (thread_id, circle_id)
    )


async def set_turn_intent(db: Database, circle_id: int, intent: int) -> None:
    await db.execute(
        "UPDATE listening_circles SET turn_intent = ? WHERE circle_id = ?", (intent, circle_id)
    )


async def circle_order(db: Database, circle_id: int) -> list[int]:
    """Members still in the circle, in the order they joined."""
    rows = await db.fetchall(
        "SELECT user_id FROM listening_circle_members WHERE circle_id = ? AND left_at IS NULL"
        " ORDER BY position",
        (circle_id,),
    )
    return [int(r[0]) for r in rows]


async def join_circle(db: Database, circle_id: int, user_id: int, now: datetime) -> bool:
    """In (or back in): False when they already were."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "SELECT left_at FROM listening_circle_members WHERE circle_id = ? AND user_id = ?",
            (circle_id, user_id),
        )
        row = await cur.fetchone()
        await cur.close()
        if row is not None and row[0] is None:
            return False
        cur = await tx.execute(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM listening_circle_members"
            " WHERE circle_id = ?",
            (circle_id,),
        )
        position = (await cur.fetchone() or (1,))[0]
        await cur.close()
        await tx.execute(
            "INSERT INTO listening_circle_members (circle_id, user_id, position, joined_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (circle_id, user_id) DO UPDATE"
            " SET left_at = NULL, position = excluded.position, joined_at = excluded.joined_at",
            (circle_id, user_id, position, ts(now)),
        )
    return True


async def leave_circle(db: Database, circle_id: int, user_id: int, now: datetime) -> bool:
    changed = await db.execute(
        "UPDATE listening_circle_members SET left_at = ?"
        " WHERE circle_id = ? AND user_id = ? AND left_at IS NULL",
        (ts(now), circle_id, user_id),
    )
    return changed == 1


async def move_stick(
    db: Database,
    circle_id: int,
    *,
    expected_phase: Phase,
    expected_turn: int,
    phase: Phase,
    holder: int | None,
    ends_at: datetime | None,
    now: datetime,
) -> bool:
    """The circle's next step, only if it is still where the caller saw it. A new speaker
    opens a turn (the last one is closed); a pause closes the speaker's turn."""
    async with db.transaction() as tx:
        new_turn = expected_turn + 1 if phase is Phase.SPEAKING else expected_turn
        cur = await tx.execute(
            "UPDATE listening_circles SET phase = ?, holder_user_id = ?, turn_no = ?,"
            " phase_ends_at = ? WHERE circle_id = ? AND phase = ? AND turn_no = ?",
            (
                phase.value,
                holder,
                new_turn,
                ts(ends_at) if ends_at else None,
                circle_id,
                expected_phase.value,
                expected_turn,
            ),
        )
        if cur.rowcount != 1:
            return False
        await tx.execute(
            "UPDATE listening_circle_turns SET ended_at = ?"
            " WHERE circle_id = ? AND turn_no = ? AND ended_at IS NULL",
            (ts(now), circle_id, expected_turn),
        )
        if phase is Phase.SPEAKING and holder is not None:
            await tx.execute(
                "INSERT INTO listening_circle_turns (circle_id, turn_no, user_id, started_at)"
                " VALUES (?, ?, ?, ?)",
                (circle_id, new_turn, holder, ts(now)),
            )
    return True


async def turns(db: Database, circle_id: int) -> list[Turn]:
    rows = await db.fetchall(
        "SELECT user_id, started_at, ended_at FROM listening_circle_turns"
        " WHERE circle_id = ? ORDER BY turn_no",
        (circle_id,),
    )
    return [Turn(int(r[0]), _need(r[1]), _dt(r[2])) for r in rows]


async def mark(db: Database, circle_id: int, turn_no: int, user_id: int, now: datetime) -> bool:
    """Record one quiet mark for this person this turn: False when they already have one."""
    changed = await db.execute(
        "INSERT INTO listening_circle_marks (circle_id, turn_no, user_id, marked_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (circle_id, turn_no, user_id, ts(now)),
    )
    return changed == 1


async def save_activity(db: Database, circle_id: int, when: datetime) -> None:
    await db.execute(
        "UPDATE listening_circles SET last_active_at = ?"
        " WHERE circle_id = ? AND last_active_at < ?",
        (ts(when), circle_id, ts(when)),
    )


async def end_circle(db: Database, circle_id: int, reason: EndReason, now: datetime) -> bool:
    """Ended, once: the turn still open closes now."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE listening_circles SET phase = 'ended', phase_ends_at = NULL,"
            " holder_user_id = NULL, ended_at = ?, end_reason = ?"
            " WHERE circle_id = ? AND phase != 'ended'",
            (ts(now), reason.value, circle_id),
        )
        if cur.rowcount != 1:
            return False
        await tx.execute(
            "UPDATE listening_circle_turns SET ended_at = ?"
            " WHERE circle_id = ? AND ended_at IS NULL",
            (ts(now), circle_id),
        )
    return True


async def prune_circles(db: Database, before: datetime) -> int:
    return await db.execute(
        "DELETE FROM listening_circles WHERE phase = 'ended' AND ended_at < ?", (ts(before),)
    )


# --------------------------------------------------------------------------- pairs


@dataclass(frozen=True, slots=True)
class Schedule:
    guild_id: int
    channel_id: int
    cadence: Cadence
    weekday: int
    local_time: time
    status: ScheduleStatus
    next_at: datetime


def _schedule(row: Any) -> Schedule:
    return Schedule(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        cadence=Cadence(row["cadence"]),
        weekday=row["weekday"],
        local_time=time.fromisoformat(row["local_time"]),
        status=ScheduleStatus(row["status"]),
        next_at=_need(row["next_at"]),
    )


async def save_schedule(
    db: Database,
    *,
    guild_id: int,
    channel_id: int,
    cadence: Cadence,
    weekday: int,
    local_time: time,
    next_at: datetime,
    now: datetime,
) -> None:
    await db.execute(
        "INSERT INTO listening_pair_schedules (guild_id, channel_id, cadence, weekday,"
        " local_time, status, next_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
        " cadence = excluded.cadence, weekday = excluded.weekday,"
        " local_time = excluded.local_time, status = 'active', next_at = excluded.next_at,"
        " updated_at = excluded.updated_at",
        (
            guild_id,
            channel_id,
            cadence.value,
            weekday,
            local_time.strftime("%H:%M"),
            ts(next_at),
            ts(now),
        ),
    )


async def get_schedule(db: Database, guild_id: int) -> Schedule | None:
    row = await db.fetchone(
        "SELECT * FROM listening_pair_schedules WHERE guild_id = ?", (guild_id,)
    )
    return None if row is None else _schedule(row)


async def schedules(db: Database) -> list[Schedule]:
    return await db.fetch_as(
        _schedule, "SELECT * FROM listening_pair_schedules WHERE status = 'active'"
    )


async def set_schedule_status(
    db: Database, guild_id: int, status: ScheduleStatus, next_at: datetime, now: datetime
) -> bool:
    changed = await db.execute(
        "UPDATE listening_pair_schedules SET status = ?, next_at = ?, updated_at = ?"
        " WHERE guild_id = ?",
        (status.value, ts(next_at), ts(now), guild_id),
    )
    return changed == 1


async def advance_schedule(
    db: Database, guild_id: int, occurrence: datetime, following: datetime
) -> bool:
    changed = await db.execute(
        "UPDATE listening_pair_schedules SET next_at = ? WHERE guild_id = ? AND next_at = ?",
        (ts(following), guild_id, ts(occurrence)),
    )
    return changed == 1


@dataclass(frozen=True, slots=True)
class Round:
    round_id: int
    guild_id: int
    channel_id: int
    number: int
    started_at: datetime
    nudge_at: datetime
    ask_at: datetime
    ends_at: datetime
    status: RoundStatus
    nudged: bool
    asked: bool
    pair_count: int
    met_count: int | None


def _round(row: Any) -> Round:
    return Round(
        round_id=row["round_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        number=row["number"],
        started_at=_need(row["started_at"]),
        nudge_at=_need(row["nudge_at"]),
        ask_at=_need(row["ask_at"]),
        ends_at=_need(row["ends_at"]),
        status=RoundStatus(row["status"]),
        nudged=bool(row["nudged"]),
        asked=bool(row["asked"]),
        pair_count=row["pair_count"],
        met_count=row["met_count"],
    )


async def next_round_number(db: Database, guild_id: int) -> int:
    value = await db.fetchval(
        "SELECT MAX(number) FROM listening_pair_rounds WHERE guild_id = ?", (guild_id,)
    )
    return 1 + int(value or 0)


async def create_round(
    db: Database,
    *,
    guild_id: int,
    channel_id: int,
    occurrence: datetime,
    started_at: datetime,
    nudge_at: datetime,
    ask_at: datetime,
    ends_at: datetime,
) -> Round | None:
    """A new round for this scheduled time; None when it was already drawn (the ledger)."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM listening_pair_rounds WHERE guild_id = ?",
            (guild_id,),
        )
        number = (await cur.fetchone() or (1,))[0]
        await cur.close()
        cur = await tx.execute(
            "INSERT INTO listening_pair_rounds (guild_id, channel_id, number, occurrence,"
            " started_at, nudge_at, ask_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, occurrence) DO NOTHING RETURNING round_id",
            (
                guild_id,
                channel_id,
                number,
                ts(occurrence),
                ts(started_at),
                ts(nudge_at),
                ts(ask_at),
                ts(ends_at),
            ),
        )
        row = await cur.fetchone()
        await cur.close()
    if row is None:
        return None
    return await get_round(db, int(row[0]))


async def get_round(db: Database, round_id: int) -> Round | None:
    row = await db.fetchone("SELECT * FROM listening_pair_rounds WHERE round_id = ?", (round_id,))
    return None if row is None else _round(row)


async def open_rounds(db: Database, guild_id: int | None = None) -> list[Round]:
    if guild_id is None:
        return await db.fetch_as(
            _round, "SELECT * FROM listening_pair_rounds WHERE status = 'open' ORDER BY round_id"
        )
    return await db.fetch_as(
        _round,
        "SELECT * FROM listening_pair_rounds WHERE status = 'open' AND guild_id = ?"
        " ORDER BY round_id",
        (guild_id,),
    )


async def set_pair_count(db: Database, round_id: int, count: int) -> None:
    await db.execute(
        "UPDATE listening_pair_rounds SET pair_count = ? WHERE round_id = ?", (count, round_id)
    )


async def flag_round(db: Database, round_id: int, flag: str) -> bool:
    """Mark the nudge or the question as sent, once (`flag` is 'nudged' or 'asked')."""
    column = {"nudged": "nudged", "asked": "asked"}[flag]
    changed = await db.execute(
        f"UPDATE listening_pair_rounds SET {column} = 1"
        f" WHERE round_id = ? AND {column} = 0 AND status = 'open'",
        (round_id,),
    )
    return changed == 1


async def close_round(db: Database, round_id: int, met: int) -> bool:
    changed = await db.execute(
        "UPDATE listening_pair_rounds SET status = 'closed', met_count = ?"
        " WHERE round_id = ? AND status = 'open'",
        (met, round_id),
    )
    return changed == 1


@dataclass(frozen=True, slots=True)
class Pair:
    pair_id: int
    round_id: int
    guild_id: int
    via: str
    thread_intent: int | None
    thread_id: int | None
    prompt_id: str | None
    depth: int
    spoke_at: datetime | None
    nudged: bool
    people: tuple[int, ...]
    answers: tuple[Met, ...]


async def add_pair(
    db: Database,
    *,
    round_id: int,
    guild_id: int,
    via: str,
    depth: int,
    prompt_id: str | None,
    people: tuple[int, ...],
) -> int:
    async with db.transaction() as tx:
        cur = await tx.execute(
            "INSERT INTO listening_pairs (round_id, guild_id, via, prompt_id, depth)"
            " VALUES (?, ?, ?, ?, ?) RETURNING pair_id",
            (round_id, guild_id, via, prompt_id, depth),
        )
        row = await cur.fetchone()
        await cur.close()
        assert row is not None
        pair_id = int(row[0])
        await tx.executemany(
            "INSERT INTO listening_pair_people (pair_id, user_id) VALUES (?, ?)",
            [(pair_id, p) for p in people],
        )
    return pair_id


async def set_pair_thread_intent(db: Database, pair_id: int, intent: int) -> None:
    await db.execute(
        "UPDATE listening_pairs SET thread_intent = ? WHERE pair_id = ?", (intent, pair_id)
    )


async def set_pair_thread(db: Database, pair_id: int, thread_id: int) -> None:
    await db.execute(
        "UPDATE listening_pairs SET thread_id = ? WHERE pair_id = ?", (thread_id, pair_id)
    )


async def set_pair_via(db: Database, pair_id: int, via: str) -> None:
    await db.execute("UPDATE listening_pairs SET via = ? WHERE pair_id = ?", (via, pair_id))


async def round_pairs(db: Database, round_id: int) -> list[Pair]:
    rows = await db.fetchall(
        "SELECT p.*, GROUP_CONCAT(pp.user_id) AS people, GROUP_CONCAT(pp.met) AS said"
        " FROM listening_pairs p LEFT JOIN listening_pair_people pp USING (pair_id)"
        " WHERE p.round_id = ? GROUP BY p.pair_id ORDER BY p.pair_id",
        (round_id,),
    )
    return [_pair(r) for r in rows]


async def get_pair(db: Database, pair_id: int) -> Pair | None:
    row = await db.fetchone(
        "SELECT p.*, GROUP_CONCAT(pp.user_id) AS people, GROUP_CONCAT(pp.met) AS said"
        " FROM listening_pairs p LEFT JOIN listening_pair_people pp USING (pair_id)"
        " WHERE p.pair_id = ? GROUP BY p.pair_id",
        (pair_id,),
    )
    return None if row is None else _pair(row)


def _pair(row: Any) -> Pair:
    people = tuple(sorted(int(x) for x in (row["people"] or "").split(",") if x))
    said = tuple(Met(x) for x in (row["said"] or "").split(",") if x)
    return Pair(
        pair_id=row["pair_id"],
        round_id=row["round_id"],
        guild_id=row["guild_id"],
        via=row["via"],
        thread_intent=row["thread_intent"],
        thread_id=row["thread_id"],
        prompt_id=row["prompt_id"],
        depth=row["depth"],
        spoke_at=_dt(row["spoke_at"]),
        nudged=bool(row["nudged"]),
        people=people,
        answers=said,
    )


async def pair_history(db: Database, guild_id: int) -> list[tuple[int, ...]]:
    """Every past pair (and triad) of this server, as the people still on record."""
    rows = await db.fetchall(
        "SELECT GROUP_CONCAT(pp.user_id) FROM listening_pairs p"
        " JOIN listening_pair_people pp USING (pair_id) WHERE p.guild_id = ?"
        " GROUP BY p.pair_id",
        (guild_id,),
    )
    return [tuple(int(x) for x in str(r[0]).split(",")) for r in rows if r[0]]


async def prompts_had(db: Database, guild_id: int, people: tuple[int, ...]) -> set[str]:
    """Questions any of these people already had in a pair here."""
    marks = ", ".join("?" for _ in people)
    rows = await db.fetchall(
        "SELECT DISTINCT p.prompt_id FROM listening_pairs p JOIN listening_pair_people pp"
        f" USING (pair_id) WHERE p.guild_id = ? AND pp.user_id IN ({marks})"
        " AND p.prompt_id IS NOT NULL",
        (guild_id, *people),
    )
    return {str(r[0]) for r in rows}


async def pair_threads(db: Database) -> list[tuple[int, int, int]]:
    """(thread, pair, guild) of pairs in open rounds still waiting for a first word."""
    rows = await db.fetchall(
        "SELECT p.thread_id, p.pair_id, p.guild_id FROM listening_pairs p"
        " JOIN listening_pair_rounds r USING (round_id)"
        " WHERE r.status = 'open' AND p.thread_id IS NOT NULL AND p.spoke_at IS NULL",
    )
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


async def mark_spoke(db: Database, pair_id: int, user_id: int, now: datetime) -> bool:
    """The pair's thread heard its first word from one of them (only the first counts)."""
    changed = await db.execute(
        "UPDATE listening_pairs SET spoke_at = ? WHERE pair_id = ? AND spoke_at IS NULL"
        " AND EXISTS (SELECT 1 FROM listening_pair_people WHERE pair_id = ? AND user_id = ?)",
        (ts(now), pair_id, pair_id, user_id),
    )
    return changed == 1


async def mark_pair_nudged(db: Database, pair_id: int) -> None:
    await db.execute("UPDATE listening_pairs SET nudged = 1 WHERE pair_id = ?", (pair_id,))


async def answer_met(db: Database, pair_id: int, user_id: int, met: Met, now: datetime) -> bool:
    changed = await db.execute(
        "UPDATE listening_pair_people SET met = ?, answered_at = ?"
        " WHERE pair_id = ? AND user_id = ?",
        (met.value, ts(now), pair_id, user_id),
    )
    return changed == 1


async def prune_rounds(db: Database, before: datetime) -> int:
    return await db.execute(
        "DELETE FROM listening_pair_rounds WHERE status = 'closed' AND ends_at < ?",
        (ts(before),),
    )


# -- the private "please don't pair me with" list ------------------------------------------


async def avoid_list(db: Database, guild_id: int, user_id: int) -> list[tuple[int, int]]:
    """(entry, the other person) for someone's own list here."""
    rows = await db.fetchall(
        "SELECT entry_id, avoid_sealed FROM listening_pair_avoid"
        " WHERE guild_id = ? AND user_id = ? ORDER BY entry_id",
        (guild_id, user_id),
    )
    found: list[tuple[int, int]] = []
    for entry_id, sealed in rows:
        opened = crypto.unseal(sealed)
        if opened is not None and opened.isdigit():
            found.append((int(entry_id), int(opened)))
    return found


async def add_avoid(db: Database, guild_id: int, user_id: int, other: int, now: datetime) -> None:
    await db.execute(
        "INSERT INTO listening_pair_avoid (guild_id, user_id, avoid_sealed, created_at)"
        " VALUES (?, ?, ?, ?)",
        (guild_id, user_id, crypto.seal(str(other)), ts(now)),
    )


async def remove_avoid(db: Database, entry_id: int) -> None:
    await db.execute("DELETE FROM listening_pair_avoid WHERE entry_id = ?", (entry_id,))


async def avoided_pairs(db: Database, guild_id: int) -> set[frozenset[int]]:
    """Every "please don't pair us" of this server, as pairs that can't say who asked."""
    rows = await db.fetchall(
        "SELECT user_id, avoid_sealed FROM listening_pair_avoid WHERE guild_id = ?", (guild_id,)
    )
    pairs: set[frozenset[int]] = set()
    for user_id, sealed in rows:
        opened = crypto.unseal(sealed)
        if opened is not None and opened.isdigit() and int(opened) != int(user_id):
            pairs.add(frozenset((int(user_id), int(opened))))
    return pairs


# --------------------------------------------------------------------------- personal data

PERSONAL_DATA = PersonalData(
    key="listening",
    title="Active listening",
    practice="listening",
    statement=(
        "Reflections: whose message was reflected back, by whom, and the answer (yes, or "
        "not quite) — ids and times; the words live only in Hearth's replies, which go "
        "when you delete your data. Circles: who joined, who held the talking stick and "
        "for how long, and one quiet mark per turn — never what anyone wrote — plus the "
        "topic the starter gave (encrypted). Pairs: who was paired with whom and whether "
        "you said you met, so nobody meets the same friend twice before meeting everyone; "
        "and your private list of people you'd rather not be paired with (encrypted, seen "
        "by you alone). Reflections go after 90 days, circles and pair rounds after a year."
    ),
    kept="Reflections: 90 days. Circles and pairs: a year, or until you delete your data.",
    tables=(
        Table(
            "listening_reflections",
            "A reflection: the message reflected back, who wrote it, who reflected it, and "
            "the answer.",
            people={
                "writer_user_id": Person("reflection on your words", "reflections on your words"),
                "reflector_user_id": Person("reflection you wrote", "reflections you wrote"),
            },
            when="created_at",
            server="guild_id",
        ),
        Table(
            "listening_circles",
            "A listening circle: who started it, its topic, its turns' length and how it ended.",
            people={
                "starter_user_id": Person(
                    "circle you started", "circles you started", Forget.ANONYMISE
                ),
                "holder_user_id": Person(
                    "circle where you hold the stick",
                    "circles where you hold the stick",
                    Forget.ANONYMISE,
                ),
            },
            when="created_at",
            sealed=("topic",),
            clear=("topic",),
            server="guild_id",
        ),
        Table(
            "listening_circle_members",
            "Your place in a circle: when you joined (and left).",
            people={"user_id": Person("circle you joined", "circles you joined")},
            when="joined_at",
            server_via="listening_circles",
        ),
        Table(
            "listening_circle_turns",
            "A turn you held the talking stick: from when to when.",
            people={"user_id": Person("turn with the stick", "turns with the stick")},
            when="started_at",
            server_via="listening_circles",
        ),
        Table(
            "listening_circle_marks",
            "A quiet mark on a message you posted while someone else held the stick.",
            people={"user_id": Person("quiet mark", "quiet marks")},
            when="marked_at",
            server_via="listening_circles",
        ),
        Table("listening_pair_schedules", "A server's listening-pairs rhythm.", server="guild_id"),
        Table(
            "listening_pair_rounds",
            "A round of listening pairs: when, and how many pairs met (no one is named).",
            server="guild_id",
        ),
        Table(
            "listening_pairs",
            "A pair in a round: its thread, its question and whether it got talking.",
            server="guild_id",
        ),
        Table(
            "listening_pair_people",
            "You in a listening pair, and whether you said you got to talk.",
            people={"user_id": Person("listening pair you were in", "listening pairs you were in")},
            when="answered_at",
            server_via="listening_pairs",
        ),
        Table(
            "listening_pair_avoid",
            "Someone you'd rather not be paired with (only you ever see this).",
            people={
                "user_id": Person(
                    "person you'd rather not be paired with",
                    "people you'd rather not be paired with",
                )
            },
            when="created_at",
            sealed=("avoid_sealed",),
            server="guild_id",
        ),
    ),
)
