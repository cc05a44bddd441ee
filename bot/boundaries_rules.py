"""The rules of boundaries and pace, as plain functions (no discord, no database).

`bot.boundaries` stores and fetches; everything here decides. Two kinds of settings:

- per person, everywhere: time zone, quiet hours, pause, whether Hearth may DM them;
- per person per server: comfort depth, topics to skip, what they take part in (the
  opt-ins each practice declares: `OptIn`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot import timeutil
from bot.decks import DEPTHS, SENSITIVE_TOPICS

__all__ = [
    "ACTIVE_OPT_IN",
    "ACTIVE_WINDOW",
    "DEPTH_LEVELS",
    "MAX_QUIET",
    "PAUSES",
    "BoundaryError",
    "DepthLevel",
    "MemberPrefs",
    "OptIn",
    "PersonPrefs",
    "check_opt_in",
    "check_quiet_hours",
    "check_topics",
    "depth_label",
    "group_depth",
    "is_active",
    "is_paused",
    "may_dm",
    "next_dm_time",
    "pause_end",
    "quiet_length",
]


class BoundaryError(ValueError):
    """A setting that can't be saved. Its message is written for the person."""


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True, slots=True)
class DepthLevel:
    depth: int
    name: str
    hint: str  # one line, fits a select option description (≤ 100)


DEPTH_LEVELS: dict[int, DepthLevel] = {
    1: DepthLevel(1, "Light", "Easy, everyday questions: fun to answer, nothing heavy."),
    2: DepthLevel(2, "Personal", "Feelings, hopes and stories you'd tell a good friend."),
    3: DepthLevel(3, "Deep", "The tender things: fears, hurts and what matters most."),
}
assert tuple(DEPTH_LEVELS) == DEPTHS  # one vocabulary with the prompt decks

_OPT_IN_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True, slots=True)
class OptIn:
    """Something a person takes part in, per server: declared by the cog that offers it
    (`opt_ins = (OptIn(…),)` on the cog, like `personal_data`), listed in `/boundaries
    mine`, asked through `bot.boundaries.participates` / `participants`.

    Stored as a row per person and server once they choose (`member_opt_ins`); until
    then `default` holds. Only something that never reaches out to a person may start
    on (answering a group prompt is voluntary); pairs, reminders and DMs start off.
    """

    key: str  # stored: lowercase, unique across Hearth, never renamed
    label: str  # what people read in the panel (a select option: ≤ 100)
    hint: str  # one line under it (≤ 100)
    default: bool = False
    # Taking part means Hearth DMs them (check-ins): choosing it in the panel allows DMs.
    by_dm: bool = False

    def __post_init__(self) -> None:
        if not _OPT_IN_KEY.fullmatch(self.key):
            raise ValueError(f"opt-in key {self.key!r}: lowercase letters, digits, _")


# Taking part in this one (the weekly prompt, declared by cogs/prompts) is what makes an
# *active participant*: whose comfort caps the group's depth and whose "I'm in" a deeper
# level needs. The one opt-in the core knows by name.
ACTIVE_OPT_IN = "prompts"

# Someone who hasn't used Hearth in a server for this long no longer holds its pace.
ACTIVE_WINDOW = timedelta(days=30)

# Longer quiet hours than this leave almost no time for a message; it's far more often
# a window typed the wrong way round (07:00 → 22:00 for 22:00 → 07:00).
MAX_QUIET = timedelta(hours=18)

# Pause choices: key → (label, length; None = until the person resumes).
PAUSES: dict[str, tuple[str, timedelta | None]] = {
    "day": ("Pause for a day", timedelta(days=1)),
    "week": ("Pause for a week", timedelta(days=7)),
    "resume": ("Pause until I resume", None),
}


def depth_label(depth: int) -> str:
    """ "2 · Personal" — how a depth reads everywhere."""
    level = DEPTH_LEVELS[depth]
    return f"{level.depth} · {level.name}"


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class PersonPrefs:
    """One person's settings everywhere. The defaults are what a stranger gets."""

    user_id: int
    timezone: str | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    paused_until: datetime | None = None
    paused_indefinitely: bool = False
    dms_allowed: bool = False  # never on until the person says so
    dm_unreachable: bool = False  # a DM failed with 50007; cleared when they use Hearth

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        if self.quiet_start is None or self.quiet_end is None:
            return None
        return self.quiet_start, self.quiet_end


