"""Phones down end to end: lobby, silence, noticing phones, results, debrief, restarts.

Friends act through the Discord emulator; Hearth is the real bot on a FakeClock, so
jobs run when a test fires them (`hearth.fire`) or finds them due (`run_due`).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from cogs.phones_down import store
from tests.fakediscord import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    InteractionResult,
)
from tests.fakediscord.harness import HearthHarness
from tests.fakediscord.models import FakeMessage


@dataclass
class World:
    guild: FakeGuild
    chan: FakeChannel
    general: FakeChannel
    alice: FakeMember
    bob: FakeMember
    cara: FakeMember
    dan: FakeMember


@pytest.fixture
async def world(hearth: HearthHarness, fake_discord: FakeDiscord) -> World:
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("hearth")
    general = guild.add_text_channel("general")
    alice = guild.add_member("alice", admin=True)
    bob = guild.add_member("bob")
    cara = guild.add_member("cara")
    dan = guild.add_member("dan")
    await fake_discord.add_bot_to(guild)
    await fake_discord.sync()
    return World(guild, chan, general, alice, bob, cara, dan)


def challenge_id(card: FakeMessage) -> int:
    for button in card.buttons:
        match = re.fullmatch(r"hearth:pd:[a-z]+:(\d+)", button.get("custom_id", ""))
        if match:
            return int(match[1])
    raise AssertionError(f"no phones-down button on {card!r}")


async def parts(hearth: HearthHarness, cid: int) -> dict[int, store.logic.Taking]:
    return {p.user_id: p for p in await store.participants(hearth.bot.db, cid)}


async def open_lobby(who: FakeMember, **options: object) -> FakeMessage:
    """`/phonesdown start …`: the private answer, then the card Hearth posts in the channel
    (the challenge is saved first; the card comes through the outbox)."""
    started = await who.slash("phonesdown start", **options)
    assert started.ephemeral
    note = await started.wait_followup()
    assert "in automatically" in note.content
    return await lobby_card(started)


async def lobby_card(started: InteractionResult) -> FakeMessage:
    channel = started.interaction.channel
    fake = channel._fake
    return await fake.wait_for_message(
        channel, lambda m: any(b.get("label") == "Join" for b in m.buttons)
    )


async def start_running(
    hearth: HearthHarness, w: World, *joiners: FakeMember, duration: str = "30m"
) -> tuple[FakeMessage, int]:
    card = await open_lobby(w.alice, duration=duration)
    for friend in joiners:
        joined = await friend.click(card, "Join")
        assert "You're in" in joined.content
    cid = challenge_id(card)
    hearth.advance(minutes=2)
    assert await hearth.fire(f"phonesdown:start:{cid}")
    return card, cid


def bot_posts(fake: FakeDiscord, channel: FakeChannel) -> list[FakeMessage]:
    return [m for m in channel.messages if m.author is fake.bot_user and not m.ephemeral]


# --------------------------------------------------------------------------- the whole way


async def test_a_full_session_with_four_friends(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    lobby = await w.alice.slash("phonesdown start", duration="30m", title="Sunday tea")
    assert lobby.ephemeral
    note = await lobby.wait_followup()
    assert "The card is up" in note.content
    assert "in automatically" in note.content
    card = await lobby_card(lobby)
    assert card.channel is w.chan
    assert [b["label"] for b in card.buttons] == ["Join", "Leave", "Start now"]
    assert "30 minutes" in card.text
    assert "Sunday tea" in card.text
    cid = challenge_id(card)
    for friend in (w.bob, w.cara, w.dan):
        joined = await friend.click(card, "Join")
        assert joined.ephemeral
        assert "You're in" in joined.content
    assert "already in" in (await w.bob.click(card, "Join")).content

    hearth.advance(minutes=2)
    assert await hearth.fire(f"phonesdown:start:{cid}")
    started_at = hearth.clock.now()
    ends_at = started_at + timedelta(minutes=30)
    # The card turned into the running state: the end as a self-updating timestamp.
    assert f"<t:{int(ends_at.timestamp())}:R>" in card.text
    assert "**4** friends are in" in card.text
    assert [b["label"] for b in card.buttons] == ["Join late", "I had to step away"]
    assert len(card.history) == 1  # edited exactly once
    posts_at_start = len(bot_posts(fake_discord, w.chan))

    hearth.advance(minutes=10)
    await w.bob.say(w.general, "just checking one thing")

    async def bob_recorded() -> bool:
        return (await parts(hearth, cid))[w.bob.id].picked_up_at is not None

    await hearth.fake.until(bob_recorded, what="bob's pick-up")
    assert (await parts(hearth, cid))[w.bob.id].picked_up_at == started_at + timedelta(minutes=10)
    hearth.advance(minutes=1)
    await w.bob.say(w.chan, "and another")  # recorded once: the first time stays
    hearth.advance(minutes=4)
    away = await w.cara.click(card, "I had to step away")
    assert away.ephemeral
    assert "stepped away" in away.content
    hearth.advance(minutes=15)

    # Silence the whole time: no posts, no edits, no DMs, in any channel.
    assert len(bot_posts(fake_discord, w.chan)) == posts_at_start
    assert bot_posts(fake_discord, w.general) == []
    assert len(card.history) == 1
    assert all(fake_discord.dms_to(m) == [] for m in (w.alice, w.bob, w.cara, w.dan))
    recorded = await parts(hearth, cid)
    assert recorded[w.bob.id].picked_up_at == started_at + timedelta(minutes=10)
    assert recorded[w.cara.id].stepped_away_at == started_at + timedelta(minutes=15)
    assert recorded[w.cara.id].picked_up_at is None

    assert await hearth.fire(f"phonesdown:end:{cid}")
    results = bot_posts(fake_discord, w.chan)[-1]
    text = results.text
    assert "Sunday tea: done!" in text
    assert "**2 of 4** made it the whole way" in text
    assert w.alice.mention in text
    assert w.dan.mention in text
    assert w.bob.mention not in text
    assert w.cara.mention not in text
    assert "1 hour 25 minutes" in text  # 30 + 30 + 10 (bob) + 15 (cara)
    assert "this week" in text  # the streak begins
    assert "A question to talk about" in text
    assert [b["label"] for b in results.buttons] == ["Answer"]
    assert not results.pinged.users
    assert "This one's done" in card.text
    assert card.buttons == []

    # Ending twice posts once.
    cog = hearth.bot.get_cog("PhonesDownCog")
    await cog.svc.end_job(cid)  # type: ignore[union-attr]
    assert len(bot_posts(fake_discord, w.chan)) == posts_at_start + 1
    ended = await store.get(hearth.bot.db, cid)
    assert ended is not None
    assert (ended.status, ended.made_it_count, ended.free_minutes) == ("ended", 2, 85)

    # The debrief: answers go into one thread on the results, with the person's name.
    opened = await w.dan.click(results, "Answer")
    assert opened.modal is not None
    question = hearth.bot.decks.get(ended.prompt_id or "")
    assert question is not None
    assert question.text in str(opened.modal.raw)
    done = await w.dan.submit_modal(opened.modal, {"Your answer": "I heard birds again"})
    assert done.ephemeral
    await done.wait_original()
    assert "Posted in" in (done.message.content if done.message else "")
    [thread] = w.chan.threads
    first = await fake_discord.wait_for_message(thread)
    assert "**dan** answered:" in first.content
    assert "> I heard birds again" in first.content
    again = await w.alice.click(results, "Answer")
    assert again.modal is not None
    await w.alice.submit_modal(again.modal, {"Your answer": "Tea tastes better like this"})
    second = await fake_discord.wait_for_message(thread)
    assert "**alice** answered:" in second.content
    assert len(w.chan.threads) == 1


async def test_start_now_and_late_joins_until_half_time(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    card = await open_lobby(w.alice, duration="1h", join_window="10m")
    cid = challenge_id(card)
    refused = await w.bob.click(card, "Start now")
    assert "Only the person who started" in refused.content
    assert [b["label"] for b in card.buttons] == ["Join", "Leave", "Start now"]

    go = await w.alice.click(card, "Start now")
    assert go.type == 6  # acknowledged; the card itself turns into the running state
    await fake_discord.until(lambda: "Phones down until" in card.text, what="the running card")
    assert hearth.bot.scheduler.job_ids(f"phonesdown:start:{cid}") == []
    assert hearth.bot.scheduler.job_ids(f"phonesdown:end:{cid}") == [f"phonesdown:end:{cid}"]

    hearth.advance(minutes=20)
    late = await w.bob.click(card, "Join late")
    assert "Welcome in" in late.content
    hearth.advance(minutes=5)
    await w.bob.say(w.general, "oops")

    async def bob_recorded() -> bool:
        return (await parts(hearth, cid))[w.bob.id].picked_up_at is not None

    await hearth.fake.until(bob_recorded, what="bob's pick-up after a late join")
    hearth.advance(minutes=6)  # past half-time
    closed = await w.cara.click(card, "Join late")
    assert "past half-time" in closed.content
    assert w.cara.id not in await parts(hearth, cid)


async def test_a_hearth_command_during_the_challenge_counts_and_strangers_dont(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    other = fake_discord.add_guild("Elsewhere")
    elsewhere = other.add_text_channel("chat")
    other.add_member(w.bob.user)
    await fake_discord.add_bot_to(other)
    await fake_discord.sync()
    _card, cid = await start_running(hearth, w, w.bob, w.cara)
    hearth.advance(minutes=3)
    await w.dan.say(w.general, "dan isn't in it")  # not a participant: nothing to note
    await w.bob.say(elsewhere, "a message in another server")  # another server: not noted
    stats = await w.cara.slash("phonesdown stats")  # a Hearth command: phone in hand
    assert stats.ephemeral

    async def cara_recorded() -> bool:
        return (await parts(hearth, cid))[w.cara.id].picked_up_at is not None

    await hearth.fake.until(cara_recorded, what="cara's pick-up")
    recorded = await parts(hearth, cid)
    assert recorded[w.bob.id].picked_up_at is None
    assert w.dan.id not in recorded
    cog = hearth.bot.get_cog("PhonesDownCog")
    assert cog.watching(w.guild.id) == {cid: {w.alice.id, w.bob.id}}  # type: ignore[union-attr]


async def test_nobody_joined_means_a_kind_cancel(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    card = await open_lobby(w.alice, duration="20m")
    left = await w.alice.click(card, "Leave")
    assert "out of this one" in left.content
    hearth.advance(minutes=2)
    await hearth.fire(f"phonesdown:start:{challenge_id(card)}")
    assert "Nobody joined this time" in card.text
    assert card.buttons == []
    # The channel is free again.
    again = await w.bob.slash("phonesdown start", duration="20m")
    assert "The card is up" in (await again.wait_followup()).text


# --------------------------------------------------------------------------- refusals


async def test_a_second_start_and_bad_durations_get_kind_clear_answers(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    await open_lobby(w.alice, duration="30m")
    posts = len(bot_posts(fake_discord, w.chan))
    second = await w.bob.slash("phonesdown start", duration="45m")
    assert second.ephemeral
    assert "already a phones-down going in this channel" in second.content
    assert len(bot_posts(fake_discord, w.chan)) == posts
    for bad in ("5m", "5h", "soon"):
        r = await w.bob.slash("phonesdown start", channel=w.general, duration=bad)
        assert r.ephemeral
        assert "10 minutes to 4 hours" in r.content
    wide = await w.bob.slash(
        "phonesdown start", channel=w.general, duration="30m", join_window="2h"
    )
    assert "join window" in wide.content.casefold()
    assert bot_posts(fake_discord, w.general) == []
    choices = await w.bob.autocomplete("phonesdown start", "duration", "1h")
    assert {"name": "1 hour", "value": "1h"} in choices


async def test_ten_friends_pressing_join_at_once_are_all_in_once(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    crowd = [w.guild.add_member(f"friend{i}") for i in range(10)]
    await fake_discord.sync()
    card = await open_lobby(w.alice, duration="30m")
    replies = await asyncio.gather(*(m.click(card, "Join") for m in crowd))
    assert all("You're in" in r.content for r in replies)
    assert all(r.ephemeral for r in replies)
    again = await asyncio.gather(*(m.click(card, "Join") for m in crowd[:5]))
    assert all("already in" in r.content for r in again)
    rows = await store.participants(hearth.bot.db, challenge_id(card))
    assert sorted(p.user_id for p in rows) == sorted([w.alice.id, *(m.id for m in crowd)])


async def test_forged_and_foreign_buttons_change_nothing(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    card = await open_lobby(w.alice, duration="30m")
    cid = challenge_id(card)
    join = card.button("Join")
    for forged in ("hearth:pd:join:12345", "hearth:pd:explode:1", "hearth:pd:join:abc"):
        join["custom_id"] = forged
        r = await w.bob.click(card, "Join")
        assert r.ephemeral
        assert "isn't around any more" in r.content
    # The same challenge's id clicked from another server is a stranger too.
    other = fake_discord.add_guild("Elsewhere")
    chat = other.add_text_channel("chat")
    eve = other.add_member("eve")
    await fake_discord.add_bot_to(other)
    await fake_discord.sync()
    bait = await eve.say(chat, "")
    bait.components = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": "Join", "custom_id": f"hearth:pd:join:{cid}"}
            ],
        }
    ]
    bait.author = fake_discord.bot_user
    r = await eve.click(bait, "Join")
    assert "isn't around any more" in r.content
    assert [p.user_id for p in await store.participants(hearth.bot.db, cid)] == [w.alice.id]


# --------------------------------------------------------------------------- restarts


async def test_restart_mid_challenge_posts_the_end_once_on_time(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    _card, cid = await start_running(hearth, w, w.bob)
    ends_at = hearth.clock.now() + timedelta(minutes=30)
    hearth.advance(minutes=10)
    await hearth.restart()
    assert hearth.bot.scheduler.due(f"phonesdown:end:{cid}") == ends_at
    # The new bot still notices phones: its index came back from the database.
    await w.bob.say(w.general, "hello again")

    async def bob_recorded() -> bool:
        return (await parts(hearth, cid))[w.bob.id].picked_up_at is not None

    await hearth.fake.until(bob_recorded, what="a pick-up after the restart")
    hearth.advance(minutes=19)
    before = len(bot_posts(fake_discord, w.chan))
    assert await hearth.run_due() == []
    assert len(bot_posts(fake_discord, w.chan)) == before
    hearth.advance(minutes=1)
    assert await hearth.run_due() == [f"phonesdown:end:{cid}"]
    posts = bot_posts(fake_discord, w.chan)
    assert len(posts) == before + 1
    assert "**1 of 2** made it the whole way" in posts[-1].text
    assert "a little late" not in posts[-1].text
    await hearth.restart()
    hearth.advance(hours=1)
    assert await hearth.run_due() == []
    assert len(bot_posts(fake_discord, w.chan)) == before + 1


async def test_an_end_that_passed_while_hearth_was_down_posts_once_on_start_and_says_so(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    _card, cid = await start_running(hearth, w, w.bob, w.cara)
    ends_at = hearth.clock.now() + timedelta(minutes=30)
    before = len(bot_posts(fake_discord, w.chan))
    await hearth.stop()
    hearth.advance(hours=3)
    await hearth.start()
    assert hearth.bot.scheduler.due(f"phonesdown:end:{cid}") == ends_at  # due: runs at once
    assert await hearth.run_due() == [f"phonesdown:end:{cid}"]
    posts = bot_posts(fake_discord, w.chan)
    assert len(posts) == before + 1
    assert "All **3** of you made it the whole way" in posts[-1].text
    assert "offline when this one ended" in posts[-1].text
    await hearth.restart()
    assert await hearth.run_due() == []
    assert len(bot_posts(fake_discord, w.chan)) == before + 1


async def test_a_lobby_survives_a_restart_and_starts_on_time(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    card = await open_lobby(w.alice, duration="30m", join_window="5m")
    cid = challenge_id(card)
    await hearth.restart()
    joined = await w.bob.click(card, "Join")  # the button works for the new bot
    assert "You're in" in joined.content
    hearth.advance(minutes=5)
    assert await hearth.run_due() == [f"phonesdown:start:{cid}"]
    assert "**2** friends are in" in card.text


# --------------------------------------------------------------------------- lost channels


async def test_a_deleted_channel_still_ends_and_the_starter_gets_the_results(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    fake_discord.expect_errors(10003)
    _card, cid = await start_running(hearth, w, w.bob)
    await w.chan.delete()
    await fake_discord.sync()
    hearth.advance(minutes=30)
    await hearth.fire(f"phonesdown:end:{cid}")
    ended = await store.get(hearth.bot.db, cid)
    assert ended is not None
    assert (ended.status, ended.results_where) == ("ended", "dm")
    [dm] = fake_discord.dms_to(w.alice)
    assert "couldn't post in the channel" in dm.content
    assert "All **2** of you made it the whole way" in dm.text
    assert dm.buttons == []  # no thread to answer into from a DM
    assert fake_discord.dms_to(w.bob) == []


async def test_lost_permissions_and_closed_dms_still_end_without_a_crash(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    fake_discord.expect_errors(50013, 50007)
    _card, cid = await start_running(hearth, w, w.bob)
    w.chan.deny_bot(send_messages=True)
    w.alice.close_dms()
    await fake_discord.sync()
    hearth.advance(minutes=30)
    await hearth.fire(f"phonesdown:end:{cid}")
    ended = await store.get(hearth.bot.db, cid)
    assert ended is not None
    assert (ended.status, ended.results_where) == ("ended", "nowhere")
    assert await store.live_in_channel(hearth.bot.db, w.chan.id) is None
    cog = hearth.bot.get_cog("PhonesDownCog")
    assert cog.watching(w.guild.id) == {}  # type: ignore[union-attr]
