"""Discord's rules for registering application commands (PUT/POST/PATCH …/commands).

Written from Discord's documentation ("Application Commands": naming, the option and
choice structures, the 8,000-character size, localisation) and the error shapes Discord
answers with: 400, JSON code 50035, and an `errors` tree whose leaves name a rule. Where
Discord documents a rule but not the name of its error code, the code here is ours, in
Discord's style; tests look at the status, the JSON code and the path.

Hearth keeps its own copy of these rules (`bot/commandcheck.py`) so that this emulator
never imports Hearth; `tests/test_command_rules_agree.py` proves the two agree.
"""

from __future__ import annotations

import re
from typing import Any

from ._util import field_error, merge_errors

CHAT_INPUT, USER, MESSAGE = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, NUMBER = 3, 4, 10
CHOICE_TYPES = (STRING, INTEGER, NUMBER)

COMMAND_SIZE_MAX = 8000
OPTIONS_MAX = 25
CHOICES_MAX = 25
NAME_MAX = 32
DESCRIPTION_MAX = 100
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
COUNT_MAX = {CHAT_INPUT: 100, USER: 15, MESSAGE: 15}

# `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`: Python's \w covers letters and digits
# (and `_`); Devanagari and Thai are added whole for their combining marks.
CHAT_NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")

# Discord's locales (Reference → Locales); localisation keys must be one of them.
LOCALES = frozenset(
    [
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    ]
)

Path = list[str | int]


class _Errors:
    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        merge_errors(self.tree, path, field_error(code, message))


