"""The rules of the weekly group prompt, as plain functions (no discord, no database).

- which practice is this week's (rotation through the practices that are on, or a pin);
- when the weekly prompt is due, and whether a late one is still worth posting;
- when a round may be revealed before its deadline (a day up, 2+ answers, and everyone who
  took part in the last three prompts in) and whether it may be revealed at all (2+);
- when a quiet room pauses the schedule (3 weekly prompts in a row without answers);
- how answers are checked and shuffled.

(How long answers are kept is the server's retention period: `bot.retention`.)
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar

from bot import timeutil
from bot.practices import KEYS

T = TypeVar("T")

# A prompt that fell due while Hearth was down is still posted this long after its time.
LATE_LIMIT = timedelta(hours=6)

# Answers are revealed after this long (or sooner: see `early_reveal_at`).
DEFAULT_DEADLINE_HOURS = 48
MIN_DEADLINE_HOURS = 1
# Under a week, so a round always closes before the next weekly prompt.
MAX_DEADLINE_HOURS = 144

# Fewer answers than this are never revealed: nobody is exposed alone.
MIN_TO_REVEAL = 2

# A reveal before the deadline waits for the people who took part (answered or skipped) in
# the group's last RECENT_ROUNDS prompts, and never comes before a prompt has been up this
# long: one turn of the clock, so everyone, wherever they live, gets a waking day to see it.
# (Who merely used Hearth lately says little about who answers prompts: in a new server
# that was only its admin, and two answers in eight minutes closed the first prompt.)
EARLY_REVEAL_AFTER = timedelta(hours=24)
RECENT_ROUNDS = 3

# Weekly prompts in a row without a single answer before the schedule pauses itself.
SILENT_WEEKS_TO_PAUSE = 3

MAX_ANSWER_CHARS = 1000


class PauseReason(StrEnum):
    """Why a schedule is paused (stored in the database)."""

    SILENT = "silent"  # three weekly prompts in a row without an answer
    CHANNEL = "channel"  # Hearth can't post in its channel


class RoundStatus(StrEnum):
    """A round's life: posting → open → revealed | quiet; failed when the post never landed."""

    POSTING = "posting"
    OPEN = "open"
    REVEALED = "revealed"
    QUIET = "quiet"
    FAILED = "failed"


LIVE_STATUSES = (RoundStatus.POSTING, RoundStatus.OPEN)
CLOSED_STATUSES = (RoundStatus.REVEALED, RoundStatus.QUIET)


class RoundKind(StrEnum):
    WEEKLY = "weekly"  # the schedule's
    MANUAL = "manual"  # an admin's `/hearth prompt now`


class Skip(StrEnum):
    """What "Skip this one" did."""

    SKIPPED = "skipped"
    ANSWERED = "answered"  # they had answered: the answer stays
    CLOSED = "closed"  # the round closed meanwhile


class PanelAction(StrEnum):
    """What a button on someone's private answer panel does (its custom id names it)."""

    NAMED = "named"  # answer with my name
    ANON = "anon"  # answer anonymously
    EDIT = "edit"
    NAME_ON = "name_on"  # show my name on my answer
    NAME_OFF = "name_off"  # make it anonymous
    WITHDRAW = "withdraw"


class AnswerProblem(ValueError):
    """An answer that can't be saved as it is. The message is written for the person."""


# --------------------------------------------------------------------------- the schedule


def last_occurrence(now: datetime, weekday: int, at: time, tz: str) -> datetime:
    """The latest weekly occurrence at or before `now` (DST-safe, like `next_weekly`)."""
    candidate = timeutil.next_weekly(now - timedelta(days=8), weekday, at, tz)
    while True:
        following = timeutil.next_weekly(candidate, weekday, at, tz)
        if following > now:
            return candidate
        candidate = following


def is_occurrence(when: datetime, weekday: int, at: time, tz: str) -> bool:
    """Whether `when` is exactly one of the schedule's weekly instants."""
    return timeutil.next_weekly(when - timedelta(microseconds=1), weekday, at, tz) == when


def too_late(now: datetime, occurrence: datetime) -> bool:
    """A prompt more than LATE_LIMIT past its time is skipped, not posted late."""
    return now - occurrence > LATE_LIMIT


def missed_occurrence(
    now: datetime,
    weekday: int,
    at: time,
    tz: str,
    *,
    configured_at: datetime | None,
    done_weeks: Collection[str],
) -> datetime | None:
    """On start: the occurrence that fell due while Hearth was down and is still worth
    posting (within LATE_LIMIT, after the server set Hearth up, not yet in the ledger)."""
    return Occurrences(now).missed(
        weekday, at, tz, configured_at=configured_at, done_weeks=done_weeks
    )


class Occurrences:
    """Weekly schedules around one instant, each worked out once: on start thousands of
    servers share a handful of (weekday, time, zone), and each costs ~30 µs to find."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        # (weekday, time, zone) → (the latest occurrence at or before now, its week, the
        # first after now)
        self._known: dict[tuple[int, time, str], tuple[datetime, str, datetime]] = {}

    def _around(self, weekday: int, at: time, tz: str) -> tuple[datetime, str, datetime]:
        key = (weekday, at, tz)
        known = self._known.get(key)
        if known is None:
            last = last_occurrence(self.now, weekday, at, tz)
            following = timeutil.next_weekly(last, weekday, at, tz)
            known = self._known[key] = (last, timeutil.week_key(last, tz), following)
        return known

    def following(self, weekday: int, at: time, tz: str) -> datetime:
        """The first occurrence strictly after now (`timeutil.next_weekly(now, …)`)."""
        return self._around(weekday, at, tz)[2]

    def missed(
        self,
        weekday: int,
        at: time,
        tz: str,
        *,
        configured_at: datetime | None,
        done_weeks: Collection[str],
    ) -> datetime | None:
        """`missed_occurrence` at this instant."""
        occurrence, week, _ = self._around(weekday, at, tz)
        if too_late(self.now, occurrence):
            return None
        if configured_at is not None and configured_at > occurrence:
            return None
        if week in done_weeks:
            return None
        return occurrence


def rotation(on: Collection[str]) -> list[str]:
    """The practices that are on, in the practices' own order."""
    return [key for key in KEYS if key in on]


