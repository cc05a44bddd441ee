"""Every number (and bounded text) a slash command takes is checked on Hearth's side: a
tampered client that sends a value Discord's own client would never allow — past an
option's min/max, a fraction for a whole number, an absurd size — gets one kind, private
refusal, and nothing changes. The options come from the bot's own command tree, so an
option added later is covered too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from discord import AppCommandOptionType, app_commands

from tests.e2e.test_abuse_helpers import snapshot
from tests.fakediscord import FakeDiscord, FakeMember
from tests.fakediscord.actors import APPLICATION_COMMAND
from tests.fakediscord.harness import HearthHarness

INCIDENT = "Something went wrong on my side"
NUMBERS = (AppCommandOptionType.integer, AppCommandOptionType.number)


@dataclass(frozen=True)
class Bounded:
    command: str  # "hearth pace"
    option: str
    kind: AppCommandOptionType
    low: float | None
    high: float | None


def bounded_options(tree: app_commands.CommandTree[Any]) -> list[Bounded]:
    found = []
    for command in tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        for param in command.parameters:
            if param.type in NUMBERS or (
                param.type is AppCommandOptionType.string and param.max_value is not None
            ):
                found.append(
                    Bounded(
                        command.qualified_name,
                        param.display_name,
                        param.type,
                        param.min_value,
                        param.max_value,
                    )
                )
    return found


def forgeries(option: Bounded) -> list[Any]:
    if option.kind is AppCommandOptionType.string:
        assert option.high is not None
        return ["x" * (int(option.high) + 1), "x" * 100_000]
    values: list[Any] = [10**30, -(10**30), "12", True]
    if option.high is not None:
        values.append(option.high + 1)
    if option.low is not None:
        values.append(option.low - 1)
    if option.kind is AppCommandOptionType.integer:
        values.append(2.5)
    return values


def in_range(definition: dict[str, Any], friend: FakeMember) -> Any:
    """A value Discord's client would send for a required option of any type."""
    kind = definition["type"]
    if definition.get("choices"):
        return definition["choices"][0]["value"]
    if kind in (4, 10):
        return definition.get("min_value", 1)
    if kind == 3:
        return "x" * max(1, definition.get("min_length", 1))
    if kind == 5:
        return False
    if kind in (6, 9):
        return friend
    if kind == 7:
        return friend.guild.default_channel
    raise AssertionError(f"no in-range value for option type {kind}")


async def forge(
    fake: FakeDiscord, who: FakeMember, friend: FakeMember, option: Bounded, value: Any
) -> Any:
    """The interaction a tampered client sends: built as the real client would, then the
    one option's value replaced."""
    channel = who.guild.default_channel
    cmd, path, definitions = fake._resolve_command(option.command, who.guild, who, channel)
    given = {
        d["name"]: in_range(d, friend)
        for d in definitions
        if d.get("required") or d["name"] == option.option
    }
    built, resolved = fake._build_options(
        definitions, given, who.guild, channel, focused=None, member=who
    )
    for entry in built:
        if entry["name"] == option.option:
            entry["value"] = value
    data = fake._command_data(cmd, path, built, resolved)
    return await fake._interact(
        APPLICATION_COMMAND,
        who.user,
        who,
        who.guild,
        channel,
        data,
        name=option.command,
        command_type=1,
    )


@pytest.fixture
async def world(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> tuple[HearthHarness, FakeMember, FakeMember]:
    guild = fake_discord.add_guild("Friends", owner="olwen")
    guild.add_text_channel("general")
    ana = guild.add_member("ana")
    await hearth_unstarted.start()
    # The welcome is delivered and recorded before anything is compared.
    assert await hearth_unstarted.bot.outbox.idle()
    return hearth_unstarted, guild.owner, ana


async def test_every_number_option_is_checked_on_hearths_side(
    fake_discord: FakeDiscord, world: tuple[HearthHarness, FakeMember, FakeMember]
) -> None:
    hearth, olwen, ana = world
    options = bounded_options(hearth.bot.tree)
    # The ones an attacker used: not vacuous.
    assert {(o.command, o.option) for o in options} >= {
        ("hearth pace", "vote_days"),
        ("hearth pace", "rest_days"),
        ("hearth prompt deadline", "hours"),
        ("hearth retention", "days"),
        ("support quiet", "days"),
        ("support send", "note"),
    }
    before = await snapshot(hearth.bot.db)
    for option in options:
        for value in forgeries(option):
            label = f"/{option.command} {option.option}={str(value)[:20]}"
            r = await forge(fake_discord, olwen, ana, option, value)
            assert r.ephemeral, label
            assert f"**{option.option}**" in r.text, (label, r.text)
            assert INCIDENT not in r.text, label
    assert await snapshot(hearth.bot.db) == before


async def test_the_refusal_names_the_range(
    fake_discord: FakeDiscord, world: tuple[HearthHarness, FakeMember, FakeMember]
) -> None:
    _hearth, olwen, ana = world
    pace = Bounded("hearth pace", "vote_days", AppCommandOptionType.integer, 1, 7)
    r = await forge(fake_discord, olwen, ana, pace, 400)
    assert r.text == "**vote_days** goes from 1 to 7. Could you pick a number in between?"
    # Within the range, the command itself answers as always.
    ok = await olwen.slash("hearth pace", vote_days=7)
    assert "goes from" not in ok.text
    assert INCIDENT not in ok.text
