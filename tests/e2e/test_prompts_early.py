"""End to end: when a prompt may be revealed before its deadline, and that the post says
exactly that. A new group's first prompt stays open the whole time — two quick answers
don't close it on friends who haven't found Hearth yet; later prompts come out early once
they've been up a day and everyone who took part lately has answered or skipped."""

from __future__ import annotations

from datetime import datetime, timedelta

from cogs.prompts import render
from tests.e2e.test_prompts_week import NOON, World, round_id
from tests.fakediscord import FakeDiscord, FakeMessage
from tests.fakediscord.harness import HearthHarness

FIRST_DAY = "It stays open until then, so everyone has time to find it."


async def new_server(fake: FakeDiscord, hearth: HearthHarness) -> World:
    """Five friends; only the admin has used Hearth here (to set it up)."""
    hearth.clock.set(NOON)
    fake.ratelimits.configure(message_limit=5, message_window=0.25)
    guild = fake.add_guild("New friends", owner="Olwen")
    channel = guild.add_text_channel("hearth")
    admin = guild.add_member("Mae", admin=True)
    friends = {n: guild.add_member(n) for n in ("Aurelia", "Bramwell", "Cosima", "Dorian")}
    await hearth.start()
    done = await admin.slash("hearth setup", {"channel": channel}, timezone="Europe/Berlin")
    assert "Hearth is set up" in done.text
    await admin.slash("boundaries mine")  # the admin has used a personal feature
    return World(fake, hearth, guild, channel, admin, friends)


async def first_week(world: World) -> None:
    """A new group's first prompt: it stays open to its deadline, whoever answers; Mae,
    Aurelia, Bramwell and Cosima take part, so they are who later prompts wait for."""
    hearth, admin = world.hearth, world.admin
    ana, ben, cat = (world[n] for n in "ABC")
    sched = hearth.bot.scheduler

    post = await world.post()
    rid = round_id(post)
    # The post says the rule that will decide: this one stays open to its deadline.
    assert FIRST_DAY in post.text
    assert "once everyone's in" not in post.text

    # The admin and one friend answer within eight minutes: nothing closes.
    await world.answer(admin, post, "Lunch on the stairs at my first job.")
    hearth.advance(minutes=8)
    await world.answer(ana, post, "The night the power went out.")
    hearth.advance(hours=30)
    await sched.run_due()
    assert post.thread is None
    assert [b["label"] for b in post.buttons] == ["Answer privately", "Skip this one"]
    # So the others, arriving a day later, can still answer.
    await world.answer(ben, post, "Learning to swim at thirty.", anonymous=True)
    await cat.click(post, "Skip this one")

    hearth.advance(hours=18)  # the deadline, 48 h after the post
    assert f"prompt:reveal:{rid}" in await sched.run_due()
    messages = await world.thread_messages(post)
    assert sum(len(m.embeds) for m in messages) == 3


async def second_week(world: World) -> tuple[FakeMessage, datetime]:
    """The next weekly prompt, posted at its time: (its post, that time)."""
    due = world.hearth.bot.scheduler.due(world.job)
    assert due is not None
    world.hearth.clock.set(due)
    return await world.post(), due


async def test_a_new_groups_first_prompt_waits_for_the_group(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    world = await new_server(fake_discord, hearth_unstarted)
    hearth, admin = world.hearth, world.admin
    ana, ben, cat = (world[n] for n in "ABC")
    await first_week(world)

    # Next week the group has taken part: the post promises the early reveal, in words.
    second, due = await second_week(world)
    sched = hearth.bot.scheduler
    rid2 = round_id(second)
    assert render.EARLY_RULE in second.text
    assert FIRST_DAY not in second.text
    settings = await admin.slash("hearth settings")
    assert render.EARLY_RULE in settings.text

    # Everyone who took part last week is in within the hour (Dan never was a regular)…
    for who, words in ((admin, "Tea."), (ana, "Rain."), (ben, "Bread."), (cat, "Birds.")):
        await world.answer(who, second, words)
    hearth.advance(hours=1)
    await sched.run_due()
    assert second.thread is None  # …but nothing comes out in its first day
    assert sched.due(f"prompt:early:{rid2}") == due + timedelta(hours=24)

    # A restart in between keeps the promise.
    await hearth.restart()
    sched = hearth.bot.scheduler
    hearth.advance(hours=23)
    assert f"prompt:early:{rid2}" in await sched.run_due()
    messages = await world.thread_messages(second)
    assert sum(len(m.embeds) for m in messages) == 4
    assert sched.due(f"prompt:reveal:{rid2}") is None  # revealed once, a day early
    assert "Revealed" in second.text
    assert world.fake.pings() == []


async def test_a_day_that_ran_out_while_hearth_was_down_reveals_at_start(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    world = await new_server(fake_discord, hearth_unstarted)
    hearth, admin = world.hearth, world.admin
    ana, ben, cat = (world[n] for n in "ABC")
    await first_week(world)
    second, _ = await second_week(world)
    rid = round_id(second)
    for who, words in ((admin, "Tea."), (ana, "Rain."), (ben, "Bread.")):
        await world.answer(who, second, words)
    await cat.click(second, "Skip this one")

    # Hearth is down while the prompt's first day runs out; it comes out as Hearth starts.
    await hearth.stop()
    hearth.advance(hours=30)
    await hearth.start()
    await hearth.run_due()
    messages = await world.thread_messages(second)
    assert sum(len(m.embeds) for m in messages) == 3
    assert hearth.bot.scheduler.due(f"prompt:reveal:{rid}") is None  # revealed once


async def test_after_a_restart_the_last_awaited_answer_still_reveals_early(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    world = await new_server(fake_discord, hearth_unstarted)
    hearth, admin = world.hearth, world.admin
    ana, ben, cat = (world[n] for n in "ABC")
    await first_week(world)
    second, _ = await second_week(world)
    await world.answer(admin, second, "Tea.")
    await world.answer(ana, second, "Rain.")

    # A restart while Bramwell and Cosima are still awaited: a day on, nothing comes out…
    await hearth.restart()
    hearth.advance(hours=25)
    await hearth.run_due()
    assert second.thread is None
    await world.answer(ben, second, "Bread.")
    assert second.thread is None
    # …until the last of them is in: then at once, a day before the deadline.
    await cat.click(second, "Skip this one")
    messages = await world.thread_messages(second)
    assert sum(len(m.embeds) for m in messages) == 3
