"""Discord bans an IP for a while after 10,000 invalid answers (401, 403, 429) in ten
minutes. Hearth counts every one it gets — the retried 429s too — logs them once a
minute when there were any, and its own habits keep far from the ban."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import discord
import pytest

from bot.timeutil import UTC
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness

POST = "POST /channels/{channel_id}/messages"


async def test_hearth_counts_the_answers_discord_holds_against_it(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, caplog: pytest.LogCaptureFixture
) -> None:
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("general")
    locked = guild.add_text_channel("locked")
    locked.deny_bot(send_messages=True)
    bot = await hearth_unstarted.start()
    counter = bot.invalid_responses
    assert counter.report() == 0  # nothing yet, and nothing logged

    channel = bot.get_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    fake_discord.fail_429(POST, times=2)  # retried by discord.py: invisible to callers
    fake_discord.fail_429(POST, scope="shared")  # Discord doesn't count these
    await channel.send("hello")
    fake_discord.expect_errors(50013)
    other = bot.get_channel(locked.id)
    assert isinstance(other, discord.TextChannel)
    with pytest.raises(discord.Forbidden):
        await other.send("hello")

    assert counter.total == fake_discord.stats.invalid == 3
    with caplog.at_level(logging.WARNING, logger="bot.limits"):
        assert counter.report() == 3
        assert counter.report() == 0
    [line] = [r.getMessage() for r in caplog.records if "invalid responses" in r.getMessage()]
    assert "=3 401=0 403=1 429=2" in line


async def test_closed_inboxes_cost_one_invalid_answer_each_ever(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    # A ban threshold this small would trip at once if Hearth retried what Discord refused.
    fake_discord.ratelimits.configure(invalid_limit=20, invalid_window=10 * 24 * 3600)
    fake_discord.expect_errors(50007)
    hearth_unstarted.clock.set(datetime(2026, 1, 12, 5, 0, tzinfo=UTC))
    guild = fake_discord.add_guild("Friends")
    guild.add_text_channel("general")
    people = [guild.add_member(f"friend{i}") for i in range(12)]
    bot = await hearth_unstarted.start()
    for person in people:
        r = await person.slash(
            "checkin start", frequency="daily", time="09:00", timezone="Europe/Berlin"
        )
        assert r.ephemeral
        person.close_dms()
    for day in range(4):
        hearth_unstarted.clock.set(datetime(2026, 1, 12, 8, 5, tzinfo=UTC) + timedelta(days=day))
        await hearth_unstarted.run_due()

    assert fake_discord.ratelimits.ban.bans == 0
    assert bot.invalid_responses.total == fake_discord.stats.invalid == len(people)
