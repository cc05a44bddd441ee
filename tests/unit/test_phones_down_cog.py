"""The message hot path: cheap where nothing runs, ids only, and once per person."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.db import Database, discover_migrations
from bot.timeutil import FakeClock
from cogs.phones_down import store
from cogs.phones_down.cog import PhonesDownCog
from tests.writes import write

NOW = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
GUILD, OTHER_GUILD, CHANNEL = 100, 101, 200
ALICE, BOB, STRANGER = 1, 2, 3


class CountingDb:
    """The real database, counting every use."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.uses = 0

    def __getattr__(self, name: str) -> Any:
        self.uses += 1
        return getattr(self._db, name)


class Message:
    """A MESSAGE_CREATE as the cog sees it; reading the text is a test failure."""

    def __init__(self, guild_id: int | None, author_id: int, *, bot: bool = False) -> None:
        self.guild = SimpleNamespace(id=guild_id) if guild_id is not None else None
        self.channel = SimpleNamespace()
        self.author = SimpleNamespace(id=author_id, bot=bot)

    @property
    def content(self) -> str:
        raise AssertionError("phones down must never read message text")


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[PhonesDownCog, CountingDb, FakeClock, int]]:
    db = Database(tmp_path / "pd.sqlite3")
    await db.connect()
    await db.migrate([m for m in discover_migrations() if m.component in ("core", "phones_down")])
    ch = await write(
        db,
        store.create,
        challenge_id=77,
        guild_id=GUILD,
        channel_id=CHANNEL,
        starter_user_id=ALICE,
        duration_minutes=30,
        starts_at=NOW,
        now=NOW,
    )
    await write(db, store.join, ch.challenge_id, BOB, NOW)
    await write(db, store.begin, ch.challenge_id, NOW)
    counting = CountingDb(db)
    clock = FakeClock(NOW + timedelta(minutes=5))
    outbox = SimpleNamespace(handle=lambda name, **callbacks: None)  # no messages here
    bot = SimpleNamespace(db=counting, clock=clock, outbox=outbox)
    cog = PhonesDownCog(bot)  # type: ignore[arg-type]
    yield cog, counting, clock, ch.challenge_id
    await db.close()


async def test_a_server_with_nothing_running_costs_no_query(
    setup: tuple[PhonesDownCog, CountingDb, FakeClock, int],
) -> None:
    cog, db, _, _ = setup
    for _ in range(100):
        await cog.on_message(Message(GUILD, BOB))  # type: ignore[arg-type]
    assert db.uses == 0


async def test_only_participants_in_that_server_are_noted_once(
    setup: tuple[PhonesDownCog, CountingDb, FakeClock, int],
) -> None:
    cog, db, clock, cid = setup
    for guild_id, users in [(g, u) for g, _, _, u in await store.running_index(db._db)]:
        cog.svc.watch(guild_id, cid, NOW + timedelta(minutes=30), set(users))
    db.uses = 0
    await cog.on_message(Message(OTHER_GUILD, BOB))  # type: ignore[arg-type]
    await cog.on_message(Message(GUILD, STRANGER))  # type: ignore[arg-type]
    await cog.on_message(Message(GUILD, BOB, bot=True))  # type: ignore[arg-type]
    await cog.on_message(Message(None, BOB))  # type: ignore[arg-type]
    assert db.uses == 0
    await cog.on_message(Message(GUILD, BOB))  # type: ignore[arg-type]
    assert db.uses == 1
    clock.advance(timedelta(minutes=1))
    await cog.on_message(Message(GUILD, BOB))  # type: ignore[arg-type]
    assert db.uses == 1
    recorded = {p.user_id: p for p in await store.participants(db._db, cid)}
    assert recorded[BOB].picked_up_at == NOW + timedelta(minutes=5)
    assert recorded[ALICE].picked_up_at is None
    assert cog.watching(GUILD) == {cid: {ALICE}}


async def test_after_the_end_nothing_more_is_noted(
    setup: tuple[PhonesDownCog, CountingDb, FakeClock, int],
) -> None:
    cog, db, clock, cid = setup
    cog.svc.watch(GUILD, cid, NOW + timedelta(minutes=30), {ALICE, BOB})
    clock.set(NOW + timedelta(minutes=31))
    db.uses = 0
    await cog.on_message(Message(GUILD, ALICE))  # type: ignore[arg-type]
    assert db.uses == 0
    recorded = {p.user_id: p for p in await store.participants(db._db, cid)}
    assert recorded[ALICE].picked_up_at is None


def test_a_reminder_pings_exactly_whom_it_names_within_discords_limits() -> None:
    from cogs.phones_down.views import reminder_pings

    assert reminder_pings([]) == ("", [])
    many = [10**17 + i for i in range(150)]
    content, pinged = reminder_pings(many)
    assert 0 < len(pinged) <= 100
    assert len(content) <= 2000
    assert {int(x) for x in re.findall(r"<@(\d+)>", content)} == set(pinged)
    assert pinged == many[: len(pinged)]
