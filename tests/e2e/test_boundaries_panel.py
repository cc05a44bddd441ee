"""End to end through the emulator: the private boundaries panel, time zones, quiet hours,
pause, and kind answers to bad input."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import discord
import pytest
from discord import app_commands

from bot import guilds
from bot.boundaries import PersonPrefs, ensure_timezone, timezone_ask_view
from bot.timeutil import UTC
from tests.e2e.conftest import NOON, Friends, make_friends
from tests.fakediscord import (
    FakeChannel,
    FakeDiscord,
    InteractionResult,
    NotPermitted,
)
from tests.fakediscord.harness import HearthHarness
from tests.writes import write


@dataclass
class World(Friends):
    """The friends' server (tests/e2e/conftest.py), not set up: boundaries need none."""

    @property
    def general(self) -> FakeChannel:
        return self.channel


@pytest.fixture
async def friends(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    base = await make_friends(
        fake_discord, hearth_unstarted, ("Aurelia", "Bramwell"), channel="general", set_up=False
    )
    return World(**vars(base))


async def test_every_control_changes_your_own_panel_and_nobody_elses(friends: World) -> None:
    ana, ben = friends.ana, friends.ben
    bens_view = (await ben.slash("boundaries mine")).text
    panel = await ana.slash("boundaries mine")
    assert panel.ephemeral
    assert "Only you can see this" in panel.text
    with pytest.raises(NotPermitted):
        await ben.click(panel, "Allow DMs")  # Ben can't even see Ana's panel

    r = await ana.select(panel, "Your comfort depth here", ["2"])
    assert "no deeper than **2 · Personal**" in r.content
    r = await ana.select(r, "Topics to skip here (none chosen)", ["Money", "Family"])
    assert "family and money" in r.content
    r = await ana.select(r, "What you take part in here (nothing chosen)", ["prompts", "checkins"])
    assert "allowed DMs" in r.content  # check-ins come by DM: said, not hidden
    r = await ana.click(r, "Stop DMs")
    assert r.content == "Saved — no DMs from Hearth."
    r = await ana.click(r, "Allow DMs")
    assert "may DM you" in r.content

    opened = await ana.click(r, "Quiet hours…")
    assert opened.modal is not None
    r = await ana.submit_modal(
        opened, {"Quiet from": "10pm", "Until": "7:00", "Your time zone": "Berlin"}
    )
    assert "quiet hours 22:00–07:00 (Europe/Berlin)" in r.content
    r = await ana.click(r, "No quiet hours")
    assert r.content == "Saved — no quiet hours."
    opened = await ana.click(r, "Quiet hours…")
    assert opened.modal is not None
    assert [f.label for f in opened.modal.fields] == ["Quiet from", "Until"]  # zone known now
    r = await ana.submit_modal(opened, {"Quiet from": "23:00", "Until": "06:30"})
    assert "23:00–06:30" in r.content

    opened = await ana.click(r, "Time zone…")
    r = await ana.submit_modal(opened, {"City or time zone": "Lisbon"})
    assert "your time zone is Europe/Lisbon (it's 12:00 there now)" in r.content

    r = await ana.click(r, "Pause for a week")
    assert r.content.startswith("Paused until <t:")
    r = await ana.click(r, "Resume")
    assert r.content == "Welcome back — you're no longer paused."
    r = await ana.click(r, "Pause until I resume")
    assert r.content.startswith("Paused until you resume")

    again = await ana.slash("boundaries mine")
    for shown in (
        "2 · Personal",
        "Family, Money",
        "✅ DM check-ins",
        "✅ Weekly group prompts",
        "▫️ Phones-down reminders",
        "Europe/Lisbon",
        "23:00–06:30",
        "Allowed",
        "Paused until you resume",
    ):
        assert shown in again.text
    assert again.buttons[-1]["label"] == "Resume"

    assert (await ben.slash("boundaries mine")).text == bens_view
    # Every word about it went to Ana alone: nothing public but the welcome on joining.
    public = [m for m in friends.general.bot_messages if not m.ephemeral]
    assert [m.embed["title"] for m in public if m.embed] == ["Hi, I'm Hearth"]
    private = [
        m
        for m in friends.fake.messages.values()
        if m.channel is friends.general and m.author is friends.fake.bot_user and m.ephemeral
    ]
    assert {m.ephemeral_for for m in private} == {ana.id, ben.id}
    assert not [m for m in private if m.ephemeral_for == ben.id and "Personal" in m.text]
    assert friends.fake.dms_to(ana) == []


async def test_bad_input_gets_a_kind_answer_and_changes_nothing(friends: World) -> None:
    ana = friends.ana
    boundaries = friends.hearth.bot.boundaries
    r = await ana.slash("boundaries timezone", zone="Atlantis/Lost_City")
    assert r.ephemeral
    assert "I don't know the time zone" in r.text

    panel = await ana.slash("boundaries mine")
    for start, end, zone, words in [
        ("22:00", "22:00", "Berlin", "different start and end times"),  # empty
        ("07:00", "06:00", "Berlin", "Did you mean 06:00 to 07:00?"),  # the wrong way round
        ("25:61", "06:00", "Berlin", "Quiet from: Hours go up to 23"),
        ("22:00", "07:00", "Narnia", "I don't know the time zone"),
    ]:
        opened = await ana.click(panel, "Quiet hours…")
        r = await ana.submit_modal(
            opened, {"Quiet from": start, "Until": end, "Your time zone": zone}
        )
        assert r.ephemeral
        assert words in r.text
        assert r.type == 4  # a new private note; the panel itself is left as it was
    assert await boundaries.person(ana.id) == PersonPrefs(ana.id)
    assert "Not set yet" in (await ana.slash("boundaries mine")).text


async def test_time_zone_autocomplete_and_an_unclear_answer(friends: World) -> None:
    ana = friends.ana
    choices = await ana.autocomplete("boundaries timezone", "zone", "berl")
    assert choices[0]["value"] == "Europe/Berlin"
    assert "UTC+01:00" in choices[0]["name"]
    assert len(choices) <= 25
    r = await ana.slash("boundaries timezone", zone=choices[0]["value"])
    assert "Europe/Berlin (it's 13:00 there now)" in r.text

    panel = await ana.slash("boundaries mine")
    opened = await ana.click(panel, "Time zone…")
    assert opened.modal is not None
    assert opened.modal.field("City or time zone").value == "Europe/Berlin"
    picks = await ana.submit_modal(opened, {"City or time zone": "Indiana"})
    assert "which one is yours" in picks.text
    r = await ana.select(picks, "Pick your time zone", ["America/Indiana/Indianapolis"])
    assert "America/Indiana/Indianapolis" in r.content
    assert await friends.hearth.bot.boundaries.timezone_of(ana.id) == (
        "America/Indiana/Indianapolis"
    )


async def test_any_feature_can_ask_for_a_time_zone_and_the_button_survives_a_restart(
    friends: Friends,
) -> None:
    ana, hearth = friends.ana, friends.hearth

    def add_feature() -> None:
        # Stands in for a later practice that needs the person's clock.
        @app_commands.command(name="needs-zone", description="A feature that needs a time zone")
        async def needs_zone(interaction: discord.Interaction) -> None:
            zone = await ensure_timezone(interaction, why="So reminders come at a kind hour.")
            if zone is not None:
                await interaction.response.send_message(f"Using {zone}.", ephemeral=True)

        hearth.bot.tree.add_command(needs_zone)

    add_feature()
    await hearth.bot.tree.sync()
    asked = await ana.slash("needs-zone")
    assert asked.ephemeral
    assert "What's your time zone? So reminders come at a kind hour." in asked.text
    opened = await ana.click(asked, "Set my time zone")
    r = await ana.submit_modal(opened, {"City or time zone": "Tokyo"})
    assert "Asia/Tokyo" in r.text
    assert (await ana.slash("needs-zone")).text == "Using Asia/Tokyo."

    # The same button in a DM keeps working after a restart.
    user = await hearth.bot.fetch_user(ana.id)
    await user.send("Shall I use your own clock?", view=timezone_ask_view())
    dm = await friends.fake.wait_for_dm(ana)
    await hearth.restart()
    opened = await ana.click(dm, "Set my time zone")
    assert opened.modal is not None
    r = await ana.submit_modal(opened, {"City or time zone": "Lisbon"})
    assert "Europe/Lisbon" in r.text
    assert await hearth.bot.boundaries.timezone_of(ana.id) == "Europe/Lisbon"


async def test_quiet_hours_hold_a_dm_until_they_end_and_a_pause_drops_it(
    friends: Friends,
) -> None:
    ana, ben, hearth, fake = friends.ana, friends.ben, friends.hearth, friends.fake
    for who in (ana, ben):
        panel = await who.slash("boundaries mine")
        r = await who.click(panel, "Allow DMs")
        opened = await who.click(r, "Quiet hours…")
        await who.submit_modal(
            opened, {"Quiet from": "22:00", "Until": "07:00", "Your time zone": "Berlin"}
        )
    panel = await ben.slash("boundaries mine")
    await ben.click(panel, "Pause for a day")
    bot = hearth.bot
    sent: list[int] = []

    async def check_in(user_id: int) -> None:
        # A later feature's DM job: it asks the boundaries again when it runs.
        if await bot.boundaries.may_dm(user_id):
            person = await bot.fetch_user(user_id)
            await person.send("Thinking of you — how's your week going?")
            sent.append(user_id)

    hearth.clock.set(datetime(2026, 1, 12, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    for who in (ana, ben):
        when = await bot.boundaries.next_dm_time(who.id)
        if when is not None:
            bot.scheduler.at(f"test:dm:{who.id}", when, check_in, who.id)
    assert bot.scheduler.due(f"test:dm:{ana.id}") == datetime(2026, 1, 13, 6, 0, tzinfo=UTC)
    assert bot.scheduler.due(f"test:dm:{ben.id}") is None  # paused: not later, not at all
    mine = f"test:dm:{ana.id}"
    assert mine not in await bot.scheduler.run_due()
    hearth.advance(hours=7, minutes=29)
    assert mine not in await bot.scheduler.run_due()
    hearth.advance(minutes=1)  # 07:00 in Berlin
    assert mine in await bot.scheduler.run_due()
    assert sent == [ana.id]
    assert [m.content for m in fake.dms_to(ana)] == ["Thinking of you — how's your week going?"]
    assert fake.dms_to(ben) == []
    assert to_berlin(hearth.clock.now()) == time(7, 0)


def to_berlin(dt: datetime) -> time:
    from bot.timeutil import to_local

    return to_local(dt, "Europe/Berlin").time()


async def test_a_closed_inbox_stops_dms_until_they_come_back(friends: World) -> None:
    ana, hearth, fake = friends.ana, friends.hearth, friends.fake
    panel = await ana.slash("boundaries mine")
    await ana.click(panel, "Allow DMs")
    ana.close_dms()
    fake.expect_errors(50007)
    bot = hearth.bot
    user = await bot.fetch_user(ana.id)
    with pytest.raises(discord.Forbidden) as failed:
        await user.send("Hello from Hearth")
    assert failed.value.code == 50007
    await write(bot.boundaries.db, bot.boundaries.mark_dm_unreachable, ana.id)
    assert not await bot.boundaries.may_dm(ana.id)
    hearth.advance(minutes=10)
    await ana.slash("boundaries group")  # using Hearth again, the same day
    assert await bot.boundaries.may_dm(ana.id)
    assert timedelta(0) < hearth.clock.now() - NOON < timedelta(days=1)


async def test_each_interaction_costs_at_most_one_write(friends: World) -> None:
    ana, db = friends.ana, friends.hearth.bot.db

    # Let start-up's own writes (recording that Hearth joined) finish before counting.
    async def joined() -> bool:
        return friends.guild.id in await guilds.known_ids(db)

    await friends.fake.until(joined, what="Hearth's record of joining the server")
    assert await friends.hearth.bot.outbox.idle()  # …and its welcome, with its own write
    writes: list[int] = []

    async def counted(step: Awaitable[InteractionResult]) -> InteractionResult:
        before = db.transactions
        result = await step
        writes.append(db.transactions - before)
        return result

    r = await counted(ana.slash("boundaries mine"))
    r = await counted(ana.select(r, "Your comfort depth here", ["1"]))
    r = await counted(ana.select(r, "Topics to skip here (none chosen)", ["Money"]))
    r = await counted(ana.select(r, "What you take part in here (nothing chosen)", ["checkins"]))
    r = await counted(ana.click(r, "Stop DMs"))
    opened = await counted(ana.click(r, "Quiet hours…"))
    r = await counted(
        ana.submit_modal(
            opened, {"Quiet from": "22:00", "Until": "07:00", "Your time zone": "Oslo"}
        )
    )
    r = await counted(ana.click(r, "Pause for a day"))
    r = await counted(ana.click(r, "Resume"))
    await counted(ana.slash("boundaries mine"))
    await counted(ana.slash("boundaries group"))
    assert max(writes) == 1
    assert writes[0] == 1  # the first use creates her row; later opens are free
    assert writes[-2:] == [0, 0]
