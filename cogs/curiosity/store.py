"""The curiosity cog's SQL: posts carrying curious replies, their tallies, rephrasings
waiting to be sent, and the cards each server has drawn. Functions that write take the
caller's transaction (`tx`) first; reads take the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import retention
from bot.db import Database, Tx, changed, read_one
from bot.db.codec import need_dt, new_id, opened, sealed, ts
from bot.privacy import Forget, Person, PersonalData, Table
from cogs.curiosity.logic import Reaction

# --------------------------------------------------------------------------- posts


@dataclass(frozen=True, slots=True)
class Post:
    post_id: int
    kind: str
    guild_id: int
    author_id: int
    anonymous: bool
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    created_at: datetime


_POST = (
    "post_id, kind, guild_id, author_user_id, anonymous, channel_id, message_id, thread_id,"
    " created_at"
)


def _post(row: Any) -> Post:
    return Post(
        post_id=int(row["post_id"]),
        kind=str(row["kind"]),
        guild_id=int(row["guild_id"]),
        author_id=int(row["author_user_id"]),
        anonymous=bool(row["anonymous"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        created_at=need_dt(row["created_at"]),
    )


async def add_post(
    tx: Tx,
    *,
    post_id: int,
    kind: str,
    guild_id: int,
    author_id: int,
    anonymous: bool,
    now: datetime,
) -> None:
    await tx.execute(
        "INSERT INTO curiosity_posts (post_id, kind, guild_id, author_user_id, anonymous,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (post_id, kind, guild_id, author_id, int(anonymous), ts(now)),
    )


async def get_post(db: Database, post_id: int) -> Post | None:
    row = await db.fetchone(f"SELECT {_POST} FROM curiosity_posts WHERE post_id = ?", (post_id,))
    return None if row is None else _post(row)


async def locate(tx: Tx, post_id: int, channel_id: int, message_id: int) -> bool:
    """Remember which message a post became (its first click tells); False when the click
    came from another message than the one already known."""
    await tx.execute(
        "UPDATE curiosity_posts SET channel_id = ?, message_id = ?"
        " WHERE post_id = ? AND message_id IS NULL",
        (channel_id, message_id, post_id),
    )
    found = await read_one(
        tx, "SELECT message_id FROM curiosity_posts WHERE post_id = ?", (post_id,)
    )
    return found is not None and found[0] == message_id


async def set_thread(tx: Tx, post_id: int, thread_id: int | None) -> None:
    await tx.execute(
        "UPDATE curiosity_posts SET thread_id = ? WHERE post_id = ?", (thread_id, post_id)
    )


async def expire_posts(tx: Tx, policy: retention.Policy, now: datetime) -> int:
    """Posts (and their tallies, which cascade) older than their server's retention period."""
    return await retention.expire(tx, policy, now, table="curiosity_posts", when="created_at")


# --------------------------------------------------------------------------- tallies


async def toggle(tx: Tx, post_id: int, user_id: int, reaction: Reaction, now: datetime) -> bool:
    """Add this person's reaction, or take it back if it was there: True when added."""
    removed = await changed(
        tx,
        "DELETE FROM curiosity_reactions WHERE post_id = ? AND user_id = ? AND reaction = ?",
        (post_id, user_id, reaction.value),
    )
    if removed:
        return False
    await tx.execute(
        "INSERT INTO curiosity_reactions (post_id, user_id, reaction, reacted_at)"
        " VALUES (?, ?, ?, ?)",
        (post_id, user_id, reaction.value, ts(now)),
    )
    return True


async def tallies(db: Database, post_id: int) -> dict[Reaction, int]:
    rows = await db.fetchall(
        "SELECT reaction, COUNT(*) FROM curiosity_reactions WHERE post_id = ? GROUP BY reaction",
        (post_id,),
    )
    counts = dict.fromkeys(Reaction, 0)
    counts.update({Reaction(r[0]): int(r[1]) for r in rows})
    return counts


async def reactors(db: Database, post_id: int) -> dict[Reaction, list[int]]:
    """Who reacted how, in the order they did (for the post's author only)."""
    rows = await db.fetchall(
        "SELECT reaction, user_id FROM curiosity_reactions WHERE post_id = ?"
        " ORDER BY reacted_at, user_id",
        (post_id,),
    )
    found: dict[Reaction, list[int]] = {r: [] for r in Reaction}
    for row in rows:
        # 0: someone who has since deleted their data
        found[Reaction(row[0])].append(int(row[1]))
    return found


# --------------------------------------------------------------------------- drafts


@dataclass(frozen=True, slots=True)
class Draft:
    draft_id: int
    guild_id: int
    channel_id: int
    user_id: int
    rewrites: tuple[str, ...]
    created_at: datetime


