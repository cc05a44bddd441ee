"""The rules of steady support and the words it says, without discord.

- Check-ins: how often, when the next one is due, and what happens to a due check-in
  when the person is in quiet hours, paused or unreachable (`decide`).
- The quiet watch: "check on me if I go quiet" fires once per quiet spell.
- Everything people read: the check-in, the replies, the circle's DMs, the safety text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot import timeutil
from bot.boundaries_rules import OptIn, PersonPrefs, is_paused, next_dm_time
from bot.guilds import WEEKDAYS

# What someone asks for with `/checkin start` (and may choose in `/boundaries mine`).
CHECKINS = OptIn(
    "checkins",
    "DM check-ins",
    "A gentle DM now and then asking how you are.",
    by_dm=True,
)

# --------------------------------------------------------------------------- closed sets


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    TWICE_WEEKLY = "twice_weekly"
    WEEKLY = "weekly"


class CheckinStatus(StrEnum):
    """A check-in DM's life: sent → answered | skipped; failed when it never arrived."""

    SENT = "sent"
    ANSWERED = "answered"
    SKIPPED = "skipped"
    FAILED = "failed"


class CircleStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class FriendDm(StrEnum):
    """A DM between friends: an invitation, a low-day signal, a quiet-watch note, "I'm
    here", "thinking of you"."""

    INVITE = "invite"
    SIGNAL = "signal"
    QUIET = "quiet"
    HERE = "here"
    THINKING = "thinking"


class Delivery(StrEnum):
    """How one friend DM went, as its sender hears it."""

    SENT = "sent"
    LATER = "later"  # waiting for the end of their quiet hours
    FAILED = "failed"  # their DMs are closed
    DROPPED = "dropped"  # they take nothing from Hearth right now


class Deferral(StrEnum):
    """Why a due check-in didn't go now (`Later.why`, logged)."""

    QUIET = "quiet"
    PAUSED = "paused"
    NO_DMS = "no_dms"
    OPTED_OUT = "opted_out"
    STALE = "stale"


# --------------------------------------------------------------------------- schedules

FREQUENCIES: dict[Frequency, str] = {
    Frequency.DAILY: "Every day",
    Frequency.WEEKDAYS: "Weekdays (Monday to Friday)",
    Frequency.TWICE_WEEKLY: "Twice a week",
    Frequency.WEEKLY: "Once a week",
}

DEFAULT_TIME = time(9, 0)
# A check-in spread: everyone's DM goes out up to this long after their chosen minute,
# the same offset for a person every time, so 1,000 people at 09:00 don't arrive at once.
JITTER = timedelta(seconds=120)
# A check-in that couldn't go out for this long (Hearth was down) isn't sent late.
STALE_AFTER = timedelta(hours=12)
# Answers older than this are deleted.
KEEP_ANSWERS = timedelta(days=365)
HISTORY_SIZE = 30

QUIET_DAYS = (2, 30)  # what people may choose for "check on me if I go quiet"
CIRCLE_MAX = 12
NOTE_MAX = 1000  # words added to a check-in
FRIEND_NOTE_MAX = 300  # an "I'm here" or "thinking of you" note
RESOURCES_MAX = 1500


def check_frequency(frequency: str) -> Frequency:
    if frequency not in FREQUENCIES:
        raise ValueError("Pick how often from the list: daily, weekdays, twice a week or weekly.")
    return Frequency(frequency)


def weekdays_for(frequency: str, day: int) -> frozenset[int] | None:
    """The local weekdays (0 = Monday) a schedule is due on; None means every day.

    Twice a week is the chosen day and three days later (Monday and Thursday).
    """
    chosen = check_frequency(frequency)
    if not 0 <= day <= 6:
        raise ValueError("day is 0 (Monday) to 6 (Sunday)")
    if chosen is Frequency.DAILY:
        return None
    if chosen is Frequency.WEEKDAYS:
        return frozenset(range(5))
    if chosen is Frequency.WEEKLY:
        return frozenset({day})
    return frozenset({day, (day + 3) % 7})


def next_slot(after: datetime, frequency: str, at: time, day: int, tz: str) -> datetime:
    """The first regular check-in time strictly after `after` (DST-safe)."""
    return timeutil.next_daily(after, at, tz, weekdays_for(frequency, day))


