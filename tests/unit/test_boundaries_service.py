"""bot.boundaries.Boundaries against a real (temporary) database and an injected clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot import boundaries_rules as rules
from bot.boundaries import Boundaries, BoundaryError, OptIn
from bot.db import Database, discover_migrations
from bot.privacy import CORE_DECLARATIONS, Registry
from bot.timeutil import UTC, FakeClock, UnknownTimezone
from tests.writes import write

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
G, H = 100, 200  # two servers
ANA, BEN, CAT = 1, 2, 3


@pytest.fixture
async def db(database_at: Path | str) -> AsyncIterator[Database]:
    database = Database(database_at)  # once on SQLite, once on PostgreSQL (tests/pg.py)
    await database.connect()
    await database.migrate(discover_migrations())
    yield database
    await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


# What the practices declare (`HearthCog.opt_ins`); "pairing" as a listening cog would.
DECLARED = (
    OptIn("prompts", "Weekly group prompts", "The weekly question.", default=True),
    OptIn("pairing", "Listening pairs", "Now and then, a friend to listen with."),
    OptIn("phones_down", "Phones-down reminders", "A nudge before phones-down time."),
    OptIn("checkins", "DM check-ins", "A gentle DM now and then.", by_dm=True),
)
FEATURES = [o.key for o in DECLARED]


@pytest.fixture
def b(db: Database, clock: FakeClock) -> Boundaries:
    return Boundaries(db, clock, DECLARED)


# --------------------------------------------------------------------------- defaults


async def test_a_stranger_has_safe_defaults(b: Boundaries) -> None:
    assert await b.person(ANA) == rules.PersonPrefs(ANA)
    assert await b.member(G, ANA) is None
    assert not await b.may_dm(ANA)  # DMs are never on by default
    assert await b.next_dm_time(ANA) is None
    assert not await b.is_paused(ANA)
    assert not await b.participates(G, ANA, "prompts")  # never used Hearth here
    assert await b.timezone_of(ANA) is None
    assert await b.group_depth(G) == 1  # every server starts light
    assert await b.skipped_topics(G) == frozenset()


async def test_using_hearth_makes_someone_a_participant_of_that_server_only(b: Boundaries) -> None:
    await b.touch(G, ANA)
    assert await b.participates(G, ANA, "prompts")  # answering is voluntary: on by default
    for feature in ("pairing", "phones_down", "checkins"):
        assert not await b.participates(G, ANA, feature)  # things that reach out start off
    assert not await b.participates(H, ANA, "prompts")
    assert await b.active_participants(G) == {ANA}
    assert await b.active_participants(H) == frozenset()
    assert not await b.may_dm(ANA)


async def test_unknown_features_are_refused(b: Boundaries) -> None:
    with pytest.raises(BoundaryError):
        await b.participates(G, ANA, "gossip")
    with pytest.raises(BoundaryError):
        await write(b.db, b.set_opt_in, G, ANA, "gossip", True)


# --------------------------------------------------------------------------- the hot path


async def test_touch_writes_at_most_once_a_day(
    b: Boundaries, db: Database, clock: FakeClock
) -> None:
    before = db.transactions
    await b.touch(G, ANA)
    assert db.transactions == before + 1
    for _ in range(5):
        await b.touch(G, ANA)
    clock.advance(timedelta(hours=23))
    await b.touch(G, ANA)
    assert db.transactions == before + 1
    clock.advance(timedelta(hours=2))
    await b.touch(G, ANA)
    assert db.transactions == before + 2


async def test_after_a_restart_a_fresh_row_costs_no_write(db: Database, clock: FakeClock) -> None:
    await Boundaries(db, clock, DECLARED).touch(G, ANA)
    before = db.transactions
    restarted = Boundaries(db, clock, DECLARED)  # empty cache, same database
    await restarted.touch(G, ANA)
    assert db.transactions == before


async def test_one_interaction_one_write_transaction(b: Boundaries, db: Database) -> None:
    before = db.transactions
    async with b.acting(G, ANA) as tx:
        await b.set_timezone(tx, ANA, "Europe/Berlin")
        await b.set_dms_allowed(tx, ANA, True)
        await b.set_opt_in(tx, G, ANA, "pairing", True)
    assert db.transactions == before + 1
    assert await b.participates(G, ANA, "pairing")
    assert await b.timezone_of(ANA) == "Europe/Berlin"


async def test_a_failed_change_rolls_back_the_touch_too(b: Boundaries, db: Database) -> None:
    with pytest.raises(UnknownTimezone):
        async with b.acting(G, ANA) as tx:
            await b.set_timezone(tx, ANA, "Atlantis/Underwater")
    assert await b.member(G, ANA) is None
    await b.touch(G, ANA)  # not fooled by its cache: the row is really written now
    assert await b.member(G, ANA) is not None


async def test_member_setters_count_as_using_hearth(b: Boundaries, db: Database) -> None:
    before = db.transactions
    await write(b.db, b.set_comfort_depth, G, ANA, 2)
    await b.touch(G, ANA)
    assert db.transactions == before + 1
    assert await b.active_participants(G) == {ANA}


# --------------------------------------------------------------------------- DMs


async def test_unreachable_until_they_use_hearth_again(b: Boundaries, clock: FakeClock) -> None:
    await b.touch(G, ANA)
    await write(b.db, b.set_dms_allowed, ANA, True)
    assert await b.may_dm(ANA)
    await write(b.db, b.mark_dm_unreachable, ANA)
    assert not await b.may_dm(ANA)
    assert await b.next_dm_time(ANA) is None
    clock.advance(timedelta(minutes=5))
    await b.touch(G, ANA)  # the same day, but they're back
    assert await b.may_dm(ANA)


async def test_using_hearth_in_dms_also_clears_unreachable(b: Boundaries) -> None:
    await write(b.db, b.set_dms_allowed, ANA, True)
    await write(b.db, b.mark_dm_unreachable, ANA)
    await b.touch(None, ANA)
    assert await b.may_dm(ANA)
    await write(b.db, b.mark_dm_unreachable, ANA)
    await write(b.db, b.clear_dm_unreachable, ANA)
    assert await b.may_dm(ANA)


async def test_quiet_hours_defer_a_dm_through_the_service(b: Boundaries) -> None:
    await write(b.db, b.set_dms_allowed, ANA, True)
    await write(b.db, b.set_quiet_hours, ANA, time(22, 0), time(7, 0), timezone="Europe/Berlin")
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert not await b.may_dm(ANA, late)
    assert await b.next_dm_time(ANA, late) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    await write(b.db, b.clear_quiet_hours, ANA)
    assert await b.may_dm(ANA, late)


async def test_quiet_hours_need_a_zone_and_a_real_window(b: Boundaries) -> None:
    with pytest.raises(BoundaryError, match="time zone"):
        await write(b.db, b.set_quiet_hours, ANA, time(22, 0), time(7, 0))
    with pytest.raises(UnknownTimezone):
        await write(
            b.db, b.set_quiet_hours, ANA, time(22, 0), time(7, 0), timezone="Mars/Olympus_Mons"
        )
    with pytest.raises(BoundaryError):
        await write(
            b.db, b.set_quiet_hours, ANA, time(22, 0), time(22, 0), timezone="Europe/Berlin"
        )
    with pytest.raises(BoundaryError):
        await write(b.db, b.set_quiet_hours, ANA, time(7, 0), time(6, 0), timezone="Europe/Berlin")
    assert await b.person(ANA) == rules.PersonPrefs(ANA)  # nothing was saved


async def test_time_zones_are_stored_by_their_iana_name(b: Boundaries) -> None:
    assert await write(b.db, b.set_timezone, ANA, "europe/berlin") == "Europe/Berlin"
    assert await write(b.db, b.set_timezone, ANA, "Tokyo") == "Asia/Tokyo"
    with pytest.raises(UnknownTimezone):
        await write(b.db, b.set_timezone, ANA, "../../etc/passwd")
    assert await b.timezone_of(ANA) == "Asia/Tokyo"


# --------------------------------------------------------------------------- pause


async def test_pausing_stops_dms_and_participation_until_it_ends(
    b: Boundaries, clock: FakeClock
) -> None:
    await b.touch(G, ANA)
    await write(b.db, b.set_dms_allowed, ANA, True)
    until = await write(b.db, b.pause_for, ANA, "day")
    assert until == START + timedelta(days=1)
    assert await b.is_paused(ANA)
    assert not await b.may_dm(ANA)
    assert not await b.participates(G, ANA, "prompts")
    assert await b.active_participants(G) == frozenset()
    clock.advance(timedelta(days=1))
    assert not await b.is_paused(ANA)
    assert await b.may_dm(ANA)
    assert await b.active_participants(G) == {ANA}


async def test_pause_until_resume(b: Boundaries, clock: FakeClock) -> None:
    await b.touch(G, ANA)
    assert await write(b.db, b.pause_for, ANA, "resume") is None
    clock.advance(timedelta(days=20))
    await b.touch(G, ANA)
    assert await b.is_paused(ANA)
    assert await b.active_participants(G) == frozenset()
    await write(b.db, b.resume, ANA)
    assert not await b.is_paused(ANA)
    assert await b.active_participants(G) == {ANA}


# --------------------------------------------------------------------------- the group


async def test_group_depth_follows_consent_and_the_lowest_comfort(
    b: Boundaries, clock: FakeClock
) -> None:
    for user in (ANA, BEN, CAT):
        await b.touch(G, user)
    assert await write(b.db, b.raise_consented_depth, G, 2) == 2
    assert await b.group_depth(G) == 2
    await write(b.db, b.set_comfort_depth, G, BEN, 1)  # lowering is silent and immediate
    assert await b.group_depth(G) == 1
    assert await b.comfort_cap(G) == 1
    await write(b.db, b.set_comfort_depth, G, CAT, 3)  # a higher comfort never raises the group
    await write(b.db, b.set_comfort_depth, G, BEN, None)
    assert await b.group_depth(G) == 2
    await write(b.db, b.set_comfort_depth, G, BEN, 1)
    await write(b.db, b.pause, BEN, None)
    assert await b.group_depth(G) == 2  # a paused person doesn't hold the pace
    await write(b.db, b.resume, BEN)
    await write(b.db, b.set_opt_in, G, BEN, "prompts", False)
    assert await b.group_depth(G) == 2  # nor someone who left the prompts
    await write(b.db, b.set_opt_in, G, BEN, "prompts", True)
    assert await b.group_depth(G) == 1
    clock.advance(rules.ACTIVE_WINDOW + timedelta(days=1))
    for user in (ANA, CAT):
        await b.touch(G, user)
    assert await b.group_depth(G) == 2  # nor someone gone for over a month
    assert await b.group_depth(H) == 1  # each server on its own


async def test_consent_never_lowers_and_stays_in_range(b: Boundaries) -> None:
    assert await write(b.db, b.raise_consented_depth, G, 3) == 3
    assert await write(b.db, b.raise_consented_depth, G, 2) == 3
    with pytest.raises(ValueError, match="depth"):
        await write(b.db, b.raise_consented_depth, G, 4)
    with pytest.raises(BoundaryError):
        await write(b.db, b.set_comfort_depth, G, ANA, 0)


async def test_skipped_topics_are_one_union_over_active_participants(b: Boundaries) -> None:
    for user in (ANA, BEN, CAT):
        await b.touch(G, user)
    await write(b.db, b.set_skipped_topics, G, ANA, ["money"])
    await write(b.db, b.set_skipped_topics, G, BEN, ["family", "money"])
    await write(b.db, b.set_skipped_topics, H, CAT, ["faith"])
    assert await b.skipped_topics(G) == {"money", "family"}
    assert await b.skipped_topics(H) == {"faith"}
    await write(b.db, b.pause, BEN, None)
    assert await b.skipped_topics(G) == {"money"}
    with pytest.raises(BoundaryError):
        await write(b.db, b.set_skipped_topics, G, ANA, ["money", "secrets"])
    assert (await b.member(G, ANA)).skip_topics == {"money"}  # type: ignore[union-attr]


async def test_participants_of_a_feature(b: Boundaries, clock: FakeClock) -> None:
    for user in (ANA, BEN, CAT):
        await b.touch(G, user)
    await write(b.db, b.set_opt_ins, G, ANA, ["pairing", "prompts"])
    await write(b.db, b.set_opt_ins, G, BEN, ["pairing"])
    assert await b.participants(G, "pairing") == {ANA, BEN}
    assert await b.active_participants(G) == {ANA, CAT}
    await write(b.db, b.pause, ANA, START + timedelta(hours=1))
    assert await b.participants(G, "pairing") == {BEN}
    clock.advance(rules.ACTIVE_WINDOW + timedelta(days=1))
    assert await b.participants(G, "pairing") == frozenset()  # gone quiet: not paired
    assert await b.participates(G, BEN, "pairing")  # but their own opt-in still stands


async def test_the_sql_and_the_rule_agree_on_who_is_active(
    b: Boundaries, db: Database, clock: FakeClock
) -> None:
    rng = random.Random(6)
    for user in range(1, 121):
        clock.set(START - timedelta(days=rng.uniform(0, 45)))
        await b.touch(G, user)
        features = [f for f in FEATURES if rng.random() < 0.5]
        await write(b.db, b.set_opt_ins, G, user, features)
        b._seen.clear()  # let each touch land exactly when the clock says
        clock.set(START - timedelta(days=rng.uniform(0, 45)))
        await b.touch(G, user)
        if rng.random() < 0.3:
            pause = rng.choice([None, START + timedelta(hours=rng.uniform(-48, 48))])
            await write(b.db, b.pause, user, pause)
    clock.set(START)
    expected = set()
    for user in range(1, 121):
        person_prefs = await b.person(user)
        member_prefs = await b.member(G, user)
        assert member_prefs is not None
        if rules.is_active(member_prefs, person_prefs, START):
            expected.add(user)
    assert 10 < len(expected) < 110  # the sample really mixes both kinds
    assert await b.active_participants(G) == expected


# --------------------------------------------------------------------------- their data


async def test_export_and_forget(b: Boundaries) -> None:
    await b.touch(G, ANA)
    await write(b.db, b.set_timezone, ANA, "Europe/Berlin")
    await write(b.db, b.set_skipped_topics, H, ANA, ["money"])
    await b.touch(G, BEN)
    await write(b.db, b.set_opt_in, G, ANA, "checkins", True)
    registry = Registry(CORE_DECLARATIONS)
    data = (await registry.export(b.db, ANA, b.clock.now()))["parts"]["core.boundaries"]["tables"]
    assert [row["timezone"] for row in data["person_boundaries"]["rows"]] == ["Europe/Berlin"]
    assert sorted(row["guild_id"] for row in data["member_boundaries"]["rows"]) == [G, H]
    chosen = data["member_opt_ins"]["rows"]
    assert [(r["opt_in"], r["taking_part"]) for r in chosen] == [("checkins", 1)]
    await write(b.db, registry.forget, ANA, b.clock.now())
    b.forgotten(ANA)
    assert (await registry.export(b.db, ANA, b.clock.now()))["parts"] == {}
    assert await b.active_participants(G) == {BEN}
    await b.touch(G, ANA)  # the cache doesn't pretend they're still there
    assert await b.active_participants(G) == {ANA, BEN}


# --------------------------------------------------------------------------- the migration


@pytest.mark.parametrize("applied", [4, 5])
async def test_the_old_opt_in_columns_move_into_rows(
    tmp_path: Path, clock: FakeClock, applied: int
) -> None:
    """Core migration 0006: what people chose as columns of member_boundaries reads the same
    as rows of member_opt_ins, "pairing" included for the listening practice — from a
    database made before the shard leases (0005) or after them."""
    database = Database(tmp_path / "old.sqlite3")
    await database.connect()
    before = [m for m in discover_migrations() if m.component == "core" and m.version <= applied]
    await database.migrate(before)
    seen = "2026-03-01T12:00:00.000000+00:00"
    await database.executemany(
        "INSERT INTO member_boundaries (guild_id, user_id, opt_prompts, opt_pairing,"
        " opt_phones_down, opt_checkins, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (G, ANA, 1, 1, 0, 1, seen, seen),  # pairs and check-ins on
            (G, BEN, 0, 0, 1, 0, seen, seen),  # no prompts; phones-down reminders
            (G, CAT, 1, 0, 0, 0, seen, seen),  # the defaults
        ],
    )
    await database.migrate(discover_migrations())
    b = Boundaries(database, clock, DECLARED)
    assert await b.participants(G, "pairing") == {ANA}
    assert await b.participants(G, "checkins") == {ANA}
    assert await b.participants(G, "phones_down") == {BEN}
    assert await b.active_participants(G) == {ANA, CAT}
    columns = [r[1] for r in await database.fetchall("PRAGMA table_info(member_boundaries)")]
    assert not [c for c in columns if c.startswith("opt_")]
    # Only choices that differ from the default became rows.
    assert await database.fetchval("SELECT COUNT(*) FROM member_opt_ins") == 4
    await database.close()
