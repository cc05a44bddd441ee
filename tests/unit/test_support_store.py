"""Steady support's SQL against a real (temporary) database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot.db import Database, discover_migrations
from bot.privacy import CORE_DECLARATIONS, Registry
from bot.timeutil import UTC
from cogs.support import logic, store
from tests.writes import write

NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
ANA, BEN, CAT, DEV = 11, 22, 33, 44
G = 900


@pytest.fixture
async def db(database_at: Path | str) -> AsyncIterator[Database]:
    database = Database(database_at)  # once on SQLite, once on PostgreSQL (tests/pg.py)
    await database.connect()
    await database.migrate(discover_migrations())
    yield database
    await database.close()


async def start(db: Database, user_id: int = ANA, *, at: datetime = NOW) -> None:
    async with db.transaction() as conn:
        await store.save_schedule(
            conn,
            user_id=user_id,
            guild_id=G,
            frequency="daily",
            local_time=time(9, 0),
            weekday=0,
            next_slot=at + timedelta(hours=1),
            next_send_at=at + timedelta(hours=1, seconds=30),
            now=at,
        )


async def new_checkin(db: Database, user_id: int, slot: str, at: datetime = NOW) -> int | None:
    async with db.transaction() as conn:
        return await store.create_checkin(conn, user_id, slot, at)


async def test_a_schedule_is_saved_restarted_and_stopped(db: Database) -> None:
    await start(db)
    s = await store.get_schedule(db, ANA)
    assert s is not None
    assert s.active
    assert s.local_time == time(9, 0)
    assert s.next_send_at == NOW + timedelta(hours=1, seconds=30)
    assert [x.user_id for x in await store.active_schedules(db)] == [ANA]
    async with db.transaction() as conn:
        assert await store.stop_schedule(conn, ANA, NOW)
        assert not await store.stop_schedule(conn, ANA, NOW)  # already off
    assert await store.active_schedules(db) == []
    await start(db, at=NOW + timedelta(days=1))  # starting again brings it back
    again = await store.get_schedule(db, ANA)
    assert again is not None
    assert again.active


async def test_active_schedules_arm_as_each_schedule_read_alone_would(db: Database) -> None:
    # Ana: no quiet watch. Ben: watched. Cat: watched, and already told for this spell.
    # Dev: stopped (no jobs at all).
    for who in (ANA, BEN, CAT, DEV):
        await start(db, who)
    await write(db, store.set_quiet, BEN, 3, NOW)
    await write(db, store.set_quiet, CAT, 5, NOW)
    assert await write(db, store.claim_quiet_alert, CAT, NOW + timedelta(days=5))
    await write(db, store.stop_schedule, DEV, NOW)

    armed = await store.active_schedules(db)
    assert [a.user_id for a in armed] == [ANA, BEN, CAT]
    for a in armed:
        schedule = await store.get_schedule(db, a.user_id)
        assert schedule is not None
        assert (a.next_send_at, a.quiet_due) == (schedule.next_send_at, logic.quiet_due(schedule))
    assert [a.quiet_due for a in armed] == [None, NOW + timedelta(days=3), None]


async def test_one_check_in_per_slot_even_if_the_job_runs_twice(db: Database) -> None:
    slot = store.slot_key(NOW)
    first = await new_checkin(db, ANA, slot)
    assert first is not None
    assert await new_checkin(db, ANA, slot) is None
    assert await new_checkin(db, BEN, slot) is not None  # someone else's slot is theirs


async def test_answers_are_stored_and_history_is_newest_first(db: Database) -> None:
    ids = []
    for day in range(35):
        at = NOW + timedelta(days=day)
        cid = await new_checkin(db, ANA, store.slot_key(at), at)
        assert cid is not None
        ids.append(cid)
    async with db.transaction() as conn:
        await store.record_mood(conn, ids[-1], 4, NOW)
        await store.record_note(conn, ids[-1], "slept well", NOW)
        await store.record_skip(conn, ids[-2], NOW)
        await store.record_skip(conn, ids[-1], NOW)  # answered already: not a skip
    await write(db, store.mark_failed, ids[-3])
    rows = await store.history(db, ANA, 30)
    assert len(rows) == 30
    assert (rows[0].mood, rows[0].note, rows[0].status) == (4, "slept well", "answered")
    assert rows[1].status == "skipped"
    assert rows[2].status == "failed"
    assert rows[3].status == "sent"
    assert rows[0].sent_at > rows[-1].sent_at
    assert await store.history(db, BEN, 30) == []  # answers are for that person alone


async def test_answers_older_than_a_year_are_pruned(db: Database) -> None:
    await new_checkin(db, ANA, "old", NOW - timedelta(days=400))
    await new_checkin(db, ANA, "new", NOW)
    await new_checkin(db, BEN, "bens-old", NOW - timedelta(days=366))
    await write(db, store.add_dm_notice, CAT, NOW - timedelta(days=400))
    await write(db, store.add_dm_notice, DEV, NOW)
    assert await write(db, store.prune, NOW - timedelta(days=365)) == 3  # 2 check-ins, a notice
    assert len(await store.history(db, ANA, 30)) == 1
    assert await store.history(db, BEN, 30) == []
    assert await store.dm_notices(db) == {DEV}


async def test_telling_the_circle_is_claimed_once(db: Database) -> None:
    cid = await new_checkin(db, ANA, "s")
    assert cid is not None
    async with db.transaction() as conn:
        assert await store.claim_circle_told(conn, cid, NOW)
        assert not await store.claim_circle_told(conn, cid, NOW)


async def test_the_quiet_watch_fires_once_per_spell(db: Database) -> None:
    await start(db)
    async with db.transaction() as conn:
        assert await store.set_quiet(conn, ANA, 3, NOW)
        assert not await store.set_quiet(conn, BEN, 3, NOW)  # no schedule, nothing to set
    async with db.transaction() as conn:
        assert await store.claim_quiet_alert(conn, ANA, NOW)
        assert not await store.claim_quiet_alert(conn, ANA, NOW)
    later = NOW + timedelta(days=5)
    async with db.transaction() as conn:
        await store.mark_alive(conn, ANA, later)  # an answer starts a new spell
    s = await store.get_schedule(db, ANA)
    assert s is not None
    assert s.quiet_since == later
    assert s.quiet_alerted_at is None
    async with db.transaction() as conn:
        assert await store.claim_quiet_alert(conn, ANA, later)


async def test_unanswered_counts_only_sent_check_ins_since(db: Database) -> None:
    a = await new_checkin(db, ANA, "a", NOW)
    await new_checkin(db, ANA, "b", NOW + timedelta(days=1))
    c = await new_checkin(db, ANA, "c", NOW + timedelta(days=2))
    assert a is not None
    assert c is not None
    await write(db, store.mark_failed, c)
    async with db.transaction() as conn:
        await store.record_mood(conn, a, 3, NOW)
    assert await store.unanswered_since(db, ANA, NOW) == 1  # b only
    assert await store.unanswered_since(db, ANA, NOW + timedelta(days=1, hours=1)) == 0


async def test_a_circle_counts_only_those_who_said_yes(db: Database) -> None:
    async with db.transaction() as conn:
        for friend in (BEN, CAT, DEV):
            await store.add_invite(conn, ANA, friend, G, NOW)
        await store.add_invite(conn, ANA, BEN, G, NOW)  # asking twice changes nothing
        await store.answer_invite(conn, ANA, BEN, True, NOW)
        await store.answer_invite(conn, ANA, CAT, False, NOW)
    assert await store.accepted_members(db, ANA) == [BEN]
    assert await store.is_accepted(db, ANA, BEN)
    assert not await store.is_accepted(db, ANA, CAT)
    assert not await store.is_accepted(db, BEN, ANA)  # circles are one-way
    assert await store.circles_of(db, BEN) == [ANA]
    assert {e.status for e in await store.circle(db, ANA)} == {"accepted", "declined", "pending"}
    await write(db, store.forget_invite, ANA, DEV)
    await write(db, store.forget_invite, ANA, BEN)  # only pending invites are forgotten
    assert [e.member_user_id for e in await store.circle(db, ANA)] == [BEN, CAT]


async def test_leaving_a_circle_takes_waiting_circle_dms_with_it(db: Database) -> None:
    async with db.transaction() as conn:
        await store.add_invite(conn, ANA, BEN, G, NOW)
        await store.answer_invite(conn, ANA, BEN, True, NOW)
        signal = await store.add_outgoing(
            conn,
            kind="signal",
            sender_user_id=ANA,
            recipient_user_id=BEN,
            guild_id=G,
            due_at=NOW + timedelta(hours=5),
            now=NOW,
        )
        note = await store.add_outgoing(
            conn,
            kind="thinking",
            sender_user_id=ANA,
            recipient_user_id=BEN,
            guild_id=G,
            due_at=NOW + timedelta(hours=5),
            now=NOW,
            note="hi",
        )
    async with db.transaction() as conn:
        assert await store.remove_from_circle(conn, ANA, BEN)
    assert await store.get_outgoing(db, signal) is None
    kept = await store.get_outgoing(db, note)
    assert kept is not None
    assert kept.note == "hi"
    assert await write(db, store.take_outgoing, note)
    assert not await write(db, store.take_outgoing, note)  # delivered once


async def test_notices_and_resources(db: Database) -> None:
    await write(db, store.add_dm_notice, ANA, NOW)
    await write(db, store.add_dm_notice, ANA, NOW)
    assert await store.dm_notices(db) == {ANA}
    assert await write(db, store.take_dm_notice, ANA)
    assert not await write(db, store.take_dm_notice, ANA)
    assert await store.get_resources(db, G) is None
    await write(db, store.set_resources, G, "Call 113.", NOW)
    assert await store.get_resources(db, G) == "Call 113."
    await write(db, store.set_resources, G, None, NOW)
    assert await store.get_resources(db, G) is None


async def test_every_person_column_is_known_and_a_person_can_be_forgotten(db: Database) -> None:
    rows = await db.fetchall(
        "SELECT component, version FROM schema_migrations WHERE component = 'support'"
    )
    assert rows, "the support migration ran"
    declared = {t.name: t for t in store.PERSONAL_DATA.tables}
    for table in (
        "checkin_schedules",
        "checkins",
        "support_circle",
        "support_outbox",
        "support_dm_notices",
        "support_resources",
    ):
        columns = [name for name, _ in await db.columns(table)]
        people = {c for c in columns if c == "user_id" or c.endswith("_user_id")}
        assert set(declared[table].people) == people, table

    await start(db)
    await new_checkin(db, ANA, "s")
    async with db.transaction() as conn:
        await store.add_invite(conn, BEN, ANA, G, NOW)
        await store.add_invite(conn, BEN, CAT, G, NOW)
        await store.add_outgoing(
            conn,
            kind="here",
            sender_user_id=CAT,
            recipient_user_id=ANA,
            guild_id=None,
            due_at=NOW,
            now=NOW,
            note="hey",
        )
    await write(db, store.add_dm_notice, ANA, NOW)
    registry = Registry([*CORE_DECLARATIONS, store.PERSONAL_DATA])
    exported = await registry.export(db, ANA, NOW)
    held = {t: v["rows"] for t, v in exported["parts"]["support"]["tables"].items()}
    assert {t: len(v) for t, v in held.items()} == {
        "checkin_schedules": 1,
        "checkins": 1,
        "support_circle": 1,
        "support_outbox": 1,
        "support_dm_notices": 1,
    }
    # A note waiting for Ana is still Cosima's: Ana's copy of the row doesn't show it.
    assert "note" not in held["support_outbox"][0]
    await write(db, registry.forget, ANA, NOW)
    assert (await registry.export(db, ANA, NOW))["parts"] == {}
    assert [e.member_user_id for e in await store.circle(db, BEN)] == [CAT]  # others stay