def jitter(user_id: int) -> timedelta:
    """The same small offset for a person every time, spread evenly over `JITTER`."""
    digest = hashlib.blake2b(user_id.to_bytes(8, "big", signed=False), digest_size=8).digest()
    return timedelta(seconds=int.from_bytes(digest, "big") % int(JITTER.total_seconds()))


def describe_schedule(frequency: str, at: time, day: int, tz: str) -> str:
    """ "every day at 09:00 (Europe/Berlin)" — how a schedule reads to its person."""
    hhmm = at.strftime("%H:%M")
    if frequency == Frequency.DAILY:
        when = "every day"
    elif frequency == Frequency.WEEKDAYS:
        when = "on weekdays"
    elif frequency == Frequency.WEEKLY:
        when = f"every {WEEKDAYS[day]}"
    else:
        when = f"on {WEEKDAYS[day]}s and {WEEKDAYS[(day + 3) % 7]}s"
    return f"{when} at {hhmm} ({tz})"


@dataclass(frozen=True, slots=True)
class Schedule:
    user_id: int
    guild_id: int
    frequency: Frequency
    local_time: time
    weekday: int
    active: bool
    next_slot: datetime | None
    next_send_at: datetime | None
    quiet_days: int | None
    quiet_since: datetime | None
    quiet_alerted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Send:
    """Send the check-in for `slot` now."""

    slot: datetime


@dataclass(frozen=True, slots=True)
class Later:
    """Not now: keep `slot` and try at `send_at` (quiet hours), or move on to a new slot."""

    slot: datetime
    send_at: datetime
    why: Deferral


Decision = Send | Later


def first_send(slot: datetime, user_id: int) -> datetime:
    return slot + jitter(user_id)


def following(schedule: Schedule, after: datetime, tz: str) -> datetime:
    return next_slot(after, schedule.frequency, schedule.local_time, schedule.weekday, tz)


def decide(
    schedule: Schedule, person: PersonPrefs, opted_in: bool, now: datetime, tz: str
) -> Decision:
    """What a due check-in job does. Nothing is dropped: a check-in that can't go out now
    moves to a later time — the end of quiet hours, the first regular time after a pause,
    or the next regular time (DMs off, unreachable, opted out in that server).
    """
    slot = schedule.next_slot or now
    send_at = schedule.next_send_at or slot

    def move_on(why: Deferral, after: datetime | None = None) -> Later:
        nxt = following(schedule, max(slot, after or now), tz)
        return Later(nxt, first_send(nxt, schedule.user_id), why)

    if not opted_in:
        return move_on(Deferral.OPTED_OUT)
    if not person.dms_allowed or person.dm_unreachable:
        return move_on(Deferral.NO_DMS)
    if is_paused(person, now):
        if person.paused_until is not None and not person.paused_indefinitely:
            # The first regular time at or after the pause ends.
            return move_on(Deferral.PAUSED, person.paused_until - timedelta(microseconds=1))
        return move_on(Deferral.PAUSED)
    if now - send_at > STALE_AFTER:
        return move_on(Deferral.STALE)
    may_go = next_dm_time(person, now)
    if may_go is None:  # pragma: no cover - every "don't send" case is handled above
        return move_on(Deferral.NO_DMS)
    if may_go > now:
        return Later(slot, may_go + jitter(schedule.user_id), Deferral.QUIET)
    return Send(slot)


# --------------------------------------------------------------------------- the quiet watch


def quiet_due(schedule: Schedule) -> datetime | None:
    """When the quiet watch should next look, or None when it's off or already fired."""
    if not schedule.active:
        return None
    return quiet_due_at(schedule.quiet_days, schedule.quiet_since, schedule.quiet_alerted_at)


def quiet_due_at(
    days: int | None, since: datetime | None, alerted_at: datetime | None
) -> datetime | None:
    """`quiet_due` of an active schedule, from its quiet-watch columns alone."""
    if days is None or since is None or alerted_at is not None:
        return None
    return since + timedelta(days=days)


def check_quiet_days(days: int) -> int:
    low, high = QUIET_DAYS
    if not low <= days <= high:
        raise ValueError(f"Pick between {low} and {high} days (or 0 to turn it off).")
    return days


