"""End to end: every command that takes a time zone understands it the same way — a city,
an IANA name in any case, an everyday alias — and a misspelling gets the closest places
suggested back, changing nothing."""

from __future__ import annotations

from typing import Any

from bot import guilds
from tests.fakediscord import FakeChannel, FakeDiscord, FakeMember
from tests.fakediscord.harness import HearthHarness

SUGGESTED = "Did you mean Berlin, Germany (Europe/Berlin)?"


async def set_up_zone(admin: FakeMember, chan: FakeChannel, zone: str) -> Any:
    return await admin.slash("hearth setup", {"channel": chan, "timezone": zone})


async def my_zone(hearth: HearthHarness, member: FakeMember) -> str | None:
    return await hearth.bot.boundaries.timezone_of(member.id)


async def test_every_command_that_takes_a_zone_reads_it_alike(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("hearth")
    admin = guild.add_member("ada", admin=True)
    ben = guild.add_member("ben")
    cat = guild.add_member("cat")
    hearth = hearth_unstarted
    await hearth.start()

    # /hearth setup: "Berlin" is Berlin, as it is for /boundaries timezone.
    r = await set_up_zone(admin, chan, "Berlin")
    assert "Hearth is set up" in r.text
    assert "(Europe/Berlin)" in r.text
    saved = await guilds.get(hearth.bot.db, guild.id)
    assert saved is not None
    assert saved.timezone == "Europe/Berlin"
    for typed, stored in (("new york", "America/New_York"), ("europe/berlin", "Europe/Berlin")):
        r = await set_up_zone(admin, chan, typed)
        assert "Hearth is set up" in r.text
        saved = await guilds.get(hearth.bot.db, guild.id)
        assert saved is not None
        assert saved.timezone == stored

    # A slip of the keyboard: refused kindly, the closest place suggested, nothing changed.
    r = await set_up_zone(admin, chan, "Berlln")
    assert r.ephemeral
    assert "I don't know the time zone “Berlln”" in r.text
    assert SUGGESTED in r.text
    saved = await guilds.get(hearth.bot.db, guild.id)
    assert saved is not None
    assert saved.timezone == "Europe/Berlin"

    # /boundaries timezone: the same answers, word for word.
    r = await ben.slash("boundaries timezone", zone="Berlln")
    assert r.ephemeral
    assert SUGGESTED in r.text
    assert await my_zone(hearth, ben) is None
    r = await ben.slash("boundaries timezone", zone="Berlin")
    assert await my_zone(hearth, ben) == "Europe/Berlin"

    # /checkin start: the same again; nothing is started on a zone it doesn't know.
    r = await cat.slash("checkin start", frequency="daily", timezone="Berlln")
    assert r.ephemeral
    assert SUGGESTED in r.text
    assert await my_zone(hearth, cat) is None
    assert hearth.bot.scheduler.due(f"checkin:{cat.id}") is None
    r = await cat.slash("checkin start", frequency="daily", timezone="BERLIN")
    assert "Check-ins are on" in r.text
    assert await my_zone(hearth, cat) == "Europe/Berlin"

    # Every autocomplete offers the same places, the misspelling's closest first.
    for who, command, option in (
        (admin, "hearth setup", "timezone"),
        (ben, "boundaries timezone", "zone"),
        (cat, "checkin start", "timezone"),
    ):
        choices = await who.autocomplete(command, option, "Berlln")
        assert choices
        assert choices[0]["value"] == "Europe/Berlin", command
        assert choices[0]["name"].startswith("Berlin, Germany (Europe/Berlin) · UTC+")

    # The time zone box in /boundaries mine: a misspelling gets a short list to pick from.
    panel = await ben.slash("boundaries mine")
    opened = await ben.click(panel, "Time zone…")
    typed = await ben.submit_modal(opened, {"City or time zone": "Amsterdm"})
    assert "which one is yours" in typed.text
    picked = await ben.select(typed, "Pick your time zone", ["Europe/Amsterdam"])
    assert picked.ephemeral
    assert await my_zone(hearth, ben) == "Europe/Amsterdam"
    assert fake_discord.pings() == []
