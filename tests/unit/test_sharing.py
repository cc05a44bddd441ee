"""/share's pure rules and its database: words, depth, what friends see, expiry, privacy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import crypto, retention
from bot.db import Database, discover_migrations
from bot.db.codec import new_id
from bot.privacy import CORE_DECLARATIONS, Registry
from bot.timeutil import UTC
from cogs.sharing import logic, store
from cogs.sharing.views import Draft, share_embed
from tests.writes import write

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
G, OTHER = 10, 20


def test_a_share_is_trimmed_and_checked() -> None:
    assert logic.check_body("  hi  ") == "hi"
    with pytest.raises(logic.ShareProblem, match="empty"):
        logic.check_body(" \n ")
    with pytest.raises(logic.ShareProblem, match="1,500"):
        logic.check_body("x" * 1501)


@given(st.text(max_size=logic.MAX_SHARE_CHARS).filter(lambda t: t.strip()))
def test_any_share_within_the_limit_is_kept_whole(text: str) -> None:
    assert logic.check_body(text) == text.strip()


def test_an_edited_or_cleared_prompt() -> None:
    assert logic.clean_prompt("  What made you   smile?\n") == "What made you smile?"
    assert logic.clean_prompt("   ") is None
    assert logic.clean_prompt(None) is None
    assert len(logic.clean_prompt("x" * 500) or "") == logic.MAX_PROMPT_CHARS


def test_a_suggested_prompt_goes_no_deeper_than_the_reader_agreed() -> None:
    # Alone with a friend: your own comfort (the group's pace if you never set one).
    assert logic.share_depth(3, 1, in_group=False) == 3
    assert logic.share_depth(None, 2, in_group=False) == 2
    # For the group to read: never deeper than the group's pace, nor than your comfort.
    assert logic.share_depth(3, 1, in_group=True) == 1
    assert logic.share_depth(1, 3, in_group=True) == 1
    assert logic.share_skips({"money"}, {"family"}, in_group=True) == {"money", "family"}
    assert logic.share_skips({"money"}, {"family"}, in_group=False) == {"money"}


def test_what_readers_see() -> None:
    draft = Draft(
        G, 42, logic.Visibility.ANONYMOUS, "advice", prompt_text="A prompt", body="My words"
    )
    anonymous = share_embed(draft).to_dict()
    blob = str(anonymous)
    assert "42" not in blob
    assert "My words" in blob
    assert "Advice welcome" in blob
    assert anonymous["footer"]["text"] == "Shared anonymously"
    assert "author" not in anonymous
    named = str(share_embed(Draft(G, 42, logic.Visibility.NAMED, "listening", body="Hi")).to_dict())
    assert "From <@42>" in named
    private = Draft(G, 42, logic.Visibility.FRIEND, "encouragement", friend_id=7, body="Just you")
    dm = str(share_embed(private, guild_name="Friends").to_dict())
    assert "<@42> shared this with you privately in **Friends**" in dm
    assert "Reply to them directly" in dm


@pytest.fixture
async def db(database_at: Path | str) -> AsyncIterator[Database]:
    database = Database(database_at)  # once on SQLite, once on PostgreSQL (tests/pg.py)
    await database.connect()
    await database.migrate(discover_migrations())
    yield database
    await database.close()


def share(
    guild_id: int = G,
    user_id: int = 1,
    *,
    at: datetime = NOW,
    friend: int | None = None,
    status: str = logic.ShareStatus.POSTED,
) -> store.Share:
    return store.Share(
        share_id=new_id(),
        guild_id=guild_id,
        user_id=user_id,
        friend_user_id=friend,
        visibility=logic.Visibility.FRIEND if friend else logic.Visibility.NAMED,
        wants="listening",
        prompt_text=None,
        body="words",
        status=status,
        channel_id=None,
        message_id=None,
        created_at=at,
        deliver_at=NOW if status == logic.ShareStatus.PENDING else None,
    )


async def test_shares_expire_with_each_servers_period(db: Database) -> None:
    old = NOW - timedelta(days=40)
    for row in (share(G, at=old), share(G), share(OTHER, at=old)):
        await write(db, store.insert, row)
    assert await write(db, store.expire, retention.Policy(custom={G: 30}), NOW) == 1
    left = await db.fetchall("SELECT guild_id, created_at FROM shares ORDER BY guild_id")
    assert [row[0] for row in left] == [G, OTHER]
    assert (
        await write(db, store.expire, retention.Policy(custom={G: 30}), NOW + timedelta(days=60))
        == 2
    )


async def test_a_held_share_settles_once(db: Database) -> None:
    held = share(friend=7, status=logic.ShareStatus.PENDING)
    await write(db, store.insert, held)
    assert [s.share_id for s in await store.pending(db)] == [held.share_id]
    assert await write(db, store.settle, held.share_id, logic.ShareStatus.DELIVERED)
    assert not await write(db, store.settle, held.share_id, logic.ShareStatus.UNDELIVERED)
    assert await store.pending(db) == []


async def test_shares_are_sealed_exported_and_forgotten(db: Database) -> None:
    mine = share(user_id=1)
    to_me = share(user_id=2, friend=1, status=logic.ShareStatus.DELIVERED)
    theirs = share(user_id=2)
    for row in (mine, to_me, theirs):
        await write(db, store.insert, row)
    raw = await db.fetchval("SELECT body FROM shares WHERE share_id = ?", (mine.share_id,))
    assert crypto.looks_sealed(raw)
    fetched = await store.get(db, mine.share_id)
    assert fetched is not None
    assert fetched.body == "words"

    registry = Registry([*CORE_DECLARATIONS, store.PERSONAL_DATA])
    rows = (await registry.export(db, 1, NOW))["parts"]["sharing"]["tables"]["shares"]["rows"]
    by_id = {row["share_id"]: row for row in rows}
    assert set(by_id) == {mine.share_id, to_me.share_id}
    assert by_id[mine.share_id]["body"] == "words"
    assert "body" not in by_id[to_me.share_id]  # a friend's words stay the friend's
    await write(db, registry.forget, 1, NOW)
    assert await store.get(db, mine.share_id) is None
    assert await store.get(db, to_me.share_id) is None  # it named them
    assert await store.get(db, theirs.share_id) is not None