# --------------------------------------------------------------------------- moods


@dataclass(frozen=True, slots=True)
class Mood:
    value: int
    emoji: str
    label: str
    reply: str


MOODS: dict[int, Mood] = {
    1: Mood(1, "😣", "Rough", "I'm really sorry today is rough. Thank you for telling me."),
    2: Mood(2, "😔", "Low", "Sorry it's a low one. Thanks for being honest with me."),
    3: Mood(3, "😐", "Okay", "Okay is a fine place to be. Thanks for checking in."),
    4: Mood(4, "🙂", "Good", "Glad to hear it. Thanks for checking in."),
    5: Mood(5, "😄", "Great", "Love that for you. Thanks for sharing it."),
}
LOW_MOODS = frozenset({1, 2})
LOWEST_MOOD = 1


def offers_circle(previous: int | None, mood: int, circle_told: bool) -> bool:
    """Offer to tell the circle when an answer becomes low (once per check-in)."""
    if circle_told or mood not in LOW_MOODS:
        return False
    return previous is None or previous not in LOW_MOODS


def shows_help(previous: int | None, mood: int) -> bool:
    """Show where to find help when the answer becomes the lowest one."""
    return mood == LOWEST_MOOD and previous != LOWEST_MOOD


# --------------------------------------------------------------------------- words: check-ins

CHECKIN_TITLE = "How are you, really?"
CHECKIN_ASK = (
    "Just between us — tap whatever's closest. You can add a few words if you like, "
    "or skip today. There's no wrong answer."
)
CHECKIN_FOOTER = "Only you see your answers · /checkin stop turns these off"
NOTE_SAVED = "📝 Your words are kept — only you can see them, in `/checkin history`."
SKIPPED = "No problem — skipped. I'll check in again next time."
CHANGE_HINT = "Tapped the wrong face? Just tap another."
STOPPED = (
    "Check-ins are off — no more DMs from me about them. You can start again any time "
    "with `/checkin start` in a server."
)
ALREADY_ANSWERED_SKIP = "You've already answered this one — nothing to skip."
NOT_YOURS = "That check-in isn't yours, or it's no longer here."

CIRCLE_OFFER = (
    "Would you like your circle to know you could use some support? Nothing else is shared."
)
CIRCLE_OFFER_EMPTY = (
    "If you'd like, pick a few friends for your support circle with `/support circle add`. "
    "Then, on days like this, one tap lets them know you could use some support — "
    "nothing else."
)
CIRCLE_KEPT = "Okay — this stays between us."
CIRCLE_NOBODY = (
    "Nobody has joined your circle yet, so there's no one to tell. You can invite friends "
    "with `/support circle add`."
)
CIRCLE_TOLD_ENOUGH = (
    "You've let your circle know a few times today already — they've heard you, and "
    "they know where to find you. 💛"
)

HELP_TITLE = "If you need help right now"
DEFAULT_RESOURCES = (
    "You don't have to get through this alone.\n"
    "• If you might be in danger, call your local emergency number now "
    "(for example 911, 112 or 999).\n"
    "• Free, confidential crisis lines in your country are listed at "
    "https://findahelpline.com.\n"
    "• Or reach out to someone you trust — a friend, family member or doctor.\n"
    "Hearth isn't a crisis service, but the people there are ready to listen."
)


def checkin_reply(mood: int | None, has_note: bool, skipped: bool) -> str:
    """The check-in DM's text after an answer."""
    parts: list[str] = []
    if mood is not None:
        m = MOODS[mood]
        parts.append(f"{m.emoji} **{m.label}** — {m.reply}")
    elif skipped:
        parts.append(SKIPPED)
    else:
        parts.append(CHECKIN_ASK)
    if has_note:
        parts.append(NOTE_SAVED)
    if mood is not None:
        parts.append(CHANGE_HINT)
    return "\n\n".join(parts)


