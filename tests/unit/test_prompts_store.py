"""The weekly prompt's database: exactly-once weeks, answers until the reveal, closing once,
the quiet pause, prompt cycles and retention."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import crypto, retention
from bot.db import Database, discover_migrations
from bot.db.codec import new_id
from bot.privacy import CORE_DECLARATIONS, Registry
from bot.timeutil import UTC
from cogs.prompts import logic, store
from tests.writes import write

G = 111
OTHER = 222
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_at: Path | str) -> AsyncIterator[Database]:
    database = Database(database_at)  # once on SQLite, once on PostgreSQL (tests/pg.py)
    await database.connect()
    await database.migrate(discover_migrations())
    yield database
    await database.close()


def new_round(
    round_id: int | None = None,
    *,
    guild_id: int = G,
    kind: logic.RoundKind = logic.RoundKind.WEEKLY,
    prompt_id: str = "sharing-001",
    at: datetime = NOW,
    forget: frozenset[str] = frozenset(),
) -> store.NewRound:
    return store.NewRound(
        round_id=round_id or new_id(),
        guild_id=guild_id,
        channel_id=5,
        kind=kind,
        practice=prompt_id.split("-")[0],
        prompt_id=prompt_id,
        depth=1,
        opened_at=at,
        closes_at=at + timedelta(hours=48),
        forget_ids=forget,
    )


async def open_round(db: Database, **kwargs: object) -> int:
    new = new_round(**kwargs)  # type: ignore[arg-type]
    assert await write(db, store.claim_week, new, f"W{new.round_id}")
    await write(db, store.mark_posted, new.round_id, 999)
    return new.round_id


async def test_a_week_is_claimed_exactly_once(db: Database) -> None:
    assert await write(db, store.claim_week, new_round(), "2026-W09")
    assert not await write(db, store.claim_week, new_round(), "2026-W09")  # restart / DST re-run
    assert await write(db, store.claim_week, new_round(guild_id=OTHER), "2026-W09")
    assert await store.week_done(db, G, "2026-W09")
    rounds = await store.rounds_in(db, G)
    assert len(rounds) == 1  # the refused claim recorded nothing
    assert rounds[0].status == logic.RoundStatus.POSTING


async def test_answers_can_change_until_the_round_closes(db: Database) -> None:
    rid = await open_round(db)
    assert await write(db, store.save_answer, rid, G, 1, "first", False, NOW)
    assert await write(db, store.save_answer, rid, G, 1, "second", True, NOW)  # an edit
    mine = await store.answer_of(db, rid, 1)
    assert mine is not None
    assert (mine.body, mine.anonymous) == ("second", True)
    assert await write(db, store.set_anonymous, rid, 1, False)
    assert await write(db, store.save_answer, rid, G, 2, "two", False, NOW)
    assert await write(db, store.withdraw, rid, 2) == "two"
    assert await store.answer_of(db, rid, 2) is None
    assert await write(db, store.save_skip, rid, G, 3, NOW) is logic.Skip.SKIPPED
    assert (
        await write(db, store.save_skip, rid, G, 1, NOW) is logic.Skip.ANSWERED
    )  # a skip never eats one
    assert await store.responses(db, rid) == ({1}, {3})

    closing = await write(db, store.close_round, rid, NOW)
    assert closing is not None
    assert closing.status == logic.RoundStatus.QUIET  # one answer is never revealed
    assert [a.body for a in closing.answers] == ["second"]
    # After the close nothing changes any more.
    assert not await write(db, store.save_answer, rid, G, 1, "third", False, NOW)
    assert await write(db, store.save_skip, rid, G, 4, NOW) is logic.Skip.CLOSED
    assert not await write(db, store.set_anonymous, rid, 1, True)
    assert await write(db, store.withdraw, rid, 1) is None
    assert await write(db, store.close_round, rid, NOW) is None  # closes exactly once


async def test_a_skip_can_become_an_answer(db: Database) -> None:
    rid = await open_round(db)
    assert await write(db, store.save_skip, rid, G, 1, NOW) is logic.Skip.SKIPPED
    assert await write(db, store.save_answer, rid, G, 1, "changed my mind", False, NOW)
    assert await store.responses(db, rid) == ({1}, set())


async def test_two_answers_are_revealed_skips_are_not(db: Database) -> None:
    rid = await open_round(db)
    await write(db, store.save_answer, rid, G, 1, "a", False, NOW)
    await write(db, store.save_answer, rid, G, 2, "b", True, NOW)
    await write(db, store.save_skip, rid, G, 3, NOW)
    closing = await write(db, store.close_round, rid, NOW)
    assert closing is not None
    assert closing.status == logic.RoundStatus.REVEALED
    assert sorted(a.body or "" for a in closing.answers) == ["a", "b"]
    assert closing.round.answer_count == 2


async def test_the_third_silent_week_pauses_the_schedule(db: Database) -> None:
    for week in range(3):
        rid = await open_round(db, at=NOW + timedelta(weeks=week))
        closing = await write(db, store.close_round, rid, NOW + timedelta(weeks=week, days=2))
        assert closing is not None
        assert closing.paused == (week == 2)
    schedule = await store.schedule(db, G)
    assert schedule.paused_reason == logic.PauseReason.SILENT
    assert await store.paused_guilds(db) == {G}
    assert await write(db, store.resume, G)
    assert not (await store.schedule(db, G)).paused
    assert not await write(db, store.resume, G)  # nothing to resume


async def test_an_answered_week_resets_the_quiet_count(db: Database) -> None:
    for week in range(4):
        rid = await open_round(db, at=NOW + timedelta(weeks=week))
        if week == 1:
            await write(db, store.save_answer, rid, G, 1, "hi", False, NOW)
        closing = await write(db, store.close_round, rid, NOW + timedelta(weeks=week, days=2))
        assert closing is not None
        assert not closing.paused


async def test_a_channel_pause_keeps_its_reason_until_fixed(db: Database) -> None:
    assert await write(db, store.pause, G, logic.PauseReason.CHANNEL, NOW)
    assert not await write(
        db, store.pause, G, logic.PauseReason.SILENT, NOW
    )  # the first reason stays
    assert not await write(db, store.resume, G, only=logic.PauseReason.SILENT)
    assert await write(db, store.resume, G, only=logic.PauseReason.CHANNEL)


async def test_a_failed_post_leaves_a_failed_round_and_can_pause(db: Database) -> None:
    new = new_round()
    assert await write(db, store.claim_week, new, "2026-W09")
    await write(
        db, store.mark_failed, new.round_id, G, pause_reason=logic.PauseReason.CHANNEL, now=NOW
    )
    found = await store.get_round(db, new.round_id)
    assert found is not None
    assert found.status == logic.RoundStatus.FAILED
    assert (await store.schedule(db, G)).paused_reason == logic.PauseReason.CHANNEL
    assert await store.last_practice(db, G) is None  # a failed post isn't "last week's"
    assert await store.live_rounds(db) == []


async def test_used_prompts_are_remembered_and_a_new_cycle_forgets_them(db: Database) -> None:
    await write(db, store.record_manual, new_round(prompt_id="sharing-001"))
    await write(db, store.record_manual, new_round(prompt_id="sharing-002"))
    assert await store.used_ids(db, G) == {"sharing-001", "sharing-002"}
    cycle = frozenset({"sharing-001", "sharing-002"})
    await write(db, store.record_manual, new_round(prompt_id="sharing-002", forget=cycle))
    assert await store.used_ids(db, G) == {"sharing-002"}
    assert await store.used_ids(db, OTHER) == set()


async def test_weekly_state_in_one_read(db: Database) -> None:
    state = await store.weekly_state(db, G, "2026-W09")
    assert state == store.WeeklyState(store.Schedule(G), False, 0, None)
    new = new_round(prompt_id="repair-003")
    await write(db, store.claim_week, new, "2026-W09")
    await write(db, store.set_pin, G, "repair")
    await write(db, store.set_deadline, G, 24)
    state = await store.weekly_state(db, G, "2026-W09")
    assert state.week_done
    assert state.live_rounds == 1
    assert state.last_practice == "repair"
    assert state.schedule.pinned_practice == "repair"
    assert state.schedule.deadline == timedelta(hours=24)


async def test_answers_expire_with_each_servers_retention(db: Database) -> None:
    here = await open_round(db, guild_id=G)
    there = await open_round(db, guild_id=OTHER)
    old = NOW - timedelta(days=40)
    await write(db, store.save_answer, here, G, 1, "old here", False, old)
    await write(db, store.save_answer, here, G, 2, "new here", False, NOW)
    await write(db, store.save_answer, there, OTHER, 1, "old there", False, old)
    await write(db, retention.set_days, G, 30)
    assert await retention.days(db, G) == 30
    assert await retention.days(db, OTHER) == retention.DEFAULT_DAYS
    removed = await write(db, store.expire_answers, await retention.policy(db), NOW)
    assert removed == 1
    assert await store.answer_of(db, here, 1) is None
    assert await store.answer_of(db, here, 2) is not None
    assert await store.answer_of(db, there, 1) is not None  # 40 days < 90
    later = NOW + timedelta(days=60)
    removed = await write(db, store.expire_answers, await retention.policy(db), later)
    assert removed == 2


async def test_answers_are_sealed_at_rest_and_exported_and_forgotten(db: Database) -> None:
    rid = await open_round(db)
    await write(db, store.save_answer, rid, G, 1, "mine", True, NOW)
    await write(db, store.save_answer, rid, G, 2, "theirs", False, NOW)
    raw = await db.fetchval("SELECT body FROM prompt_answers WHERE user_id = 1")
    assert crypto.looks_sealed(raw)
    assert "mine" not in raw
    mine = await store.answer_of(db, rid, 1)
    assert mine is not None
    assert mine.body == "mine"

    registry = Registry([*CORE_DECLARATIONS, store.PERSONAL_DATA])
    exported = await registry.export(db, 1, NOW)
    rows = exported["parts"]["prompts"]["tables"]["prompt_answers"]["rows"]
    assert [row["body"] for row in rows] == ["mine"]
    await write(db, registry.forget, 1, NOW)
    assert await store.answer_of(db, rid, 1) is None
    assert await store.answer_of(db, rid, 2) is not None
    assert await store.get_round(db, rid) is not None  # the round names no one
    removed, _ = await write(db, registry.forget_server, G, NOW, delete_messages=False)
    assert removed > 0
    assert await store.get_round(db, rid) is None


async def test_early_inputs_read_every_live_round_as_one_round_at_a_time_would(
    db: Database,
) -> None:
    # Three servers: five closed weeks each (who took part differs week to week), then a
    # live round with none, one, or several answers and skips; one with two live rounds.
    rng = random.Random(7)
    live: dict[int, int] = {}  # round → server
    for server, answers in ((G, [1, 2, 3]), (OTHER, [4]), (333, [5, 6, 7, 8])):
        for week in range(5):
            rid = await open_round(db, guild_id=server, at=NOW + timedelta(weeks=week))
            for user in rng.sample(range(1, 12), rng.randint(0, 5)):
                if rng.random() < 0.3:
                    await write(db, store.save_skip, rid, server, user, NOW)
                else:
                    await write(db, store.save_answer, rid, server, user, "hi", False, NOW)
            await write(db, store.close_round, rid, NOW + timedelta(weeks=week, days=2))
        opened = NOW + timedelta(weeks=5)
        rid = await open_round(db, guild_id=server, at=opened)
        live[rid] = server
        for user in answers:
            await write(db, store.save_answer, rid, server, user, "now", False, opened)
        await write(db, store.save_skip, rid, server, 9, opened)
    later = await open_round(db, guild_id=333, at=NOW + timedelta(weeks=5, hours=1))
    live[later] = 333
    for user in (5, 10):
        await write(db, store.save_answer, later, 333, user, "too", False, NOW)

    found = await store.early_inputs(db)
    # Only rounds that could come out early (two answers or more) are read…
    assert set(found) == {rid for rid, server in live.items() if server != OTHER}
    for rid, inputs in found.items():
        # …each exactly as the per-round reads see it.
        current = await store.get_round(db, rid)
        assert current is not None
        regulars = await store.recent_responders(db, live[rid], current.opened_at)
        assert (inputs.regulars, (inputs.answered, inputs.skipped)) == (
            regulars,
            await store.responses(db, rid),
        )
    assert set(await store.early_inputs(db, 333)) == {r for r, s in live.items() if s == 333}
