"""Active listening's SQL on both engines: every change happens once (the guards a button
and a job racing rely on), pairs read back with their people, and each table's own
retention."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.db import Database
from bot.timeutil import UTC
from cogs.listening import store
from cogs.listening.logic import (
    Answer,
    Cadence,
    EndReason,
    Met,
    PairVia,
    Phase,
    RoundStatus,
    ScheduleStatus,
)
from tests.writes import write

NOW = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
G, CHANNEL = 900, 901
ANA, BEN, CAL = 11, 22, 33


async def test_a_reflection_is_answered_once_and_goes_after_its_time(store_db: Database) -> None:
    db = store_db
    await write(
        db,
        store.create_reflection,
        reflection_id=5,
        guild_id=G,
        channel_id=CHANNEL,
        message_id=77,
        writer_user_id=ANA,
        reflector_user_id=BEN,
        named=True,
        now=NOW,
    )
    assert await write(db, store.answer_reflection, 5, Answer.YES, NOW)
    assert not await write(db, store.answer_reflection, 5, Answer.NOT_QUITE, NOW)
    found = await store.get_reflection(db, 5)
    assert found is not None
    assert found.answer is Answer.YES
    assert await write(db, store.prune_reflections, NOW) == 0
    assert await write(db, store.prune_reflections, NOW + timedelta(seconds=1)) == 1
    assert await store.get_reflection(db, 5) is None


async def test_a_second_circle_where_one_is_live_is_not_made(store_db: Database) -> None:
    # Checked inside the write, so a circle recorded a moment ago counts too.
    db = store_db
    fields = {"guild_id": G, "in_thread": False, "topic": "How we", "turn_minutes": 5, "now": NOW}
    first = await write(
        db, store.create_circle, circle_id=7, channel_id=CHANNEL, starter_user_id=ANA, **fields
    )
    assert first is not None
    again = await write(
        db, store.create_circle, circle_id=8, channel_id=CHANNEL, starter_user_id=BEN, **fields
    )
    assert again is None
    assert await store.get_circle(db, 8) is None


async def test_a_circle_moves_its_stick_once_per_step(store_db: Database) -> None:
    db = store_db
    circle = await write(
        db,
        store.create_circle,
        circle_id=7,
        guild_id=G,
        channel_id=CHANNEL,
        in_thread=False,
        starter_user_id=ANA,
        topic="How we are",
        turn_minutes=5,
        now=NOW,
    )
    assert circle is not None
    assert circle.topic == "How we are"
    assert circle.phase is Phase.GATHERING
    assert await write(db, store.join_circle, 7, BEN, NOW)
    assert not await write(db, store.join_circle, 7, BEN, NOW)  # already in
    assert await store.circle_order(db, 7) == [ANA, BEN]

    def move(turn: int) -> dict[str, object]:
        return {
            "expected_phase": Phase.GATHERING if turn == 0 else Phase.SPEAKING,
            "expected_turn": turn,
            "phase": Phase.SPEAKING,
            "holder": ANA,
            "ends_at": NOW + timedelta(minutes=5),
            "now": NOW,
        }

    assert await write(db, store.move_stick, 7, **move(0))  # type: ignore[arg-type]
    assert not await write(db, store.move_stick, 7, **move(0))  # type: ignore[arg-type]
    speaking = await store.get_circle(db, 7)
    assert speaking is not None
    assert (speaking.phase, speaking.turn_no, speaking.holder_user_id) == (Phase.SPEAKING, 1, ANA)
    assert await write(db, store.mark, 7, 1, BEN, NOW)
    assert not await write(db, store.mark, 7, 1, BEN, NOW)  # one quiet mark a turn
    assert await write(db, store.leave_circle, 7, BEN, NOW)
    assert not await write(db, store.leave_circle, 7, BEN, NOW)
    assert await write(db, store.end_circle, 7, EndReason.CLOSED, NOW + timedelta(minutes=2))
    assert not await write(db, store.end_circle, 7, EndReason.IDLE, NOW)
    [turn] = await store.turns(db, 7)
    assert (turn.user_id, turn.ended_at) == (ANA, NOW + timedelta(minutes=2))
    assert await store.live_circles(db) == []
    assert await write(db, store.prune_circles, NOW + timedelta(minutes=2)) == 0
    assert await write(db, store.prune_circles, NOW + timedelta(days=1)) == 1


async def test_a_round_is_drawn_once_and_its_pairs_read_back_with_their_people(
    store_db: Database,
) -> None:
    db = store_db
    await write(
        db,
        store.save_schedule,
        guild_id=G,
        channel_id=CHANNEL,
        cadence=Cadence.WEEKLY,
        weekday=2,
        local_time=time(19, 0),
        next_at=NOW,
        now=NOW,
    )
    schedule = await store.get_schedule(db, G)
    assert schedule is not None
    assert (schedule.local_time, schedule.status) == (time(19, 0), ScheduleStatus.ACTIVE)
    assert await store.next_round_number(db, G) == 1
    week = {"nudge_at": NOW, "ask_at": NOW, "ends_at": NOW + timedelta(days=7)}
    draw = {"guild_id": G, "channel_id": CHANNEL, "occurrence": NOW, "started_at": NOW, **week}
    drawn = await write(db, store.create_round, **draw)  # type: ignore[arg-type]
    assert drawn is not None
    assert drawn.number == 1
    again = await write(db, store.create_round, **draw)  # type: ignore[arg-type]
    assert again is None  # the ledger: one round per scheduled time
    assert await store.next_round_number(db, G) == 2

    pair = await write(
        db,
        store.add_pair,
        round_id=drawn.round_id,
        guild_id=G,
        via=PairVia.THREAD,
        depth=1,
        prompt_id="listening-001",
        people=(BEN, ANA),
    )
    triad = await write(
        db,
        store.add_pair,
        round_id=drawn.round_id,
        guild_id=G,
        via=PairVia.DM,
        depth=2,
        prompt_id=None,
        people=(CAL, ANA + 100, BEN + 100),
    )
    await write(db, store.set_pair_via, triad, PairVia.THREAD)
    assert await write(db, store.answer_met, pair, ANA, Met.YES, NOW)
    assert await write(db, store.mark_spoke, pair, BEN, NOW)
    assert not await write(db, store.mark_spoke, pair, BEN, NOW)  # the first word counts
    assert not await write(db, store.mark_spoke, triad, ANA, NOW)  # not one of them
    pairs = await store.round_pairs(db, drawn.round_id)
    assert [(p.people, p.via, p.answers) for p in pairs] == [
        ((ANA, BEN), PairVia.THREAD, (Met.YES,)),
        ((CAL, ANA + 100, BEN + 100), PairVia.THREAD, ()),
    ]
    assert (await store.get_pair(db, pair)) == pairs[0]
    assert sorted(await store.pair_history(db, G)) == sorted(
        [(ANA, BEN), (CAL, ANA + 100, BEN + 100)]
    )
    assert await store.prompts_had(db, G, (ANA, CAL)) == {"listening-001"}

    assert await write(db, store.flag_round, drawn.round_id, "nudged")
    assert not await write(db, store.flag_round, drawn.round_id, "nudged")
    assert await write(db, store.close_round, drawn.round_id, 1)
    assert not await write(db, store.close_round, drawn.round_id, 1)
    closed = await store.get_round(db, drawn.round_id)
    assert closed is not None
    assert (closed.status, closed.met_count) == (RoundStatus.CLOSED, 1)
    assert await write(db, store.prune_rounds, NOW + timedelta(days=8)) == 1
    assert await store.round_pairs(db, drawn.round_id) == []


async def test_the_avoid_list_is_private_and_sealed(store_db: Database) -> None:
    db = store_db
    await write(db, store.add_avoid, G, ANA, BEN, NOW)
    [(entry, other)] = await store.avoid_list(db, G, ANA)
    assert other == BEN
    assert await store.avoid_list(db, G, BEN) == []
    assert await store.avoided_pairs(db, G) == {frozenset((ANA, BEN))}
    stored = await db.fetchval("SELECT avoid_sealed FROM listening_pair_avoid")
    # Whom she avoids is sealed, never the id itself (a ciphertext may hold "22" by chance).
    assert stored != str(BEN)
    assert stored.startswith("enc:v1:"), stored
    await write(db, store.remove_avoid, entry)
    assert await store.avoided_pairs(db, G) == set()
