"""500 people who all chose 09:00: their check-ins are spread out, DMs open at a paced
rate, every one arrives, and the emulator (which answers like Discord) never says 429."""

from __future__ import annotations

import asyncio
import time as real_time
from datetime import datetime, time, timedelta
from typing import Any

from bot.limits import GlobalRestLimit
from bot.timeutil import UTC
from cogs.support import logic, store
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness

PEOPLE = 500
MONDAY_EARLY = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)
NINE_BERLIN = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
# Everything scaled up from Discord's real numbers (50 requests/s, Hearth's 5 DM opens/s)
# so the test takes about a second; the ratio stays the same.
GLOBAL_LIMIT = 1000
OPEN_RATE, OPEN_BURST = 400.0, 20
STEP = timedelta(seconds=5)


async def test_a_burst_of_500_due_check_ins_is_spread_and_draws_no_429(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    hearth = hearth_unstarted
    base_settings = hearth.settings

    def faster(**overrides: Any) -> Any:
        return base_settings(dm_open_rate=OPEN_RATE, dm_open_burst=OPEN_BURST, **overrides)

    hearth.settings = faster  # type: ignore[method-assign]
    fake_discord.ratelimits.configure(global_limit=GLOBAL_LIMIT, default_limit=GLOBAL_LIMIT)
    # The check-in's body is checked against Discord's spec in the other support tests;
    # 1,000 more identical checks would only make this one slow.
    fake_discord.spec = None
    hearth.clock.set(MONDAY_EARLY)
    guild = fake_discord.add_guild("Big friends", owner="Olwen")
    guild.add_text_channel("general")
    people = [guild.add_member(f"friend{i:03d}") for i in range(PEOPLE)]
    bot = await hearth.start()
    assert bot.dm_pacer.rate == OPEN_RATE

    # Everyone opted in for 09:00 Berlin (written as /checkin start would, in one go).
    b, now = bot.boundaries, hearth.clock.now()
    slot = logic.next_slot(now, logic.Frequency.DAILY, time(9, 0), 0, "Europe/Berlin")
    async with bot.db.transaction() as tx:
        for who in people:
            uid = who.user.id
            await b._touch(tx, guild.id, uid)
            await b.set_timezone(tx, uid, "Europe/Berlin")
            await b.set_opt_in(tx, guild.id, uid, "checkins", True)
            await b.set_dms_allowed(tx, uid, True)
            await store.save_schedule(
                tx,
                user_id=uid,
                guild_id=guild.id,
                frequency="daily",
                local_time=time(9, 0),
                weekday=0,
                next_slot=slot,
                next_send_at=logic.first_send(slot, uid),
                now=now,
            )
    bot = await hearth.restart()  # every job rebuilt from the database
    bot.rest_limit = GlobalRestLimit(GLOBAL_LIMIT - 20, 1.0, spacing_rate=GLOBAL_LIMIT * 2)
    scheduler = bot.scheduler
    jobs = scheduler.job_ids("checkin:")
    assert len(jobs) == PEOPLE

    # Spread: the 500 due times cover the two minutes after 09:00, a few per second.
    dues = [scheduler.due(j) for j in jobs]
    assert all(d is not None and NINE_BERLIN <= d < NINE_BERLIN + logic.JITTER for d in dues)
    per_second: dict[datetime, int] = {}
    for d in dues:
        assert d is not None
        per_second[d] = per_second.get(d, 0) + 1
    assert len(per_second) >= 100
    assert max(per_second.values()) <= 15

    # Run it like APScheduler would: every job that is due fires at once, concurrently.
    started = real_time.monotonic()
    t = NINE_BERLIN
    biggest_wave = 0
    while t <= NINE_BERLIN + logic.JITTER + STEP:
        hearth.clock.set(t)
        wave = [j for j in scheduler.job_ids("checkin:") if (due := scheduler.due(j)) and due <= t]
        biggest_wave = max(biggest_wave, len(wave))
        await asyncio.gather(*(scheduler.fire(j) for j in wave))
        t += STEP

    await fake_discord.until(lambda: all(len(p.dms()) == 1 for p in people), timeout=10)
    # Until the last DM is out: the outbox opens them, paced, after the jobs have run.
    elapsed = real_time.monotonic() - started
    assert all("How are you, really?" in p.dms()[0].text for p in people)
    assert fake_discord.stats.ratelimited == 0  # not one 429
    assert biggest_wave < PEOPLE // 10  # never everyone at once
    # The pacer held DM opening to its rate: 500 opens can't happen faster than this.
    assert elapsed >= (PEOPLE - OPEN_BURST) / OPEN_RATE
    # Everyone's next check-in is tomorrow, still spread the same way.
    tomorrow = {scheduler.due(j) for j in scheduler.job_ids("checkin:")}
    assert all(d is not None and d - NINE_BERLIN >= timedelta(days=1) for d in tomorrow)
