"""Hearth's offline command check (`bot/commandcheck.py`) and the emulator's enforcement
(`tests/fakediscord/commands.py` plus Discord's OpenAPI spec) are two copies of Discord's
rules — the emulator must never import Hearth. Generated command trees, valid and broken,
must get the same verdict from both: which commands Discord would refuse."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import commandcheck
from tests.fakediscord import commands as emulator_rules
from tests.fakediscord.spec import default_validator

# Valid command trees first; then at most one fault per command, drawn from every rule, so
# a rule the two copies disagree on shows up on its own.

NAME = st.sampled_from(["who", "when", "a" * 30, "नमस्ते", "x'y", "don't", "ok-go"]).flatmap(
    lambda base: st.integers(0, 99).map(lambda n: f"{base[:30]}{n}")
)
DESCRIPTION = st.sampled_from(["d", "d" * 50, "d" * 100])
LOCALES = st.sampled_from(["de", "en-US", "ja", "pt-BR"])


def unique_names(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({o["name"]: o for o in reversed(options)}.values())[::-1]


@st.composite
def plain_option(draw: st.DrawFn, required: bool = False) -> dict[str, Any]:
    kind = draw(st.sampled_from([3, 3, 4, 5, 6, 7, 10]))
    option: dict[str, Any] = {"type": kind, "name": draw(NAME), "description": draw(DESCRIPTION)}
    if required:
        option["required"] = True
    if kind in (3, 4, 10):
        way = draw(st.sampled_from(["plain", "choices", "autocomplete"]))
        if way == "choices":
            count = draw(st.sampled_from([1, 2, 25]))
            option["choices"] = [
                {"name": f"n{i}" * draw(st.sampled_from([1, 20])), "value": value(kind, i)}
                for i in range(count)
            ]
        elif way == "autocomplete":
            option["autocomplete"] = True
    if draw(st.booleans()):
        option["description_localizations"] = {draw(LOCALES): draw(DESCRIPTION)}
    return option


def value(kind: int, i: int) -> Any:
    return f"v{i}" if kind == 3 else (i if kind == 4 else i / 2)


@st.composite
def plain_options(draw: st.DrawFn) -> list[dict[str, Any]]:
    required = draw(st.integers(0, 2))
    options = [draw(plain_option(required=True)) for _ in range(required)]
    options += draw(st.lists(plain_option(), max_size=3))
    return unique_names(options)


@st.composite
def subcommand(draw: st.DrawFn, *, group: bool) -> dict[str, Any]:
    inner = (
        unique_names(draw(st.lists(subcommand(group=False), min_size=1, max_size=3)))
        if group
        else draw(plain_options())
    )
    return {
        "type": 2 if group else 1,
        "name": draw(NAME),
        "description": draw(DESCRIPTION),
        "options": inner,
    }


@st.composite
def valid_command(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([1, 1, 1, 1, 2, 3]))
    if kind != 1:
        return {"type": kind, "name": draw(st.sampled_from(["Reflect back", "Say hi"]))}
    if draw(st.booleans()):
        options = unique_names(
            [draw(subcommand(group=draw(st.booleans()))) for _ in range(draw(st.integers(1, 3)))]
        )
    else:
        options = draw(plain_options())
    body: dict[str, Any] = {
        "type": 1,
        "name": draw(NAME),
        "description": draw(DESCRIPTION),
        "options": options,
    }
    if draw(st.booleans()):
        body["name_localizations"] = {draw(LOCALES): draw(NAME)}
    return body


def nodes(cmd: dict[str, Any]) -> list[dict[str, Any]]:
    """The command and every option inside it."""
    found = [cmd]
    for option in cmd.get("options") or []:
        found += nodes(option)
    return found


def break_one(draw: st.DrawFn, cmd: dict[str, Any]) -> None:
    """Break one rule somewhere in a valid command (or leave it whole)."""
    everything = nodes(cmd)
    plain = [n for n in everything[1:] if n["type"] not in (1, 2)]
    lists = [n for n in everything if n.get("options")]
    with_choices = [n for n in plain if n.get("choices")]
    nested = [n for n in everything[1:] if n["type"] in (1, 2)]
    faults: list[Any] = [None, None, None]
    if cmd["type"] != 1:
        faults += [
            lambda: cmd.update(description="greets"),
            lambda: cmd.update(name=""),
            lambda: cmd.update(name="a" * 33),
            lambda: cmd.update(options=[{"type": 3, "name": "x", "description": "d"}]),
            lambda: cmd.update(name_localizations={"xx": "Hi"}),
        ]
    else:
        node = draw(st.sampled_from(everything))
        faults += [
            lambda: node.update(
                name=draw(st.sampled_from(["Hello", "say hi", "a" * 33, "", "hi!"]))
            ),
            lambda: node.update(description=draw(st.sampled_from(["", "d" * 101]))),
            lambda: node.update(description_localizations={"EN-us": "d"}),
            lambda: node.update(name_localizations={"de": "Hallo"}),
            lambda: node.update(description_localizations={"de": "d" * 101}),
        ]
        if lists:
            holder = draw(st.sampled_from(lists))
            first = holder["options"][0]
            faults += [
                lambda: holder["options"].append(dict(first)),  # a duplicate name
                lambda: holder.update(options=[first] * 26),
            ]
            if first["type"] in (1, 2):  # a plain option beside subcommands
                faults.append(
                    lambda: holder["options"].append({"type": 5, "name": "zz", "description": "d"})
                )
            else:  # a subcommand beside plain options
                faults.append(
                    lambda: holder["options"].insert(
                        0, {"type": 1, "name": "zz", "description": "d", "options": []}
                    )
                )
        if plain:
            target = draw(st.sampled_from(plain))
            faults.append(
                lambda: [
                    holder["options"].append(
                        {"type": 5, "name": "late", "description": "d", "required": True}
                    )
                    for holder in lists
                    if target in holder["options"] and not target.get("required")
                ]
            )
            if target["type"] in (3, 4, 10):
                faults += [
                    lambda: target.update(
                        autocomplete=True,
                        choices=[{"name": "n", "value": value(target["type"], 0)}],
                    ),
                    lambda: target.update(
                        choices=[
                            {"name": f"n{i}", "value": value(target["type"], i)} for i in range(26)
                        ]
                    ),
                ]
            faults.append(lambda: target.update(choices=[{"name": "n", "value": "v"}], type=5))
        if with_choices:
            chosen = draw(st.sampled_from(with_choices))["choices"][0]
            faults += [
                lambda: chosen.update(name=draw(st.sampled_from(["", "n" * 101]))),
                lambda: chosen.update(name_localizations={"xx": "n"}),
            ]
            if isinstance(chosen["value"], str):
                faults.append(lambda: chosen.update(value="v" * 101))
        if nested:
            sub = draw(st.sampled_from(nested))
            faults.append(lambda: sub.update(required=True))
            groups = [n for n in nested if n["type"] == 2]
            if groups:
                group = groups[0]
                faults.append(
                    lambda: group["options"].append(
                        {"type": 2, "name": "deeper", "description": "d", "options": []}
                    )
                )
        faults.append(
            lambda: cmd.update(
                options=[
                    {
                        "type": 1,
                        "name": f"s{i}",
                        "description": "d" * 100,
                        "options": [
                            {"type": 3, "name": f"o{j}", "description": "d" * 100} for j in range(4)
                        ],
                    }
                    for i in range(16)
                ]
            )
        )
    fault = draw(st.sampled_from(faults))
    if fault is not None:
        fault()


@st.composite
def payloads(draw: st.DrawFn) -> list[dict[str, Any]]:
    commands = [draw(valid_command()) for _ in range(draw(st.integers(1, 3)))]
    for cmd in commands:
        break_one(draw, cmd)
    if len(commands) > 1 and draw(st.integers(0, 5)) == 0:
        commands[-1]["name"], commands[-1]["type"] = commands[0]["name"], commands[0]["type"]
    return commands


def emulator_refuses(payload: list[dict[str, Any]]) -> set[int]:
    tree = emulator_rules.check(payload, bulk=True)
    spec = default_validator().validate("/applications/{application_id}/commands", "PUT", payload)
    return {int(k) for k in {**tree, **spec} if k.isdigit()}


def hearth_refuses(payload: list[dict[str, Any]]) -> set[int]:
    return {int(p.path[0]) for p in commandcheck.problems(payload) if p.path}


def hearth_paths(payload: list[dict[str, Any]]) -> set[str]:
    return {".".join(map(str, p.path)) for p in commandcheck.problems(payload)}


def emulator_paths(payload: list[dict[str, Any]]) -> set[str]:
    def leaves(tree: dict[str, Any], prefix: str) -> set[str]:
        found = set()
        for key, value in tree.items():
            if key == "_errors":
                found.add(prefix.rstrip("."))
            else:
                found |= leaves(value, f"{prefix}{key}.")
        return found

    return leaves(emulator_rules.check(payload, bulk=True), "")


@settings(
    max_examples=200,
    derandomize=True,  # the same trees every run: a disagreement is never luck
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(payloads())
def test_hearth_and_the_emulator_refuse_the_same_commands(payload: list[dict[str, Any]]) -> None:
    assert hearth_refuses(payload) == emulator_refuses(payload)
    # Both copies also point at the same places (Discord's spec aside).
    assert hearth_paths(payload) == emulator_paths(payload)


def test_they_agree_on_the_size_limit_to_the_character() -> None:
    def sized(extra: int) -> dict[str, Any]:
        options = [
            {
                "type": 1,
                "name": f"s{i:x}",
                "description": "d" * 100,
                "options": [
                    {"type": 3, "name": f"o{j}", "description": "d" * 100} for j in range(4)
                ],
            }
            for i in range(16)
        ]
        body = {"type": 1, "name": "big", "description": "d", "options": options}
        excess = emulator_rules.command_size(body) - 8000 - extra  # 164 - extra
        for sub in options:
            cut = min(excess, 99)
            sub["description"] = "d" * (100 - cut)
            excess -= cut
        return body

    at_limit, over = sized(0), sized(1)
    assert emulator_rules.command_size(at_limit) == commandcheck.size(at_limit) == 8000
    assert hearth_refuses([at_limit]) == emulator_refuses([at_limit]) == set()
    assert hearth_refuses([over]) == emulator_refuses([over]) == {0}
