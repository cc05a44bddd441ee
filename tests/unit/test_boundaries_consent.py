"""The consent vote's decision job, with the real cog on a real database (no Discord).

Posting is recorded instead of sent; the emulator tests (tests/e2e) cover the messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot import guilds
from bot.app import HearthBot
from bot.config import Settings
from bot.timeutil import UTC, FakeClock
from cogs.boundaries import store
from cogs.boundaries.cog import BoundariesCog, close_job_id
from cogs.boundaries.logic import ProposalStatus
from tests.fakediscord.harness import TEST_DATA_KEY
from tests.writes import write

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
G = 100
ANA, BEN, CAT = 1, 2, 3
PID = 4242


def cog_of(bot: HearthBot) -> BoundariesCog:
    # Not isinstance: closing a bot unloads its extensions, so each start imports the cog anew.
    cog = bot.get_cog("BoundariesCog")
    assert cog is not None
    return cog  # type: ignore[return-value]


class Booted:
    """Start, restart and stop an offline Hearth on one database and clock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.clock = FakeClock(START)
        self.bot: HearthBot | None = None
        self.announced: list[tuple[int, bool, int]] = []

    async def start(self) -> HearthBot:
        bot = HearthBot(
            Settings(database=self.path, data_key=TEST_DATA_KEY), clock=self.clock, auto_sync=False
        )
        await bot.setup_hook()
        cog = cog_of(bot)

        async def record(tx: object, proposal: store.Proposal, deeper: bool, depth: int) -> None:
            self.announced.append((proposal.proposal_id, deeper, depth))

        cog._announce = record  # type: ignore[method-assign]
        self.bot = bot
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
            self.bot = None


@pytest.fixture
async def booted(tmp_path: Path) -> AsyncIterator[Booted]:
    b = Booted(tmp_path / "h.sqlite3")
    await b.start()
    yield b
    await b.stop()


async def open_question(bot: HearthBot, *, window: timedelta = timedelta(days=3)) -> None:
    now = bot.clock.now()
    await write(
        bot.db,
        guilds.save_setup,
        G,
        channel_id=55,
        timezone="UTC",
        prompt_weekday=6,
        prompt_time=time(18),
        now=now,
    )
    await write(
        bot.db,
        store.insert,
        proposal_id=PID,
        guild_id=G,
        channel_id=55,
        message_id=777,
        from_depth=1,
        to_depth=2,
        opened_at=now,
        closes_at=now + window,
    )
    cog = cog_of(bot)
    cog._schedule(G, PID, now + window)


async def vote(bot: HearthBot, user: int, yes: bool) -> None:
    async with bot.boundaries.acting(G, user) as tx:
        await store.record_vote(tx, PID, user, yes, bot.clock.now())


