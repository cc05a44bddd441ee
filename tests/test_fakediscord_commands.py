"""The emulator's own tests: Discord's rules for registering application commands. Each
rule has a body that breaks it (400, JSON code 50035, the rule at its path in the error
tree) and a body that keeps it (accepted)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.commands import check, command_size


def cmd(name: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Say hello", "type": 1, **extra}


def opt(name: str = "who", kind: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Who to greet", "type": kind, **extra}


def sub(name: str = "now", **extra: Any) -> dict[str, Any]:
    return opt(name, 1, **extra)


def choices(n: int, *, name: str = "c", value: Any = None) -> list[dict[str, Any]]:
    return [
        {"name": f"{name}{i}", "value": value if value is not None else f"v{i}"} for i in range(n)
    ]


def error_paths(tree: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """Every leaf of Discord's error tree: dotted path → its codes."""
    found: dict[str, list[str]] = {}
    for key, value in tree.items():
        if key == "_errors":
            found[prefix.rstrip(".")] = [e["code"] for e in value]
        elif isinstance(value, dict):
            found.update(error_paths(value, f"{prefix}{key}."))
    return found


async def send(
    fake: FakeDiscord, method: str, body: Any, *, guild_id: int | None = None, tail: str = ""
) -> tuple[int, Any]:
    where = f"/guilds/{guild_id}" if guild_id else ""
    url = f"{fake.api_url}/applications/{fake.app_id}{where}/commands{tail}"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.request(method, url, json=body) as response,
    ):
        return response.status, await response.json() if response.status != 204 else None


BIG = "d" * 100

