"""All of active listening's SQL. Times are ISO-8601 UTC text.

Every state change is guarded by what it expects (`WHERE phase = ? AND turn_no = ?`), so
a button and a job racing each other, or a job run twice after a restart, change things
once. Functions that write take the caller's transaction (`tx`) first; reads take the
database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Literal

from bot.db import Database, Tx, changed, read_one
from bot.db.codec import dt, hhmm, need_dt, opened, sealed, ts, wall_time
from bot.privacy import Forget, Person, PersonalData, Table
from cogs.listening.logic import (
    Answer,
    Cadence,
    EndReason,
    Met,
    PairVia,
    Phase,
    RoundStatus,
    ScheduleStatus,
    Turn,
)

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
        created_at=need_dt(row["created_at"]),
    )


async def create_reflection(
    tx: Tx,
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
    await tx.execute(
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


async def set_reflection_intent(tx: Tx, reflection_id: int, intent: int) -> None:
    await tx.execute(
        "UPDATE listening_reflections SET post_intent = ? WHERE reflection_id = ?",
        (intent, reflection_id),
    )


async def get_reflection(db: Database, reflection_id: int) -> Reflection | None:
    row = await db.fetchone(
        "SELECT * FROM listening_reflections WHERE reflection_id = ?", (reflection_id,)
    )
    return None if row is None else _reflection(row)


async def answer_reflection(tx: Tx, reflection_id: int, answer: Answer, now: datetime) -> bool:
    """The writer's answer, once: False when it was already answered."""
    count = await changed(
        tx,
        "UPDATE listening_reflections SET answer = ?, answered_at = ?"
        " WHERE reflection_id = ? AND answer = 'open'",
        (answer.value, ts(now), reflection_id),
    )
    return count == 1


async def delete_reflection(tx: Tx, reflection_id: int) -> None:
    """A reflection whose reply never made it: there is nothing to answer."""
    await tx.execute("DELETE FROM listening_reflections WHERE reflection_id = ?", (reflection_id,))


async def prune_reflections(tx: Tx, before: datetime) -> int:
    return await changed(
        tx, "DELETE FROM listening_reflections WHERE created_at < ?", (ts(before),)
    )


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
        topic=opened(row["topic"]),
        turn_minutes=row["turn_minutes"],
        phase=Phase(row["phase"]),
        holder_user_id=row["holder_user_id"] or None,
        turn_no=row["turn_no"],
        phase_ends_at=dt(row["phase_ends_at"]),
        last_active_at=need_dt(row["last_active_at"]),
        card_intent=row["card_intent"],
        card_message_id=row["card_message_id"],
        thread_intent=row["thread_intent"],
        turn_intent=row["turn_intent"],
        created_at=need_dt(row["created_at"]),
        ended_at=dt(row["ended_at"]),
        end_reason=EndReason(row["end_reason"]) if row["end_reason"] else None,
    )


async def create_circle(
    tx: Tx,
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
    await tx.execute(
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
            sealed(topic),
            turn_minutes,
            ts(now),
            ts(now),
        ),
    )
    await join_circle(tx, circle_id, starter_user_id, now)
    row = await read_one(tx, "SELECT * FROM listening_circles WHERE circle_id = ?", (circle_id,))
    assert row is not None
    return _circle(row)


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
    tx: Tx, circle_id: int, *, card: int | None = None, thread: int | None = None
) -> None:
    await tx.execute(
        "UPDATE listening_circles SET card_intent = COALESCE(?, card_intent),"
        " thread_intent = COALESCE(?, thread_intent) WHERE circle_id = ?",
        (card, thread, circle_id),
    )


async def set_card_message(tx: Tx, circle_id: int, message_id: int) -> None:
    await tx.execute(
        "UPDATE listening_circles SET card_message_id = ? WHERE circle_id = ?",
        (message_id, circle_id),
    )


async def set_circle_thread(tx: Tx, circle_id: int, thread_id: int) -> None:
    await tx.execute(
        "UPDATE listening_circles SET thread_id = ? WHERE circle_id = ?", (thread_id, circle_id)
    )


