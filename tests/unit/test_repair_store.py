"""Apologize and repair's SQL on both engines: an apology's life (sent, delivered or taken
back, answered once), its words sealed and kept 30 days at most, reminders and follow-ups
claimed once, private blocks, and pauses whose reminders go once each."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.db import Database
from bot.timeutil import UTC
from cogs.repair import store
from cogs.repair.logic import ApologyStatus, Parts
from tests.writes import write

NOW = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
G = 900
ANA, BEN = 11, 22
WORDS = Parts("I missed your birthday.", "Forgotten, maybe.", "I'll put it in my diary.", "")


async def apologize(db: Database, at: datetime = NOW) -> int:
    return await write(
        db,
        store.add_apology,
        guild_id=G,
        user_id=ANA,
        friend_id=BEN,
        parts=WORDS,
        now=at,
        held=False,
    )


async def test_an_apology_is_delivered_answered_once_and_keeps_only_whats_needed(
    store_db: Database,
) -> None:
    db = store_db
    apology_id = await apologize(db)
    assert "birthday" not in str(await db.fetchval("SELECT happened FROM repair_apologies"))
    assert await store.pending_from(db, ANA, BEN) == [apology_id]
    assert await write(db, store.mark_held, apology_id)
    await write(db, store.delivered, apology_id)
    assert not await write(db, store.mark_held, apology_id)  # no longer on its way
    assert await write(db, store.take_undelivered, apology_id) is None  # it arrived

    assert await write(db, store.answer, apology_id, ApologyStatus.OPEN, ApologyStatus.TIME, NOW)
    assert await write(db, store.set_reminder, apology_id, NOW + timedelta(days=1))
    assert await write(db, store.claim_reminder, apology_id, NOW) is None  # not yet
    later = NOW + timedelta(days=1)
    assert await write(db, store.claim_reminder, apology_id, later) is not None
    assert await write(db, store.claim_reminder, apology_id, later) is None  # once

    thanked = await write(
        db, store.answer, apology_id, ApologyStatus.TIME, ApologyStatus.THANKED, later
    )
    assert thanked
    again = await write(db, store.answer, apology_id, ApologyStatus.TIME, ApologyStatus.TALK, later)
    assert not again  # answered from a status it is no longer in
    found = await store.get_apology(db, apology_id)
    assert found is not None
    assert found.status is ApologyStatus.THANKED
    assert found.parts is None  # the words did their work…
    assert found.change == WORDS.change  # …but the sender's own promise waits a week
    week = later + timedelta(days=7)
    assert found.follow_up_at == week
    assert await write(db, store.claim_follow_up, apology_id, week) is not None
    assert await write(db, store.claim_follow_up, apology_id, week) is None
    found = await store.get_apology(db, apology_id)
    assert found is not None
    assert found.change is None


async def test_an_undelivered_apology_goes_and_words_never_outlive_thirty_days(
    store_db: Database,
) -> None:
    db = store_db
    lost = await apologize(db)
    taken = await write(db, store.take_undelivered, lost)
    assert taken is not None
    assert taken.parts == WORDS  # the sender gets their words back
    assert await store.get_apology(db, lost) is None

    waiting = await apologize(db)
    await write(db, store.delivered, waiting)
    assert await write(db, store.expire, NOW + timedelta(days=29)) == 0
    assert await write(db, store.expire, NOW + timedelta(days=31)) == 2  # words, then the row
    assert await store.get_apology(db, waiting) is None


async def test_a_block_is_private_and_set_once(store_db: Database) -> None:
    db = store_db
    block = await write(db, store.add_block, BEN, ANA, NOW)
    assert await write(db, store.add_block, BEN, ANA, NOW) == block
    assert await store.blocked(db, BEN, ANA) == block
    assert await store.blocked(db, ANA, BEN) is None
    # Who is blocked is sealed, never the id itself (a ciphertext may contain "11" by chance).
    stored = await db.fetchval("SELECT other FROM repair_blocks")
    assert stored != ANA
    assert str(stored).startswith("enc:v1:"), stored
    assert await store.block_owner(db, block) == BEN
    assert not await write(db, store.remove_block, block, ANA)  # only its owner
    assert await write(db, store.remove_block, block, BEN)
    assert await store.blocked(db, BEN, ANA) is None


async def test_a_pauses_reminders_go_once_each_then_it_is_gone(store_db: Database) -> None:
    db = store_db
    pause_id = await write(
        db,
        store.add_pause,
        guild_id=G,
        user_id=ANA,
        friend_id=BEN,
        minutes=30,
        now=NOW,
        ends_at=NOW + timedelta(minutes=30),
        thread_id=None,
        told=True,
    )
    assert await store.open_pause(db, ANA, BEN) is not None
    assert await write(db, store.mark_pause, pause_id, "user_reminded")
    assert not await write(db, store.mark_pause, pause_id, "user_reminded")
    await write(db, store.finish_pause, pause_id)  # the friend's reminder is still to come
    assert await store.get_pause(db, pause_id) is not None
    assert await write(db, store.mark_pause, pause_id, "friend_reminded")
    await write(db, store.finish_pause, pause_id)
    assert await store.get_pause(db, pause_id) is None