def check(commands: list[Any], *, bulk: bool) -> dict[str, Any]:
    """Discord's error tree for a list of command bodies ({} when all are fine).

    `bulk`: a PUT overwrite, where each body sits at its index and names must be unique per
    type; otherwise a single create or edit, whose errors sit at the top of the tree.
    """
    errs = _Errors()
    counts: dict[int, int] = {}
    seen: set[tuple[str, int]] = set()
    for index, cmd in enumerate(commands):
        if not isinstance(cmd, dict):
            continue
        p: Path = [index] if bulk else []
        kind = cmd.get("type") or CHAT_INPUT
        counts[kind] = counts.get(kind, 0) + 1
        key = (str(cmd.get("name")), kind)
        if bulk and key in seen:
            errs.add(
                p,
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add(key)
        _command(errs, p, cmd, kind)
    for kind, limit in COUNT_MAX.items():
        if counts.get(kind, 0) > limit:
            errs.add(
                [],
                "APPLICATION_COMMANDS_TOO_MANY",
                f"Maximum number of application commands of type {kind} reached ({limit})",
            )
    return errs.tree


def command_size(cmd: dict[str, Any]) -> int:
    """Characters counted toward the 8,000: every name, description, choice name and value
    of the command and its options, each at its longest localisation."""
    total = _longest(cmd, "name") + _longest(cmd, "description")
    for opt in cmd.get("options") or []:
        if isinstance(opt, dict):
            total += command_size(opt)
    for choice in cmd.get("choices") or []:
        if isinstance(choice, dict):
            total += _longest(choice, "name") + len(str(choice.get("value", "")))
    return total


def _longest(node: dict[str, Any], field: str) -> int:
    texts = [node.get(field) or ""]
    localised = node.get(f"{field}_localizations")
    if isinstance(localised, dict):
        texts += [v for v in localised.values() if isinstance(v, str)]
    return max(len(str(t)) for t in texts)


def _command(errs: _Errors, p: Path, cmd: dict[str, Any], kind: int) -> None:
    name = cmd.get("name")
    name = name if isinstance(name, str) else ""
    description = cmd.get("description") or ""
    if kind == CHAT_INPUT:
        _name(errs, [*p, "name"], name)
        _description(errs, [*p, "description"], description)
    else:
        if not 1 <= len(name) <= NAME_MAX:
            errs.add(
                [*p, "name"], "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {NAME_MAX} in length."
            )
        if description:
            errs.add(
                [*p, "description"],
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID",
                "User and message commands must have an empty description",
            )
        if cmd.get("options"):
            errs.add(
                [*p, "options"],
                "APPLICATION_COMMAND_OPTIONS_INVALID",
                "Only slash commands can have options",
            )
    _localisations(errs, p, cmd, chat=kind == CHAT_INPUT)
    if kind == CHAT_INPUT:
        _options(errs, p, cmd.get("options") or [], parent=None)
        if command_size(cmd) > COMMAND_SIZE_MAX:
            errs.add(
                p,
                "APPLICATION_COMMAND_TOO_LARGE",
                f"Command exceeds maximum size ({COMMAND_SIZE_MAX})",
            )


def _name(errs: _Errors, path: Path, name: str) -> None:
    if not CHAT_NAME.match(name):
        errs.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    elif name != name.lower():
        errs.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name must be lowercase")


def _description(errs: _Errors, path: Path, description: str) -> None:
    if not 1 <= len(description) <= DESCRIPTION_MAX:
        errs.add(
            path,
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 1 and {DESCRIPTION_MAX} in length.",
        )


def _localisations(errs: _Errors, p: Path, node: dict[str, Any], *, chat: bool) -> None:
    for field in ("name", "description"):
        values = node.get(f"{field}_localizations")
        if not isinstance(values, dict):
            continue
        for locale, text in values.items():
            at: Path = [*p, f"{field}_localizations", locale]
            if locale not in LOCALES:
                errs.add(
                    at,
                    "BASE_TYPE_CHOICES",
                    f"Value must be one of {sorted(LOCALES)}.",
                )
                continue
            text = text if isinstance(text, str) else ""
            if field == "name" and chat:
                _name(errs, at, text)
            elif field == "name":
                if not 1 <= len(text) <= NAME_MAX:
                    errs.add(
                        at, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {NAME_MAX} in length."
                    )
            else:
                _description(errs, at, text)


def _options(errs: _Errors, p: Path, options: list[Any], *, parent: int | None) -> None:
    """`parent`: None for the command's own options, else the sub-command (group) type."""
    if len(options) > OPTIONS_MAX:
        errs.add(
            [*p, "options"], "BASE_TYPE_MAX_LENGTH", f"Must be {OPTIONS_MAX} or fewer in length."
        )
    kinds = [o.get("type") for o in options if isinstance(o, dict)]
    nesting = [k for k in kinds if k in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if nesting and len(nesting) != len(kinds):
        errs.add(
            [*p, "options"],
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all "
            "other types",
        )
    elif (parent == SUB_COMMAND_GROUP and any(k != SUB_COMMAND for k in kinds)) or (
        parent == SUB_COMMAND and nesting
    ):
        errs.add(
            [*p, "options"],
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "A sub-command group holds only sub-commands; a sub-command holds no sub-commands",
        )
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            continue
        o: Path = [*p, "options", i]
        kind = opt.get("type")
        name = opt.get("name") if isinstance(opt.get("name"), str) else ""
        _name(errs, [*o, "name"], name)
        if name in names:
            errs.add(
                [*o, "name"],
                "APPLICATION_COMMAND_OPTION_NAME_DUPLICATED",
                "Option names must be unique within their command or subcommand",
            )
        names.add(name)
        _description(errs, [*o, "description"], opt.get("description") or "")
        _localisations(errs, o, opt, chat=True)
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if opt.get("required") is not None:
                errs.add(
                    [*o, "required"],
                    "APPLICATION_COMMAND_OPTION_REQUIRED_INVALID",
                    "Sub-commands and sub-command groups cannot be required",
                )
            _options(errs, o, opt.get("options") or [], parent=kind)
            continue
        if opt.get("required"):
            if seen_optional:
                errs.add(
                    [*o, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        _choices(errs, o, opt, kind)


def _choices(errs: _Errors, o: Path, opt: dict[str, Any], kind: Any) -> None:
    choices = opt.get("choices") or []
    if choices and kind not in CHOICE_TYPES:
        errs.add(
            [*o, "choices"],
            "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
            "Only string, integer and number options can have choices",
        )
    if opt.get("autocomplete"):
        if kind not in CHOICE_TYPES:
            errs.add(
                [*o, "autocomplete"],
                "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_INVALID",
                "Only string, integer and number options can autocomplete",
            )
        if choices:
            errs.add(
                [*o, "autocomplete"],
                "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
                "Autocomplete and choices are mutually exclusive",
            )
    if len(choices) > CHOICES_MAX:
        errs.add(
            [*o, "choices"], "BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES_MAX} or fewer in length."
        )
    for j, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        c: Path = [*o, "choices", j]
        name = choice.get("name") if isinstance(choice.get("name"), str) else ""
        if not 1 <= len(name) <= CHOICE_NAME_MAX:
            errs.add(
                [*c, "name"],
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {CHOICE_NAME_MAX} in length.",
            )
        localised = choice.get("name_localizations")
        if isinstance(localised, dict):
            for locale, text in localised.items():
                at: Path = [*c, "name_localizations", locale]
                if locale not in LOCALES:
                    errs.add(at, "BASE_TYPE_CHOICES", f"Value must be one of {sorted(LOCALES)}.")
                elif not isinstance(text, str) or not 1 <= len(text) <= CHOICE_NAME_MAX:
                    errs.add(
                        at,
                        "BASE_TYPE_BAD_LENGTH",
                        f"Must be between 1 and {CHOICE_NAME_MAX} in length.",
                    )
        value = choice.get("value")
        if kind == STRING and (not isinstance(value, str) or len(value) > CHOICE_VALUE_MAX):
            errs.add(
                [*c, "value"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {CHOICE_VALUE_MAX} or fewer in length.",
            )
