"""Listening circles end to end: a thread, a talking stick passed by button and by timer,
one quiet mark per out-of-turn speaker per turn (from message events only), a summary
with no content, a restart mid-turn, and the circle's thread archived or deleted."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot import retention
from cogs.listening import store
from cogs.listening.circles import circle_job_id, idle_job_id
from cogs.listening.logic import QUIET_MARK, Phase
from tests.e2e.conftest import Friends, make_friends
from tests.fakediscord import FakeChannel, FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness

TOPIC = "How we're really doing this month"


@dataclass
class Circle:
    card: FakeMessage
    thread: FakeChannel
    circle_id: int


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Friends:
    """The friends' server (tests/e2e/conftest.py), Hearth in it but not set up."""
    return await make_friends(fake_discord, hearth_unstarted, set_up=False)


@pytest.fixture
def hearth(world: Friends) -> HearthHarness:
    return world.hearth


def circle_id_of(message: FakeMessage) -> int:
    for button in message.buttons:
        found = re.fullmatch(r"hearth:ls:c:[a-z]+:(\d+)", button.get("custom_id", ""))
        if found:
            return int(found[1])
    raise AssertionError(f"no circle button on {message!r}")


async def open_circle(
    fake: FakeDiscord, w: Friends, *joiners: FakeMember, minutes: int = 5
) -> Circle:
    started = await w["A"].slash("listen circle", topic=TOPIC, minutes_per_turn=minutes)
    assert started.ephemeral
    note = await started.wait_followup()
    assert "The circle is open" in note.content
    card = await fake.wait_for_message(w.channel, lambda m: "Listening circle" in m.text)
    await fake.until(lambda: card.thread is not None, what="the circle's thread")
    assert card.thread is not None
    for friend in joiners:
        joined = await friend.click(card, "Join")
        assert "You're in the circle" in joined.text
    return Circle(card, card.thread, circle_id_of(card))


async def begin(fake: FakeDiscord, w: Friends, c: Circle) -> FakeMessage:
    await w["A"].click(c.card, "Begin")
    return await fake.wait_for_message(c.thread, lambda m: "talking stick is with you" in m.content)


def marks(message: FakeMessage) -> set[int]:
    return set(message.reactions.get(QUIET_MARK, set()))