def next_practice(on: Collection[str], last: str | None, pinned: str | None) -> str | None:
    """This week's practice: the pin (while it is on), else the one after `last` in the
    rotation of practices that are on. None when no practice is on."""
    order = rotation(on)
    if not order:
        return None
    if pinned in order:
        return pinned
    if last is None or last not in KEYS:
        return order[0]
    start = KEYS.index(last)
    for step in range(1, len(KEYS) + 1):
        key = KEYS[(start + step) % len(KEYS)]
        if key in order:
            return key
    return order[0]  # pragma: no cover - the loop always finds one


def practices_from(on: Collection[str], first: str) -> list[str]:
    """The rotation starting at `first`: the order to fall back through when a practice has
    no prompt left for this group (everything in it skipped)."""
    order = rotation(on)
    if first not in order:
        return order
    i = order.index(first)
    return order[i:] + order[:i]


# --------------------------------------------------------------------------- answers


def check_answer(text: str | None, limit: int = MAX_ANSWER_CHARS) -> str:
    """The answer as it will be kept (trimmed), or AnswerProblem with a kind sentence."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise AnswerProblem(
            "That came through empty. Write a few words, or skip this one. That's fine too."
        )
    if len(cleaned) > limit:
        raise AnswerProblem(
            f"That's a little over the {limit:,} characters an answer can hold "
            f"(yours has {len(cleaned):,}). Could you trim it a bit?"
        )
    return cleaned


def everyone_done(expected: Collection[int], responded: Collection[int]) -> bool:
    """True when every expected participant has answered or skipped (and there is someone)."""
    wanted = set(expected)
    return bool(wanted) and wanted <= set(responded)


def early_reveal_possible(
    opened_at: datetime, closes_at: datetime, regulars: Collection[int]
) -> bool:
    """Whether this round can reveal before its deadline at all: somebody took part in the
    last prompts (a group's first prompts stay open the whole time, so everyone can find
    them), and the deadline is more than EARLY_REVEAL_AFTER away from the post."""
    return bool(regulars) and opened_at + EARLY_REVEAL_AFTER < closes_at


def early_reveal_at(
    opened_at: datetime,
    closes_at: datetime,
    regulars: Collection[int],
    answered: Collection[int],
    skipped: Collection[int],
) -> datetime | None:
    """The instant this round may be revealed before its deadline, as things stand, or None.

    All of: it has been up EARLY_REVEAL_AFTER; at least MIN_TO_REVEAL answers; and every
    regular — whoever answered or skipped one of the group's last RECENT_ROUNDS prompts —
    has answered or skipped this one. Anyone else's answer counts too; nobody else is
    waited for.
    """
    if not early_reveal_possible(opened_at, closes_at, regulars):
        return None
    if len(set(answered)) < MIN_TO_REVEAL:
        return None
    if not everyone_done(regulars, {*answered, *skipped}):
        return None
    return opened_at + EARLY_REVEAL_AFTER


def reveal_early(
    now: datetime,
    opened_at: datetime,
    closes_at: datetime,
    regulars: Collection[int],
    answered: Collection[int],
    skipped: Collection[int],
) -> bool:
    """Reveal now, before the deadline (see `early_reveal_at`)."""
    when = early_reveal_at(opened_at, closes_at, regulars, answered, skipped)
    return when is not None and now >= when


def outcome(answer_count: int) -> RoundStatus:
    """How a closing round ends: revealed with 2+ answers, quietly otherwise."""
    return RoundStatus.REVEALED if answer_count >= MIN_TO_REVEAL else RoundStatus.QUIET


def silent_streak(closed: Iterable[tuple[RoundKind, int]]) -> int:
    """Weekly prompts in a row, newest first, that got no answers.

    `closed` is (kind, answer_count) of closed rounds, newest first. Any round with an
    answer ends the streak; a prompt an admin posted by hand neither counts nor breaks it
    unless someone answered it.
    """
    streak = 0
    for kind, answers in closed:
        if answers > 0:
            break
        if kind == RoundKind.WEEKLY:
            streak += 1
    return streak


def should_pause(closed: Iterable[tuple[RoundKind, int]]) -> bool:
    return silent_streak(closed) >= SILENT_WEEKS_TO_PAUSE


def shuffled(items: Sequence[T], rng: random.Random | None = None) -> list[T]:
    """A fresh random order, so the order answers appear in says nothing about who or when."""
    out = list(items)
    (rng or random.SystemRandom()).shuffle(out)
    return out


def check_deadline_hours(hours: int) -> int:
    if not MIN_DEADLINE_HOURS <= hours <= MAX_DEADLINE_HOURS:
        raise ValueError(
            f"Pick a number of hours from {MIN_DEADLINE_HOURS} to {MAX_DEADLINE_HOURS} "
            "(up to six days, so each prompt closes before the next one)."
        )
    return hours