BREAKERS: list[tuple[str, list[dict[str, Any]], str, str]] = [
    (
        "duplicate names",
        [cmd("hello"), cmd("hello")],
        "1",
        "APPLICATION_COMMANDS_DUPLICATE_NAME",
    ),
    (
        "over 8000 characters",
        [
            cmd(
                "big",
                options=[
                    sub(
                        f"s{i}",
                        description=BIG,
                        options=[opt(f"o{j}", description=BIG) for j in range(4)],
                    )
                    for i in range(16)
                ],
            )
        ],
        "0",
        "APPLICATION_COMMAND_TOO_LARGE",
    ),
    (
        "over 8000 with its longest localisation",
        [
            cmd(
                "big",
                options=[
                    sub(
                        f"s{i}",
                        description="short",
                        description_localizations={"de": BIG},
                        options=[opt(f"o{j}", description=BIG) for j in range(4)],
                    )
                    for i in range(16)
                ],
            )
        ],
        "0",
        "APPLICATION_COMMAND_TOO_LARGE",
    ),
    (
        "choice name over 100",
        [cmd(options=[opt(choices=[{"name": "n" * 101, "value": "v"}])])],
        "0.options.0.choices.0.name",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "empty choice name",
        [cmd(options=[opt(choices=[{"name": "", "value": "v"}])])],
        "0.options.0.choices.0.name",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "string choice value over 100",
        [cmd(options=[opt(choices=[{"name": "n", "value": "v" * 101}])])],
        "0.options.0.choices.0.value",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "26 choices",
        [cmd(options=[opt(choices=choices(26))])],
        "0.options.0.choices",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "26 subcommands",
        [cmd(options=[sub(f"s{i}") for i in range(26)])],
        "0.options",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "26 options in a subcommand",
        [cmd(options=[sub(options=[opt(f"o{i}") for i in range(26)])])],
        "0.options.0.options",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "duplicate option names",
        [cmd(options=[opt("who"), opt("who")])],
        "0.options.1.name",
        "APPLICATION_COMMAND_OPTION_NAME_DUPLICATED",
    ),
    (
        "required after optional",
        [cmd(options=[opt("a"), opt("b", required=True)])],
        "0.options.1.required",
        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
    ),
    (
        "subcommand beside a plain option",
        [cmd(options=[sub("now"), opt("who")])],
        "0.options",
        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
    ),
    (
        "group beside a plain option",
        [cmd(options=[opt("who"), opt("grp", 2, options=[sub()])])],
        "0.options",
        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
    ),
    (
        "group inside a group",
        [cmd(options=[opt("outer", 2, options=[opt("inner", 2, options=[sub()])])])],
        "0.options.0.options",
        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
    ),
    (
        "autocomplete with choices",
        [cmd(options=[opt(autocomplete=True, choices=choices(2))])],
        "0.options.0.autocomplete",
        "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
    ),
    (
        "user command with a description",
        [{"name": "Say hi", "type": 2, "description": "greets"}],
        "0.description",
        "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID",
    ),
    (
        "message command with a description",
        [{"name": "Reflect back", "type": 3, "description": "reflects"}],
        "0.description",
        "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID",
    ),
    (
        "unknown locale key",
        [cmd(name_localizations={"xx": "hallo"})],
        "0.name_localizations.xx",
        "BASE_TYPE_CHOICES",
    ),
    (
        "locale key in the wrong case",
        [cmd(options=[opt(description_localizations={"EN-us": "Who"})])],
        "0.options.0.description_localizations.EN-us",
        "BASE_TYPE_CHOICES",
    ),
    (
        "uppercase localised name",
        [cmd(name_localizations={"de": "Hallo"})],
        "0.name_localizations.de",
        "APPLICATION_COMMAND_INVALID_NAME",
    ),
    (
        "required on a subcommand",
        [cmd(options=[sub(required=True)])],
        "0.options.0.required",
        "APPLICATION_COMMAND_OPTION_REQUIRED_INVALID",
    ),
    (
        "uppercase command name",
        [cmd("Hello")],
        "0.name",
        "APPLICATION_COMMAND_INVALID_NAME",
    ),
    (
        "space in a slash command name",
        [cmd("say hello")],
        "0.name",
        "APPLICATION_COMMAND_INVALID_NAME",
    ),
    (
        "uppercase option name",
        [cmd(options=[opt("Who")])],
        "0.options.0.name",
        "APPLICATION_COMMAND_INVALID_NAME",
    ),
    (
        "slash command without a description",
        [cmd(description="")],
        "0.description",
        "BASE_TYPE_BAD_LENGTH",
    ),
]


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [(b, p, c) for _, b, p, c in BREAKERS],
    ids=[name for name, _, _, _ in BREAKERS],
)
async def test_each_command_rule_refuses_a_breaking_sync(
    fake_discord: FakeDiscord, body: list[dict[str, Any]], path: str, code: str
) -> None:
    fake_discord.expect_errors(50035)
    guild = fake_discord.add_guild()
    for guild_id in (None, guild.id):  # global and guild commands keep the same rules
        status, answer = await send(fake_discord, "PUT", body, guild_id=guild_id)
        assert status == 400
        assert answer["code"] == 50035
        leaves = error_paths(answer["errors"])
        # Where Discord's OpenAPI spec already states the rule, its check answers first.
        assert code in leaves.get(path, []) or any(
            where.startswith(path) and all(c.startswith("SPEC_") for c in codes)
            for where, codes in leaves.items()
        ), leaves
    assert fake_discord.commands == []