async def test_a_circle_of_three_passes_the_stick_by_button_and_by_timer(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    c = await open_circle(fake_discord, world, world["B"], world["C"])
    assert TOPIC in c.card.text
    assert [b["label"] for b in c.card.buttons] == ["Join", "Leave", "Begin", "End circle"]
    early = await world["B"].click(c.card, "Begin")
    assert "started the circle begins it" in early.text

    turn = await begin(fake_discord, world, c)
    assert f"<@{world.ana.id}>" in turn.content
    assert turn.pings(world["A"])
    assert not turn.pings(world["B"])

    # Out of turn: one quiet mark per person per turn; the holder and Hearth get none.
    first = await world["B"].say(c.thread, "sorry, one thing")
    second = await world["B"].say(c.thread, "and another")
    from_cara = await world["C"].say(c.thread, "+1")
    own = await world["A"].say(c.thread, "so, this month")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(first)) and bool(marks(from_cara)), what="marks")
    assert marks(first) == {fake_discord.bot_user.id}
    assert marks(second) == set()
    assert marks(own) == set()
    assert len([m for m in c.thread.messages if marks(m)]) == 2

    # Only the holder passes the stick.
    nope = await world["B"].click(turn, "Pass the stick")
    assert "Only the one holding the stick" in nope.text
    await world["A"].click(turn, "Pass the stick")
    pause = await fake_discord.wait_for_message(c.thread, lambda m: "reflect back" in m.content)
    assert f"<@{world.ben.id}> is next" in pause.content
    await fake_discord.until(lambda: not turn.buttons, what="the old turn's buttons to go")
    during_pause = await world["C"].say(c.thread, "I heard that it's been a heavy month")
    await hearth.bot.outbox.idle()
    assert marks(during_pause) == set()  # reflecting back between turns is welcome

    # The pause ends by timer: bob's turn; his own turn ends by timer too.
    hearth.advance(minutes=1)
    assert await hearth.fire(circle_job_id(c.circle_id))
    bobs = await fake_discord.wait_for_message(
        c.thread, lambda m: "talking stick is with you" in m.content
    )
    assert f"<@{world.ben.id}>" in bobs.content
    again = await world["B"].say(c.thread, "my turn now")
    alice_now = await world["A"].say(c.thread, "out of turn, me")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(alice_now)), what="alice's mark")
    assert marks(again) == set()
    hearth.advance(minutes=5)
    assert await hearth.fire(circle_job_id(c.circle_id))
    await fake_discord.wait_for_message(
        c.thread, lambda m: f"<@{world.cat.id}> is next" in m.content
    )
    ready = [m for m in c.thread.bot_messages if f"<@{world.cat.id}> is next" in m.content][-1]
    not_you = await world["A"].click(ready, "I'm ready")
    assert "next speaker taps this" in not_you.text
    await world["C"].click(ready, "I'm ready")
    caras = await fake_discord.wait_for_message(
        c.thread, lambda m: "talking stick is with you" in m.content
    )
    assert f"<@{world.cat.id}>" in caras.content

    # Ending: only the starter or an admin; the summary says who spoke and how long, no words.
    refused = await world["B"].click(caras, "End circle")
    assert "Only the one who started the circle" in refused.text
    hearth.advance(minutes=2)
    await world.admin.click(caras, "End circle")
    summary = await fake_discord.wait_for_message(c.thread, lambda m: "Circle closed" in m.text)
    for person in (world["A"], world["B"], world["C"]):
        assert f"<@{person.id}>" in summary.text
    assert "5 minutes" in summary.text  # bob's turn, by the timer
    assert "2 minutes" in summary.text  # cara's
    for words in ("sorry", "another", "heavy month", "my turn", "so, this month", TOPIC):
        assert words not in summary.text
    await fake_discord.until(lambda: "closed" in c.card.text, what="the card to close")
    assert not c.card.buttons
    assert hearth.bot.scheduler.job_ids("listening:") == []
    assert fake_discord.unexpected_errors() == []


async def test_a_restart_mid_turn_carries_on_and_marks_stay_once_per_turn(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    c = await open_circle(fake_discord, world, world["B"], world["C"])
    turn = await begin(fake_discord, world, c)
    before = await world["B"].say(c.thread, "before the restart")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(before)), what="the first mark")

    await hearth.restart()
    assert hearth.bot.scheduler.due(circle_job_id(c.circle_id)) is not None
    assert hearth.bot.scheduler.due(idle_job_id(c.circle_id)) is not None
    after = await world["B"].say(c.thread, "after the restart")
    cara = await world["C"].say(c.thread, "me too")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(cara)), what="cara's mark after the restart")
    assert marks(after) == set()  # bob has his one mark this turn already

    # The old buttons still work, and the timer still passes the stick.
    await world["A"].click(turn, "Pass the stick")
    await fake_discord.wait_for_message(c.thread, lambda m: "reflect back" in m.content)
    hearth.advance(minutes=1)
    await hearth.run_due()
    found = await store.get_circle(hearth.bot.db, c.circle_id)
    assert found is not None
    assert found.phase is Phase.SPEAKING
    assert found.holder_user_id == world["B"].id


@pytest.mark.parametrize("how", ["archived", "deleted"])
async def test_a_circle_whose_thread_closes_ends_cleanly(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends, how: str
) -> None:
    c = await open_circle(fake_discord, world, world["B"])
    await begin(fake_discord, world, c)
    said_before = len(c.thread.bot_messages)
    if how == "archived":
        c.thread.archive()
        await fake_discord.sync()
    else:
        await c.thread.delete()

    async def ended() -> bool:
        found = await store.get_circle(hearth.bot.db, c.circle_id)
        return found is not None and found.phase is Phase.ENDED

    await fake_discord.until(ended, what="the circle to end")
    await hearth.bot.outbox.idle()
    # Nothing more was said in the thread (a post would reopen an archived one)…
    assert len(c.thread.bot_messages) == said_before
    if how == "archived":
        assert c.thread.archived
    # …the card in the channel says so, and nothing is left running.
    await fake_discord.until(lambda: "closed" in c.card.text, what="the card to close")
    assert hearth.bot.scheduler.job_ids("listening:") == []
    hearth.advance(minutes=30)
    await hearth.run_due()
    assert len(c.thread.bot_messages) == said_before
    assert fake_discord.unexpected_errors() == []


