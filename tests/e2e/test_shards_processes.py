"""Two Hearths, one PostgreSQL: each runs two of four shards, holds their leases, and runs
only their jobs — every weekly prompt posted exactly once, every check-in DM sent exactly
once, by the process holding its person's shard (not their server's). One stops renewing
(as a process killed with `kill -9` does): the other is not given its shards, but a
replacement started with them takes them over once the lease has run out, and nothing is
lost or doubled."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock_time

from bot import guilds
from bot.app import HearthBot
from bot.outbox import _OWNER as OWNER  # the rule itself, as the outbox's SQL states it
from bot.shards import shard_of
from bot.timeutil import UTC
from cogs.support import logic as support_logic
from cogs.support import store as support_store
from tests.fakediscord import FakeDiscord, FakeUser
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

SUNDAY_NOON = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
SHARDS = 4


def _second(fake: FakeDiscord, first: HearthHarness) -> HearthHarness:
    other = HearthHarness(fake, first.database)
    other.clock = first.clock  # one clock for both processes and the emulator
    fake.clock = first.clock
    return other


def _weekly(bot: HearthBot) -> list[str]:
    return [j for j in bot.scheduler.job_ids("prompt:") if j.count(":") == 1]


def _posts(fake: FakeDiscord, channel_ids: list[int]) -> dict[int, int]:
    return {
        cid: sum("this week's prompt" in m.text for m in fake.channels[cid].bot_messages)
        for cid in channel_ids
    }


async def test_two_processes_share_four_shards_and_a_replacement_takes_over(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, postgres_url: str
) -> None:
    fake = fake_discord
    first = hearth_unstarted
    first.database = postgres_url  # type: ignore[assignment]
    first.clock.set(SUNDAY_NOON)
    channels: dict[int, int] = {}
    for i in range(8):  # two servers on each of the four shards
        guild = fake.add_guild(f"Circle {i}", shard=(i % SHARDS, SHARDS))
        channels[guild.id] = guild.add_text_channel("hearth").id
    # Each person's shard is not their server's: a check-in follows the person.
    people = [fake.add_user(f"friend{i}", shard=((i + 1) % SHARDS, SHARDS)) for i in range(8)]
    for guild_id, person in zip(channels, people, strict=True):
        fake.guilds[guild_id].add_member(person)

    first.overrides.update(shard_count=SHARDS, shard_ids="0-1", lease_seconds=5)
    second = _second(fake, first)
    second.overrides.update(shard_count=SHARDS, shard_ids="2-3", lease_seconds=5)
    one = await first.start()
    two = await second.start()
    assert fake.gateway.shards_connected() == [[0, 4], [1, 4], [2, 4], [3, 4]]
    assert one.leases is not None
    assert one.leases.held == {0, 1}
    assert two.leases is not None
    assert two.leases.held == {2, 3}

    # Every server due at 18:00 Berlin today; every person's check-in at the same minute.
    for guild_id, channel_id in channels.items():
        await write(
            one.db,
            guilds.save_setup,
            guild_id,
            channel_id=channel_id,
            timezone="Europe/Berlin",
            prompt_weekday=6,
            prompt_time=clock_time(18, 0),
            now=one.clock.now(),
        )
    due = SUNDAY_NOON + timedelta(hours=5)
    for person, guild_id in zip(people, channels, strict=True):
        await _opt_in_to_checkins(one, person.id, guild_id, due)
    for bot in (one, two):
        for cog in bot.cogs.values():
            rebuild = getattr(cog, "rebuild_jobs", None)
            if rebuild is not None:
                await rebuild()

    def own_jobs(bot: HearthBot, held: set[int]) -> None:
        prompts = bot.scheduler.job_ids("prompt:")
        assert prompts, "no prompt jobs here"
        for job in prompts:
            if job.count(":") == 1:
                assert shard_of(int(job.split(":")[1]), SHARDS) in held, job
        for job in bot.scheduler.job_ids("checkin:"):
            assert shard_of(int(job.split(":")[1]), SHARDS) in held, job

    own_jobs(one, {0, 1})
    own_jobs(two, {2, 3})
    assert len(_weekly(one)) == 4
    assert len(_weekly(two)) == 4

    assert await one.outbox.idle(timeout=10)  # welcomes
    assert await two.outbox.idle(timeout=10)
    sent = (one.outbox.delivered, two.outbox.delivered)
    first.clock.set(due + support_logic.JITTER + timedelta(minutes=1))
    await one.scheduler.run_due()
    await two.scheduler.run_due()
    assert await one.outbox.idle(timeout=10)
    assert await two.outbox.idle(timeout=10)
    assert _posts(fake, list(channels.values())) == dict.fromkeys(channels.values(), 1)
    # Each person's check-in job ran in the one process holding their shard.
    assert not one.scheduler.job_ids("checkin:") or all(
        one.scheduler.due(j) > due
        for j in one.scheduler.job_ids("checkin:")  # type: ignore[operator]
    )
    assert fake.stats.ratelimited == 0
    # Every check-in DM arrived, once — each sent by the process holding its person's shard
    # (4 prompts and 4 DMs each).
    assert _checkins(people) == [1] * 8
    assert (one.outbox.delivered - sent[0], two.outbox.delivered - sent[1]) == (8, 8)
    # The two rules agree: a DM intent's shard (the outbox's, in SQL) is its person's, the
    # shard whose process ran their check-in job.
    dms = await one.db.fetchall(
        f"SELECT recipient_user_id, {OWNER} % ? FROM outbox WHERE op = 'dm'", (SHARDS,)
    )
    assert len(dms) == 8
    assert all(int(shard) == shard_of(int(person), SHARDS) for person, shard in dms)

    # The second stops renewing without a word (kill -9), with next week's jobs armed.
    assert two.leases is not None
    two.leases._task.cancel()  # type: ignore[union-attr]
    two.leases.held.clear()  # so closing doesn't give the leases back either
    await second.stop()
    # The first is not given shards 2-3: it never takes them.
    first.advance(seconds=30)
    await one.leases.renew()
    assert one.leases.held == {0, 1}
    # A replacement with shards 2-3 waits while the dead lease runs, then takes over.
    third = _second(fake, first)
    third.overrides.update(shard_count=SHARDS, shard_ids="2-3", lease_seconds=5)
    three = await third.start()
    assert three.leases is not None
    assert three.leases.held == {2, 3}  # expired: taken at once
    assert len(_weekly(three)) == 4
    own_jobs(three, {2, 3})

    # Next Sunday: each prompt and check-in once more, exactly once; nothing doubled from
    # the takeover (check-ins go within JITTER of their time).
    week = (one.outbox.delivered, three.outbox.delivered)
    first.clock.set(due + timedelta(days=7) + support_logic.JITTER + timedelta(minutes=1))
    await one.scheduler.run_due()
    await three.scheduler.run_due()
    assert await one.outbox.idle(timeout=10)
    assert await three.outbox.idle(timeout=10)
    assert _posts(fake, list(channels.values())) == dict.fromkeys(channels.values(), 2)
    assert _checkins(people) == [2] * 8
    # Each process its own half: the same number of posts, edits and DMs.
    assert one.outbox.delivered - week[0] == three.outbox.delivered - week[1]
    await third.stop()


def _checkins(people: list[FakeUser]) -> list[int]:
    return [sum("How are you, really?" in m.text for m in p.dms()) for p in people]


async def _opt_in_to_checkins(bot: HearthBot, user_id: int, guild_id: int, due: datetime) -> None:
    # As /checkin start leaves it: DMs welcome, opted in to check-ins in that server.
    await bot.boundaries.touch(guild_id, user_id)
    async with bot.db.transaction() as tx:
        await bot.boundaries.set_dms_allowed(tx, user_id, True)
        await bot.boundaries.set_timezone(tx, user_id, "Europe/Berlin")
        await bot.boundaries.set_opt_in(tx, guild_id, user_id, "checkins", True)
        await support_store.save_schedule(
            tx,
            user_id=user_id,
            guild_id=guild_id,
            frequency="weekly",
            local_time=clock_time(18, 0),
            weekday=6,
            next_slot=due,
            next_send_at=due,
            now=bot.clock.now(),
        )