def _draft(row: Any) -> Draft:
    rewrites = json.loads(opened(row["rewrites"]) or "[]")
    return Draft(
        draft_id=int(row["draft_id"]),
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        user_id=int(row["user_id"]),
        rewrites=tuple(str(r) for r in rewrites),
        created_at=need_dt(row["created_at"]),
    )


async def add_draft(
    tx: Tx,
    *,
    guild_id: int,
    channel_id: int,
    user_id: int,
    rewrites: tuple[str, ...],
    now: datetime,
    keep: timedelta,
) -> int:
    """Keep a rephrasing for `keep`, clearing out any older than that on the way."""
    draft_id = new_id()
    await expire_drafts(tx, now - keep)
    await tx.execute(
        "INSERT INTO curiosity_drafts (draft_id, guild_id, channel_id, user_id, rewrites,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            draft_id,
            guild_id,
            channel_id,
            user_id,
            sealed(json.dumps(list(rewrites), ensure_ascii=False)),
            ts(now),
        ),
    )
    return draft_id


async def get_draft(db: Database, draft_id: int) -> Draft | None:
    row = await db.fetchone(
        "SELECT draft_id, guild_id, channel_id, user_id, rewrites, created_at"
        " FROM curiosity_drafts WHERE draft_id = ?",
        (draft_id,),
    )
    return None if row is None else _draft(row)


async def take_draft(tx: Tx, draft_id: int, user_id: int) -> bool:
    """Use a draft up (inside the transaction that sends it): True only the first time."""
    taken = await changed(
        tx, "DELETE FROM curiosity_drafts WHERE draft_id = ? AND user_id = ?", (draft_id, user_id)
    )
    return taken > 0


async def expire_drafts(tx: Tx, before: datetime) -> int:
    return await changed(tx, "DELETE FROM curiosity_drafts WHERE created_at < ?", (ts(before),))


# --------------------------------------------------------------------------- cards


async def drawn_cards(db: Database, guild_id: int) -> set[str]:
    rows = await db.fetchall(
        "SELECT prompt_id FROM curiosity_cards WHERE guild_id = ?", (guild_id,)
    )
    return {str(r[0]) for r in rows}


async def record_card(
    tx: Tx, guild_id: int, prompt_id: str, now: datetime, *, forget: frozenset[str]
) -> None:
    """This card was drawn; `forget`: the cards to put back first (the deck went round)."""
    for old in forget:
        await tx.execute(
            "DELETE FROM curiosity_cards WHERE guild_id = ? AND prompt_id = ?",
            (guild_id, old),
        )
    await tx.execute(
        "INSERT INTO curiosity_cards (guild_id, prompt_id, drawn_at) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, prompt_id) DO UPDATE SET drawn_at = excluded.drawn_at",
        (guild_id, prompt_id, ts(now)),
    )


PERSONAL_DATA = PersonalData(
    key="curiosity",
    title="Curious replies",
    practice="curiosity",
    statement=(
        "Under revealed answers and group shares: who wrote each post (never shown, even to "
        "those who reply; kept so the writer can be told privately about a reply and see "
        "who said “Same here” or “I hear you”), and your own “Same here” and “I hear you” "
        "(deleting your data takes your name off them; the count under the post stays). "
        "The replies you write are posted under the post and not stored here; Hearth only "
        "remembers which messages carry your words (“Messages with your words”). A "
        "rephrasing from /curious rephrase (encrypted) is kept for a quarter of an hour so "
        "you can send one as a question, then deleted. Posts and tallies go with the "
        "server's retention period: 90 days unless its admins chose another."
    ),
    kept="90 days, or the period the server's admins chose; rephrasings 15 minutes.",
    tables=(
        Table(
            "curiosity_posts",
            "A post (an answer or a share) with curious-reply buttons, and who wrote it.",
            people={"author_user_id": Person("post of yours with replies", "posts of yours")},
            when="created_at",
            server="guild_id",
        ),
        Table(
            "curiosity_reactions",
            "Your “Same here” or “I hear you” under someone's post.",
            people={
                # The group has seen the tally: the row stays, without the person.
                "user_id": Person(
                    "“Same here” or “I hear you” you gave",
                    "“Same here”s and “I hear you”s",
                    Forget.ANONYMISE,
                )
            },
            when="reacted_at",
            server_via="curiosity_posts",
        ),
        Table(
            "curiosity_drafts",
            "Curious rewrites of something you wrote, waiting to be sent as a question.",
            people={"user_id": Person("rephrasing waiting to be sent", "rephrasings")},
            when="created_at",
            sealed=("rewrites",),
            server="guild_id",
        ),
        Table(
            "curiosity_cards",
            "Which curiosity cards a server has drawn (no one is named).",
            server="guild_id",
        ),
    ),
)
