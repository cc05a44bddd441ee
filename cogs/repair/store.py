"""The repair cog's SQL: apologies, the choice not to receive them, and pauses. Functions
that write take the caller's transaction (`tx`) first; reads take the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.db import Database, Tx, changed, read_all, read_one
from bot.db.codec import dt, need_dt, new_id, opened, sealed, ts
from bot.privacy import Person, PersonalData, Table
from cogs.repair import logic
from cogs.repair.logic import ApologyStatus, Parts

# --------------------------------------------------------------------------- apologies


@dataclass(frozen=True, slots=True)
class Apology:
    apology_id: int
    guild_id: int
    user_id: int
    friend_user_id: int
    parts: Parts | None  # None once the words are gone (answered, or 30 days)
    change: str | None  # what they'd do differently, while it is kept
    status: ApologyStatus
    held: bool
    created_at: datetime
    answered_at: datetime | None
    remind_at: datetime | None
    follow_up_at: datetime | None
    followed_up_at: datetime | None
    thread_id: int | None


_COLUMNS = (
    "apology_id, guild_id, user_id, friend_user_id, happened, impact, change, need, status,"
    " held, created_at, answered_at, remind_at, follow_up_at, followed_up_at, thread_id"
)


def _apology(row: Any) -> Apology:
    happened = opened(row["happened"])
    impact = opened(row["impact"])
    change = opened(row["change"])
    need = opened(row["need"])
    parts = (
        Parts(happened, impact, change or "", need or "")
        if happened is not None and impact is not None
        else None
    )
    return Apology(
        apology_id=row["apology_id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        friend_user_id=row["friend_user_id"],
        parts=parts,
        change=change,
        status=ApologyStatus(row["status"]),
        held=bool(row["held"]),
        created_at=need_dt(row["created_at"]),
        answered_at=dt(row["answered_at"]),
        remind_at=dt(row["remind_at"]),
        follow_up_at=dt(row["follow_up_at"]),
        followed_up_at=dt(row["followed_up_at"]),
        thread_id=row["thread_id"],
    )


async def add_apology(
    tx: Tx,
    *,
    guild_id: int,
    user_id: int,
    friend_id: int,
    parts: Parts,
    now: datetime,
    held: bool,
) -> int:
    apology_id = new_id()
    await tx.execute(
        "INSERT INTO repair_apologies (apology_id, guild_id, user_id, friend_user_id,"
        " happened, impact, change, need, status, held, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            apology_id,
            guild_id,
            user_id,
            friend_id,
            sealed(parts.happened),
            sealed(parts.impact),
            sealed(parts.change),
            sealed(parts.need) if parts.need else None,
            ApologyStatus.SENDING.value,
            int(held),
            ts(now),
        ),
    )
    return apology_id


async def get_apology(db: Database, apology_id: int) -> Apology | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM repair_apologies WHERE apology_id = ?", (apology_id,)
    )
    return None if row is None else _apology(row)


async def _apology_in(tx: Tx, apology_id: int) -> Apology | None:
    row = await read_one(
        tx, f"SELECT {_COLUMNS} FROM repair_apologies WHERE apology_id = ?", (apology_id,)
    )
    return None if row is None else _apology(row)


async def sent_between(db: Database, user_id: int, friend_id: int) -> list[datetime]:
    """When this sender's apologies to this friend were written (those still on record)."""
    rows = await db.fetchall(
        "SELECT created_at FROM repair_apologies WHERE user_id = ? AND friend_user_id = ?",
        (user_id, friend_id),
    )
    return [need_dt(r[0]) for r in rows]


async def delivered(tx: Tx, apology_id: int) -> None:
    await tx.execute(
        "UPDATE repair_apologies SET status = ? WHERE apology_id = ? AND status = ?",
        (ApologyStatus.OPEN.value, apology_id, ApologyStatus.SENDING.value),
    )


async def mark_held(tx: Tx, apology_id: int) -> bool:
    """The sender was told "on its way": if it fails later, they hear by DM. False when it
    is no longer on its way (it failed meanwhile: the row is gone)."""
    count = await changed(
        tx,
        "UPDATE repair_apologies SET held = 1 WHERE apology_id = ? AND status = ?",
        (apology_id, ApologyStatus.SENDING.value),
    )
    return count > 0


