"""Hearth's command tree keeps Discord's registration rules, with room to grow, and
`python -m bot check-commands` says so (or says what is wrong) before a deploy."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import __main__ as cli
from bot import commandcheck
from bot.app import offline_command_payload

# `/hearth` grows with every practice; a command this close to Discord's 8,000 characters
# fails here, while there is still room to split it, not at a deploy.
SIZE_MARGIN = 2000


@pytest.fixture(scope="module")
def payload() -> list[dict[str, Any]]:
    return asyncio.run(offline_command_payload())


def test_hearths_commands_keep_discords_rules(payload: list[dict[str, Any]]) -> None:
    assert {c["name"] for c in payload} >= {"hearth", "privacy", "phonesdown"}
    assert commandcheck.problems(payload) == []


def test_every_slash_command_stays_well_under_the_size_limit(
    payload: list[dict[str, Any]],
) -> None:
    sizes = {c["name"]: commandcheck.size(c) for c in payload if c.get("type", 1) == 1}
    too_big = {n: s for n, s in sizes.items() if s > commandcheck.SIZE_LIMIT - SIZE_MARGIN}
    assert not too_big, (
        f"{too_big} within {SIZE_MARGIN} characters of Discord's {commandcheck.SIZE_LIMIT} "
        "per command: move a group into its own top-level command before it is refused"
    )


def slash(name: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Say hello", "type": 1, **extra}


def option(name: str = "who", kind: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Who", "type": kind, **extra}


@pytest.mark.parametrize(
    ("payload_", "where", "words"),
    [
        ([slash(), slash()], "/hello", "has this name"),
        ([slash("Hello")], "/Hello name", "lowercase"),
        (
            [
                slash(
                    "big",
                    options=[
                        option(
                            f"s{i}",
                            1,
                            description="d" * 100,
                            options=[option(f"o{j}", description="d" * 100) for j in range(4)],
                        )
                        for i in range(16)
                    ],
                )
            ],
            "/big",
            "over Discord's 8000",
        ),
        (
            [slash(options=[option("a"), option("b", required=True)])],
            "options.1.required",
            "before",
        ),
        (
            [slash(options=[option(autocomplete=True, choices=[{"name": "a", "value": "a"}])])],
            "autocomplete",
            "together",
        ),
        ([slash(options=[option("x", 1), option("y")])], "/hello options", "beside plain options"),
        (
            [{"name": "Reflect back", "type": 3, "description": "no"}],
            "/Reflect back description",
            "empty",
        ),
        ([slash(name_localizations={"xx": "hallo"})], "name_localizations.xx", "locale"),
        (
            [slash(options=[option(choices=[{"name": "n", "value": "v" * 101}])])],
            "choices.0.value",
            "100",
        ),
        ([slash(options=[option("x", 1, required=True)])], "options.0.required", "required"),
        ([slash(options=[option(f"o{i}") for i in range(26)])], "options", "over Discord's 25"),
    ],
)
def test_each_rule_is_reported_with_the_command_and_where(
    payload_: list[dict[str, Any]], where: str, words: str
) -> None:
    found = [str(p) for p in commandcheck.problems(payload_)]
    assert any(where in line and words in line for line in found), found


def test_check_commands_reports_before_a_deploy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["check-commands"]) == 0
    out = capsys.readouterr().out
    assert "/hearth" in out
    assert "keep Discord's rules" in out

    async def broken() -> list[dict[str, Any]]:
        return [slash(), slash("hello", options=[option("a"), option("a")])]

    monkeypatch.setattr("bot.app.offline_command_payload", broken)
    assert cli.main(["check-commands"]) == 1
    out = capsys.readouterr().out
    assert "Discord would refuse" in out
    assert "/hello options.1.name: two options are named 'a'" in out


def test_a_refusal_from_discord_reads_as_one_line_naming_the_command() -> None:
    payload = [slash("hearth"), slash("privacy")]
    errors = {
        "1": {"options": {"0": {"name": {"_errors": [{"code": "X", "message": "bad name"}]}}}},
        "0": {"_errors": [{"code": "APPLICATION_COMMAND_TOO_LARGE", "message": "too big"}]},
    }
    line = commandcheck.refusal_summary(payload, errors)
    assert "\n" not in line
    assert "/privacy options.0.name: X bad name" in line
    assert "/hearth: APPLICATION_COMMAND_TOO_LARGE too big" in line
    assert commandcheck.refusal_summary(payload, {}) == "Discord gave no details"


def test_every_command_states_where_it_works_and_how_it_is_installed(
    payload: list[dict[str, Any]],
) -> None:
    # Stated, not inherited from the application's settings: ticking "User Install" in the
    # Developer Portal must not make any of them usable where no server added Hearth.
    for command in payload:
        assert command.get("integration_types") == [0], command["name"]
        assert command.get("contexts") in ([0], [0, 1]), command["name"]
    in_dms = {c["name"] for c in payload if 1 in c["contexts"]}
    assert in_dms == {"privacy", "boundaries"}  # your own data and boundaries, from DMs too
