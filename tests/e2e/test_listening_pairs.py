"""Listening pairs end to end: a round of seven (one triad) in private threads with a
question at the pair's depth, DMs where threads can't be opened, a nudge to silent pairs
only, "Did you two get to talk?", totals that name nobody, the private avoid list, and
`/privacy delete` taking someone's pairing history (and them) out until they rejoin."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.timeutil import UTC
from cogs.listening import store
from cogs.listening.logic import PairVia, ScheduleStatus
from cogs.listening.pairs import ask_job_id, close_job_id, nudge_job_id, pairs_job_id
from tests.e2e.conftest import Friends, make_friends
from tests.fakediscord import FakeChannel, FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

MONDAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NAMES = ("ana", "ben", "cal", "dee", "eli", "fay", "gus")


@dataclass
class World(Friends):
    """The friends' server (tests/e2e/conftest.py), with listening pairs scheduled and
    everyone in them."""

    @property
    def job(self) -> str:
        return pairs_job_id(self.guild.id)

    def by_id(self, user_id: int) -> FakeMember:
        return next(m for m in self.friends.values() if m.id == user_id)

    async def round(self) -> int:
        """Run the round's job as its time comes; the round's id."""
        due = self.hearth.bot.scheduler.due(self.job)
        assert due is not None, "no round is armed"
        self.hearth.clock.set(due)
        assert await self.hearth.fire(self.job)
        rounds = await store.open_rounds(self.hearth.bot.db, self.guild.id)
        assert rounds, "no round was drawn"
        return rounds[-1].round_id

    async def pairs(self, round_id: int) -> list[store.Pair]:
        return await store.round_pairs(self.hearth.bot.db, round_id)


async def make_world(
    fake: FakeDiscord, hearth: HearthHarness, names: tuple[str, ...] = NAMES
) -> World:
    w = World(**vars(await make_friends(fake, hearth, names, start=MONDAY)))
    scheduled = await w.admin.slash(
        "listen pairs schedule", every="weekly", weekday=2, time="19:00", channel=w.channel
    )
    assert "Listening pairs are set" in scheduled.text, scheduled.text
    assert "private thread" in scheduled.text
    for member in w.friends.values():
        joined = await member.slash("listen pairs join", channel=w.channel)
        assert "You're in listening pairs" in joined.text
    return w


def welcome_of(thread: FakeChannel) -> FakeMessage:
    return next(m for m in thread.bot_messages if "listening partners" in m.content)


async def test_a_round_of_seven_pairs_everyone_privately_at_their_depth(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    w = await make_world(fake_discord, hearth_unstarted)
    bot = hearth_unstarted.bot
    f = w.friends
    b = bot.boundaries
    await write(bot.db, b.raise_consented_depth, w.guild.id, 3)
    await write(bot.db, b.set_comfort_depth, w.guild.id, f["ana"].id, 1)
    await write(bot.db, b.set_comfort_depth, w.guild.id, f["ben"].id, 2)
    await write(bot.db, b.set_skipped_topics, w.guild.id, f["cal"].id, ["family", "body_health"])
    # Gus is paused: he stays out this round without anyone learning why.
    await write(bot.db, b.pause, f["gus"].id, None)
    await write(bot.db, b.resume, f["gus"].id)

    round_id = await w.round()
    pairs = await w.pairs(round_id)
    assert sorted(len(p.people) for p in pairs) == [2, 2, 3]
    assert sorted(p for pair in pairs for p in pair.people) == sorted(m.id for m in f.values())
    announce = [m for m in w.channel.bot_messages if "round 1" in m.text]
    assert len(announce) == 1
    assert "3 pairs (one of them a three)" in announce[0].text
    assert not announce[0].pinged.users

    comfort = {f["ana"].id: 1, f["ben"].id: 2}
    threads = [t for t in w.channel.threads if t.name == "Listening pair"]
    await fake_discord.until(lambda: all(t.bot_messages for t in threads), what="welcomes")
    assert len(threads) == 3
    by_people = {frozenset(p.people): p for p in pairs}
    for thread in threads:
        assert thread.type == 12  # private
        people = frozenset(thread.thread_members) - {fake_discord.bot_user.id}
        pair = by_people[people]  # exactly the pair, nobody else, can see it
        assert pair.thread_id == thread.id
        welcome = welcome_of(thread)
        for person in people:
            assert welcome.pings(w.by_id(person))
        assert not welcome.pings(w.admin)
        prompt = bot.decks.get(pair.prompt_id or "")
        assert prompt is not None
        assert prompt.text in welcome.content
        wanted = min([comfort.get(p, 3) for p in people])
        assert pair.depth == wanted
        assert prompt.depth == wanted
        if f["cal"].id in people:
            assert not prompt.tags & {"family", "body_health"}
    assert fake_discord.unexpected_errors() == []


async def test_nudges_go_to_silent_pairs_only_and_the_group_hears_a_total(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    w = await make_world(fake_discord, hearth_unstarted)
    round_id = await w.round()
    pairs = await w.pairs(round_id)
    threads = {p.pair_id: next(t for t in w.channel.threads if t.id == p.thread_id) for p in pairs}
    talking = pairs[0]
    await w.by_id(talking.people[0]).say(threads[talking.pair_id], "hey! tea on Thursday?")
    found = await store.get_pair(hearth_unstarted.bot.db, talking.pair_id)
    assert found is not None
    assert found.spoke_at is not None

    r = await store.get_round(hearth_unstarted.bot.db, round_id)
    assert r is not None
    hearth_unstarted.clock.set(r.nudge_at)
    assert await hearth_unstarted.fire(nudge_job_id(round_id))
    nudged = {
        pid
        for pid, t in threads.items()
        if any("gentle nudge" in m.content for m in t.bot_messages)
    }
    assert nudged == {p.pair_id for p in pairs[1:]}
    assert await hearth_unstarted.fire(nudge_job_id(round_id)) is False  # once

    hearth_unstarted.clock.set(r.ask_at)
    assert await hearth_unstarted.fire(ask_job_id(round_id))
    asks = {
        pid: next(m for m in t.bot_messages if "get to talk" in m.content)
        for pid, t in threads.items()
    }
    a, b = pairs[0], pairs[1]
    said = await w.by_id(a.people[0]).click(asks[a.pair_id], "Yes, we talked")
    assert "Thank you" in said.text
    await w.by_id(a.people[1]).click(asks[a.pair_id], "Not this time")
    await w.by_id(b.people[0]).click(asks[b.pair_id], "Not this time")

    hearth_unstarted.clock.set(r.ends_at)
    assert await hearth_unstarted.fire(close_job_id(round_id))
    totals = await fake_discord.wait_for_message(w.channel, lambda m: "pairs got to talk" in m.text)
    assert "**1 of 3** pairs got to talk" in totals.text
    assert not totals.pinged.users
    assert "<@" not in totals.text
    late = await w.by_id(a.people[0]).click(asks[a.pair_id], "Yes, we talked")
    assert "over" in late.text


async def test_without_private_threads_each_person_gets_a_dm_naming_their_partner(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    w = await make_world(fake_discord, hearth_unstarted, names=("ana", "ben", "cal", "dee"))
    bot = hearth_unstarted.bot
    w.channel.deny_bot(create_private_threads=True)
    await fake_discord.sync()
    f = w.friends
    for name in ("ana", "ben", "cal"):
        await write(bot.db, bot.boundaries.set_dms_allowed, f[name].id, True)
    round_id = await w.round()
    pairs = await w.pairs(round_id)
    assert {p.via for p in pairs} == {PairVia.DM}
    assert not [t for t in w.channel.threads if t.name == "Listening pair"]
    for pair in pairs:
        for person in pair.people:
            member = w.by_id(person)
            dms = fake_discord.dms_to(member)
            if member is f["dee"]:
                assert dms == []  # she never allowed DMs: nothing reaches her
                continue
            partner = next(p for p in pair.people if p != person)
            assert any(f"<@{partner}>" in m.content and "partners with" in m.content for m in dms)
    assert "a DM" in next(m for m in w.channel.bot_messages if "round 1" in m.text).text
    assert fake_discord.unexpected_errors() == []


async def test_a_thread_refused_at_delivery_falls_back_to_dms(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    w = await make_world(fake_discord, hearth_unstarted, names=("ana", "ben"))
    bot = hearth_unstarted.bot
    for member in w.friends.values():
        await write(bot.db, bot.boundaries.set_dms_allowed, member.id, True)
    fake_discord.expect_errors(50013)
    fake_discord.fail("POST /channels/{channel_id}/threads", times=1, status=403, code=50013)
    round_id = await w.round()
    await hearth_unstarted.bot.outbox.idle()
    (pair,) = await w.pairs(round_id)
    found = await store.get_pair(hearth_unstarted.bot.db, pair.pair_id)
    assert found is not None
    assert found.via is PairVia.DM
    for member in w.friends.values():
        await fake_discord.wait_for_message(member, lambda m: "partners with" in m.content)
    # The question never went to the group channel instead.
    assert not [m for m in w.channel.bot_messages if "listening partners" in m.content]


async def test_the_private_avoid_list_and_privacy_delete(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    w = await make_world(fake_discord, hearth_unstarted, names=("ana", "ben", "cal", "dee"))
    f = w.friends
    avoid = await f["ana"].slash("listen pairs avoid", member=f["ben"])
    assert avoid.ephemeral
    assert "they'll never know" in avoid.text
    status = await f["ana"].slash("listen pairs status")
    assert f"<@{f['ben'].id}>" in status.text
    theirs = await f["ben"].slash("listen pairs status")
    assert f"<@{f['ana'].id}>" not in theirs.text

    # Without ana and ben together, four friends have two ways to pair up: both happen
    # before either comes again.
    seen: set[frozenset[int]] = set()
    for _ in range(2):
        round_id = await w.round()
        for pair in await w.pairs(round_id):
            assert frozenset(pair.people) != frozenset((f["ana"].id, f["ben"].id))
            seen.add(frozenset(pair.people))
    assert len(seen) == 4

    # The list is ana's alone: in her export, never in ben's.
    registry, db, now = (
        hearth_unstarted.bot.personal_data,
        hearth_unstarted.bot.db,
        hearth_unstarted.clock.now(),
    )
    hers = json.dumps(await registry.export(db, f["ana"].id, now))
    assert "listening_pair_avoid" in hers
    assert str(f["ben"].id) in hers
    his = await registry.export(db, f["ben"].id, now)
    assert "listening_pair_avoid" not in json.dumps(his)
    assert "listening_pair_people" in json.dumps(his)  # his own pairing history
    assert str(f["ana"].id) not in json.dumps(his)

    # Cal deletes everything: his pairing history goes, and he's not paired again…
    asked = await f["cal"].slash("privacy delete")
    clicked = await f["cal"].click(asked, "Delete everything")
    message = clicked.message
    assert message is not None
    await fake_discord.until(
        lambda: "Deleting" not in message.text and len(message.history) >= 2, timeout=5
    )
    db = hearth_unstarted.bot.db
    assert (
        await db.fetchval(
            "SELECT COUNT(*) FROM listening_pair_people WHERE user_id = ?", (f["cal"].id,)
        )
        == 0
    )
    round_id = await w.round()
    assert all(f["cal"].id not in p.people for p in await w.pairs(round_id))

    # …until he joins again.
    await f["cal"].slash("listen pairs join")
    round_id = await w.round()
    assert any(f["cal"].id in p.people for p in await w.pairs(round_id))


async def test_pairs_commands_refuse_kindly(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    w = await make_world(fake_discord, hearth_unstarted, names=("ana", "ben"))
    f = w.friends
    self_avoid = await f["ana"].slash("listen pairs avoid", member=f["ana"])
    assert "That's you" in self_avoid.text
    not_there = await f["ana"].slash("listen pairs allow", member=f["ben"])
    assert "aren't on your list" in not_there.text
    paused = await w.admin.slash("listen pairs pause")
    assert "Paused" in paused.text
    assert hearth_unstarted.bot.scheduler.due(w.job) is None
    again = await w.admin.slash("listen pairs pause")
    assert "nothing to pause" in again.text
    resumed = await w.admin.slash("listen pairs resume")
    assert "Welcome back" in resumed.text
    assert hearth_unstarted.bot.scheduler.due(w.job) is not None
    left = await f["ben"].slash("listen pairs leave")
    assert "won't be paired" in left.text


async def test_a_lost_group_channel_pauses_the_rounds(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    w = await make_world(fake_discord, hearth_unstarted, names=("ana", "ben"))
    fake_discord.expect_errors(10003)
    await w.channel.delete()
    due = hearth_unstarted.bot.scheduler.due(w.job)
    assert due is not None
    hearth_unstarted.clock.set(due)
    assert await hearth_unstarted.fire(w.job)
    s = await store.get_schedule(hearth_unstarted.bot.db, w.guild.id)
    assert s is not None
    assert s.status is ScheduleStatus.PAUSED
    assert hearth_unstarted.bot.scheduler.due(w.job) is None
    shown = await w.admin.slash("hearth settings", channel=w.guild.add_text_channel("other"))
    assert "paused" in shown.text


async def test_the_boundaries_panel_offers_listening_pairs_declared_by_the_practice(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    """The practice declares its opt-in (`opt_ins` on the cog); the core lists it in
    everyone's panel, and choosing it there is joining."""
    w = await make_friends(fake_discord, hearth_unstarted, ("ana", "ben"), start=MONDAY)
    ana = w.friends["ana"]
    panel = await ana.slash("boundaries mine")
    assert "▫️ Listening pairs" in panel.text
    picked = await ana.select(
        panel, "What you take part in here (nothing chosen)", ["prompts", "pairing"]
    )
    assert "Listening pairs" in picked.content
    assert await w.bot.boundaries.participates(w.guild.id, ana.id, "pairing")
    status = await ana.slash("listen pairs status")
    assert "You're in listening pairs" in status.text
    again = await ana.slash("boundaries mine")
    assert "✅ Listening pairs" in again.text
    left = await ana.slash("listen pairs leave")
    assert "won't be paired" in left.text
    assert "▫️ Listening pairs" in (await ana.slash("boundaries mine")).text
