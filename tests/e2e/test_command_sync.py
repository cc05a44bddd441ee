"""A command sync Discord refuses doesn't stop Hearth: it starts with the commands Discord
already has, says in one line which command broke which rule, and tries again next start."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest
from discord import app_commands

from bot import guilds
from bot.app import HearthBot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


def oversized_group() -> app_commands.Group:
    """A practice's `/hearth` subcommands grown past Discord's 8,000 characters."""

    @app_commands.describe(who="p" * 100, when="p" * 100, why="p" * 100)
    async def callback(
        interaction: discord.Interaction[Any],
        who: discord.Member,
        when: str,
        why: str | None = None,
    ) -> None:
        await interaction.response.send_message("hi", ephemeral=True)

    group = app_commands.Group(name="circles", description="Listening circles, step by step")
    for i in range(20):
        command = app_commands.Command(name=f"step{i}", description="d" * 100, callback=callback)
        group.add_command(command)
    return group


async def test_a_refused_sync_keeps_discords_commands_and_names_the_rule(
    fake_discord: FakeDiscord,
    hearth_unstarted: HearthHarness,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    guild = fake_discord.add_guild("Friends")
    guild.add_text_channel("general")
    alice = guild.add_member("alice", admin=True)
    await hearth_unstarted.start()
    synced = {c.name for c in fake_discord.commands}
    assert "hearth" in synced
    digest = await guilds.get_meta(hearth_unstarted.bot.db, "command_hash")

    load_cogs = HearthBot.load_cogs

    async def with_a_grown_hearth(bot: HearthBot) -> None:
        await load_cogs(bot)
        bot.hearth_group.add_command(oversized_group())

    monkeypatch.setattr(HearthBot, "load_cogs", with_a_grown_hearth)
    fake_discord.expect_errors(50035)
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        bot = await hearth_unstarted.restart()  # starts all the same

    refused = [r.getMessage() for r in caplog.records if "command sync refused" in r.getMessage()]
    assert len(refused) == 1
    assert "/hearth: APPLICATION_COMMAND_TOO_LARGE" in refused[0]
    assert "check-commands" in refused[0]
    assert bot.sync_refusal is not None
    # Discord kept what it had: the old /hearth, without the oversized group, still answers.
    hearth = fake_discord.command("hearth")
    assert "circles" not in {o["name"] for o in hearth.options}
    assert {c.name for c in fake_discord.commands} == synced
    assert (await alice.slash("hearth help")).responded
    # The stored hash is the last tree Discord accepted, so the next start tries again.
    assert await guilds.get_meta(bot.db, "command_hash") == digest
