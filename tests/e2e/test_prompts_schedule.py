"""End to end: the weekly schedule's reliability — exactly once across DST and restarts,
late prompts after downtime, the quiet pause and /hearth resume, broken channels — and
the choices it makes: rotation, pins, depth and skipped topics, forged buttons."""

from __future__ import annotations

from datetime import datetime, timedelta

import discord
import pytest

from bot.db.codec import new_id
from bot.decks import SENSITIVE_TOPICS
from bot.practices import KEYS
from bot.timeutil import UTC
from cogs.prompts import logic, store
from cogs.prompts.cog import SILENT_NOTE
from tests.e2e.test_prompts_week import FIRST_SUNDAY, WEEKLY, World, make_world, round_id
from tests.fakediscord import (
    FakeChannel,
    FakeDiscord,
    FakeMember,
    FakeMessage,
    InteractionResult,
)
from tests.fakediscord.harness import HearthHarness
from tests.writes import write


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    return await make_world(fake_discord, hearth_unstarted)


def prompt_posts(world: World) -> list[FakeMessage]:
    return [m for m in world.channel.bot_messages if WEEKLY in m.text]


async def forged_click(
    world: World, who: FakeMember, channel: FakeChannel, custom_id: str
) -> InteractionResult:
    """A click on a button carrying a made-up or foreign custom id (a tampered or stale
    message: Discord only delivers clicks on buttons that are really on a message)."""
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Tampered", custom_id=custom_id))
    sent = await world.hearth.bot.get_partial_messageable(channel.id).send("…", view=view)
    message = world.fake.messages[sent.id]
    return await who.click(message, "Tampered")


