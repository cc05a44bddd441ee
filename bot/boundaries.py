"""Boundaries and pace: the questions every feature asks before it reaches out.

Features never read the boundary tables. They ask `bot.boundaries`:

- may I DM this person now, and if not now, when? (`may_dm`, `next_dm_time`)
- is this person paused? do they take part in this feature here? (`is_paused`,
  `participates`, `participants`)
- how deep may this group go, and which topics does it skip? (`group_depth`,
  `skipped_topics` — answers about the group that never say whose boundary it is)

and tell it when someone used Hearth in a server (`touch`). The rules themselves live
in `bot.boundaries_rules`, free of discord and the database.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot import boundaries_rules as rules
from bot import timeutil, ui
from bot.boundaries_rules import (
    ACTIVE_OPT_IN,
    ACTIVE_WINDOW,
    DEPTH_LEVELS,
    BoundaryError,
    MemberPrefs,
    OptIn,
    PersonPrefs,
    depth_label,
)
from bot.db import Database, Tx
from bot.db.codec import dt, hhmm, ts, wall_time
from bot.decks import DEPTHS
from bot.timeutil import UTC, Clock

if TYPE_CHECKING:
    from bot.app import HearthBot

__all__ = [
    "ACTIVE_OPT_IN",
    "ACTIVE_WINDOW",
    "DEPTH_LEVELS",
    "TIMEZONE_BUTTON_ID",
    "Boundaries",
    "BoundaryError",
    "MemberPrefs",
    "OptIn",
    "PersonPrefs",
    "depth_label",
    "ensure_timezone",
    "timezone_ask_view",
]

_PERSON_COLUMNS = (
    "user_id, timezone, quiet_start, quiet_end, paused_until, paused_indefinitely,"
    " dms_allowed, dm_unreachable"
)
_MEMBER_COLUMNS = "guild_id, user_id, comfort_depth, skip_topics, last_seen"

# Who takes part in one opt-in here right now, in SQL; rules.is_active says the same in
# Python for the active opt-in (a test holds the two together). A person's choice is a
# row of member_opt_ins; without one the declared default holds. Parameters: the opt-in
# key, guild_id, its default (0/1), seen-since, now.
_TAKING_PART = (
    " FROM member_boundaries m LEFT JOIN person_boundaries p ON p.user_id = m.user_id"
    " LEFT JOIN member_opt_ins o ON o.guild_id = m.guild_id AND o.user_id = m.user_id"
    " AND o.opt_in = ?"
    " WHERE m.guild_id = ? AND COALESCE(o.taking_part, ?) = 1 AND m.last_seen >= ?"
    " AND COALESCE(p.paused_indefinitely, 0) = 0"
    " AND (p.paused_until IS NULL OR p.paused_until <= ?)"
)

# `touch` writes last-seen at most this often per person and server, so using Hearth
# costs no write at all most of the time.
TOUCH_EVERY = timedelta(days=1)
_SEEN_CACHE_SIZE = 65_536

# Any message can carry a button with this id; the boundaries cog answers it (after a
# restart too) by asking the person for their time zone.
TIMEZONE_BUTTON_ID = "hearth:bnd:tz"


def _person_from_row(row: Any) -> PersonPrefs:
    return PersonPrefs(
        user_id=row["user_id"],
        timezone=row["timezone"],
        quiet_start=wall_time(row["quiet_start"]) if row["quiet_start"] else None,
        quiet_end=wall_time(row["quiet_end"]) if row["quiet_end"] else None,
        paused_until=dt(row["paused_until"]),
        paused_indefinitely=bool(row["paused_indefinitely"]),
        dms_allowed=bool(row["dms_allowed"]),
        dm_unreachable=bool(row["dm_unreachable"]),
    )


class Boundaries:
    """Per-person and per-server boundaries, read and written in one place.

    Reads ask the database; every write takes the transaction of whoever acts
    (`async with boundaries.acting(guild_id, user_id) as tx`, or `db.transaction()`), so
    a whole interaction commits once.
    """

    def __init__(self, db: Database, clock: Clock, opt_ins: Iterable[OptIn] = ()) -> None:
        self.db = db
        self.clock = clock
        # (guild_id or 0, user_id) → the last-seen we know is stored; a small LRU.
        self._seen: OrderedDict[tuple[int, int], datetime] = OrderedDict()
        # What people may take part in, as the cogs declare it (`HearthCog.opt_ins`).
        self.opt_ins: dict[str, OptIn] = {}
        self.declare(opt_ins)

    def declare(self, opt_ins: Iterable[OptIn]) -> None:
        """Add the opt-ins a cog offers (at start, from every cog's `opt_ins`)."""
        for opt_in in opt_ins:
            if opt_in.key in self.opt_ins:
                raise ValueError(f"opt-in {opt_in.key!r} is declared twice")
            self.opt_ins[opt_in.key] = opt_in

    def _opt_in(self, key: str) -> OptIn:
        return rules.check_opt_in(key, self.opt_ins)

    def _now(self, at: datetime | None) -> datetime:
        return self.clock.now() if at is None else at.astimezone(UTC)

    # ------------------------------------------------------------------ reading

    async def person(self, user_id: int) -> PersonPrefs:
        """Everything about one person everywhere (defaults if they never set anything)."""
        row = await self.db.fetchone(
            f"SELECT {_PERSON_COLUMNS} FROM person_boundaries WHERE user_id = ?", (user_id,)
        )
        return PersonPrefs(user_id) if row is None else _person_from_row(row)

    async def member(self, guild_id: int, user_id: int) -> MemberPrefs | None:
        """One person's settings in one server; None if they never used Hearth there."""
        row = await self.db.fetchone(
            f"SELECT {_MEMBER_COLUMNS} FROM member_boundaries WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if row is None:
            return None
        chosen = {
            r[0]: bool(r[1])
            for r in await self.db.fetchall(
                "SELECT opt_in, taking_part FROM member_opt_ins WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
        }
        return MemberPrefs(
            guild_id=row["guild_id"],
            user_id=row["user_id"],
            comfort_depth=row["comfort_depth"],
            skip_topics=frozenset(t for t in row["skip_topics"].split(",") if t),
            opt_ins=frozenset(key for key, o in self.opt_ins.items() if chosen.get(key, o.default)),
            last_seen=dt(row["last_seen"]),
        )

    async def timezone_of(self, user_id: int) -> str | None:
        """The person's IANA time zone, or None if they haven't told us yet."""
        value = await self.db.fetchval(
            "SELECT timezone FROM person_boundaries WHERE user_id = ?", (user_id,)
        )
        return None if value is None else str(value)

    async def may_dm(self, user_id: int, at: datetime | None = None) -> bool:
        """True only if they allowed DMs, aren't paused or unreachable, and it isn't quiet."""
        return rules.may_dm(await self.person(user_id), self._now(at))

    async def next_dm_time(self, user_id: int, at: datetime | None = None) -> datetime | None:
        """When a DM asked for at `at` may go (quiet hours defer it), or None: don't send."""
        return rules.next_dm_time(await self.person(user_id), self._now(at))

    async def is_paused(self, user_id: int, at: datetime | None = None) -> bool:
        return rules.is_paused(await self.person(user_id), self._now(at))

    async def participates(self, guild_id: int, user_id: int, opt_in: str) -> bool:
        """Whether this person takes part in `opt_in` in this server right now.

        They used Hearth there, opted in (or the opt-in starts on and they never said
        no) and aren't paused. Recency is not required: someone who asked for check-ins
        keeps getting them while they answer by DM.
        """
        declared = self._opt_in(opt_in)
        row = await self.db.fetchone(
            "SELECT COALESCE(o.taking_part, ?) AS opted, p.paused_until, p.paused_indefinitely"
            " FROM member_boundaries m LEFT JOIN person_boundaries p ON p.user_id = m.user_id"
            " LEFT JOIN member_opt_ins o ON o.guild_id = m.guild_id AND o.user_id = m.user_id"
            " AND o.opt_in = ? WHERE m.guild_id = ? AND m.user_id = ?",
            (int(declared.default), declared.key, guild_id, user_id),
        )
        if row is None or not row["opted"]:
            return False
        person = PersonPrefs(
            user_id,
            paused_until=dt(row["paused_until"]),
            paused_indefinitely=bool(row["paused_indefinitely"]),
        )
        return not rules.is_paused(person, self.clock.now())

    def _taking_part(self, opt_in: str) -> tuple[Any, ...]:
        """The parameters of `_TAKING_PART` for this server's question, minus guild_id."""
        declared = self._opt_in(opt_in)
        now = self.clock.now()
        return declared.key, int(declared.default), ts(now - ACTIVE_WINDOW), ts(now)

    async def participants(self, guild_id: int, opt_in: str) -> frozenset[int]:
        """Who takes part in `opt_in` here: opted in, not paused, seen in the last 30 days.

        For practices that pick people from a pool (pairs, reminders). For the active
        opt-in ("prompts") this is exactly the active participants.
        """
        key, default, since, now = self._taking_part(opt_in)
        rows = await self.db.fetchall(
            "SELECT m.user_id" + _TAKING_PART, (key, guild_id, default, since, now)
        )
        return frozenset(row[0] for row in rows)

    async def active_participants(self, guild_id: int) -> frozenset[int]:
        """Those whose pace the group follows: in prompts, not paused, seen in 30 days."""
        return await self.participants(guild_id, ACTIVE_OPT_IN)

    async def consented_depth(self, guild_id: int) -> int:
        """The depth the group agreed on by consent (1 until it agrees on more)."""
        value = await self.db.fetchval(
            "SELECT depth FROM guild_depth WHERE guild_id = ?", (guild_id,)
        )
        return 1 if value is None else int(value)

    async def comfort_cap(self, guild_id: int) -> int | None:
        """The lowest explicit comfort depth among active participants (None: nobody set one)."""
        key, default, since, now = self._taking_part(ACTIVE_OPT_IN)
        row = await self.db.aggregate(
            "SELECT MIN(m.comfort_depth)" + _TAKING_PART, (key, guild_id, default, since, now)
        )
        return None if row is None or row[0] is None else int(row[0])

    async def group_depth(self, guild_id: int) -> int:
        """How deep this group's prompts may go: the consented depth, capped by anyone's
        own comfort. Never says who holds it back."""
        key, default, since, now = self._taking_part(ACTIVE_OPT_IN)
        row = await self.db.aggregate(
            "SELECT (SELECT depth FROM guild_depth WHERE guild_id = ?),"
            " (SELECT MIN(m.comfort_depth)" + _TAKING_PART + ")",
            (guild_id, key, guild_id, default, since, now),
        )
        consented = 1 if row is None or row[0] is None else int(row[0])
        cap = None if row is None or row[1] is None else int(row[1])
        return rules.group_depth(consented, [cap])

    async def skipped_topics(self, guild_id: int) -> frozenset[str]:
        """Every topic any active participant skips, as one set that can't say whose."""
        key, default, since, now = self._taking_part(ACTIVE_OPT_IN)
        rows = await self.db.fetchall(
            "SELECT m.skip_topics" + _TAKING_PART + " AND m.skip_topics != ''",
            (key, guild_id, default, since, now),
        )
        topics: set[str] = set()
        for row in rows:
            topics.update(t for t in row[0].split(",") if t)
        return frozenset(topics)

    # ------------------------------------------------------------------ being seen

    def _remember(self, key: tuple[int, int], seen: datetime) -> None:
        self._seen[key] = seen
        self._seen.move_to_end(key)
        while len(self._seen) > _SEEN_CACHE_SIZE:
            self._seen.popitem(last=False)

    def _forget_seen(self, user_id: int) -> None:
        for key in [k for k in self._seen if k[1] == user_id]:
            del self._seen[key]

    async def touch(self, guild_id: int | None, user_id: int) -> None:
        """Someone used Hearth (in `guild_id`, or in DMs when None).

        In a server this creates their row there — which makes them a participant — and
        keeps last-seen fresh. Anywhere it clears "unreachable by DM". Costs no write when
        it already happened today, and at most one write transaction otherwise.
        """
        await self._touch(None, guild_id, user_id)

    async def _touch(self, tx: Tx | None, guild_id: int | None, user_id: int) -> None:
        """`touch`, writing in `tx` when given (else in a transaction of its own)."""
        now = self.clock.now()
        key = (guild_id or 0, user_id)
        known = self._seen.get(key)
        if known is not None and timedelta(0) <= now - known < TOUCH_EVERY:
            return
        if guild_id is None:
            unreachable = await self.db.fetchval(
                "SELECT dm_unreachable FROM person_boundaries WHERE user_id = ?", (user_id,)
            )
            if unreachable:
                if tx is None:
                    async with self.db.transaction() as own:
                        await self.clear_dm_unreachable(own, user_id)
                else:
                    await self.clear_dm_unreachable(tx, user_id)
            self._remember(key, now)
            return
        row = await self.db.fetchone(
            "SELECT (SELECT last_seen FROM member_boundaries WHERE guild_id = ? AND user_id = ?),"
            " (SELECT dm_unreachable FROM person_boundaries WHERE user_id = ?)",
            (guild_id, user_id, user_id),
        )
        last_seen = dt(row[0]) if row is not None else None
        unreachable = bool(row[1]) if row is not None else False
        if last_seen is not None and not unreachable and now - last_seen < TOUCH_EVERY:
            self._remember(key, last_seen)
            return
        if tx is None:
            async with self.db.transaction() as own:
                await self._upsert_member(own, guild_id, user_id, {}, now)
        else:
            await self._upsert_member(tx, guild_id, user_id, {}, now)

    @asynccontextmanager
    async def acting(self, guild_id: int | None, user_id: int) -> AsyncIterator[Tx]:
        """The one write transaction of an interaction that changes something; yields its
        `tx` for every write inside (stores, the outbox, this service).

        Touches the person first, so a whole interaction costs one commit. Validate input
        before entering: a failure inside rolls everything back.
        """
        try:
            async with self.db.transaction() as tx:
                await self._touch(tx, guild_id, user_id)
                yield tx
        except BaseException:
            self._forget_seen(user_id)  # the touch may have been rolled back with the rest
            raise

    async def _upsert_member(
        self, tx: Tx, guild_id: int, user_id: int, values: dict[str, Any], now: datetime
    ) -> None:
        # `values` keys are column names chosen in this module, never from input.
        columns = ["guild_id", "user_id", "first_seen", "last_seen", *values]
        params = [guild_id, user_id, ts(now), ts(now), *values.values()]
        updates = ", ".join(f"{c} = excluded.{c}" for c in ["last_seen", *values])
        await tx.execute(
            f"INSERT INTO member_boundaries ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})"
            f" ON CONFLICT (guild_id, user_id) DO UPDATE SET {updates}",
            params,
        )
        # Using Hearth anywhere means they're back: DMs may be tried again.
        await tx.execute(
            "UPDATE person_boundaries SET dm_unreachable = 0"
            " WHERE user_id = ? AND dm_unreachable = 1",
            (user_id,),
        )
        self.db.after_commit(lambda: self._remember((guild_id, user_id), now))

    async def _update_person(
        self, tx: Tx, user_id: int, values: dict[str, Any], *, back: bool = True
    ) -> None:
        # `back`: this is the person acting, so a closed-DM mark no longer holds.
        if back:
            values = {**values, "dm_unreachable": 0}
        columns = ["user_id", "updated_at", *values]
        params = [user_id, ts(self.clock.now()), *values.values()]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        await tx.execute(
            f"INSERT INTO person_boundaries ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})"
            f" ON CONFLICT (user_id) DO UPDATE SET {updates}",
            params,
        )

    # ------------------------------------------------------------------ per person

    async def set_timezone(self, tx: Tx, user_id: int, name: str) -> str:
        """Save a time zone from an IANA name or an unambiguous city; returns the IANA name.

        Raises `timeutil.UnknownTimezone` (its message is written for people).
        """
        canonical = timeutil.resolve_timezone(name)
        await self._update_person(tx, user_id, {"timezone": canonical})
        return canonical

    async def set_quiet_hours(
        self, tx: Tx, user_id: int, start: time, end: time, *, timezone: str | None = None
    ) -> None:
        """Save a local quiet window (it may cross midnight), optionally with a time zone.

        Raises BoundaryError for an empty or implausibly long window, or when there is
        no time zone to read the window in; UnknownTimezone for an unknown zone.
        """
        rules.check_quiet_hours(start, end)
        values: dict[str, Any] = {"quiet_start": hhmm(start), "quiet_end": hhmm(end)}
        if timezone is not None:
            values["timezone"] = timeutil.resolve_timezone(timezone)
        elif await self.timezone_of(user_id) is None:
            raise BoundaryError(
                "Quiet hours follow your own clock, so I need your time zone first — "
                "set it with `/boundaries timezone`."
            )
        await self._update_person(tx, user_id, values)

    async def clear_quiet_hours(self, tx: Tx, user_id: int) -> None:
        await self._update_person(tx, user_id, {"quiet_start": None, "quiet_end": None})

    async def pause(self, tx: Tx, user_id: int, until: datetime | None) -> None:
        """Pause everything for this person until `until`, or until they resume (None)."""
        if until is None:
            values: dict[str, Any] = {"paused_until": None, "paused_indefinitely": 1}
        else:
            values = {"paused_until": ts(until), "paused_indefinitely": 0}
        await self._update_person(tx, user_id, values)

    async def pause_for(self, tx: Tx, user_id: int, choice: str) -> datetime | None:
        """Pause by one of `rules.PAUSES` ("day", "week", "resume"); returns the end."""
        until = rules.pause_end(choice, self.clock.now())
        await self.pause(tx, user_id, until)
        return until

    async def resume(self, tx: Tx, user_id: int) -> None:
        await self._update_person(tx, user_id, {"paused_until": None, "paused_indefinitely": 0})

    async def set_dms_allowed(self, tx: Tx, user_id: int, allowed: bool) -> None:
        await self._update_person(tx, user_id, {"dms_allowed": int(allowed)})

    async def mark_dm_unreachable(self, tx: Tx, user_id: int) -> None:
        """A DM failed with 50007: no more DMs until this person uses Hearth again."""
        await self._update_person(tx, user_id, {"dm_unreachable": 1}, back=False)
        # So their next `touch` notices and clears it.
        self.db.after_commit(lambda: self._forget_seen(user_id))

    async def clear_dm_unreachable(self, tx: Tx, user_id: int) -> None:
        await tx.execute(
            "UPDATE person_boundaries SET dm_unreachable = 0"
            " WHERE user_id = ? AND dm_unreachable = 1",
            (user_id,),
        )

    # ------------------------------------------------------------------ per server

    async def set_comfort_depth(
        self, tx: Tx, guild_id: int, user_id: int, depth: int | None
    ) -> None:
        """Cap this person's pace here (1–3), or None to follow the group. Silent to others."""
        if depth is not None and depth not in DEPTHS:
            raise BoundaryError("Comfort depth is 1, 2 or 3 — pick one from the list.")
        await self._upsert_member(tx, guild_id, user_id, {"comfort_depth": depth}, self.clock.now())

    async def set_skipped_topics(
        self, tx: Tx, guild_id: int, user_id: int, topics: Iterable[str]
    ) -> frozenset[str]:
        """Replace the topics this person skips here (keys of `decks.SENSITIVE_TOPICS`)."""
        chosen = rules.check_topics(topics)
        await self._upsert_member(
            tx, guild_id, user_id, {"skip_topics": ",".join(sorted(chosen))}, self.clock.now()
        )
        return chosen

    async def _choose(self, tx: Tx, guild_id: int, user_id: int, choices: dict[str, bool]) -> None:
        now = self.clock.now()
        await self._upsert_member(tx, guild_id, user_id, {}, now)
        await tx.executemany(
            "INSERT INTO member_opt_ins (guild_id, user_id, opt_in, taking_part, chosen_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id, opt_in) DO UPDATE SET"
            " taking_part = excluded.taking_part, chosen_at = excluded.chosen_at",
            [(guild_id, user_id, key, int(on), ts(now)) for key, on in choices.items()],
        )

    async def set_opt_in(self, tx: Tx, guild_id: int, user_id: int, opt_in: str, on: bool) -> None:
        await self._choose(tx, guild_id, user_id, {self._opt_in(opt_in).key: on})

    async def set_opt_ins(
        self, tx: Tx, guild_id: int, user_id: int, opt_ins: Iterable[str]
    ) -> frozenset[str]:
        """Take part in exactly these here (every other declared one is switched off)."""
        chosen = frozenset(self._opt_in(key).key for key in opt_ins)
        await self._choose(tx, guild_id, user_id, {key: key in chosen for key in self.opt_ins})
        return chosen

    # ------------------------------------------------------------------ group pace

    async def raise_consented_depth(self, tx: Tx, guild_id: int, depth: int) -> int:
        """Record that the group agreed on `depth` (never lowers it); returns the new value.

        Only a decided consent vote calls this, inside the transaction that closes it.
        """
        if depth not in DEPTHS:
            raise ValueError(f"depth must be one of {DEPTHS}")
        await tx.execute(
            "INSERT INTO guild_depth (guild_id, depth, changed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET depth = excluded.depth,"
            " changed_at = excluded.changed_at WHERE excluded.depth > guild_depth.depth",
            (guild_id, depth, ts(self.clock.now())),
        )
        value = await self.db.fetchval(
            "SELECT depth FROM guild_depth WHERE guild_id = ?", (guild_id,)
        )
        assert value is not None
        return int(value)

    # ------------------------------------------------------------------ their data

    def forgotten(self, user_id: int) -> None:
        """Their rows were deleted (bot.privacy, in one transaction): drop what's cached."""
        self._forget_seen(user_id)


# --------------------------------------------------------------------------- asking for a zone


def timezone_ask_view() -> discord.ui.View:
    """A one-button view any feature can attach to ask for someone's time zone.

    The button is answered by the boundaries cog through its custom id, so it keeps
    working in DMs and after a restart.
    """
    # The view only carries the button; when it times out the button still works.
    view = discord.ui.View(timeout=300)
    view.add_item(
        discord.ui.Button(
            label="Set my time zone",
            emoji="🕰️",
            style=discord.ButtonStyle.primary,
            custom_id=TIMEZONE_BUTTON_ID,
        )
    )
    return view


async def ensure_timezone(interaction: discord.Interaction[HearthBot], *, why: str) -> str | None:
    """The person's time zone, or None after privately asking them for it.

    `why` is one short sentence saying what the zone is for ("So check-ins arrive at a
    sensible hour."). When this returns None, stop: the person sets the zone and tries again.
    """
    zone = await interaction.client.boundaries.timezone_of(interaction.user.id)
    if zone is not None:
        return zone
    await ui.reply(
        interaction,
        f"What's your time zone? {why} It takes a second, and you can change it any time "
        "with `/boundaries timezone`.",
        view=timezone_ask_view(),
    )
    return None
