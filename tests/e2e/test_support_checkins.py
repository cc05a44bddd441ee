"""End to end through the emulator: opting in to DM check-ins, the check-in arriving at
the person's own time (after a restart too), answers and history, quiet hours and pauses
that defer, closed DMs, and buttons that only their owner can use."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from PIL import Image

from bot import guilds
from bot.timeutil import UTC
from cogs.support import chart, store
from tests.e2e.conftest import Friends, make_friends
from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

# Monday 12 January 2026, 06:00 in Berlin (UTC+1 in winter).
MONDAY_EARLY = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)
NINE_BERLIN = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
MOODS = ["Rough", "Low", "Okay", "Good", "Great"]


@dataclass
class World(Friends):
    """The friends' server (tests/e2e/conftest.py), not set up: check-ins need no channel."""

    def job(self, who: FakeMember) -> str:
        return f"checkin:{who.user.id}"

    async def run_until(self, when: datetime) -> list[str]:
        self.hearth.clock.set(when)
        return await self.hearth.run_due()

    async def opt_in(self, who: FakeMember, **options: object) -> str:
        values: dict[str, object] = {
            "frequency": "daily",
            "time": "09:00",
            "timezone": "Europe/Berlin",
        }
        values.update(options)
        r = await who.slash("checkin start", **values)
        assert r.ephemeral
        return r.text


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    base = await make_friends(
        fake_discord,
        hearth_unstarted,
        ("Aurelia", "Bramwell"),
        start=MONDAY_EARLY,
        channel="general",
        set_up=False,
    )
    return World(**vars(base))


def button_labels(message: FakeMessage) -> list[str]:
    return [b.get("label", "") for b in message.buttons]


async def test_opt_in_then_the_check_in_arrives_at_nine_my_time_after_a_restart_too(
    world: World,
) -> None:
    ana = world.ana
    said = await world.opt_in(ana)
    assert "every day at 09:00 (Europe/Berlin)" in said
    assert ana.dms() == []  # opting in sends nothing by itself
    due = world.hearth.bot.scheduler.due(world.job(ana))
    assert due is not None
    assert NINE_BERLIN <= due < NINE_BERLIN + timedelta(minutes=2)  # 09:00 plus a small spread

    await world.hearth.restart()
    assert world.hearth.bot.scheduler.due(world.job(ana)) == due  # rebuilt from the database
    assert await world.run_until(NINE_BERLIN - timedelta(seconds=1)) == []
    assert ana.dms() == []
    assert await world.run_until(due) == [world.job(ana)]

    dm = await world.fake.wait_for_message(ana)
    assert "How are you, really?" in dm.text
    assert button_labels(dm) == [*MOODS, "Add a few words", "Skip today", "Stop check-ins"]
    assert world.ben.dms() == []  # Ben never opted in

    # Buttons on an old DM keep working after a restart.
    await world.hearth.restart()
    db = world.hearth.bot.db
    commits = db.transactions
    r = await ana.click(dm, "Good")
    assert r.type == 7  # the check-in itself updates
    assert "Good" in r.text
    assert "Thanks" in r.text
    opened = await ana.click(dm, "Add a few words")
    assert opened.modal is not None
    r = await ana.submit_modal(opened, {"What's on your mind?": "Slept well, long walk."})
    assert "only you can see them" in r.text
    assert db.transactions - commits == 2  # one write per answer

    rows = await store.history(world.hearth.bot.db, ana.user.id, 30)
    assert [(row.mood, row.note) for row in rows] == [(4, "Slept well, long walk.")]

    history = await ana.slash("checkin history")
    assert history.ephemeral
    assert "Good" in history.text
    assert "Slept well, long walk." in history.text
    message = history.message
    assert message is not None
    [png] = message.attachments
    assert png.filename == "mood.png"
    assert len(png.data) > 1000
    assert Image.open(io.BytesIO(png.data)).size == chart.SIZE
    assert history.embed is not None
    assert history.embed["image"]["url"] == "attachment://mood.png"

    # A year on, the answers are gone by themselves (the core's daily sweep).
    assert world.hearth.bot.scheduler.due("retention:daily") is not None
    world.hearth.clock.set(due + timedelta(days=366))
    assert await world.hearth.fire("retention:daily")
    assert await store.history(world.hearth.bot.db, ana.user.id, 30) == []
    world.hearth.clock.set(due)

    # And the next one comes tomorrow at nine, once.
    tomorrow = world.hearth.bot.scheduler.due(world.job(ana))
    assert tomorrow is not None
    assert tomorrow - due == timedelta(days=1)
    await world.run_until(tomorrow)
    await world.run_until(tomorrow + timedelta(hours=1))
    assert len(ana.dms()) == 2


