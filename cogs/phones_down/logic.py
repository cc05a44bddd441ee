"""The rules of phones down, as plain functions: no discord, no database.

A challenge is a lobby (people join), then running (Hearth keeps quiet and only
notices who picks a phone up), then ended (one results message). Everything here
decides; `store` keeps and `cog` talks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum

from bot import timeutil
from bot.boundaries_rules import OptIn

# What someone chooses in `/boundaries mine` to get the ping when a weekly session's card
# goes up.
REMINDERS = OptIn(
    "phones_down",
    "Phones-down reminders",
    "A nudge when the group plans some phones-down time.",
)

# --------------------------------------------------------------------------- closed sets


class ChallengeStatus(StrEnum):
    """A challenge's life: lobby → running → ended; cancelled when nobody joined (or the
    start passed while Hearth was offline, or its weekly time was stopped)."""

    LOBBY = "lobby"
    RUNNING = "running"
    ENDED = "ended"
    CANCELLED = "cancelled"


LIVE = (ChallengeStatus.LOBBY, ChallengeStatus.RUNNING)


class SessionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class SessionPause(StrEnum):
    """Why a weekly session paused itself."""

    QUIET = "quiet"  # a few weeks in a row that nobody joined
    CHANNEL = "channel"  # Hearth couldn't post in its channel


class ResultsWhere(StrEnum):
    """Where a challenge's results went."""

    CHANNEL = "channel"
    DM = "dm"  # to whoever started it: the channel refused them
    NOWHERE = "nowhere"


class Action(StrEnum):
    """What a button on a challenge's posts does (`hearth:pd:<action>:<challenge id>`)."""

    JOIN = "join"
    LEAVE = "leave"
    GO = "go"  # start now
    AWAY = "away"  # step away from a running challenge
    ANSWER = "answer"  # the debrief question


# --------------------------------------------------------------------------- limits

MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(hours=4)
DEFAULT_JOIN_WINDOW = timedelta(minutes=2)
MIN_JOIN_WINDOW = timedelta(minutes=1)
MAX_JOIN_WINDOW = timedelta(minutes=30)
DEFAULT_REMINDER = timedelta(minutes=15)
MIN_REMINDER = timedelta(minutes=5)
MAX_REMINDER = timedelta(hours=3)
# A lobby whose start passed this long ago while Hearth was offline is let go kindly:
# springing a timer on friends hours after they gathered helps nobody.
STALE_START = timedelta(minutes=30)
# Results posted this long after the planned end say they are late.
LATE_AFTER = timedelta(minutes=2)
# A weekly session pauses itself after this many sessions in a row that nobody joined.
QUIET_ROUNDS_TO_PAUSE = 3
# The forest shows this many weeks.
FOREST_WEEKS = 12
TITLE_MAX = 80

DURATION_SUGGESTIONS: tuple[tuple[str, str], ...] = (
    ("15 minutes", "15m"),
    ("30 minutes", "30m"),
    ("45 minutes", "45m"),
    ("1 hour", "1h"),
    ("1½ hours", "1h30m"),
    ("2 hours", "2h"),
    ("3 hours", "3h"),
)


class RuleError(ValueError):
    """Input that breaks a rule. The message is written for the person."""


def _parse(text: str, hint: str) -> timedelta:
    try:
        return timeutil.parse_duration(text)
    except ValueError as exc:
        raise RuleError(f"{exc} {hint}".strip()) from None


def parse_challenge_duration(text: str) -> int:
    """Whole minutes from "45m", "1h30m", "90"…; RuleError outside 10 minutes – 4 hours."""
    hint = "A phones-down time can be anything from 10 minutes to 4 hours."
    minutes = round(_parse(text, hint).total_seconds() / 60)
    if not MIN_DURATION <= timedelta(minutes=minutes) <= MAX_DURATION:
        raise RuleError(
            f"{hint} {describe_minutes(minutes)} is outside that — try something like 45m or 1h30m."
        )
    return minutes


def parse_join_window(text: str | None) -> timedelta:
    """How long the lobby stays open; 2 minutes unless told. RuleError outside 1–30 minutes."""
    if text is None or not text.strip():
        return DEFAULT_JOIN_WINDOW
    hint = "The join window can be 1 to 30 minutes."
    window = timedelta(minutes=round(_parse(text, hint).total_seconds() / 60))
    if not MIN_JOIN_WINDOW <= window <= MAX_JOIN_WINDOW:
        raise RuleError(f"{hint} Try 2m or 5m.")
    return window