async def test_an_idle_hour_ends_a_circle_with_its_summary(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    c = await open_circle(fake_discord, world, world["B"], minutes=30)
    await begin(fake_discord, world, c)
    hearth.advance(minutes=40)
    await world["B"].say(c.thread, "still here")  # activity keeps it going
    hearth.advance(minutes=25)
    assert await hearth.fire(idle_job_id(c.circle_id))
    found = await store.get_circle(hearth.bot.db, c.circle_id)
    assert found is not None
    assert found.live
    hearth.advance(minutes=61)
    await hearth.run_due()
    summary = await fake_discord.wait_for_message(c.thread, lambda m: "Circle closed" in m.text)
    assert "quiet here for an hour" in summary.text
    assert f"<@{world.ana.id}>" in summary.text


async def test_a_circle_inside_a_circle_is_refused_kindly(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    c = await open_circle(fake_discord, world)
    again = await world["B"].slash("listen circle", {"topic": "another"}, channel=c.thread)
    assert again.ephemeral
    assert "circle going here already" in again.text
    bad = await world["B"].slash("listen circle", topic="   ")
    assert "few words of topic" in bad.text


async def test_ended_circles_and_old_reflections_go_with_the_daily_sweep(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    c = await open_circle(fake_discord, world, world["B"])
    await world["A"].click(c.card, "End circle")
    await fake_discord.wait_for_message(c.thread, lambda m: "Circle closed" in m.text)
    said = await world["B"].say(world.channel, "a thought")
    opened = await world["A"].message_command("Reflect back", said)
    done = await world["A"].submit_modal(opened, {"What I heard": "a thought, heard"})
    await done.wait_original()
    db = hearth.bot.db

    async def counts() -> tuple[int, int]:
        circles = await db.fetchval("SELECT COUNT(*) FROM listening_circles")
        reflections = await db.fetchval("SELECT COUNT(*) FROM listening_reflections")
        return int(circles), int(reflections)

    assert await counts() == (1, 1)

    # The core's daily sweep (bot.retention): reflections go after 90 days, ended circles
    # are kept a year — whatever the server's own period.
    hearth.advance(days=91)
    assert await hearth.fire(retention.JOB_ID)
    assert await counts() == (1, 0)
    hearth.advance(days=275)
    assert await hearth.fire(retention.JOB_ID)
    assert await counts() == (0, 0)


async def test_a_circle_started_inside_a_thread_happens_right_there(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    thread = world.channel.add_thread(
        "sunday", owner=world["A"], members=[world["B"], fake_discord.bot_user]
    )
    await fake_discord.sync()
    started = await world["A"].slash("listen circle", {"topic": TOPIC}, channel=thread)
    await started.wait_followup()
    card = await fake_discord.wait_for_message(thread, lambda m: "Listening circle" in m.text)
    assert card.thread is None  # no thread in a thread
    await world["B"].click(card, "Join")
    await world["A"].click(card, "Begin")
    await fake_discord.wait_for_message(thread, lambda m: "talking stick is with you" in m.content)
    out_of_turn = await world["B"].say(thread, "oh!")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(out_of_turn)), what="the quiet mark")
    thread.archive()
    await fake_discord.sync()

    async def ended() -> bool:
        found = await store.get_circle(hearth.bot.db, circle_id_of(card))
        return found is not None and not found.live

    await fake_discord.until(ended, what="the circle to end with its thread")
    await hearth.bot.outbox.idle()
    assert thread.archived  # nothing reopened it
    assert not [m for m in world.channel.bot_messages if "circle" in m.text.lower()]
