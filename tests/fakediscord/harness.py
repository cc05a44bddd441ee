"""Runs the real Hearth bot against the emulator: start, restart on the same database and
clock, fire scheduled jobs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Hearth encrypts people's words with HEARTH_DATA_KEY; tests use this fixed key (never a
# real one) so a restarted bot can read what the last one wrote.
TEST_DATA_KEY = "PLXiRgs_5HzdLCogIXEn688ZdCUwWvZzKmNwuAK4_No="

if TYPE_CHECKING:
    from bot.app import HearthBot
    from bot.timeutil import FakeClock

    from .server import FakeDiscord


class HearthHarness:
    """`.bot`, `.clock` (shared with the emulator), `await .restart()`, `await .fire(job_id)`."""

    def __init__(self, fake: FakeDiscord, database: Path) -> None:
        from bot.timeutil import FakeClock

        self.fake = fake
        self.database = database
        # One clock for bot and emulator: moving time also ages interaction tokens.
        self.clock: FakeClock = FakeClock(fake.clock.now())
        fake.clock = self.clock
        self._bot: HearthBot | None = None
        self.starts = 0
        # Settings every start uses on top of the test defaults (`shard_count=2`, …).
        self.overrides: dict[str, Any] = {}

    @property
    def bot(self) -> HearthBot:
        if self._bot is None:
            raise RuntimeError("Hearth is not running; await harness.start() first")
        return self._bot

    @property
    def running(self) -> bool:
        return self._bot is not None

    def settings(self, **overrides: Any) -> Any:
        from bot.config import Settings

        values: dict[str, Any] = {
            "discord_token": self.fake.token,
            "database": self.database,
            "dev_guild_id": None,
            "log_level": "INFO",
            "data_key": TEST_DATA_KEY,
        }
        values.update(self.overrides)
        values.update(overrides)
        return Settings(**values)

    async def start(self, **bot_kwargs: Any) -> HearthBot:
        """Start a HearthBot and wait until it is ready and sees all its guilds."""
        from bot.app import HearthBot

        if self._bot is not None:
            raise RuntimeError("Hearth is already running")
        bot = HearthBot(self.settings(), clock=self.clock, **bot_kwargs)
        await self.fake.start_bot(bot)
        self._bot = bot
        self.starts += 1
        return bot

    async def stop(self) -> None:
        if self._bot is not None:
            bot, self._bot = self._bot, None
            await self.fake.stop_bot(bot)

    async def restart(self, **bot_kwargs: Any) -> HearthBot:
        """Close the bot and start a new one on the same database file and clock."""
        await self.stop()
        return await self.start(**bot_kwargs)

    async def fire(self, job_id: str) -> Any:
        """Run a scheduled job now, as if its time had come, and let what it says reach
        Discord (the outbox delivers in the background; this waits for it)."""
        ran = await self.bot.scheduler.fire(job_id)
        assert await self.bot.outbox.idle(), "the outbox didn't settle"
        return ran

    async def run_due(self) -> list[str]:
        """Run every job due by the clock (as `scheduler.run_due`), then let what they say
        reach Discord."""
        ran = await self.bot.scheduler.run_due()
        assert await self.bot.outbox.idle(), "the outbox didn't settle"
        return ran

    async def deliver(self, delta: timedelta | None = None, **kwargs: float) -> None:
        """Move the clock (optionally), run what fell due, and wait until the outbox has
        delivered everything due by then — retries after a hiccup included."""
        if delta is not None or kwargs:
            self.advance(delta, **kwargs)
        await self.bot.scheduler.run_due()
        assert await self.bot.outbox.idle(), "the outbox didn't settle"

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> None:
        """Move the shared clock: `hearth.advance(minutes=20)` (idle threads archive)."""
        self.clock.advance((delta or timedelta()) + timedelta(**kwargs))
        self.fake.archive_idle_threads()
