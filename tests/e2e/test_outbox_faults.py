"""Every kind of scheduled post and DM survives Discord's bad moments: a 503, five 502s,
a dropped connection after Discord made the message, a request that hangs. Each is
delivered once, later — counted from the emulator's own record."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_prompts_week import World, make_world
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness

POST = "POST /channels/{channel_id}/messages"
THREAD = "POST /channels/{channel_id}/messages/{message_id}/threads"

FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("503", {"status": 503}),
    ("502 x5", {"status": 502, "times": 5}),
    ("dropped after Discord made it", {"drop": True, "applied": True}),
    ("hung, then made", {"hang": 1.0, "applied": True}),
]


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    world = await make_world(fake_discord, hearth_unstarted)
    # A short wait for an answer, so a hang counts as one without the test waiting long.
    world.hearth.bot.outbox.timeout = 0.2
    return world


async def settle(world: World, tries: int = 8) -> None:
    for _ in range(tries):
        await world.hearth.deliver(seconds=90)


@pytest.mark.parametrize(("name", "fault"), FAULTS, ids=[n for n, _ in FAULTS])
async def test_the_weekly_prompt(world: World, name: str, fault: dict[str, Any]) -> None:
    world.fake.fail(POST, **fault)
    assert await world.hearth.bot.scheduler.fire(world.job)
    await settle(world)
    posts = [m for m in world.channel.bot_messages if "this week's prompt" in m.text]
    assert len(posts) == 1, name
    assert world.hearth.bot.scheduler.due(world.job) is not None  # next week is armed


@pytest.mark.parametrize(("name", "fault"), FAULTS, ids=[n for n, _ in FAULTS])
async def test_the_reveal(world: World, name: str, fault: dict[str, Any]) -> None:
    post = await world.post()
    for initial, words in (("A", "Bright mornings."), ("B", "Long walks.")):
        await world.answer(world[initial], post, words)
    route = THREAD if "502" in name or "503" in name else POST
    world.fake.fail(route, **fault)
    world.hearth.advance(hours=48)  # the deadline: the reveal job runs
    await world.hearth.bot.scheduler.run_due()
    await settle(world)
    assert post.thread is not None
    answers = [m for m in post.thread.bot_messages if m.embeds]
    assert sorted(e["description"].split("\n")[0] for m in answers for e in m.embeds) == [
        "Bright mornings.",
        "Long walks.",
    ], name
    assert "Revealed" in post.text


@pytest.mark.parametrize(("name", "fault"), FAULTS, ids=[n for n, _ in FAULTS])
async def test_a_check_in_dm(world: World, name: str, fault: dict[str, Any]) -> None:
    ana = world["A"]
    r = await ana.slash("checkin start", frequency="daily", time="09:00", timezone="UTC")
    assert "Check-ins are on" in r.text
    world.fake.fail(POST, **fault)
    await (await ana.slash("checkin now")).wait_followup(timeout=5)
    await settle(world)
    checkins = [m for m in world.fake.dms_to(ana) if "How are you" in m.text]
    assert len(checkins) == 1, name