async def test_no_double_post_on_the_fall_back_night_or_after_a_restart(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    # Sundays at 02:30 in Berlin; 2026-10-25 is the night 02:30 happens twice.
    world = await make_world(
        fake_discord,
        hearth_unstarted,
        start=datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
        time="02:30",
    )
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, an hour later
    bot = world.hearth.bot
    assert bot.scheduler.due(world.job) == first

    world.hearth.clock.set(first)
    assert world.job in await world.hearth.run_due()
    await fake_discord.wait_for_message(world.channel, lambda m: WEEKLY in m.text)
    following = datetime(2026, 11, 1, 1, 30, tzinfo=UTC)  # next Sunday 02:30 CET
    assert bot.scheduler.due(world.job) == following

    # A wall-clock trigger fires again at the second 02:30, for both readings of it.
    world.hearth.clock.set(second)
    await world.cog.weekly_job(world.guild.id, first.isoformat())
    await world.cog.weekly_job(world.guild.id, second.isoformat())
    # And Hearth restarts that same night.
    await world.hearth.restart()
    bot = world.hearth.bot
    assert bot.scheduler.due(world.job) == following
    await world.hearth.run_due()
    await fake_discord.sync()
    assert len(prompt_posts(world)) == 1


async def test_a_prompt_missed_while_down_is_posted_within_six_hours_only(
    world: World,
) -> None:
    await world.hearth.stop()
    world.hearth.clock.set(FIRST_SUNDAY + timedelta(hours=2))
    await world.hearth.start()
    assert world.hearth.bot.scheduler.due(world.job) == FIRST_SUNDAY  # due: runs at once
    await world.hearth.run_due()
    await world.fake.wait_for_message(world.channel, lambda m: WEEKLY in m.text)

    # A week later Hearth is down for seven hours past the time: that week is skipped.
    await world.hearth.stop()
    next_sunday = FIRST_SUNDAY + timedelta(days=7)
    world.hearth.clock.set(next_sunday + timedelta(hours=7))
    await world.hearth.start()
    bot = world.hearth.bot
    assert bot.scheduler.due(world.job) == next_sunday + timedelta(days=7)
    await world.hearth.run_due()
    await world.fake.sync()
    assert len(prompt_posts(world)) == 1


async def test_three_quiet_weeks_pause_and_resume_restarts(world: World) -> None:
    bot = world.hearth.bot
    for week in range(3):
        post = await world.post()
        assert await world.hearth.fire(f"prompt:reveal:{round_id(post)}")
        assert (week < 2) == (bot.scheduler.due(world.job) is not None)
    note = await world.fake.wait_for_message(world.channel, lambda m: m.content == SILENT_NOTE)
    assert "/hearth resume" in note.content
    assert not await world.hearth.fire(world.job)  # nothing left to fire
    assert len(prompt_posts(world)) == 3

    shown = await world.admin.slash("hearth settings")
    assert "Weekly prompt paused" in shown.text
    assert "Three weekly prompts in a row got no answers" in shown.text

    refused = await world["A"].slash("hearth resume")
    assert refused.ephemeral
    assert "server admins" in refused.text
    assert bot.scheduler.due(world.job) is None

    world.hearth.advance(days=21)  # the three quiet weeks have gone by
    resumed = await world.admin.slash("hearth resume")
    assert "Welcome back" in resumed.text
    assert bot.scheduler.due(world.job) is not None
    assert "paused" not in (await world.admin.slash("hearth settings")).text
    await world.post()
    again = await world.admin.slash("hearth resume")
    assert "isn't paused" in again.text


async def test_a_deleted_channel_pauses_tells_the_admins_and_setup_fixes_it(
    world: World,
) -> None:
    bot = world.hearth.bot
    await world.channel.delete()
    assert await world.hearth.fire(world.job)
    assert (await store.schedule(bot.db, world.guild.id)).paused_reason == logic.PauseReason.CHANNEL
    assert bot.scheduler.due(world.job) is None  # no retry loop
    assert world.fake.errors() == []  # it knew from the cache: not even one failed request
    shown = await world.admin.slash("hearth settings", channel=world.guild.add_text_channel("x"))
    assert "couldn't post in its channel" in shown.text

    # Choosing a new channel is the fix: the pause lifts and the next prompt goes there.
    fresh = world.guild.add_text_channel("hearth-2")
    await world.admin.slash("hearth setup", {"channel": fresh}, timezone="Europe/Berlin")
    await world.fake.until(lambda: bot.scheduler.due(world.job) is not None, what="re-arming")
    assert not (await store.schedule(bot.db, world.guild.id)).paused
    assert await world.hearth.fire(world.job)
    await world.fake.wait_for_message(fresh, lambda m: WEEKLY in m.text)


async def test_a_refused_post_pauses_once_without_retrying(world: World) -> None:
    bot = world.hearth.bot
    route = "POST /channels/{channel_id}/messages"
    world.fake.fail(route, status=403, code=50013, times=5)
    world.fake.expect_errors(50013)
    assert await world.hearth.fire(world.job)
    attempts = [r for r in world.fake.requests if r.route == route and r.status == 403]
    assert len(attempts) == 1
    assert (await store.schedule(bot.db, world.guild.id)).paused_reason == logic.PauseReason.CHANNEL
    assert bot.scheduler.due(world.job) is None
    rounds = await store.rounds_in(bot.db, world.guild.id)
    assert [r.status for r in rounds] == [logic.RoundStatus.FAILED]
    # The week is in the ledger: firing again for it does nothing.
    assert not await world.hearth.fire(world.job)


async def test_rotation_pin_and_posting_now(world: World) -> None:
    bot = world.hearth.bot
    first = await world.post()
    assert "Active listening" in first.text
    second = await world.post()
    assert "Share authentically" in second.text
    assert "Closed" in first.text  # closed (quietly) before the next one

    member_try = await world["A"].slash("hearth prompt pin", practice="repair")
    assert "server admins" in member_try.text
    pinned = await world.admin.slash("hearth prompt pin", practice="repair")
    assert "Apologize and repair" in pinned.text
    assert "Pinned to" in (await world.admin.slash("hearth settings")).text
    third = await world.post()
    assert "Apologize and repair" in third.text

    busy = await world.admin.slash("hearth prompt now")
    assert "already a prompt open" in busy.text
    assert await world.hearth.fire(f"prompt:reveal:{round_id(third)}")
    assert "server admins" in (await world["B"].slash("hearth prompt now")).text
    shorter = await world.admin.slash("hearth prompt deadline", hours=24)
    assert "revealed 24 h after" in shorter.text
    now = await world.admin.slash("hearth prompt now", practice="curiosity")
    done = await now.wait_original()
    assert "Posted in" in done.text
    manual = await world.fake.wait_for_message(world.channel, lambda m: "for you all" in m.text)
    assert "Curious, not critical" in manual.text
    found = await store.get_round(bot.db, round_id(manual))
    assert found is not None
    assert found.kind == logic.RoundKind.MANUAL
    assert found.closes_at - found.opened_at == timedelta(hours=24)
    assert bot.scheduler.due(f"prompt:reveal:{found.round_id}") == found.closes_at


async def test_depth_and_skipped_topics_hold_for_every_draw(world: World) -> None:
    bot = world.hearth.bot
    gid = world.guild.id
    await write(
        bot.boundaries.db, bot.boundaries.set_skipped_topics, gid, world["C"].id, ["family"]
    )
    assert await bot.boundaries.group_depth(gid) == 1
    on = frozenset(KEYS)
    for i in range(200):
        choice = await world.cog.pick(gid, on, None, only=KEYS[i % len(KEYS)])
        assert choice is not None
        prompt, _ = choice
        assert prompt.depth == 1
        assert "family" not in prompt.tags

    # Nothing repeats until every eligible prompt of the practice was used, then a new cycle.
    eligible = bot.decks.eligible("sharing", 1, {"family"})
    seen: list[str] = []
    for _ in range(len(eligible) + 1):
        choice = await world.cog.pick(gid, on, None, only="sharing")
        assert choice is not None
        prompt, forget = choice
        seen.append(prompt.id)
        new = store.NewRound(
            new_id(),
            gid,
            world.channel.id,
            logic.RoundKind.MANUAL,
            "sharing",
            prompt.id,
            1,
            bot.clock.now(),
            bot.clock.now(),
            forget,
        )
        async with bot.db.transaction() as tx:
            await store.record_manual(tx, new)
            await store.close_round(tx, new.round_id, bot.clock.now())
    assert len(set(seen[:-1])) == len(eligible)
    assert await store.used_ids(bot.db, gid) == {seen[-1]}  # the new cycle began

    # A post at the group's depth shows it; someone's skipped topic never reaches the post.
    post = await world.post()
    found = await store.get_round(bot.db, round_id(post))
    assert found is not None
    prompt = bot.decks.get(found.prompt_id)
    assert prompt is not None
    assert prompt.depth == 1
    assert not prompt.tags & {"family"}
    assert set(SENSITIVE_TOPICS) >= {"family"}


async def test_forged_or_foreign_buttons_change_nothing(
    fake_discord: FakeDiscord, world: World
) -> None:
    bot = world.hearth.bot
    post = await world.post()
    rid = round_id(post)
    ana = world["A"]
    for custom_id in (
        "hearth:prompt:answer:not-a-number",
        "hearth:prompt:skip:0",
        "hearth:prompt:skip:99999999999999999999",
    ):
        refused = await forged_click(world, ana, world.channel, custom_id)
        assert refused.ephemeral
        assert "doesn't look like one of mine" in refused.text
    missing = await forged_click(world, ana, world.channel, "hearth:prompt:skip:123456")
    assert "can't find that prompt" in missing.text

    # This server's round id, clicked in another server, is refused too.
    other = fake_discord.add_guild("Elsewhere", owner="Zed")
    there = other.add_text_channel("chat")
    stranger = other.add_member("Quill")
    await fake_discord.sync()
    refused = await forged_click(world, stranger, there, f"hearth:prompt:skip:{rid}")
    assert "doesn't look like one of mine" in refused.text
    assert await store.responses(bot.db, rid) == (set(), set())