@dataclass(frozen=True, slots=True)
class MemberPrefs:
    """One person's settings in one server; the row exists once they used Hearth there."""

    guild_id: int
    user_id: int
    comfort_depth: int | None = None  # None: follow the group
    skip_topics: frozenset[str] = frozenset()
    opt_ins: frozenset[str] = frozenset()  # the keys they take part in (defaults included)
    last_seen: datetime | None = None


# --------------------------------------------------------------------------- rules


def is_paused(person: PersonPrefs, at: datetime) -> bool:
    if person.paused_indefinitely:
        return True
    return person.paused_until is not None and at < person.paused_until


def pause_end(choice: str, now: datetime) -> datetime | None:
    """When a pause chosen now ends; None means "until I resume"."""
    if choice not in PAUSES:
        raise BoundaryError("That isn't one of the pause choices — pick one from the panel.")
    length = PAUSES[choice][1]
    return None if length is None else now + length


def _in_quiet_hours(person: PersonPrefs, at: datetime) -> bool:
    window = person.quiet_hours
    if window is None:
        return False
    return timeutil.in_quiet_hours(at, *window, person.timezone or "UTC")


def may_dm(person: PersonPrefs, at: datetime) -> bool:
    """Whether a DM may go out to this person at `at`."""
    if not person.dms_allowed or person.dm_unreachable or is_paused(person, at):
        return False
    return not _in_quiet_hours(person, at)


def next_dm_time(person: PersonPrefs, at: datetime) -> datetime | None:
    """When a DM asked for at `at` may go out, or None when it must not go at all.

    Quiet hours defer a DM to their end and never drop it. A pause, DMs switched off
    or a closed inbox drop it: a pause means "nothing for now", not "save it all up".
    """
    if not person.dms_allowed or person.dm_unreachable or is_paused(person, at):
        return None
    window = person.quiet_hours
    if window is None:
        return at
    return timeutil.quiet_hours_end(at, *window, person.timezone or "UTC")


def is_active(member: MemberPrefs, person: PersonPrefs, at: datetime) -> bool:
    """An active participant of the server: takes part in prompts, not paused, seen lately.

    Active participants are the ones whose comfort caps the group and whose "I'm in"
    a deeper level needs.
    """
    if ACTIVE_OPT_IN not in member.opt_ins or is_paused(person, at):
        return False
    return member.last_seen is not None and at - member.last_seen <= ACTIVE_WINDOW


def group_depth(consented: int, comfort_depths: Iterable[int | None]) -> int:
    """The depth a group plays at: what it agreed on, capped by anyone's own comfort.

    Only explicit comfort settings cap; None means "follow the group".
    """
    depth = max(min(consented, max(DEPTHS)), min(DEPTHS))
    for comfort in comfort_depths:
        if comfort is not None:
            depth = min(depth, comfort)
    return depth


def quiet_length(start: time, end: time) -> timedelta:
    """How long a quiet window lasts on an ordinary day (it may cross midnight)."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return timedelta(minutes=minutes % (24 * 60))


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def check_quiet_hours(start: time, end: time) -> None:
    """Raise BoundaryError (kindly worded) unless [start, end) is a usable window."""
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("quiet hours are local wall times; pass naive times")
    try:
        timeutil.validate_quiet_hours(
            start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
        )
    except ValueError as exc:  # an empty window; its message is written for people
        raise BoundaryError(str(exc)) from None
    length = quiet_length(start, end)
    if length > MAX_QUIET:
        hours = round(length.total_seconds() / 3600)
        raise BoundaryError(
            f"That would keep things quiet for about {hours} hours a day, leaving hardly any "
            f"time for a message. Did you mean {_hhmm(end)} to {_hhmm(start)}?"
        )


def check_topics(topics: Iterable[str]) -> frozenset[str]:
    """The chosen topics, all known to the decks; BoundaryError for anything else."""
    chosen = frozenset(topics)
    unknown = chosen - SENSITIVE_TOPICS.keys()
    if unknown:
        raise BoundaryError("I don't know one of those topics — pick them from the list.")
    return chosen


def check_opt_in(key: str, declared: Mapping[str, OptIn]) -> OptIn:
    """The declared opt-in with this key; BoundaryError (kindly worded) for anything else."""
    found = declared.get(key)
    if found is None:
        raise BoundaryError("I don't know that one — pick it from the list.")
    return found