def parse_reminder(text: str | None) -> int:
    """Minutes before a session the reminder goes out; 15 unless told (5 minutes – 3 hours)."""
    if text is None or not text.strip():
        return int(DEFAULT_REMINDER.total_seconds() // 60)
    hint = "The reminder can go out 5 minutes to 3 hours before."
    minutes = round(_parse(text, hint).total_seconds() / 60)
    if not MIN_REMINDER <= timedelta(minutes=minutes) <= MAX_REMINDER:
        raise RuleError(f"{hint} Try 15m or 1h.")
    return minutes


def clean_title(text: str | None) -> str | None:
    """A title on one line, at most 80 characters; None when empty."""
    if text is None:
        return None
    title = " ".join(text.split())[:TITLE_MAX].strip()
    return title or None


def describe_minutes(minutes: int) -> str:
    """ "45 minutes", "1 hour", "1 hour 30 minutes", "2 hours"."""
    hours, mins = divmod(max(0, int(minutes)), 60)
    parts: list[str] = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if mins or not hours:
        parts.append(f"{mins} minute" + ("s" if mins != 1 else ""))
    return " ".join(parts)


# --------------------------------------------------------------------------- taking part


class Outcome(Enum):
    MADE_IT = "made_it"
    PICKED_UP = "picked_up"
    STEPPED_AWAY = "stepped_away"


@dataclass(frozen=True, slots=True)
class Taking:
    """One person's part in one challenge."""

    user_id: int
    joined_at: datetime
    picked_up_at: datetime | None = None
    stepped_away_at: datetime | None = None


def outcome(part: Taking) -> Outcome:
    """Whatever happened first decides: a pick-up, stepping away, or neither (made it)."""
    picked, away = part.picked_up_at, part.stepped_away_at
    if picked is None and away is None:
        return Outcome.MADE_IT
    if picked is None:
        return Outcome.STEPPED_AWAY
    if away is None or picked < away:
        return Outcome.PICKED_UP
    return Outcome.STEPPED_AWAY


def phone_free_minutes(part: Taking, started_at: datetime, ends_at: datetime) -> int:
    """Whole minutes this person spent phone-free: from when they were in until the end,
    a pick-up or stepping away, whichever came first."""
    begin = max(started_at, part.joined_at)
    stops = [ends_at, *(t for t in (part.picked_up_at, part.stepped_away_at) if t is not None)]
    end = min(stops)
    if end <= begin:
        return 0
    return int((end - begin).total_seconds() // 60)


def late_join_until(started_at: datetime, ends_at: datetime) -> datetime:
    """Late joins are welcome until half-time."""
    return started_at + (ends_at - started_at) / 2


def can_join_late(started_at: datetime, ends_at: datetime, now: datetime) -> bool:
    return now < late_join_until(started_at, ends_at)


@dataclass(frozen=True, slots=True)
class Results:
    participants: int
    made_it: tuple[int, ...]  # user ids, in the order they joined
    stepped_away: int
    free_minutes: int

    @property
    def share(self) -> float:
        """How much of the group made it (0–1), what makes a tree full."""
        return len(self.made_it) / self.participants if self.participants else 0.0


def results(parts: Sequence[Taking], started_at: datetime, ends_at: datetime) -> Results:
    ordered = sorted(parts, key=lambda p: (p.joined_at, p.user_id))
    outcomes = [outcome(p) for p in ordered]
    return Results(
        participants=len(ordered),
        made_it=tuple(
            p.user_id for p, o in zip(ordered, outcomes, strict=True) if o is Outcome.MADE_IT
        ),
        stepped_away=sum(1 for o in outcomes if o is Outcome.STEPPED_AWAY),
        free_minutes=sum(phone_free_minutes(p, started_at, ends_at) for p in ordered),
    )


# --------------------------------------------------------------------------- streaks and stats


def iso_week(day: date) -> str:
    """The ISO week of a local date, spelled like `timeutil.week_key` ("2026-W43")."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def streak(active_weeks: Collection[str], today: date, *, grace: int = 1) -> int:
    """Weeks with at least one completed session, counted back from this week.

    This week counts when it has a session and never breaks anything while it is still
    going. A single quiet week between sessions is forgiven (the grace week) but not
    counted; two quiet weeks in a row end the streak.
    """
    count = 0
    gap = 0
    day = today
    if iso_week(day) in active_weeks:
        count = 1
    while True:
        day -= timedelta(days=7)
        if iso_week(day) in active_weeks:
            count += 1
            gap = 0
            continue
        gap += 1
        if gap > grace:
            return count


@dataclass(frozen=True, slots=True)
class Session:
    """An ended challenge, as the stats see it."""

    started_at: datetime
    duration_minutes: int
    participants: int
    made_it: int
    free_minutes: int

    @property
    def share(self) -> float:
        return self.made_it / self.participants if self.participants else 0.0


@dataclass(frozen=True, slots=True)
class GroupStats:
    sessions: int
    free_minutes: int
    longest_minutes: int
    most_together: int
    streak: int


def group_stats(sessions: Iterable[Session], now: datetime, tz: str) -> GroupStats:
    items = list(sessions)
    weeks = {timeutil.week_key(s.started_at, tz) for s in items}
    today = timeutil.to_local(now, tz).date()
    return GroupStats(
        sessions=len(items),
        free_minutes=sum(s.free_minutes for s in items),
        longest_minutes=max((s.duration_minutes for s in items), default=0),
        most_together=max((s.participants for s in items), default=0),
        streak=streak(weeks, today),
    )


@dataclass(frozen=True, slots=True)
class PersonalStats:
    sessions: int
    free_minutes: int
    whole_way: int


def personal_stats(mine: Iterable[tuple[Taking, datetime, datetime]]) -> PersonalStats:
    """From (their part, started_at, ends_at) of each ended challenge they joined."""
    items = list(mine)
    return PersonalStats(
        sessions=len(items),
        free_minutes=sum(phone_free_minutes(p, s, e) for p, s, e in items),
        whole_way=sum(1 for p, _, _ in items if outcome(p) is Outcome.MADE_IT),
    )


def forest(sessions: Iterable[Session], now: datetime, tz: str) -> list[list[float]]:
    """The last 12 local weeks, oldest first; each week holds one fullness (0–1) per session."""
    today = timeutil.to_local(now, tz).date()
    keys = [iso_week(today - timedelta(days=7 * back)) for back in range(FOREST_WEEKS - 1, -1, -1)]
    columns: dict[str, list[float]] = {key: [] for key in keys}
    for s in sorted(sessions, key=lambda s: s.started_at):
        key = timeutil.week_key(s.started_at, tz)
        if key in columns:
            columns[key].append(s.share)
    return [columns[key] for key in keys]


def week_labels(now: datetime, tz: str) -> list[str]:
    """Short labels for the forest's columns ("3 Mar"), the Monday of each week."""
    today = timeutil.to_local(now, tz).date()
    monday = today - timedelta(days=today.weekday())
    days = [monday - timedelta(days=7 * back) for back in range(FOREST_WEEKS - 1, -1, -1)]
    return [f"{d.day} {d.strftime('%b')}" for d in days]


# --------------------------------------------------------------------------- words


def name_list(user_ids: Sequence[int]) -> str:
    return ", ".join(f"<@{uid}>" for uid in user_ids)


def results_lines(res: Results, streak_weeks: int, *, late: bool) -> list[str]:
    """The results message, celebrating the group. Only those who made it are named."""
    lines: list[str] = []
    if late:
        lines.append(
            "_I was offline when this one ended, so the results come a little late — sorry._"
        )
    if res.participants and len(res.made_it) == res.participants:
        if res.participants == 1:
            lines.append(f"{name_list(res.made_it)} made it the whole way. 🌳 Lovely.")
        else:
            lines.append(
                f"All **{res.participants}** of you made it the whole way — "
                f"{name_list(res.made_it)}. 🌳 That's wonderful."
            )
    elif res.made_it:
        lines.append(
            f"**{len(res.made_it)} of {res.participants}** made it the whole way — "
            f"{name_list(res.made_it)}. 🌿"
        )
        lines.append("Everyone who joined gave it a real go, and that's what counts.")
    else:
        lines.append(
            "Phones found their way back this time, and that's completely okay — "
            "it happens to all of us. 🌱"
        )
    lines.append(f"Together you shared **{describe_minutes(res.free_minutes)}** phone-free.")
    if streak_weeks >= 2:
        lines.append(f"🔥 **{streak_weeks} weeks** in a row with phones-down time together.")
    elif streak_weeks == 1:
        lines.append("🌱 That's phones-down time for this week — a streak can grow from here.")
    return lines


def streak_line(weeks: int) -> str:
    if weeks >= 2:
        return f"🔥 {weeks} weeks in a row"
    if weeks == 1:
        return "🌱 1 week — growing"
    return "Ready for a fresh start"
