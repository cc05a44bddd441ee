"""Discord's rules for registering commands, checked offline before a deploy.

Discord refuses a whole command sync for one broken command (400, code 50035), and the
rules are only partly enforced by discord.py. `problems()` applies them to the payload
Hearth would send (`HearthBot.command_payload()`); `python -m bot check-commands` prints
them. `refusal_summary()` turns Discord's own error tree into one line naming the command
and the rule, for the log when a sync is refused anyway.

The emulator in tests/fakediscord/ keeps its own copy of these rules (it must not import
Hearth); a test proves the two agree on every command tree it generates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

SIZE_LIMIT = 8000  # characters per slash command, localisations at their longest
NAME_LIMIT = 32
DESCRIPTION_LIMIT = 100
CHOICE_TEXT_LIMIT = 100
LIST_LIMIT = 25  # options, choices and subcommands at each level
COMMAND_LIMITS = {1: 100, 2: 15, 3: 15}  # slash, user and message commands per scope

SLASH, USER_MENU, MESSAGE_MENU = 1, 2, 3
SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, NUMBER = 3, 4, 10
OPTION_TYPES = frozenset(range(1, 12))

# Discord's slash-command and option names: letters, digits, - _ ' in any script (plus the
# combining marks of Devanagari and Thai), lowercase wherever a letter has a lowercase.
_NAME = re.compile(r"[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}")

LOCALES = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu",
        "nl", "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru",
        "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One broken rule: which top-level command, where inside it, and the rule."""

    command: str
    path: tuple[str | int, ...]  # Discord's error-tree path, from the command's index
    rule: str

    def __str__(self) -> str:
        inside = ".".join(str(p) for p in self.path[1:])
        return f"/{self.command}{' ' + inside if inside else ''}: {self.rule}"


def problems(payload: Sequence[dict[str, Any]]) -> list[Problem]:
    """Every rule the command payload breaks, in order; [] when Discord would accept it."""
    found: list[Problem] = []
    per_type: dict[int, int] = {}
    names: set[tuple[int, str]] = set()
    for index, command in enumerate(payload):
        kind = int(command.get("type") or SLASH)
        name = str(command.get("name") or "")
        per_type[kind] = per_type.get(kind, 0) + 1
        label = name or f"#{index}"
        for path, rule in _command_rules(command, kind):
            found.append(Problem(label, (index, *path), rule))
        if (kind, name) in names:
            found.append(Problem(label, (index,), "another command of this type has this name"))
        names.add((kind, name))
    for kind, limit in COMMAND_LIMITS.items():
        if per_type.get(kind, 0) > limit:
            what = {1: "slash", 2: "user", 3: "message"}[kind]
            found.append(Problem("*", (), f"more than {limit} {what} commands"))
    return found


def size(node: dict[str, Any]) -> int:
    """What Discord counts toward a slash command's 8,000 characters."""
    total = _longest(node, "name") + _longest(node, "description")
    total += sum(size(o) for o in node.get("options") or ())
    for choice in node.get("choices") or ():
        total += _longest(choice, "name") + len(str(choice.get("value", "")))
    return total


def _longest(node: dict[str, Any], field: str) -> int:
    lengths = [len(str(node.get(field) or ""))]
    lengths += [len(str(v)) for v in (node.get(f"{field}_localizations") or {}).values()]
    return max(lengths)


Found = Iterator[tuple[tuple[str | int, ...], str]]


def _command_rules(command: dict[str, Any], kind: int) -> Found:
    name = str(command.get("name") or "")
    description = str(command.get("description") or "")
    if kind == SLASH:
        yield from _slash_name(("name",), name)
        yield from _description(("description",), description)
        yield from _localised(command, (), slash=True)
        yield from _options(command.get("options") or [], (), inside=None)
        if size(command) > SIZE_LIMIT:
            yield (), f"{size(command)} characters, over Discord's {SIZE_LIMIT} per command"
        return
    if not 1 <= len(name) <= NAME_LIMIT:
        yield ("name",), f"a menu command's name takes 1–{NAME_LIMIT} characters"
    if description:
        yield ("description",), "user and message commands must have an empty description"
    if command.get("options"):
        yield ("options",), "only slash commands take options"
    yield from _localised(command, (), slash=False)


def _slash_name(path: tuple[str | int, ...], name: str) -> Found:
    if not _NAME.fullmatch(name):
        yield path, f"{name!r} isn't a valid name (1–32 letters, digits, - _ ', no spaces)"
    elif name.lower() != name:
        yield path, f"{name!r} must be lowercase"


def _description(path: tuple[str | int, ...], text: str) -> Found:
    if not 1 <= len(text) <= DESCRIPTION_LIMIT:
        yield path, f"a description takes 1–{DESCRIPTION_LIMIT} characters (has {len(text)})"