KEEPERS: list[tuple[str, list[dict[str, Any]]]] = [
    ("same name, different types", [cmd("hello"), {"name": "hello", "type": 2}]),
    (
        "just under 8000",
        [
            cmd(
                "big",
                options=[
                    sub(
                        f"s{i}",
                        description=BIG,
                        options=[opt(f"o{j}", description=BIG) for j in range(3)],
                    )
                    for i in range(19)
                ],
            )
        ],
    ),
    (
        "100-character choices",
        [cmd(options=[opt(choices=[{"name": "n" * 100, "value": "v" * 100}])])],
    ),
    (
        "25 of everything",
        [
            cmd(
                options=[
                    sub(f"s{i}", options=[opt(f"o{j}") for j in range(25)]) for i in range(25)
                ][:2]
            ),
            cmd("pick", options=[opt(choices=choices(25))]),
        ],
    ),
    ("required first", [cmd(options=[opt("a", required=True), opt("b")])]),
    (
        "groups and subcommands side by side",
        [cmd(options=[opt("grp", 2, options=[sub()]), sub("later")])],
    ),
    ("autocomplete alone", [cmd(options=[opt(autocomplete=True)])]),
    ("integer choices", [cmd(options=[opt(kind=4, choices=[{"name": "one", "value": 1}])])]),
    (
        "context menus, mixed case with spaces",
        [{"name": "Reflect back", "type": 3, "description": ""}, {"name": "Say hi", "type": 2}],
    ),
    (
        "localised",
        [
            cmd(
                name_localizations={"de": "hallo", "ja": "こんにちは"},
                description_localizations={"en-GB": "Say hello", "pt-BR": "Diga olá"},
                options=[
                    opt(choices=[{"name": "x", "value": "x", "name_localizations": {"fr": "X"}}])
                ],
            )
        ],
    ),
    ("non-latin lowercase-free names", [cmd("नमस्ते"), cmd("สวัสดี"), cmd("こんにちは")]),
]


@pytest.mark.parametrize("body", [b for _, b in KEEPERS], ids=[n for n, _ in KEEPERS])
async def test_bodies_keeping_the_rules_are_accepted(
    fake_discord: FakeDiscord, body: list[dict[str, Any]]
) -> None:
    status, answer = await send(fake_discord, "PUT", body)
    assert status == 200, answer
    assert sorted(c["name"] for c in answer) == sorted(c["name"] for c in body)


def test_the_size_counts_every_name_description_choice_and_longest_localisation() -> None:
    body = cmd(
        "abc",  # 3
        description="d" * 10,  # 10, but its German is 20
        description_localizations={"de": "x" * 20},
        options=[opt("who", description="w" * 5, choices=[{"name": "nm", "value": "value"}])],
    )
    assert command_size(body) == 3 + 20 + (3 + 5) + (2 + 5)


async def test_a_refused_sync_keeps_the_commands_discord_had(fake_discord: FakeDiscord) -> None:
    fake_discord.expect_errors(50035)
    status, _ = await send(fake_discord, "PUT", [cmd("hello"), cmd("bye")])
    assert status == 200
    status, _ = await send(fake_discord, "PUT", [cmd("hello"), cmd("Broken")])
    assert status == 400
    assert sorted(c.name for c in fake_discord.commands) == ["bye", "hello"]


async def test_single_creates_and_edits_keep_the_same_rules(fake_discord: FakeDiscord) -> None:
    fake_discord.expect_errors(50035)
    status, answer = await send(fake_discord, "POST", cmd(options=[opt("a"), opt("a")]))
    assert status == 400
    assert "options.1.name" in error_paths(answer["errors"])  # no index: one command
    status, created = await send(fake_discord, "POST", cmd())
    assert status == 200
    status, answer = await send(
        fake_discord,
        "PATCH",
        {"options": [opt(autocomplete=True, choices=choices(1))]},
        tail=f"/{created['id']}",
    )
    assert status == 400
    assert "options.0.autocomplete" in error_paths(answer["errors"])
    status, _ = await send(fake_discord, "PATCH", {"description": "Wave"}, tail=f"/{created['id']}")
    assert status == 200
    assert fake_discord.command("hello").data["description"] == "Wave"


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [(b, p, c) for _, b, p, c in BREAKERS],
    ids=[name for name, _, _, _ in BREAKERS],
)
def test_each_rule_is_named_even_where_the_spec_answers_first(
    body: list[dict[str, Any]], path: str, code: str
) -> None:
    assert code in error_paths(check(body, bulk=True)).get(path, [])


@pytest.mark.parametrize("body", [b for _, b in KEEPERS], ids=[n for n, _ in KEEPERS])
def test_keepers_pass_the_rules_alone(body: list[dict[str, Any]]) -> None:
    assert check(body, bulk=True) == {}