async def test_a_skip_and_stop_from_the_dm_itself(world: World) -> None:
    ana = world.ana
    await world.opt_in(ana)
    due = world.hearth.bot.scheduler.due(world.job(ana))
    assert due is not None
    await world.run_until(due)
    dm = await world.fake.wait_for_message(ana)
    r = await ana.click(dm, "Skip today")
    assert "skipped" in r.text
    r = await ana.click(dm, "Stop check-ins")
    assert "Check-ins are off" in r.text
    assert dm.buttons == []
    assert world.hearth.bot.scheduler.due(world.job(ana)) is None
    await world.run_until(due + timedelta(days=3))
    assert len(ana.dms()) == 1  # one click, and no more check-ins
    assert not await world.hearth.bot.boundaries.participates(
        world.guild.id, ana.user.id, "checkins"
    )
    again = await ana.slash("checkin stop")
    assert "already off" in again.text


async def test_check_in_now_and_other_frequencies(world: World) -> None:
    ana = world.ana
    refused = await ana.slash("checkin now")
    assert "Start with `/checkin start`" in refused.text
    assert ana.dms() == []
    said = await world.opt_in(ana, frequency="twice_weekly", day=3, time="7pm")
    assert "on Thursdays and Sundays at 19:00" in said
    r = await ana.slash("checkin now")
    assert r.deferred
    assert r.ephemeral
    assert "it's in your DMs" in (await r.wait_followup()).text
    dm = await world.fake.wait_for_message(ana)
    assert "How are you, really?" in dm.text
    due = world.hearth.bot.scheduler.due(world.job(ana))
    thursday_seven_pm = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
    assert due is not None
    assert timedelta(0) <= due - thursday_seven_pm < timedelta(minutes=2)


async def test_quiet_hours_defer_and_a_pause_waits_never_dropped(world: World) -> None:
    ana = world.ana
    bot = world.hearth.bot
    await world.opt_in(ana, time="06:30")
    await write(
        bot.boundaries.db, bot.boundaries.set_quiet_hours, ana.user.id, time(22, 0), time(7, 0)
    )
    due = bot.scheduler.due(world.job(ana))
    assert due is not None  # Monday 06:30 Berlin: inside her quiet hours
    assert await world.run_until(due) == [world.job(ana)]
    assert ana.dms() == []
    later = bot.scheduler.due(world.job(ana))
    seven = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)  # 07:00 Berlin, when quiet hours end
    assert later is not None
    assert seven <= later < seven + timedelta(minutes=2)
    await world.run_until(later)
    dm = await world.fake.wait_for_message(ana)
    assert "How are you, really?" in dm.text

    # Paused for a day: Tuesday's check-in waits for the first time after the pause
    # (Wednesday 06:30, still quiet, so 07:00) — one check-in, not a pile of them.
    await write(bot.boundaries.db, bot.boundaries.pause_for, ana.user.id, "day")
    tuesday = bot.scheduler.due(world.job(ana))
    assert tuesday is not None
    assert tuesday.day == 13
    await world.run_until(tuesday)
    assert len(ana.dms()) == 1
    after_pause = bot.scheduler.due(world.job(ana))
    assert after_pause is not None
    assert after_pause.day == 14
    await world.run_until(after_pause)  # 06:30: quiet hours again
    assert len(ana.dms()) == 1
    await world.run_until(datetime(2026, 1, 14, 6, 2, tzinfo=UTC))
    assert len(ana.dms()) == 2