def _localised(node: dict[str, Any], at: tuple[str | int, ...], *, slash: bool) -> Found:
    for field in ("name", "description"):
        for locale, text in (node.get(f"{field}_localizations") or {}).items():
            path = (*at, f"{field}_localizations", locale)
            if locale not in LOCALES:
                yield path, f"{locale!r} isn't one of Discord's locales"
            elif field == "description":
                yield from _description(path, str(text))
            elif slash:
                yield from _slash_name(path, str(text))
            elif not 1 <= len(str(text)) <= NAME_LIMIT:
                yield path, f"a menu command's name takes 1–{NAME_LIMIT} characters"


def _options(options: list[dict[str, Any]], at: tuple[str | int, ...], inside: int | None) -> Found:
    if len(options) > LIST_LIMIT:
        yield (*at, "options"), f"{len(options)} options, over Discord's {LIST_LIMIT}"
    kinds = [int(o.get("type") or 0) for o in options]
    nested = [k for k in kinds if k in (SUBCOMMAND, GROUP)]
    if nested and len(nested) < len(kinds):
        yield (*at, "options"), "subcommands and groups can't sit beside plain options"
    elif inside == GROUP and any(k != SUBCOMMAND for k in kinds):
        yield (*at, "options"), "a group holds only subcommands"
    elif inside == SUBCOMMAND and nested:
        yield (*at, "options"), "a subcommand can't hold subcommands or groups"
    names: set[str] = set()
    optional_seen = False
    for i, option in enumerate(options):
        here = (*at, "options", i)
        kind = int(option.get("type") or 0)
        name = str(option.get("name") or "")
        if kind not in OPTION_TYPES:
            yield (*here, "type"), f"{kind} isn't an option type"
        yield from _slash_name((*here, "name"), name)
        if name in names:
            yield (*here, "name"), f"two options are named {name!r}"
        names.add(name)
        yield from _description((*here, "description"), str(option.get("description") or ""))
        yield from _localised(option, here, slash=True)
        if kind in (SUBCOMMAND, GROUP):
            if option.get("required") is not None:
                yield (*here, "required"), "subcommands and groups can't be marked required"
            yield from _options(option.get("options") or [], here, inside=kind)
            continue
        if not option.get("required"):
            optional_seen = True
        elif optional_seen:
            yield (*here, "required"), "required options must come before optional ones"
        yield from _choices(option, here, kind)


def _choices(option: dict[str, Any], here: tuple[str | int, ...], kind: int) -> Found:
    choices = option.get("choices") or []
    takes_choices = kind in (STRING, INTEGER, NUMBER)
    if choices and not takes_choices:
        yield (*here, "choices"), "only text and number options take choices"
    if option.get("autocomplete"):
        if not takes_choices:
            yield (*here, "autocomplete"), "only text and number options autocomplete"
        if choices:
            yield (*here, "autocomplete"), "autocomplete and choices can't be used together"
    if len(choices) > LIST_LIMIT:
        yield (*here, "choices"), f"{len(choices)} choices, over Discord's {LIST_LIMIT}"
    for j, choice in enumerate(choices):
        at = (*here, "choices", j)
        if not 1 <= len(str(choice.get("name") or "")) <= CHOICE_TEXT_LIMIT:
            yield (*at, "name"), f"a choice's name takes 1–{CHOICE_TEXT_LIMIT} characters"
        for locale, text in (choice.get("name_localizations") or {}).items():
            if locale not in LOCALES:
                yield (*at, "name_localizations", locale), f"{locale!r} isn't a Discord locale"
            elif not 1 <= len(str(text)) <= CHOICE_TEXT_LIMIT:
                yield (
                    (*at, "name_localizations", locale),
                    f"a choice's name takes 1–{CHOICE_TEXT_LIMIT} characters",
                )
        value = choice.get("value")
        if kind == STRING and (not isinstance(value, str) or len(value) > CHOICE_TEXT_LIMIT):
            yield (
                (*at, "value"),
                f"a text choice's value takes up to {CHOICE_TEXT_LIMIT} characters",
            )


# -- reading Discord's refusal ------------------------------------------------------------


def refusal_summary(payload: Sequence[dict[str, Any]], errors: Any) -> str:
    """One line naming each refused command and Discord's rule, from the `errors` tree of a
    50035 answer to a sync (`{"3": {"options": {"0": {"_errors": [...]}}}}`)."""
    parts: list[str] = []
    for path, code, message in _leaves(errors, ()):
        command = "(all commands)"
        if path and isinstance(path[0], int) and 0 <= path[0] < len(payload):
            command = f"/{payload[path[0]].get('name')}"
            path = path[1:]
        where = ".".join(str(p) for p in path)
        parts.append(f"{command}{' ' + where if where else ''}: {code} {message}".rstrip())
    return "; ".join(parts) or "Discord gave no details"


def _leaves(
    node: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "_errors" and isinstance(value, list):
            for error in value:
                if isinstance(error, dict):
                    yield path, str(error.get("code", "")), str(error.get("message", ""))
        else:
            step: str | int = int(key) if str(key).isdigit() else str(key)
            yield from _leaves(value, (*path, step))
