"""Listening circles end to end: a thread, a talking stick passed by button and by timer,
one quiet mark per out-of-turn speaker per turn (from message events only), a summary
with no content, a restart mid-turn, and the circle's thread archived or deleted."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from cogs.listening import store
from cogs.listening.logic import QUIET_MARK, Phase
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness

TOPIC = "How we're really doing this month"


@dataclass
class Circle:
    card: FakeMessage
    thread: FakeChannel
    circle_id: int


@dataclass
class World:
    guild: FakeGuild
    chan: FakeChannel
    alice: FakeMember
    bob: FakeMember
    cara: FakeMember
    dana: FakeMember


@pytest.fixture
async def world(hearth: HearthHarness, fake_discord: FakeDiscord) -> World:
    # Discord's 5 messages per 5 s per channel, sped up: a circle says a lot in seconds.
    fake_discord.ratelimits.configure(message_limit=5, message_window=0.25)
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("hearth")
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    cara = guild.add_member("cara")
    dana = guild.add_member("dana", admin=True)
    await fake_discord.add_bot_to(guild)
    await fake_discord.sync()
    return World(guild, chan, alice, bob, cara, dana)


def circle_id_of(message: FakeMessage) -> int:
    for button in message.buttons:
        found = re.fullmatch(r"hearth:ls:c:[a-z]+:(\d+)", button.get("custom_id", ""))
        if found:
            return int(found[1])
    raise AssertionError(f"no circle button on {message!r}")


async def open_circle(
    fake: FakeDiscord, w: World, *joiners: FakeMember, minutes: int = 5
) -> Circle:
    started = await w.alice.slash("listen circle", topic=TOPIC, minutes_per_turn=minutes)
    assert started.ephemeral
    note = await started.wait_followup()
    assert "The circle is open" in note.content
    card = await fake.wait_for_message(w.chan, lambda m: "Listening circle" in m.text)
    await fake.until(lambda: card.thread is not None, what="the circle's thread")
    assert card.thread is not None
    for friend in joiners:
        joined = await friend.click(card, "Join")
        assert "You're in the circle" in joined.text
    return Circle(card, card.thread, circle_id_of(card))


async def begin(fake: FakeDiscord, w: World, c: Circle) -> FakeMessage:
    await w.alice.click(c.card, "Begin")
    return await fake.wait_for_message(c.thread, lambda m: "talking stick is with you" in m.content)


def marks(message: FakeMessage) -> set[int]:
    return set(message.reactions.get(QUIET_MARK, set()))


async def test_a_circle_of_three_passes_the_stick_by_button_and_by_timer(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    c = await open_circle(fake_discord, world, world.bob, world.cara)
    assert TOPIC in c.card.text
    assert [b["label"] for b in c.card.buttons] == ["Join", "Leave", "Begin", "End circle"]
    early = await world.bob.click(c.card, "Begin")
    assert "started the circle begins it" in early.text

    turn = await begin(fake_discord, world, c)
    assert f"<@{world.alice.id}>" in turn.content
    assert turn.pings(world.alice)
    assert not turn.pings(world.bob)

    # Out of turn: one quiet mark per person per turn; the holder and Hearth get none.
    first = await world.bob.say(c.thread, "sorry, one thing")
    second = await world.bob.say(c.thread, "and another")
    from_cara = await world.cara.say(c.thread, "+1")
    own = await world.alice.say(c.thread, "so, this month")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(first)) and bool(marks(from_cara)), what="marks")
    assert marks(first) == {fake_discord.bot_user.id}
    assert marks(second) == set()
    assert marks(own) == set()
    assert len([m for m in c.thread.messages if marks(m)]) == 2

    # Only the holder passes the stick.
    nope = await world.bob.click(turn, "Pass the stick")
    assert "Only the one holding the stick" in nope.text
    await world.alice.click(turn, "Pass the stick")
    pause = await fake_discord.wait_for_message(c.thread, lambda m: "reflect back" in m.content)
    assert f"<@{world.bob.id}> is next" in pause.content
    await fake_discord.until(lambda: not turn.buttons, what="the old turn's buttons to go")
    during_pause = await world.cara.say(c.thread, "I heard that it's been a heavy month")
    await hearth.bot.outbox.idle()
    assert marks(during_pause) == set()  # reflecting back between turns is welcome

    # The pause ends by timer: bob's turn; his own turn ends by timer too.
    hearth.advance(minutes=1)
    assert await hearth.fire(f"listening:circle:{c.circle_id}")
    bobs = await fake_discord.wait_for_message(
        c.thread, lambda m: "talking stick is with you" in m.content
    )
    assert f"<@{world.bob.id}>" in bobs.content
    again = await world.bob.say(c.thread, "my turn now")
    alice_now = await world.alice.say(c.thread, "out of turn, me")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(alice_now)), what="alice's mark")
    assert marks(again) == set()
    hearth.advance(minutes=5)
    assert await hearth.fire(f"listening:circle:{c.circle_id}")
    await fake_discord.wait_for_message(
        c.thread, lambda m: f"<@{world.cara.id}> is next" in m.content
    )
    ready = [m for m in c.thread.bot_messages if f"<@{world.cara.id}> is next" in m.content][-1]
    not_you = await world.alice.click(ready, "I'm ready")
    assert "next speaker taps this" in not_you.text
    await world.cara.click(ready, "I'm ready")
    caras = await fake_discord.wait_for_message(
        c.thread, lambda m: "talking stick is with you" in m.content
    )
    assert f"<@{world.cara.id}>" in caras.content

    # Ending: only the starter or an admin; the summary says who spoke and how long, no words.
    refused = await world.bob.click(caras, "End circle")
    assert "Only the one who started the circle" in refused.text
    hearth.advance(minutes=2)
    await world.dana.click(caras, "End circle")
    summary = await fake_discord.wait_for_message(c.thread, lambda m: "Circle closed" in m.text)
    for person in (world.alice, world.bob, world.cara):
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
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    c = await open_circle(fake_discord, world, world.bob, world.cara)
    turn = await begin(fake_discord, world, c)
    before = await world.bob.say(c.thread, "before the restart")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(before)), what="the first mark")

    await hearth.restart()
    assert hearth.bot.scheduler.due(f"listening:circle:{c.circle_id}") is not None
    assert hearth.bot.scheduler.due(f"listening:idle:{c.circle_id}") is not None
    after = await world.bob.say(c.thread, "after the restart")
    cara = await world.cara.say(c.thread, "me too")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(cara)), what="cara's mark after the restart")
    assert marks(after) == set()  # bob has his one mark this turn already

    # The old buttons still work, and the timer still passes the stick.
    await world.alice.click(turn, "Pass the stick")
    await fake_discord.wait_for_message(c.thread, lambda m: "reflect back" in m.content)
    hearth.advance(minutes=1)
    await hearth.run_due()
    found = await store.get_circle(hearth.bot.db, c.circle_id)
    assert found is not None
    assert found.phase is Phase.SPEAKING
    assert found.holder_user_id == world.bob.id


@pytest.mark.parametrize("how", ["archived", "deleted"])
async def test_a_circle_whose_thread_closes_ends_cleanly(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World, how: str
) -> None:
    c = await open_circle(fake_discord, world, world.bob)
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

    for _ in range(200):
        if await ended():
            break
        await fake_discord.until(lambda: True)
    assert await ended()
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
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    c = await open_circle(fake_discord, world, world.bob, minutes=30)
    await begin(fake_discord, world, c)
    hearth.advance(minutes=40)
    await world.bob.say(c.thread, "still here")  # activity keeps it going
    hearth.advance(minutes=25)
    assert await hearth.fire(f"listening:idle:{c.circle_id}")
    found = await store.get_circle(hearth.bot.db, c.circle_id)
    assert found is not None
    assert found.live
    hearth.advance(minutes=61)
    await hearth.run_due()
    summary = await fake_discord.wait_for_message(c.thread, lambda m: "Circle closed" in m.text)
    assert "quiet here for an hour" in summary.text
    assert f"<@{world.alice.id}>" in summary.text


async def test_a_circle_inside_a_circle_is_refused_kindly(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    c = await open_circle(fake_discord, world)
    again = await world.bob.slash("listen circle", {"topic": "another"}, channel=c.thread)
    assert again.ephemeral
    assert "circle going here already" in again.text
    bad = await world.bob.slash("listen circle", topic="   ")
    assert "few words of topic" in bad.text


async def test_ended_circles_and_old_reflections_go_with_the_daily_sweep(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    c = await open_circle(fake_discord, world, world.bob)
    await world.alice.click(c.card, "End circle")
    await fake_discord.wait_for_message(c.thread, lambda m: "Circle closed" in m.text)
    said = await world.bob.say(world.chan, "a thought")
    opened = await world.alice.message_command("Reflect back", said)
    done = await world.alice.submit_modal(opened, {"What I heard": "a thought, heard"})
    await done.wait_original()
    db = hearth.bot.db

    async def counts() -> tuple[int, int]:
        circles = await db.fetchval("SELECT COUNT(*) FROM listening_circles")
        reflections = await db.fetchval("SELECT COUNT(*) FROM listening_reflections")
        return int(circles), int(reflections)

    assert await counts() == (1, 1)

    async def swept(now: datetime, wanted: tuple[int, int]) -> None:
        hearth.bot.dispatch("hearth_retention_due", now, 90, {})
        for _ in range(200):
            if await counts() == wanted:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"still {await counts()}, not {wanted}")

    # Reflections go after 90 days; ended circles are kept a year.
    await swept(hearth.clock.now() + timedelta(days=91), (1, 0))
    await swept(hearth.clock.now() + timedelta(days=366), (0, 0))


async def test_a_circle_started_inside_a_thread_happens_right_there(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    thread = world.chan.add_thread(
        "sunday", owner=world.alice, members=[world.bob, fake_discord.bot_user]
    )
    await fake_discord.sync()
    started = await world.alice.slash("listen circle", {"topic": TOPIC}, channel=thread)
    await started.wait_followup()
    card = await fake_discord.wait_for_message(thread, lambda m: "Listening circle" in m.text)
    assert card.thread is None  # no thread in a thread
    await world.bob.click(card, "Join")
    await world.alice.click(card, "Begin")
    await fake_discord.wait_for_message(thread, lambda m: "talking stick is with you" in m.content)
    out_of_turn = await world.bob.say(thread, "oh!")
    await hearth.bot.outbox.idle()
    await fake_discord.until(lambda: bool(marks(out_of_turn)), what="the quiet mark")
    thread.archive()
    await fake_discord.sync()
    found = None
    for _ in range(100):
        found = await store.get_circle(hearth.bot.db, circle_id_of(card))
        if found is not None and not found.live:
            break
        await asyncio.sleep(0.01)
    assert found is not None
    assert not found.live
    await hearth.bot.outbox.idle()
    assert thread.archived  # nothing reopened it
    assert not [m for m in world.chan.bot_messages if "circle" in m.text.lower()]
