"""Curious, not critical's SQL on both engines: a post learns its message once, a tally
toggles, rephrasings are used once, the deck goes round, and posts follow each server's
retention period."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.db import Database
from bot.retention import Policy
from bot.timeutil import UTC
from cogs.curiosity import store
from cogs.curiosity.logic import Reaction
from tests.writes import write

NOW = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
G, OTHER = 900, 800
ANA, BEN, CAL = 11, 22, 33


async def post(db: Database, post_id: int, guild_id: int = G, at: datetime = NOW) -> None:
    await write(
        db,
        store.add_post,
        post_id=post_id,
        kind="sharing.share",
        guild_id=guild_id,
        author_id=ANA,
        anonymous=True,
        now=at,
    )


async def test_a_post_learns_its_message_once_and_tallies_toggle(store_db: Database) -> None:
    db = store_db
    await post(db, 1)
    assert await write(db, store.locate, 1, 5, 50)
    assert await write(db, store.locate, 1, 5, 50)  # the same message again
    assert not await write(db, store.locate, 1, 5, 51)  # a click from another message
    found = await store.get_post(db, 1)
    assert found is not None
    assert (found.anonymous, found.channel_id, found.message_id) == (True, 5, 50)

    assert await write(db, store.toggle, 1, BEN, Reaction.SAME, NOW)
    assert await write(db, store.toggle, 1, CAL, Reaction.SAME, NOW + timedelta(seconds=1))
    assert await write(db, store.toggle, 1, BEN, Reaction.HEAR, NOW)
    assert not await write(db, store.toggle, 1, BEN, Reaction.HEAR, NOW)  # taken back
    assert await store.tallies(db, 1) == {Reaction.SAME: 2, Reaction.HEAR: 0}
    assert await store.reactors(db, 1) == {Reaction.SAME: [BEN, CAL], Reaction.HEAR: []}


async def test_posts_and_their_tallies_follow_each_servers_period(store_db: Database) -> None:
    db = store_db
    await post(db, 1)
    await post(db, 2, OTHER)
    await write(db, store.toggle, 1, BEN, Reaction.SAME, NOW)
    policy = Policy(custom={OTHER: 30})
    later = NOW + timedelta(days=31)
    assert await write(db, store.expire_posts, policy, later) == 1  # the other's 30 days
    assert await store.get_post(db, 1) is not None
    assert await store.get_post(db, 2) is None
    assert await write(db, store.expire_posts, policy, NOW + timedelta(days=91)) == 1
    assert await store.get_post(db, 1) is None
    assert await db.fetchval("SELECT COUNT(*) FROM curiosity_reactions") == 0  # cascaded


REWRITES = ("What made you decide that?", "Help me understand the choice?")
KEEP = timedelta(minutes=15)


async def rephrased(db: Database, user_id: int, at: datetime = NOW) -> int:
    return await write(
        db,
        store.add_draft,
        guild_id=G,
        channel_id=5,
        user_id=user_id,
        rewrites=REWRITES,
        now=at,
        keep=KEEP,
    )


async def test_a_rephrasing_is_sealed_used_once_and_forgotten_after_its_time(
    store_db: Database,
) -> None:
    db = store_db
    draft_id = await rephrased(db, ANA)
    draft = await store.get_draft(db, draft_id)
    assert draft is not None
    assert draft.rewrites == REWRITES
    assert "decide" not in str(await db.fetchval("SELECT rewrites FROM curiosity_drafts"))
    assert not await write(db, store.take_draft, draft_id, BEN)  # not theirs
    assert await write(db, store.take_draft, draft_id, ANA)
    assert not await write(db, store.take_draft, draft_id, ANA)  # once
    old = await rephrased(db, ANA)
    # A new one clears out any past its quarter of an hour on the way in.
    await rephrased(db, BEN, NOW + KEEP + timedelta(seconds=1))
    assert await store.get_draft(db, old) is None


async def test_the_deck_goes_round_before_a_card_comes_again(store_db: Database) -> None:
    db = store_db
    await write(db, store.record_card, G, "curiosity-001", NOW, forget=frozenset())
    await write(db, store.record_card, G, "curiosity-002", NOW, forget=frozenset())
    assert await store.drawn_cards(db, G) == {"curiosity-001", "curiosity-002"}
    assert await store.drawn_cards(db, OTHER) == set()
    everything = frozenset({"curiosity-001", "curiosity-002"})
    await write(db, store.record_card, G, "curiosity-001", NOW, forget=everything)
    assert await store.drawn_cards(db, G) == {"curiosity-001"}
