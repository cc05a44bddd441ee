"""Weekly phones-down sessions and the group's stats, end to end through the emulator."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot import guilds
from cogs.phones_down import store
from tests.e2e.test_phones_down import World, bot_posts, challenge_id, open_lobby
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness
from tests.fakediscord.models import FakeMessage
from tests.writes import write

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY = 6
# Friday before Europe's clocks go forward (Sunday 2026-03-29, 02:00 → 03:00).
FRIDAY = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
async def world(hearth: HearthHarness, fake_discord: FakeDiscord) -> World:
    hearth.clock.set(FRIDAY)
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("hearth")
    general = guild.add_text_channel("general")
    alice = guild.add_member("alice", admin=True)
    bob = guild.add_member("bob")
    cara = guild.add_member("cara")
    dan = guild.add_member("dan")
    await fake_discord.add_bot_to(guild)
    await fake_discord.sync()
    setup = await alice.slash("hearth setup", {"channel": chan}, timezone="Europe/Berlin")
    assert "Hearth is set up" in setup.text
    return World(guild, chan, general, alice, bob, cara, dan)


async def scheduled(hearth: HearthHarness, w: World, **options: object) -> store.Session:
    r = await w.alice.slash("phonesdown schedule", **options)
    assert r.ephemeral, r
    assert "Weekly phones-down time is set" in r.text, r.text
    sessions = await store.guild_sessions(hearth.bot.db, w.guild.id)
    return sessions[-1]


def local(dt: datetime | None) -> str:
    assert dt is not None
    return dt.astimezone(BERLIN).strftime("%a %Y-%m-%d %H:%M %Z")


def pd_post(fake: FakeDiscord, w: World) -> FakeMessage:
    posts = [
        m
        for m in bot_posts(fake, w.chan)
        if any("hearth:pd:" in b.get("custom_id", "") for b in m.buttons)
    ]
    return posts[-1]


async def test_reminder_and_start_keep_local_time_across_the_dst_change(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    bnd = hearth.bot.boundaries
    await write(bnd.db, bnd.set_opt_in, w.guild.id, w.bob.id, "phones_down", True)
    await write(bnd.db, bnd.set_opt_in, w.guild.id, w.cara.id, "phones_down", True)
    await write(bnd.db, bnd.set_timezone, w.cara.id, "Europe/Berlin")
    await write(bnd.db, bnd.set_quiet_hours, w.cara.id, time(22, 0), time(10, 0))  # asleep at 09:45
    s = await scheduled(
        hearth, w, weekday=SUNDAY, time="10:00", duration="1h", title="Sunday reset"
    )
    sched = hearth.bot.scheduler
    rem, ses = f"phonesdown:reminder:{s.session_id}", f"phonesdown:session:{s.session_id}"
    assert local(sched.due(rem)) == "Sun 2026-03-22 09:45 CET"
    assert local(sched.due(ses)) == "Sun 2026-03-22 10:00 CET"

    hearth.clock.set(sched.due(rem))  # type: ignore[arg-type]
    assert await hearth.fire(rem)
    card = pd_post(fake_discord, w)
    assert card.content.startswith("Phones-down time soon")
    assert w.bob.mention in card.content
    assert card.pings(w.bob)
    assert not card.pings(w.cara)  # in her quiet hours
    assert not card.pings(w.dan)  # never asked for reminders
    assert not card.pings(w.alice)
    assert [b["label"] for b in card.buttons] == ["Join", "Leave"]  # no one to "Start now"
    assert "Sunday reset" in card.text
    assert await hearth.fire(rem) is False  # done, and not armed twice
    for friend in (w.bob, w.dan):
        assert "You're in" in (await friend.click(card, "Join")).content

    hearth.clock.set(sched.due(ses))  # type: ignore[arg-type]
    assert await hearth.fire(ses)
    assert "**2** friends are in" in card.text
    cid = challenge_id(card)
    assert local(sched.due(f"phonesdown:end:{cid}")) == "Sun 2026-03-22 11:00 CET"
    # Next week the clocks have gone forward; the local times stay put.
    assert local(sched.due(rem)) == "Sun 2026-03-29 09:45 CEST"
    assert local(sched.due(ses)) == "Sun 2026-03-29 10:00 CEST"
    assert sched.due(ses) - sched.due(f"phonesdown:end:{cid}") == timedelta(days=7, hours=-2)  # type: ignore[operator]

    hearth.advance(hours=1)
    await hearth.fire(f"phonesdown:end:{cid}")
    results = bot_posts(fake_discord, w.chan)[-1]
    assert "All **2** of you made it the whole way" in results.text

    hearth.clock.set(sched.due(rem))  # type: ignore[arg-type]
    await hearth.fire(rem)
    second = pd_post(fake_discord, w)
    assert second is not card
    hearth.clock.set(sched.due(ses))  # type: ignore[arg-type]
    await hearth.fire(ses)
    assert "Nobody joined this time" in second.text
    assert local(sched.due(ses)) == "Sun 2026-04-05 10:00 CEST"


async def test_cancel_removes_both_jobs_and_lets_a_waiting_lobby_go(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    s = await scheduled(hearth, w, weekday=SUNDAY, time="19:00", duration="45m", reminder="1h")
    sched = hearth.bot.scheduler
    ids = [f"phonesdown:reminder:{s.session_id}", f"phonesdown:session:{s.session_id}"]
    assert all(sched.job_ids(i) == [i] for i in ids)
    assert local(sched.due(ids[0])) == "Sun 2026-03-22 18:00 CET"

    refused = await w.bob.slash("phonesdown cancel", session=s.session_id)
    assert "for server admins" in refused.content
    listed = await w.bob.slash("phonesdown list")
    assert f"#{s.session_id}" in listed.text
    assert "45 minutes" in listed.text
    choices = await w.alice.autocomplete("phonesdown cancel", "session", "")
    assert [c["value"] for c in choices] == [s.session_id]

    hearth.clock.set(sched.due(ids[0]))  # type: ignore[arg-type]
    await hearth.fire(ids[0])
    card = pd_post(fake_discord, w)
    done = await w.alice.slash("phonesdown cancel", session=s.session_id)
    assert "stopped" in done.content
    assert sched.job_ids("phonesdown:") == []
    assert "stopped by an admin" in card.text
    assert card.buttons == []
    assert "No weekly phones-down times" in (await w.bob.slash("phonesdown list")).content
    again = await w.alice.slash("phonesdown cancel", session=s.session_id)
    assert "can't find that weekly time" in again.content


async def test_quiet_weeks_pause_the_schedule_and_tell_the_admins(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    s = await scheduled(hearth, w, weekday=SUNDAY, time="19:00", duration="30m")
    sched = hearth.bot.scheduler
    rem, ses = f"phonesdown:reminder:{s.session_id}", f"phonesdown:session:{s.session_id}"
    cards = []
    for _ in range(3):
        hearth.clock.set(sched.due(rem))  # type: ignore[arg-type]
        await hearth.fire(rem)
        cards.append(pd_post(fake_discord, w))
        hearth.clock.set(sched.due(ses))  # type: ignore[arg-type]
        await hearth.fire(ses)
    assert len(set(map(id, cards))) == 3
    assert all("Nobody joined this time" in c.text for c in cards)
    assert "paused" not in cards[1].text
    assert "paused this weekly session" in cards[2].text
    assert sched.job_ids("phonesdown:") == []
    settings = await w.alice.slash("hearth settings")
    assert "paused after a few quiet weeks" in settings.text
    back = await w.alice.slash("phonesdown resume", session=s.session_id)
    assert "Welcome back" in back.content
    assert sched.job_ids(ses) == [ses]
    assert sched.job_ids(rem) == [rem]


async def test_a_reminder_that_cannot_be_posted_pauses_the_schedule(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    fake_discord.expect_errors(50013)
    s = await scheduled(hearth, w, weekday=SUNDAY, time="19:00", duration="30m")
    w.chan.deny_bot(send_messages=True)
    await fake_discord.sync()
    sched = hearth.bot.scheduler
    rem = f"phonesdown:reminder:{s.session_id}"
    hearth.clock.set(sched.due(rem))  # type: ignore[arg-type]
    await hearth.fire(rem)
    paused = await store.get_session(hearth.bot.db, s.session_id)
    assert paused is not None
    assert (paused.status, paused.pause_reason) == ("paused", "channel")
    assert sched.job_ids("phonesdown:") == []
    assert await store.live_in_channel(hearth.bot.db, w.chan.id) is None
    notes = await w.alice.slash("hearth settings")
    assert "couldn't post in" in notes.text


async def test_stats_draw_the_forest_and_keep_personal_numbers_private(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    empty = await w.dan.slash("phonesdown stats")
    await empty.wait_original()
    assert "No phones-down time here yet" in (empty.message.text if empty.message else "")

    card = await open_lobby(w.alice, duration="40m")
    await w.bob.click(card, "Join")
    cid = challenge_id(card)
    hearth.advance(minutes=2)
    await hearth.fire(f"phonesdown:start:{cid}")
    hearth.advance(minutes=40)
    await hearth.fire(f"phonesdown:end:{cid}")

    mine = await w.bob.slash("phonesdown stats")
    assert mine.ephemeral
    message = await mine.wait_original()
    [attachment] = message.attachments
    assert attachment.filename == "forest.png"
    assert len(attachment.data) > 1000
    picture = Image.open(io.BytesIO(attachment.data))
    assert picture.format == "PNG"
    assert picture.size == (800, 400)
    assert "1 session" in message.text
    assert "1 hour 20 minutes" in message.text  # the group's phone-free time
    assert "40 minutes" in message.text  # longest session, and bob's own minutes
    assert "Only you can see this" in message.text

    shared = await w.alice.slash("phonesdown stats", share=True)
    public = await shared.wait_original()
    assert not public.ephemeral
    assert public.attachments[0].filename == "forest.png"
    assert "Only you can see this" not in public.text
    private = await shared.wait_followup()
    private = await shared.wait_followup() if private is public else private
    assert private.ephemeral
    assert "Only you can see this" in private.text


async def test_weekly_times_follow_the_servers_time_zone_and_respect_a_switched_off_practice(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: World
) -> None:
    w = world
    s = await scheduled(hearth, w, weekday=SUNDAY, time="10:00", duration="1h")
    sched = hearth.bot.scheduler
    rem, ses = f"phonesdown:reminder:{s.session_id}", f"phonesdown:session:{s.session_id}"
    await w.alice.slash("hearth setup", {"channel": w.chan}, timezone="America/New_York")
    new_york = ZoneInfo("America/New_York")

    async def moved() -> bool:
        due = sched.due(ses)
        return due is not None and due.astimezone(new_york).hour == 10

    await fake_discord.until(moved, what="the weekly time to follow the new zone")
    assert sched.due(ses) == datetime(2026, 3, 22, 14, 0, tzinfo=UTC)  # 10:00 in New York
    assert sched.due(rem) == datetime(2026, 3, 22, 13, 45, tzinfo=UTC)

    await write(hearth.bot.db, guilds.set_practices, w.guild.id, {"sharing"})
    before = len(bot_posts(fake_discord, w.chan))
    hearth.clock.set(sched.due(rem))  # type: ignore[arg-type]
    await hearth.fire(rem)
    hearth.clock.set(sched.due(ses))  # type: ignore[arg-type]
    await hearth.fire(ses)
    assert len(bot_posts(fake_discord, w.chan)) == before  # nothing posted while it's off
    assert sched.due(ses) == datetime(2026, 3, 29, 14, 0, tzinfo=UTC)  # still weekly
    off = await w.bob.slash("phonesdown start", duration="30m")
    assert "switched off in this server" in off.content