async def test_all_in_goes_one_level_deeper_and_forgets_the_votes(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    for user in (ANA, BEN, CAT):
        await vote(bot, user, True)
    assert bot.scheduler.job_ids("depth:close:") == [close_job_id(PID)]
    booted.clock.advance(timedelta(days=3))
    assert bot.scheduler.due(close_job_id(PID)) == booted.clock.now()
    assert await bot.scheduler.fire(close_job_id(PID))
    assert await bot.boundaries.group_depth(G) == 2
    assert booted.announced == [(PID, True, 2)]
    assert await store.votes(bot.db, PID) == {}  # nobody's answer outlives the question
    proposal = await store.get(bot.db, PID)
    assert proposal is not None
    assert proposal.status is ProposalStatus.DEEPER


async def test_one_not_yet_stays_and_starts_the_rest(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    await vote(bot, ANA, True)
    await vote(bot, BEN, False)
    await vote(bot, CAT, True)
    await bot.scheduler.fire(close_job_id(PID))
    assert await bot.boundaries.group_depth(G) == 1
    assert booted.announced == [(PID, False, 1)]
    assert await store.last_stayed_at(bot.db, G) == booted.clock.now()


async def test_a_changed_vote_counts_as_changed(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    for user in (ANA, BEN, CAT):
        await vote(bot, user, False)
    for user in (ANA, BEN, CAT):
        await vote(bot, user, True)
    await bot.scheduler.fire(close_job_id(PID))
    assert await bot.boundaries.group_depth(G) == 2


async def test_a_paused_participant_is_not_waited_for(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    await vote(bot, ANA, True)
    await vote(bot, BEN, True)
    await bot.boundaries.touch(G, CAT)  # taking part, hasn't answered…
    await write(bot.boundaries.db, bot.boundaries.pause, CAT, None)  # …and is taking a break
    await bot.scheduler.fire(close_job_id(PID))
    assert await bot.boundaries.group_depth(G) == 2


async def test_the_question_closes_after_a_restart_and_only_once(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    for user in (ANA, BEN):
        await vote(bot, user, True)
    await booted.stop()
    booted.clock.advance(timedelta(days=4))  # Hearth was down when the window ended
    bot = await booted.start()
    assert bot.scheduler.job_ids("depth:close:") == [close_job_id(PID)]
    assert bot.scheduler.due(close_job_id(PID)) < booted.clock.now()  # overdue: runs at once
    assert await bot.scheduler.fire(close_job_id(PID))
    assert await bot.boundaries.group_depth(G) == 2
    cog = cog_of(bot)
    await cog.close_proposal(PID)  # a second run (say, a racing restart) decides nothing
    await cog.rebuild_jobs()
    assert bot.scheduler.job_ids("depth:close:") == []
    assert booted.announced == [(PID, True, 2)]


async def test_leaving_a_server_suspends_its_question_until_hearth_is_back(
    booted: Booted,
) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    for user in (ANA, BEN, CAT):
        await vote(bot, user, True)
    cog = cog_of(bot)
    await write(bot.db, guilds.mark_left, G, booted.clock.now())
    await cog.on_hearth_guild_left(G)
    assert bot.scheduler.job_ids("depth:close:") == []
    proposal = await store.get(bot.db, PID)
    assert proposal is not None
    assert proposal.status is ProposalStatus.OPEN  # nothing decided while Hearth is away
    await cog.rebuild_jobs()  # a start while away doesn't wake it
    assert bot.scheduler.job_ids("depth:close:") == []

    booted.clock.advance(timedelta(days=4))  # its time passes while Hearth is away
    await write(bot.db, guilds.mark_joined, G, booted.clock.now())
    await cog.rebuild_guild_jobs(G)
    assert bot.scheduler.due(close_job_id(PID)) < booted.clock.now()  # runs at once
    assert await bot.scheduler.fire(close_job_id(PID))
    assert booted.announced == [(PID, True, 2)]


async def test_one_open_question_per_server(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    with pytest.raises(Exception, match="UNIQUE"):
        await write(
            bot.db,
            store.insert,
            proposal_id=PID + 1,
            guild_id=G,
            channel_id=55,
            message_id=None,
            from_depth=1,
            to_depth=2,
            opened_at=START,
            closes_at=START + timedelta(days=1),
        )


async def test_pace_settings(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    assert (await store.pace(bot.db, G)).window == timedelta(days=3)
    saved = await write(bot.db, store.set_pace, G, window_days=1, cooldown_days=None)
    assert saved.window == timedelta(days=1)
    assert saved.cooldown == timedelta(days=14)
    saved = await write(bot.db, store.set_pace, G, window_days=None, cooldown_days=30)
    assert saved == await store.pace(bot.db, G)
    assert saved.window == timedelta(days=1)
    assert saved.cooldown == timedelta(days=30)


async def test_every_table_with_a_user_takes_part_in_export_and_delete(booted: Booted) -> None:
    bot = booted.bot
    assert bot is not None
    await open_question(bot)
    await vote(bot, ANA, True)
    await write(bot.boundaries.db, bot.boundaries.set_timezone, ANA, "Europe/Berlin")
    registry = bot.personal_data
    parts = (await registry.export(bot.db, ANA, bot.clock.now()))["parts"]
    tables = {t for part in parts.values() for t in part["tables"]}
    assert tables == {"person_boundaries", "member_boundaries", "depth_votes"}
    await write(bot.db, registry.forget, ANA, bot.clock.now())
    assert (await registry.export(bot.db, ANA, bot.clock.now()))["parts"] == {}
    for table in ("person_boundaries", "member_boundaries", "depth_votes"):
        assert await bot.db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (ANA,)) == 0
