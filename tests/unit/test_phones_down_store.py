"""Phones down's store: one live challenge per channel, races, and transitions that happen once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.db import Database, discover_migrations
from bot.privacy import CORE_DECLARATIONS, Registry
from cogs.phones_down import logic, store
from cogs.phones_down.store import Begin, Join, Leave
from tests.writes import write

NOW = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
GUILD, CHANNEL, ALICE = 100, 200, 1


@pytest.fixture
async def db(database_at: Path | str) -> AsyncIterator[Database]:
    database = Database(database_at)  # once on SQLite, once on PostgreSQL (tests/pg.py)
    await database.connect()
    await database.migrate(
        [m for m in discover_migrations() if m.component in ("core", "phones_down")]
    )
    yield database
    await database.close()


async def lobby(
    db: Database, cid: int = 10, *, channel: int = CHANNEL, minutes: int = 30
) -> store.Challenge:
    return await write(
        db,
        store.create,
        challenge_id=cid,
        guild_id=GUILD,
        channel_id=channel,
        starter_user_id=ALICE,
        duration_minutes=minutes,
        starts_at=NOW + timedelta(minutes=2),
        now=NOW,
        message_id=999,
    )


async def test_a_new_lobby_holds_its_starter(db: Database) -> None:
    ch = await lobby(db)
    assert ch.status == "lobby"
    assert [p.user_id for p in await store.participants(db, ch.challenge_id)] == [ALICE]


async def test_one_live_challenge_per_channel(db: Database) -> None:
    first = await lobby(db, 10)
    with pytest.raises(store.ChannelBusy) as caught:
        await lobby(db, 11)
    assert caught.value.existing is not None
    assert caught.value.existing.challenge_id == first.challenge_id
    await lobby(db, 12, channel=CHANNEL + 1)  # another channel is fine
    # Even a writer that skips the check can't put a second one in.
    with pytest.raises(Exception, match="UNIQUE"):
        await db.execute(
            "INSERT INTO pd_challenges (challenge_id, guild_id, channel_id, starter_user_id,"
            " duration_minutes, status, created_at, starts_at)"
            " VALUES (13, ?, ?, 1, 30, 'running', 'x', 'y')",
            (GUILD, CHANNEL),
        )
    await write(db, store.begin, 10, NOW + timedelta(minutes=2))
    assert (await store.live_in_channel(db, CHANNEL)) is not None


async def test_ten_joins_at_once_each_land_once(db: Database) -> None:
    ch = await lobby(db)
    people = list(range(2, 12))
    results = await asyncio.gather(
        *(write(db, store.join, ch.challenge_id, uid, NOW) for uid in people),
        *(write(db, store.join, ch.challenge_id, uid, NOW) for uid in people),
    )
    assert results.count(Join.JOINED) == 10
    assert results.count(Join.ALREADY) == 10
    joined = [p.user_id for p in await store.participants(db, ch.challenge_id)]
    assert sorted(joined) == [ALICE, *people]


async def test_leaving_a_lobby_leaves_no_trace_and_after_start_is_stepping_away(
    db: Database,
) -> None:
    ch = await lobby(db)
    await write(db, store.join, ch.challenge_id, 2, NOW)
    await write(db, store.join, ch.challenge_id, 3, NOW)
    assert await write(db, store.leave, ch.challenge_id, 2, NOW) is Leave.LEFT
    assert await write(db, store.leave, ch.challenge_id, 2, NOW) is Leave.NOT_IN
    start = NOW + timedelta(minutes=2)
    assert (await write(db, store.begin, ch.challenge_id, start)).what is Begin.STARTED
    assert await write(db, store.leave, ch.challenge_id, 3, start + timedelta(minutes=5)) is (
        Leave.STEPPED_AWAY
    )
    assert await write(db, store.leave, ch.challenge_id, 3, start + timedelta(minutes=6)) is (
        Leave.ALREADY_AWAY
    )
    parts = {p.user_id: p for p in await store.participants(db, ch.challenge_id)}
    assert set(parts) == {ALICE, 3}
    assert parts[3].stepped_away_at == start + timedelta(minutes=5)
    assert (
        await write(db, store.join, ch.challenge_id, 3, start + timedelta(minutes=7))
        is Join.WAS_AWAY
    )


async def test_begin_happens_once_and_nobody_means_cancelled(db: Database) -> None:
    ch = await lobby(db)
    start = NOW + timedelta(minutes=2)
    first = await write(db, store.begin, ch.challenge_id, start)
    again = await write(db, store.begin, ch.challenge_id, start + timedelta(seconds=1))
    assert first.what is Begin.STARTED
    assert first.challenge is not None
    assert first.challenge.ends_at == start + timedelta(minutes=30)
    assert again.what is Begin.NOT_LOBBY

    empty = await lobby(db, 20, channel=CHANNEL + 1)
    assert await write(db, store.leave, empty.challenge_id, ALICE, NOW) is Leave.LEFT
    result = await write(db, store.begin, empty.challenge_id, start)
    assert result.what is Begin.NOBODY
    assert result.challenge is not None
    assert result.challenge.status == "cancelled"


async def test_a_lobby_found_long_after_its_start_is_let_go(db: Database) -> None:
    ch = await lobby(db)
    late = ch.starts_at + logic.STALE_START + timedelta(minutes=1)
    assert (await write(db, store.begin, ch.challenge_id, late)).what is Begin.STALE


async def test_late_joins_until_half_time(db: Database) -> None:
    ch = await lobby(db, minutes=60)
    start = NOW + timedelta(minutes=2)
    await write(db, store.begin, ch.challenge_id, start)
    assert (
        await write(db, store.join, ch.challenge_id, 5, start + timedelta(minutes=29)) is Join.LATE
    )
    assert (
        await write(db, store.join, ch.challenge_id, 6, start + timedelta(minutes=30))
        is Join.TOO_LATE
    )
    assert (
        await write(db, store.join, ch.challenge_id, 5, start + timedelta(minutes=31))
        is Join.ALREADY
    )


async def test_a_pickup_is_recorded_once_and_only_while_running(db: Database) -> None:
    ch = await lobby(db)
    await write(db, store.join, ch.challenge_id, 2, NOW)
    assert not await write(db, store.record_pickup, ch.challenge_id, 2, NOW)  # still a lobby
    start = NOW + timedelta(minutes=2)
    await write(db, store.begin, ch.challenge_id, start)
    assert await write(db, store.record_pickup, ch.challenge_id, 2, start + timedelta(minutes=3))
    assert not await write(
        db, store.record_pickup, ch.challenge_id, 2, start + timedelta(minutes=4)
    )
    assert not await write(
        db, store.record_pickup, ch.challenge_id, ALICE, start + timedelta(minutes=31)
    )
    parts = {p.user_id: p for p in await store.participants(db, ch.challenge_id)}
    assert parts[2].picked_up_at == start + timedelta(minutes=3)
    assert parts[ALICE].picked_up_at is None


async def test_finishing_twice_changes_things_once(db: Database) -> None:
    ch = await lobby(db)
    start = NOW + timedelta(minutes=2)
    await write(db, store.begin, ch.challenge_id, start)
    res = logic.Results(participants=1, made_it=(ALICE,), stepped_away=0, free_minutes=30)
    kwargs = {
        "now": start + timedelta(minutes=30),
        "results": res,
        "where": "channel",
        "message_id": 5,
        "late": False,
        "prompt_id": "phones_down-001",
        "pause_session": False,
    }
    assert await write(db, store.finish, ch.challenge_id, **kwargs)  # type: ignore[arg-type]
    assert not await write(db, store.finish, ch.challenge_id, **{**kwargs, "message_id": 6})  # type: ignore[arg-type]
    done = await store.get(db, ch.challenge_id)
    assert done is not None
    assert (done.status, done.results_message_id, done.made_it_count) == ("ended", 5, 1)
    assert await store.used_prompt_ids(db, GUILD) == {"phones_down-001"}
    [session] = await store.ended_sessions(db, GUILD)
    assert (session.participants, session.made_it, session.free_minutes) == (1, 1, 30)
    assert await store.live_in_channel(db, CHANNEL) is None


async def test_running_index_lists_only_those_still_phone_free(db: Database) -> None:
    ch = await lobby(db)
    for uid in (2, 3, 4):
        await write(db, store.join, ch.challenge_id, uid, NOW)
    start = NOW + timedelta(minutes=2)
    await write(db, store.begin, ch.challenge_id, start)
    await write(db, store.record_pickup, ch.challenge_id, 2, start + timedelta(minutes=1))
    await write(db, store.leave, ch.challenge_id, 3, start + timedelta(minutes=1))
    [(guild, cid, ends_at, users)] = await store.running_index(db)
    assert (guild, cid, ends_at) == (GUILD, ch.challenge_id, start + timedelta(minutes=30))
    assert sorted(users) == [ALICE, 4]


async def test_quiet_sessions_pause_themselves_after_three_in_a_row(db: Database) -> None:
    s = await write(
        db,
        store.create_session,
        guild_id=GUILD,
        channel_id=CHANNEL,
        creator_user_id=ALICE,
        weekday=6,
        local_time=time(19, 0),
        duration_minutes=60,
        remind_minutes=15,
        title=None,
        next_at=NOW,
        now=NOW,
    )
    paused = []
    for week in range(3):
        start = NOW + timedelta(weeks=week)
        ch = await write(
            db,
            store.create,
            challenge_id=50 + week,
            guild_id=GUILD,
            channel_id=CHANNEL,
            starter_user_id=ALICE,
            duration_minutes=60,
            starts_at=start,
            now=start - timedelta(minutes=15),
            session_id=s.session_id,
            starter_joins=False,
        )
        result = await write(db, store.begin, ch.challenge_id, start)
        assert result.what is Begin.NOBODY
        paused.append(result.session_paused)
    assert paused == [False, False, True]
    fresh = await store.get_session(db, s.session_id)
    assert fresh is not None
    assert (fresh.status, fresh.pause_reason) == ("paused", "quiet")
    assert await write(db, store.resume_session, s.session_id, NOW + timedelta(weeks=4))
    fresh = await store.get_session(db, s.session_id)
    assert fresh is not None
    assert (fresh.status, fresh.quiet_rounds) == ("active", 0)


async def test_the_same_occurrence_of_a_session_gets_one_challenge(db: Database) -> None:
    s = await write(
        db,
        store.create_session,
        guild_id=GUILD,
        channel_id=CHANNEL,
        creator_user_id=ALICE,
        weekday=6,
        local_time=time(19, 0),
        duration_minutes=60,
        remind_minutes=15,
        title="Sunday",
        next_at=NOW,
        now=NOW,
    )
    args = {
        "guild_id": GUILD,
        "channel_id": CHANNEL + 5,
        "starter_user_id": ALICE,
        "duration_minutes": 60,
        "starts_at": NOW,
        "now": NOW,
        "session_id": s.session_id,
        "starter_joins": False,
    }
    await write(db, store.create, challenge_id=70, **args)  # type: ignore[arg-type]
    await write(db, store.cancel_lobby, 70, NOW)
    with pytest.raises(Exception, match="UNIQUE"):
        await write(db, store.create, challenge_id=71, **args)  # type: ignore[arg-type]
    assert (await store.for_occurrence(db, s.session_id, NOW)) is not None


async def test_every_person_column_is_named_for_the_privacy_sweep(db: Database) -> None:
    for table in ("pd_sessions", "pd_challenges", "pd_participants"):
        names = {name for name, _ in await db.columns(table)}
        people = {n for n in names if n == "user_id" or n.endswith("_user_id")}
        assert people, table
    declared = {t.name: t for t in store.PERSONAL_DATA.tables}
    for table in ("pd_sessions", "pd_challenges", "pd_participants"):
        people = {name for name, _ in await db.columns(table) if name.endswith("user_id")}
        assert set(declared[table].people) == people, table


async def test_forgetting_someone_keeps_the_groups_history_without_them(db: Database) -> None:
    ch = await write(
        db,
        store.create,
        challenge_id=90,
        guild_id=GUILD,
        channel_id=CHANNEL,
        starter_user_id=ALICE,
        duration_minutes=30,
        starts_at=NOW,
        now=NOW,
        title="Alice's tea",
    )
    await write(db, store.join, ch.challenge_id, 2, NOW)
    registry = Registry([*CORE_DECLARATIONS, store.PERSONAL_DATA])
    mine = (await registry.export(db, ALICE, NOW))["parts"]["phones_down"]["tables"]
    assert mine["pd_challenges"]["rows"][0]["title"] == "Alice's tea"  # decrypted for her
    await write(db, registry.forget, ALICE, NOW)
    assert (await registry.export(db, ALICE, NOW))["parts"] == {}
    kept = await store.get(db, ch.challenge_id)
    assert kept is not None
    assert (kept.starter_user_id, kept.title) == (0, None)
    assert [p.user_id for p in await store.participants(db, ch.challenge_id)] == [2]