async def take_undelivered(tx: Tx, apology_id: int) -> Apology | None:
    """An apology that never arrived is no apology: its row goes (returned, to give the
    sender their words back)."""
    found = await _apology_in(tx, apology_id)
    if found is None or found.status is not ApologyStatus.SENDING:
        return None
    await tx.execute("DELETE FROM repair_apologies WHERE apology_id = ?", (apology_id,))
    return found


async def pending_from(db: Database, user_id: int, friend_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT apology_id FROM repair_apologies"
        " WHERE user_id = ? AND friend_user_id = ? AND status = ?",
        (user_id, friend_id, ApologyStatus.SENDING.value),
    )
    return [int(r[0]) for r in rows]


_PART_COLUMNS = ("happened", "impact", "change", "need")


async def answer(
    tx: Tx, apology_id: int, status: ApologyStatus, answer: ApologyStatus, now: datetime
) -> bool:
    """Record the friend's answer, once, from `status`: the words that have done their
    work go, and the follow-up (if any) is due a week later."""
    keep = logic.words_kept_after(answer)
    cleared = ", ".join(f"{c} = NULL" for c in _PART_COLUMNS if c not in keep)
    follow_up = logic.follow_up_due(answer, now)
    count = await changed(
        tx,
        "UPDATE repair_apologies SET status = ?, answered_at = ?, follow_up_at = ?,"
        f" remind_at = NULL{', ' + cleared if cleared else ''}"
        " WHERE apology_id = ? AND status = ?",
        (
            answer.value,
            ts(now),
            ts(follow_up) if follow_up is not None else None,
            apology_id,
            status.value,
        ),
    )
    return count > 0


async def close(tx: Tx, apology_id: int) -> None:
    """The friend chose not to receive apologies from the sender: nothing more happens."""
    await tx.execute(
        "UPDATE repair_apologies SET status = ?, happened = NULL, impact = NULL,"
        " change = NULL, need = NULL, remind_at = NULL, follow_up_at = NULL"
        " WHERE apology_id = ?",
        (ApologyStatus.CLOSED.value, apology_id),
    )


async def set_reminder(tx: Tx, apology_id: int, when: datetime) -> bool:
    count = await changed(
        tx,
        "UPDATE repair_apologies SET remind_at = ? WHERE apology_id = ? AND status = ?",
        (ts(when), apology_id, ApologyStatus.TIME.value),
    )
    return count > 0


async def claim_reminder(tx: Tx, apology_id: int, now: datetime) -> Apology | None:
    """The reminder, once: cleared in the transaction that writes it."""
    found = await _apology_in(tx, apology_id)
    if found is None or found.remind_at is None or found.remind_at > now:
        return None
    await tx.execute(
        "UPDATE repair_apologies SET remind_at = NULL WHERE apology_id = ?", (apology_id,)
    )
    return found


async def claim_follow_up(tx: Tx, apology_id: int, now: datetime) -> Apology | None:
    """The follow-up, once: the ledger (`followed_up_at`) is written in the transaction
    that writes the DM, and what they'd do differently goes with it."""
    found = await _apology_in(tx, apology_id)
    if (
        found is None
        or found.follow_up_at is None
        or found.followed_up_at is not None
        or found.follow_up_at > now
    ):
        return None
    count = await changed(
        tx,
        "UPDATE repair_apologies SET followed_up_at = ?, change = NULL"
        " WHERE apology_id = ? AND followed_up_at IS NULL",
        (ts(now), apology_id),
    )
    return found if count else None


async def set_thread(tx: Tx, apology_id: int, thread_id: int) -> None:
    await tx.execute(
        "UPDATE repair_apologies SET thread_id = ? WHERE apology_id = ?", (thread_id, apology_id)
    )


async def shared_thread(db: Database, guild_id: int, one: int, other: int) -> int | None:
    """The latest private talk thread these two share in this server, if any."""
    value = await db.fetchval(
        "SELECT thread_id FROM repair_apologies WHERE guild_id = ? AND thread_id IS NOT NULL"
        " AND ((user_id = ? AND friend_user_id = ?) OR (user_id = ? AND friend_user_id = ?))"
        " ORDER BY answered_at DESC LIMIT 1",
        (guild_id, one, other, other, one),
    )
    return None if value is None else int(value)


