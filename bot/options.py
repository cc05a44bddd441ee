"""Every slash-command option checked on Hearth's side against what the command declares.

Discord's client keeps numbers inside an option's min/max, text inside its length and
picks inside its choices — but a tampered client can send anything, and Discord passes it
on. discord.py doesn't check either. So the command tree checks every value here, once,
before any command runs (`HearthTree.interaction_check`): a command added later is covered
without a line of its own.
"""

from __future__ import annotations

import math
from typing import Any

from discord import AppCommandOptionType
from discord.app_commands import Command, Namespace

# Discord's own bounds for options that declare none: integers are ±2^53, text ≤ 6000.
INTEGER_LIMIT = 2**53
TEXT_LIMIT = 6000

_NUMBERS = (AppCommandOptionType.integer, AppCommandOptionType.number)


def _shown(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else f"{value:,}"


def refusal(command: Command[Any, ..., Any], namespace: Namespace) -> str | None:
    """A kind sentence when an option's value is outside what the command declares."""
    for param in command.parameters:
        name = param.display_name
        if name not in namespace:
            continue
        value = namespace[name]
        if value is None:
            continue
        if param.type in _NUMBERS:
            whole = param.type is AppCommandOptionType.integer
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (whole and not isinstance(value, int))
                or not math.isfinite(value)
            ):
                kind = "a whole number" if whole else "a number"
                return f"**{name}** takes {kind}. Could you try again with one?"
            low = param.min_value if param.min_value is not None else -INTEGER_LIMIT
            high = param.max_value if param.max_value is not None else INTEGER_LIMIT
            if not low <= value <= high:
                return (
                    f"**{name}** goes from {_shown(low)} to {_shown(high)}. Could you pick a "
                    "number in between?"
                )
        elif param.type is AppCommandOptionType.string:
            if not isinstance(value, str):
                return f"**{name}** takes text. Could you try again?"
            shortest = int(param.min_value) if param.min_value is not None else 0
            longest = int(param.max_value) if param.max_value is not None else TEXT_LIMIT
            if not shortest <= len(value) <= longest:
                return (
                    f"**{name}** takes {shortest} to {longest:,} characters. Could you fit it in?"
                )
        if param.choices and value not in {c.value for c in param.choices}:
            return f"**{name}** has a few set choices. Could you pick one of them?"
    return None
