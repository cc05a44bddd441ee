"""Filling a Hearth database before a benchmark starts the bot, the way the features would
have written it: through the core's services (`bot.guilds`, `bot.boundaries`) and each
cog's own store functions — never hand-written INSERTs that guess at columns.

Used:
- servers Hearth is in: `bot.guilds.mark_joined`; set up: `bot.guilds.save_setup`
- people who used Hearth in a server before: `Boundaries.touch`
- last week's prompt, still open: `cogs.prompts.store.claim_week` + `mark_posted`
- people with check-ins: `Boundaries.set_timezone` / `set_dms_allowed` / `set_opt_in` /
  `set_quiet_hours`, then `cogs.support.store.save_schedule` (+ `set_quiet` for some),
  times from `cogs.support.logic.next_slot` / `first_send`
- weekly phones-down sessions: `cogs.phones_down.store.create_session`, time from
  `bot.timeutil.next_weekly`

Everything is written inside one transaction per step (the store functions take it as
`tx`), so filling 20,000 people takes seconds, not minutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from bot import guilds, timeutil
from bot.boundaries import Boundaries
from bot.db import Database, discover_migrations
from bot.db.codec import new_id
from bot.timeutil import FakeClock


@contextmanager
def data_key(key: str) -> Iterator[None]:
    """Stores seal people's words with the active key: the one the bot will start with."""
    from bot import crypto

    crypto.activate(crypto.DataCipher(key))
    try:
        yield
    finally:
        crypto.activate(None)


async def open_database(path: Path) -> Database:
    """Hearth's Database on `path`, migrated. Filling it runs on the calling thread, as the
    bot's own transactions do (statements hopping to aiosqlite's thread would make 100,000
    rows take twenty seconds instead of one)."""
    db = Database(path)
    await db.connect()
    await db.migrate(discover_migrations())
    return db


async def register_servers(db: Database, guild_ids: Sequence[int], now: datetime) -> None:
    """Servers Hearth has been in since yesterday (not set up): no welcome on start."""
    async with db.transaction() as tx:
        for guild_id in guild_ids:
            await guilds.mark_joined(tx, guild_id, now - timedelta(days=1))


async def members_seen(db: Database, members: Sequence[tuple[int, int]], now: datetime) -> None:
    """(server, person) pairs who used Hearth there an hour ago: regulars of the group,
    as on an evening of a bot that has been running for a while."""
    boundaries = Boundaries(db, FakeClock(now - timedelta(hours=1)))
    # The service's own touch, all in one transaction (thousands of people).
    async with db.transaction() as tx:
        for guild_id, user_id in members:
            await boundaries._touch(tx, guild_id, user_id)


@dataclass(frozen=True)
class Setup:
    guild_id: int
    channel_id: int
    timezone: str
    weekday: int
    at: time


async def configure_servers(db: Database, setups: Sequence[Setup], now: datetime) -> None:
    """As if each server's admin ran `/hearth setup` a day ago."""
    async with db.transaction() as tx:
        for s in setups:
            await guilds.save_setup(
                tx,
                s.guild_id,
                channel_id=s.channel_id,
                timezone=s.timezone,
                prompt_weekday=s.weekday,
                prompt_time=s.at,
                now=now - timedelta(days=1),
            )


async def open_rounds(
    db: Database, setups: Sequence[Setup], now: datetime, *, rng: random.Random
) -> int:
    """Last week's prompt in every server, posted a day ago and still open for answers
    (so each needs its reveal job on start). Returns how many."""
    from bot.app import load_decks
    from cogs.prompts import logic, store

    decks = load_decks()
    prompts = [p for p in decks.all() if p.depth == 1]
    opened = now - timedelta(days=1)
    count = 0
    async with db.transaction() as tx:
        for s in setups:
            prompt = rng.choice(prompts)
            new = store.NewRound(
                round_id=new_id(),
                guild_id=s.guild_id,
                channel_id=s.channel_id,
                kind=logic.RoundKind.WEEKLY,
                practice=prompt.practice,
                prompt_id=prompt.id,
                depth=prompt.depth,
                opened_at=opened,
                closes_at=opened + timedelta(hours=logic.DEFAULT_DEADLINE_HOURS),
            )
            if await store.claim_week(tx, new, timeutil.week_key(opened, s.timezone)):
                await store.mark_posted(tx, new.round_id, new.round_id)
                count += 1
    return count


@dataclass(frozen=True)
class CheckinPerson:
    user_id: int
    guild_id: int
    timezone: str
    at: time
    quiet: tuple[time, time] | None = None  # quiet hours, local
    quiet_watch_days: int | None = None  # "check on me if I go quiet"


async def checkin_people(db: Database, people: Sequence[CheckinPerson], now: datetime) -> None:
    """As if each person ran `/checkin start` (daily, at their time) an hour ago."""
    from cogs.support import logic, store

    started = now - timedelta(hours=1)
    boundaries = Boundaries(db, FakeClock(started), [logic.CHECKINS])
    async with db.transaction() as tx:
        for p in people:
            await boundaries.set_timezone(tx, p.user_id, p.timezone)
            if p.quiet is not None:
                await boundaries.set_quiet_hours(tx, p.user_id, *p.quiet)
            await boundaries.set_opt_in(tx, p.guild_id, p.user_id, logic.CHECKINS.key, True)
            await boundaries.set_dms_allowed(tx, p.user_id, True)
            slot = logic.next_slot(started, logic.Frequency.DAILY, p.at, 0, p.timezone)
            await store.save_schedule(
                tx,
                user_id=p.user_id,
                guild_id=p.guild_id,
                frequency=logic.Frequency.DAILY,
                local_time=p.at,
                weekday=0,
                next_slot=slot,
                next_send_at=logic.first_send(slot, p.user_id),
                now=started,
            )
            if p.quiet_watch_days is not None:
                await store.set_quiet(tx, p.user_id, p.quiet_watch_days, started)


@dataclass(frozen=True)
class PhonesDownSession:
    guild_id: int
    channel_id: int
    creator_user_id: int
    timezone: str
    weekday: int
    at: time


async def phones_down_sessions(
    db: Database, sessions: Sequence[PhonesDownSession], now: datetime
) -> None:
    """As if an admin ran `/phonesdown schedule` in each server yesterday."""
    from cogs.phones_down import store

    async with db.transaction() as tx:
        for s in sessions:
            await store.create_session(
                tx,
                guild_id=s.guild_id,
                channel_id=s.channel_id,
                creator_user_id=s.creator_user_id,
                weekday=s.weekday,
                local_time=s.at,
                duration_minutes=60,
                remind_minutes=60,
                title=None,
                next_at=timeutil.next_weekly(now, s.weekday, s.at, s.timezone),
                now=now - timedelta(days=1),
            )