async def with_jobs(db: Database) -> list[Apology]:
    """Apologies with a reminder or a follow-up still to come (for rebuilding jobs)."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM repair_apologies WHERE remind_at IS NOT NULL"
        " OR (follow_up_at IS NOT NULL AND followed_up_at IS NULL)"
    )
    return [_apology(r) for r in rows]


async def expire(tx: Tx, now: datetime) -> int:
    """Words are never kept past 30 days; rows go once nothing is left to do."""
    cutoff = ts(now - logic.KEEP_WORDS)
    cleared = await changed(
        tx,
        "UPDATE repair_apologies SET happened = NULL, impact = NULL, change = NULL,"
        " need = NULL WHERE created_at < ? AND (happened IS NOT NULL OR impact IS NOT NULL"
        " OR change IS NOT NULL OR need IS NOT NULL)",
        (cutoff,),
    )
    removed = await changed(
        tx,
        "DELETE FROM repair_apologies WHERE created_at < ? AND remind_at IS NULL"
        " AND (follow_up_at IS NULL OR followed_up_at IS NOT NULL)",
        (cutoff,),
    )
    # A pause held for someone who never came back isn't kept forever either.
    removed += await changed(tx, "DELETE FROM repair_pauses WHERE created_at < ?", (cutoff,))
    return cleared + removed


# --------------------------------------------------------------------------- blocks


_BLOCKS = "SELECT block_id, other FROM repair_blocks WHERE user_id = ?"


def _block_of(rows: Iterable[Any], other_id: int) -> int | None:
    """A person blocks few: their rows are opened one by one (sealed, never searchable)."""
    for row in rows:
        if opened(row["other"]) == str(other_id):
            return int(row["block_id"])
    return None


async def blocked(db: Database, user_id: int, other_id: int) -> int | None:
    """The block id when `user_id` chose not to receive apologies from `other_id`."""
    return _block_of(await db.fetchall(_BLOCKS, (user_id,)), other_id)


async def add_block(tx: Tx, user_id: int, other_id: int, now: datetime) -> int:
    existing = _block_of(await read_all(tx, _BLOCKS, (user_id,)), other_id)
    if existing is not None:
        return existing
    block_id = new_id()
    await tx.execute(
        "INSERT INTO repair_blocks (block_id, user_id, other, created_at) VALUES (?, ?, ?, ?)",
        (block_id, user_id, sealed(str(other_id)), ts(now)),
    )
    return block_id


async def block_owner(db: Database, block_id: int) -> int | None:
    value = await db.fetchval("SELECT user_id FROM repair_blocks WHERE block_id = ?", (block_id,))
    return None if value is None else int(value)


async def remove_block(tx: Tx, block_id: int, user_id: int) -> bool:
    count = await changed(
        tx, "DELETE FROM repair_blocks WHERE block_id = ? AND user_id = ?", (block_id, user_id)
    )
    return count > 0


# --------------------------------------------------------------------------- pauses


@dataclass(frozen=True, slots=True)
class Pause:
    pause_id: int
    guild_id: int
    user_id: int
    friend_user_id: int
    minutes: int
    created_at: datetime
    ends_at: datetime
    thread_id: int | None
    told: bool
    user_reminded: bool
    friend_reminded: bool

    @property
    def done(self) -> bool:
        return self.told and self.user_reminded and self.friend_reminded


_PAUSE_COLUMNS = (
    "pause_id, guild_id, user_id, friend_user_id, minutes, created_at, ends_at, thread_id,"
    " told, user_reminded, friend_reminded"
)


def _pause(row: Any) -> Pause:
    return Pause(
        pause_id=row["pause_id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        friend_user_id=row["friend_user_id"],
        minutes=row["minutes"],
        created_at=need_dt(row["created_at"]),
        ends_at=need_dt(row["ends_at"]),
        thread_id=row["thread_id"],
        told=bool(row["told"]),
        user_reminded=bool(row["user_reminded"]),
        friend_reminded=bool(row["friend_reminded"]),
    )


async def add_pause(
    tx: Tx,
    *,
    guild_id: int,
    user_id: int,
    friend_id: int,
    minutes: int,
    now: datetime,
    ends_at: datetime,
    thread_id: int | None,
    told: bool,
) -> int:
    pause_id = new_id()
    await tx.execute(
        f"INSERT INTO repair_pauses ({_PAUSE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
        (
            pause_id,
            guild_id,
            user_id,
            friend_id,
            minutes,
            ts(now),
            ts(ends_at),
            thread_id,
            int(told),
        ),
    )
    return pause_id


async def get_pause(db: Database, pause_id: int) -> Pause | None:
    row = await db.fetchone(
        f"SELECT {_PAUSE_COLUMNS} FROM repair_pauses WHERE pause_id = ?", (pause_id,)
    )
    return None if row is None else _pause(row)


async def open_pause(db: Database, user_id: int, friend_id: int) -> Pause | None:
    row = await db.fetchone(
        f"SELECT {_PAUSE_COLUMNS} FROM repair_pauses WHERE user_id = ? AND friend_user_id = ?"
        " AND user_reminded = 0 ORDER BY created_at DESC LIMIT 1",
        (user_id, friend_id),
    )
    return None if row is None else _pause(row)


async def all_pauses(db: Database) -> list[Pause]:
    return [_pause(r) for r in await db.fetchall(f"SELECT {_PAUSE_COLUMNS} FROM repair_pauses")]


PauseFlag = Literal["told", "user_reminded", "friend_reminded"]
_PAUSE_FLAGS = frozenset({"told", "user_reminded", "friend_reminded"})


async def mark_pause(tx: Tx, pause_id: int, *flags: PauseFlag) -> bool:
    """Set told / user_reminded / friend_reminded, each only once (False if it was)."""
    if not flags or not set(flags) <= _PAUSE_FLAGS:
        raise ValueError(f"unknown pause flags {sorted(flags)}")
    sets = ", ".join(f"{name} = 1" for name in flags)
    unset = " AND ".join(f"{name} = 0" for name in flags)
    count = await changed(
        tx, f"UPDATE repair_pauses SET {sets} WHERE pause_id = ? AND {unset}", (pause_id,)
    )
    return count > 0


async def finish_pause(tx: Tx, pause_id: int) -> None:
    """A pause whose reminders are all out has nothing left to keep."""
    await tx.execute(
        "DELETE FROM repair_pauses WHERE pause_id = ? AND told = 1 AND user_reminded = 1"
        " AND friend_reminded = 1",
        (pause_id,),
    )


# --------------------------------------------------------------------------- privacy

PERSONAL_DATA = PersonalData(
    key="repair",
    title="Apologies and pauses",
    practice="repair",
    statement=(
        "An apology you wrote with /repair apologize, or one written to you: who it was "
        "from and for, its words (encrypted) and how it was answered. Both of you see it in "
        "your export, and either of you deleting your data deletes it, with Hearth's DMs "
        "that carry it. The words go once it is answered (what the sender would do "
        "differently stays for their own follow-up a week later) and never stay past 30 "
        "days; the rest goes after 30 days, or after that follow-up if it comes later. If "
        "you chose not to receive apologies from someone, that choice is yours alone: whom "
        "it is about is encrypted and never appears in their data. A pause you asked for "
        "with /repair pause, until both of you have had its reminder (30 days at most)."
    ),
    kept="Apologies: 30 days (their words at most). Pauses: until their reminder. Not "
    "receiving someone's apologies: until you change it.",
    tables=(
        Table(
            "repair_apologies",
            "An apology: who wrote it, who it was for, its words while they are kept, and "
            "how it was answered.",
            people={
                "user_id": Person("apology you wrote", "apologies you wrote"),
                "friend_user_id": Person("apology to you", "apologies to you"),
            },
            when="created_at",
            sealed=("happened", "impact", "change", "need"),
            server="guild_id",
            hidden=("held",),
        ),
        Table(
            "repair_blocks",
            "Someone you chose not to receive apologies from (their id, encrypted).",
            people={
                "user_id": Person(
                    "person you don't take apologies from", "people you don't take apologies from"
                )
            },
            when="created_at",
            sealed=("other",),
        ),
        Table(
            "repair_pauses",
            "A pause in a conversation: who asked for it, who was told, and when it ends.",
            people={
                "user_id": Person("pause you asked for", "pauses you asked for"),
                "friend_user_id": Person("pause someone asked of you", "pauses asked of you"),
            },
            when="created_at",
            server="guild_id",
        ),
    ),
)