def told_circle(sent: int, later: int, failed: int) -> str:
    """What the person sees after letting their circle know."""
    reached = sent + later
    if reached == 0:
        return (
            "I couldn't reach anyone in your circle by DM right now, I'm sorry. "
            "Maybe message one of them yourself — even a single word is enough."
        )
    people = "friend" if reached == 1 else "friends"
    line = f"Done — {reached} {people} will know you could use some support today."
    if later:
        line += f" ({later} will see it when their quiet hours end.)"
    line += " Nothing else was shared."
    if failed:
        line += (
            " I couldn't reach one of them by DM."
            if failed == 1
            else f" I couldn't reach {failed} of them by DM."
        )
    return line


# --------------------------------------------------------------------------- words: the circle


def invite_text(name: str) -> tuple[str, str]:
    return (
        f"{name} would like you in their support circle",
        "That means: on a rough day, if they choose to, I'll let you know they could use "
        "some support — and that's all that's ever shared. No details, no moods.\n\n"
        "It's completely fine to say no. They won't be told.",
    )


INVITE_ACCEPTED = "You're in their circle. Thank you for being there for them. 💛"
INVITE_DECLINED = "No problem at all — they won't be told."
INVITE_GONE = "That invitation isn't open any more."


def signal_text(name: str) -> tuple[str, str]:
    return (
        f"{name} could use some support today",
        "You're in their support circle. You don't need the perfect words — a simple "
        "“I'm here” goes a long way.",
    )


def quiet_text(name: str, days: int) -> tuple[str, str]:
    return (
        f"{name} has been quiet for a while",
        f"They haven't answered their check-ins for {days} days, and asked me to let their "
        "circle know if that happened. Maybe reach out and say hi? No pressure on either "
        "side.",
    )


def here_text(name: str) -> str:
    return f"💛 {name} is here for you."


def thinking_text(name: str) -> str:
    return f"💌 {name} is thinking of you."


FRIEND_NOTE_FOOTER = "No need to reply — they just wanted you to know."


def friend_result(outcome: Delivery, who: str, when: datetime | None = None) -> str:
    """What the sender of a note, invite or signal sees about one delivery."""
    if outcome is Delivery.SENT:
        return f"Sent — {who} has it now."
    if outcome is Delivery.LATER and when is not None:
        return (
            f"It's quiet hours for {who}, so it'll arrive {timeutil.discord_timestamp(when, 'R')}."
        )
    if outcome is Delivery.FAILED:
        return (
            f"I couldn't deliver that to {who} — their DMs seem closed to me. "
            "Nothing more will be tried; maybe message them directly?"
        )
    return f"{who} isn't taking messages from Hearth right now, so I didn't send it."


DM_NOTICE = (
    "By the way: I tried to DM you but couldn't — your DMs look closed to me, so I've "
    "stopped trying. To get DMs from Hearth (like check-ins), open this server's menu → "
    "**Privacy Settings** and allow **Direct Messages**, then use any Hearth command. "
    "If you'd rather not, that's fine too: `/checkin stop` turns check-ins off."
)


# --------------------------------------------------------------------------- history


@dataclass(frozen=True, slots=True)
class HistoryRow:
    sent_at: datetime
    status: CheckinStatus
    mood: int | None
    note: str | None


def history_line(row: HistoryRow, tz: str) -> str:
    local = timeutil.to_local(row.sent_at, tz)
    day = f"`{local.strftime('%a %d %b')}`"
    if row.mood is not None:
        m = MOODS[row.mood]
        line = f"{day} {m.emoji} {m.label}"
    elif row.status == CheckinStatus.SKIPPED:
        line = f"{day} ⏭️ skipped"
    elif row.status == CheckinStatus.FAILED:
        line = f"{day} ✉️ couldn't reach you"
    elif row.note:
        line = f"{day} 📝"
    else:
        line = f"{day} · no answer"
    if row.note:
        one = " ".join(row.note.split())
        line += f" — “{one[:60]}{'…' if len(one) > 60 else ''}”"
    return line


def history_points(rows: Sequence[HistoryRow]) -> list[tuple[datetime, int]]:
    """Answered moods, oldest first, for the chart."""
    points = [(r.sent_at, r.mood) for r in rows if r.mood is not None]
    return sorted(points)


def clean_note(text: str | None, limit: int) -> str | None:
    """Someone's words, trimmed; None when there's nothing but whitespace."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped[:limit] if stripped else None