async def set_turn_intent(tx: Tx, circle_id: int, intent: int) -> None:
    await tx.execute(
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


async def join_circle(tx: Tx, circle_id: int, user_id: int, now: datetime) -> bool:
    """In (or back in): False when they already were."""
    row = await read_one(
        tx,
        "SELECT left_at FROM listening_circle_members WHERE circle_id = ? AND user_id = ?",
        (circle_id, user_id),
    )
    if row is not None and row[0] is None:
        return False
    last = await read_one(
        tx,
        "SELECT COALESCE(MAX(position), 0) + 1 FROM listening_circle_members WHERE circle_id = ?",
        (circle_id,),
    )
    position = int(last[0]) if last is not None else 1
    await tx.execute(
        "INSERT INTO listening_circle_members (circle_id, user_id, position, joined_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (circle_id, user_id) DO UPDATE"
        " SET left_at = NULL, position = excluded.position, joined_at = excluded.joined_at",
        (circle_id, user_id, position, ts(now)),
    )
    return True


async def leave_circle(tx: Tx, circle_id: int, user_id: int, now: datetime) -> bool:
    count = await changed(
        tx,
        "UPDATE listening_circle_members SET left_at = ?"
        " WHERE circle_id = ? AND user_id = ? AND left_at IS NULL",
        (ts(now), circle_id, user_id),
    )
    return count == 1


async def move_stick(
    tx: Tx,
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
    return [Turn(int(r[0]), need_dt(r[1]), dt(r[2])) for r in rows]


async def mark(tx: Tx, circle_id: int, turn_no: int, user_id: int, now: datetime) -> bool:
    """Record one quiet mark for this person this turn: False when they already have one."""
    count = await changed(
        tx,
        "INSERT INTO listening_circle_marks (circle_id, turn_no, user_id, marked_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (circle_id, turn_no, user_id, ts(now)),
    )
    return count == 1


async def save_activity(tx: Tx, circle_id: int, when: datetime) -> None:
    await tx.execute(
        "UPDATE listening_circles SET last_active_at = ?"
        " WHERE circle_id = ? AND last_active_at < ?",
        (ts(when), circle_id, ts(when)),
    )


async def end_circle(tx: Tx, circle_id: int, reason: EndReason, now: datetime) -> bool:
    """Ended, once: the turn still open closes now."""
    cur = await tx.execute(
        "UPDATE listening_circles SET phase = 'ended', phase_ends_at = NULL,"
        " holder_user_id = NULL, ended_at = ?, end_reason = ?"
        " WHERE circle_id = ? AND phase != 'ended'",
        (ts(now), reason.value, circle_id),
    )
    if cur.rowcount != 1:
        return False
    await tx.execute(
        "UPDATE listening_circle_turns SET ended_at = ? WHERE circle_id = ? AND ended_at IS NULL",
        (ts(now), circle_id),
    )
    return True


async def prune_circles(tx: Tx, before: datetime) -> int:
    return await changed(
        tx, "DELETE FROM listening_circles WHERE phase = 'ended' AND ended_at < ?", (ts(before),)
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
        local_time=wall_time(row["local_time"]),
        status=ScheduleStatus(row["status"]),
        next_at=need_dt(row["next_at"]),
    )


async def save_schedule(
    tx: Tx,
    *,
    guild_id: int,
    channel_id: int,
    cadence: Cadence,
    weekday: int,
    local_time: time,
    next_at: datetime,
    now: datetime,
) -> None:
    await tx.execute(
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
            hhmm(local_time),
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
    tx: Tx, guild_id: int, status: ScheduleStatus, next_at: datetime, now: datetime
) -> bool:
    count = await changed(
        tx,
        "UPDATE listening_pair_schedules SET status = ?, next_at = ?, updated_at = ?"
        " WHERE guild_id = ?",
        (status.value, ts(next_at), ts(now), guild_id),
    )
    return count == 1


async def advance_schedule(
    tx: Tx, guild_id: int, occurrence: datetime, following: datetime
) -> bool:
    count = await changed(
        tx,
        "UPDATE listening_pair_schedules SET next_at = ? WHERE guild_id = ? AND next_at = ?",
        (ts(following), guild_id, ts(occurrence)),
    )
    return count == 1


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
        started_at=need_dt(row["started_at"]),
        nudge_at=need_dt(row["nudge_at"]),
        ask_at=need_dt(row["ask_at"]),
        ends_at=need_dt(row["ends_at"]),
        status=RoundStatus(row["status"]),
        nudged=bool(row["nudged"]),
        asked=bool(row["asked"]),
        pair_count=row["pair_count"],
        met_count=row["met_count"],
    )


async def next_round_number(db: Database, guild_id: int) -> int:
    row = await db.aggregate(
        "SELECT MAX(number) FROM listening_pair_rounds WHERE guild_id = ?", (guild_id,)
    )
    return 1 + int(row[0] or 0) if row is not None else 1


async def create_round(
    tx: Tx,
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
    last = await read_one(
        tx,
        "SELECT COALESCE(MAX(number), 0) + 1 FROM listening_pair_rounds WHERE guild_id = ?",
        (guild_id,),
    )
    number = int(last[0]) if last is not None else 1
    row = await read_one(
        tx,
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
    if row is None:
        return None
    found = await read_one(
        tx, "SELECT * FROM listening_pair_rounds WHERE round_id = ?", (int(row[0]),)
    )
    return None if found is None else _round(found)


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


async def set_pair_count(tx: Tx, round_id: int, count: int) -> None:
    await tx.execute(
        "UPDATE listening_pair_rounds SET pair_count = ? WHERE round_id = ?", (count, round_id)
    )


async def flag_round(tx: Tx, round_id: int, flag: Literal["nudged", "asked"]) -> bool:
    """Mark the nudge or the question as sent, once."""
    if flag not in ("nudged", "asked"):
        raise ValueError(f"unknown round flag {flag!r}")
    count = await changed(
        tx,
        f"UPDATE listening_pair_rounds SET {flag} = 1"
        f" WHERE round_id = ? AND {flag} = 0 AND status = 'open'",
        (round_id,),
    )
    return count == 1


async def close_round(tx: Tx, round_id: int, met: int) -> bool:
    count = await changed(
        tx,
        "UPDATE listening_pair_rounds SET status = 'closed', met_count = ?"
        " WHERE round_id = ? AND status = 'open'",
        (met, round_id),
    )
    return count == 1


@dataclass(frozen=True, slots=True)
class Pair:
    pair_id: int
    round_id: int
    guild_id: int
    via: PairVia
    thread_intent: int | None
    thread_id: int | None
    prompt_id: str | None
    depth: int
    spoke_at: datetime | None
    nudged: bool
    people: tuple[int, ...]
    answers: tuple[Met, ...]


async def add_pair(
    tx: Tx,
    *,
    round_id: int,
    guild_id: int,
    via: PairVia,
    depth: int,
    prompt_id: str | None,
    people: tuple[int, ...],
) -> int:
    row = await read_one(
        tx,
        "INSERT INTO listening_pairs (round_id, guild_id, via, prompt_id, depth)"
        " VALUES (?, ?, ?, ?, ?) RETURNING pair_id",
        (round_id, guild_id, via.value, prompt_id, depth),
    )
    assert row is not None
    pair_id = int(row[0])
    await tx.executemany(
        "INSERT INTO listening_pair_people (pair_id, user_id) VALUES (?, ?)",
        [(pair_id, p) for p in people],
    )
    return pair_id


async def set_pair_thread_intent(tx: Tx, pair_id: int, intent: int) -> None:
    await tx.execute(
        "UPDATE listening_pairs SET thread_intent = ? WHERE pair_id = ?", (intent, pair_id)
    )


async def set_pair_thread(tx: Tx, pair_id: int, thread_id: int) -> None:
    await tx.execute(
        "UPDATE listening_pairs SET thread_id = ? WHERE pair_id = ?", (thread_id, pair_id)
    )


async def set_pair_via(tx: Tx, pair_id: int, via: PairVia) -> None:
    await tx.execute("UPDATE listening_pairs SET via = ? WHERE pair_id = ?", (via.value, pair_id))


_PAIR_COLUMNS = (
    "pair_id, round_id, guild_id, via, thread_intent, thread_id, prompt_id, depth, spoke_at, nudged"
)


async def round_pairs(db: Database, round_id: int) -> list[Pair]:
    rows = await db.fetchall(
        f"SELECT {_PAIR_COLUMNS} FROM listening_pairs WHERE round_id = ? ORDER BY pair_id",
        (round_id,),
    )
    people = await db.fetchall(
        "SELECT pp.pair_id, pp.user_id, pp.met FROM listening_pair_people pp"
        " JOIN listening_pairs p ON p.pair_id = pp.pair_id WHERE p.round_id = ?",
        (round_id,),
    )
    return _pairs(rows, people)


async def get_pair(db: Database, pair_id: int) -> Pair | None:
    row = await db.fetchone(
        f"SELECT {_PAIR_COLUMNS} FROM listening_pairs WHERE pair_id = ?", (pair_id,)
    )
    if row is None:
        return None
    people = await db.fetchall(
        "SELECT pair_id, user_id, met FROM listening_pair_people WHERE pair_id = ?", (pair_id,)
    )
    return _pairs([row], people)[0]


def _pairs(rows: Sequence[Any], people: Sequence[Any]) -> list[Pair]:
    """Pairs with their people (rows of pair id, person, what they said)."""
    who: dict[int, list[int]] = {}
    said: dict[int, list[Met]] = {}
    for pair_id, user_id, met in people:
        who.setdefault(int(pair_id), []).append(int(user_id))
        if met is not None:
            said.setdefault(int(pair_id), []).append(Met(met))
    return [
        Pair(
            pair_id=row["pair_id"],
            round_id=row["round_id"],
            guild_id=row["guild_id"],
            via=PairVia(row["via"]),
            thread_intent=row["thread_intent"],
            thread_id=row["thread_id"],
            prompt_id=row["prompt_id"],
            depth=row["depth"],
            spoke_at=dt(row["spoke_at"]),
            nudged=bool(row["nudged"]),
            people=tuple(sorted(who.get(row["pair_id"], ()))),
            answers=tuple(said.get(row["pair_id"], ())),
        )
        for row in rows
    ]


async def pair_history(db: Database, guild_id: int) -> list[tuple[int, ...]]:
    """Every past pair (and triad) of this server, as the people still on record."""
    rows = await db.fetchall(
        "SELECT pp.pair_id, pp.user_id FROM listening_pairs p"
        " JOIN listening_pair_people pp ON pp.pair_id = p.pair_id WHERE p.guild_id = ?",
        (guild_id,),
    )
    groups: dict[int, list[int]] = {}
    for pair_id, user_id in rows:
        groups.setdefault(int(pair_id), []).append(int(user_id))
    return [tuple(sorted(people)) for people in groups.values()]


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


async def mark_spoke(tx: Tx, pair_id: int, user_id: int, now: datetime) -> bool:
    """The pair's thread heard its first word from one of them (only the first counts)."""
    count = await changed(
        tx,
        "UPDATE listening_pairs SET spoke_at = ? WHERE pair_id = ? AND spoke_at IS NULL"
        " AND EXISTS (SELECT 1 FROM listening_pair_people WHERE pair_id = ? AND user_id = ?)",
        (ts(now), pair_id, pair_id, user_id),
    )
    return count == 1


async def mark_pair_nudged(tx: Tx, pair_id: int) -> None:
    await tx.execute("UPDATE listening_pairs SET nudged = 1 WHERE pair_id = ?", (pair_id,))


async def answer_met(tx: Tx, pair_id: int, user_id: int, met: Met, now: datetime) -> bool:
    count = await changed(
        tx,
        "UPDATE listening_pair_people SET met = ?, answered_at = ?"
        " WHERE pair_id = ? AND user_id = ?",
        (met.value, ts(now), pair_id, user_id),
    )
    return count == 1


async def prune_rounds(tx: Tx, before: datetime) -> int:
    return await changed(
        tx,
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
    for entry_id, stored in rows:
        other = opened(stored)
        if other is not None and other.isdigit():
            found.append((int(entry_id), int(other)))
    return found


async def add_avoid(tx: Tx, guild_id: int, user_id: int, other: int, now: datetime) -> None:
    await tx.execute(
        "INSERT INTO listening_pair_avoid (guild_id, user_id, avoid_sealed, created_at)"
        " VALUES (?, ?, ?, ?)",
        (guild_id, user_id, sealed(str(other)), ts(now)),
    )


async def remove_avoid(tx: Tx, entry_id: int) -> None:
    await tx.execute("DELETE FROM listening_pair_avoid WHERE entry_id = ?", (entry_id,))


async def avoided_pairs(db: Database, guild_id: int) -> set[frozenset[int]]:
    """Every "please don't pair us" of this server, as pairs that can't say who asked."""
    rows = await db.fetchall(
        "SELECT user_id, avoid_sealed FROM listening_pair_avoid WHERE guild_id = ?", (guild_id,)
    )
    pairs: set[frozenset[int]] = set()
    for user_id, stored in rows:
        other = opened(stored)
        if other is not None and other.isdigit() and int(other) != int(user_id):
            pairs.add(frozenset((int(user_id), int(other))))
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