async def test_closed_dms_get_one_attempt_and_one_notice(world: World) -> None:
    fake, ana = world.fake, world.ana
    fake.expect_errors(50007)
    await world.opt_in(ana)
    ana.close_dms()
    due = world.hearth.bot.scheduler.due(world.job(ana))
    assert due is not None
    await world.run_until(due)

    def attempts() -> int:
        return sum(1 for r in fake.requests if r.code == 50007)

    assert attempts() == 1
    for day in range(1, 4):  # no more attempts into a closed inbox
        await world.run_until(due + timedelta(days=day, minutes=5))
    assert attempts() == 1
    rows = await store.history(world.hearth.bot.db, ana.user.id, 30)
    assert [row.status for row in rows] == ["failed"]

    first = await ana.slash("checkin history")
    notice = await first.wait_followup()
    assert notice.ephemeral
    assert "DMs look closed" in notice.text
    assert "Privacy Settings" in notice.text
    second = await ana.slash("support circle list")
    assert "DMs look closed" not in second.text
    await fake.sync()
    assert all("DMs look closed" not in m.text for m in second.followups)


async def test_someone_elses_check_in_buttons_refuse_and_change_nothing(world: World) -> None:
    ana, ben = world.ana, world.ben
    await world.opt_in(ana)
    await world.opt_in(ben)
    await world.run_until(NINE_BERLIN + timedelta(minutes=3))
    anas = await world.fake.wait_for_message(ana)
    bens = await world.fake.wait_for_message(ben)
    anas_id = int(anas.buttons[0]["custom_id"].split(":")[3])

    async def forged(custom_id: str) -> str:
        bens.components[0]["components"][0]["custom_id"] = custom_id
        r = await ben.click(bens, custom_id)
        assert r.ephemeral
        return r.text

    assert "isn't yours" in await forged(f"hearth:ci:mood:{anas_id}:1")
    assert "isn't yours" in await forged(f"hearth:ci:mood:{anas_id + 1000}:1")  # unknown
    assert "doesn't look right" in await forged("hearth:ci:mood:abc:1")  # malformed
    assert "doesn't look right" in await forged(f"hearth:ci:mood:{anas_id}:9")
    assert "isn't yours" in await forged(f"hearth:ci:stop:{anas_id}")
    rows = await store.history(world.hearth.bot.db, ana.user.id, 30)
    assert [(r.status, r.mood) for r in rows] == [("sent", None)]
    schedule = await store.get_schedule(world.hearth.bot.db, ana.user.id)
    assert schedule is not None
    assert schedule.active


async def test_an_unknown_time_zone_is_asked_for_not_guessed(world: World) -> None:
    r = await world.ana.slash("checkin start", frequency="daily")
    assert "What's your time zone?" in r.text
    assert r.buttons
    assert r.buttons[0]["label"] == "Set my time zone"
    assert await store.get_schedule(world.hearth.bot.db, world.ana.user.id) is None
    bad = await world.ana.slash("checkin start", frequency="daily", timezone="Atlantis/Nowhere")
    assert "I don't know the time zone" in bad.text
    choices = await world.ana.autocomplete("checkin start", "timezone", "berl")
    assert any(c["value"] == "Europe/Berlin" for c in choices)


async def test_a_server_that_switched_support_off_starts_nothing_new(world: World) -> None:
    bot = world.hearth.bot
    await world.opt_in(world.ana)  # before the admins switched it off
    general = world.guild.text_channels[0]
    await write(
        bot.db,
        guilds.save_setup,
        world.guild.id,
        channel_id=general.id,
        timezone="Europe/Berlin",
        prompt_weekday=6,
        prompt_time=time(18, 0),
        now=bot.clock.now(),
    )
    await write(bot.db, guilds.set_practices, world.guild.id, {"listening", "sharing"})
    refused = await world.ben.slash("checkin start", frequency="daily", timezone="Europe/Berlin")
    assert "switched off in this server" in refused.text
    assert await store.get_schedule(bot.db, world.ben.user.id) is None
    invite = await world.ben.slash("support circle add", friend=world.ana)
    assert "switched off in this server" in invite.text
    stopped = await world.ana.slash("checkin stop")  # opting out always works
    assert "Check-ins are off" in stopped.text
