"""The rules of apologizing and repairing, as plain functions (no discord, no database).

- The gentle notes: a rules table (`data/repair/non_apologies.toml`) of phrases that turn
  an apology away from owning it ("sorry if you…", "…but…", "you made me…"), each with a
  kind note. A note is a suggestion; the person can always send the apology as it is.
- What an apology may do next (answers, reminders, the follow-up, how long words stay).
- What the sender is told when an apology can't go, in one place for every reason: a
  closed inbox and "don't send me apologies from this person" read exactly the same.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

RULES_PATH = Path(__file__).resolve().parents[2] / "data" / "repair" / "non_apologies.toml"

# ---------------------------------------------------------------------------- the parts

MAX_PART = 1000  # each of the three required parts (an embed field holds 1024)
MAX_NEED = 500
MIN_PART = 2  # "ok" is too little to send as an apology; a word or two is fine


@dataclass(frozen=True, slots=True)
class Parts:
    """An apology, in the sender's words."""

    happened: str  # what happened, from my side
    impact: str  # how it may have felt for you
    change: str  # what I'll do differently
    need: str = ""  # optional: is there anything you need from me?

    def named(self) -> list[tuple[str, str]]:
        """(part key, text) for every part that has text."""
        found = [("happened", self.happened), ("impact", self.impact), ("change", self.change)]
        if self.need:
            found.append(("need", self.need))
        return found


LABELS: dict[str, str] = {
    "happened": "What happened, from my side",
    "impact": "How it may have felt for you",
    "change": "What I'll do differently",
    "need": "Anything you need from me? (optional)",
}
# How the friend reads each part (their name stands in for "I").
FRIEND_LABELS: dict[str, str] = {
    "happened": "What happened, from their side",
    "impact": "How it may have felt for you",
    "change": "What they'll do differently",
    "need": "They asked if there's anything you need from them",
}


class ApologyProblem(ValueError):
    """What's missing, in words for the person who wrote it."""


def clean(text: str | None) -> str:
    return (text or "").strip()


def check_parts(happened: str, impact: str, change: str, need: str = "") -> Parts:
    parts = Parts(clean(happened), clean(impact), clean(change), clean(need))
    short = [
        LABELS[key].lower()
        for key, text in (
            ("happened", parts.happened),
            ("impact", parts.impact),
            ("change", parts.change),
        )
        if len(text) < MIN_PART
    ]
    if short:
        raise ApologyProblem(
            "An apology lands best with all three parts. Could you add a few words to "
            + " and ".join(f"“{s}”" for s in short)
            + "?"
        )
    too_long = [
        LABELS[key].lower()
        for key, text, limit in (
            ("happened", parts.happened, MAX_PART),
            ("impact", parts.impact, MAX_PART),
            ("change", parts.change, MAX_PART),
            ("need", parts.need, MAX_NEED),
        )
        if len(text) > limit
    ]
    if too_long:
        raise ApologyProblem(
            "That's a little long for one message. Could you shorten "
            + " and ".join(f"“{s}”" for s in too_long)
            + "?"
        )
    return parts


# ---------------------------------------------------------------------------- gentle notes


class RulesError(ValueError):
    """The rules table breaks a rule; the message names the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    patterns: tuple[re.Pattern[str], ...]
    note: str
    example: str


@dataclass(frozen=True, slots=True)
class Slip:
    """Where an apology slipped into a non-apology: the rule, the part, the words."""

    rule: Rule
    part: str
    words: str


MAX_NOTE = 200
_RULE_ID = re.compile(r"[a-z][a-z0-9-]*")
_FIELDS = frozenset({"id", "match", "note", "example"})
# Curly quotes and apostrophes, typed by phones, read as straight ones.
_STRAIGHT = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"'})


def _normal(text: str) -> str:
    return text.translate(_STRAIGHT).lower()


def parse_rules(raw: str, *, source: str = "rules") -> tuple[Rule, ...]:
    """The rules table from TOML text; RulesError naming the rule on any problem."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source} is not valid TOML: {exc}") from None
    tables = data.get("rule")
    if set(data) != {"rule"} or not isinstance(tables, list) or not tables:
        raise RulesError(f"{source} must hold [[rule]] tables and nothing else.")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, table in enumerate(tables, start=1):
        name = f"{source}, rule #{index}"
        if not isinstance(table, dict) or set(table) != _FIELDS:
            raise RulesError(f"{name} needs exactly: {', '.join(sorted(_FIELDS))}.")
        rule_id, match, note, example = (
            table["id"],
            table["match"],
            table["note"],
            table["example"],
        )
        if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
            raise RulesError(f"{name} has an id that isn't lowercase-with-dashes.")
        name = f"{source}, rule '{rule_id}'"
        if rule_id in seen:
            raise RulesError(f"{name} is a duplicate.")
        seen.add(rule_id)
        if not isinstance(note, str) or not note.strip() or len(note) > MAX_NOTE:
            raise RulesError(f"{name} needs a note of 1 to {MAX_NOTE} characters.")
        if not isinstance(example, str) or not example.strip():
            raise RulesError(f"{name} needs an example it catches.")
        if not isinstance(match, list) or not match or not all(isinstance(m, str) for m in match):
            raise RulesError(f"{name} needs a list of patterns in match.")
        try:
            patterns = tuple(re.compile(m, re.IGNORECASE) for m in match)
        except re.error as exc:
            raise RulesError(f"{name} has a pattern that doesn't compile: {exc}.") from None
        rule = Rule(rule_id, patterns, note.strip(), example)
        if not _hits(rule, example):
            raise RulesError(f"{name} doesn't catch its own example.")
        rules.append(rule)
    return tuple(rules)


def load_rules(path: Path = RULES_PATH) -> tuple[Rule, ...]:
    return parse_rules(path.read_text("utf-8"), source=path.name)


def _hits(rule: Rule, text: str) -> re.Match[str] | None:
    normal = _normal(text)
    for pattern in rule.patterns:
        found = pattern.search(normal)
        if found is not None:
            return found
    return None


_SENTENCE_END = re.compile(r"[.!?\n]")


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a match, as the person wrote it."""
    before = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    after = _SENTENCE_END.search(text, end)
    return text[before : after.start() if after else len(text)].strip()


def find_slips(parts: Parts, rules: Sequence[Rule]) -> list[Slip]:
    """Every rule the apology trips, once each, in the order of the rules table, with the
    sentence it tripped in (straightening quotes keeps every position where it was)."""
    slips: list[Slip] = []
    for rule in rules:
        for part, text in parts.named():
            found = _hits(rule, text)
            if found is not None:
                slips.append(Slip(rule, part, _sentence(text, found.start(), found.end())))
                break
    return slips


# ---------------------------------------------------------------------------- limits

PER_PAIR_PER_WEEK = 2
WEEK = timedelta(days=7)


def next_apology_at(sent: Iterable[datetime], now: datetime) -> datetime | None:
    """When this sender may apologize to this friend again (None: now). At most
    PER_PAIR_PER_WEEK in any seven days, counting every one that reached them or is on
    its way."""
    recent = sorted(t for t in sent if now - t < WEEK)
    if len(recent) < PER_PAIR_PER_WEEK:
        return None
    return recent[-PER_PAIR_PER_WEEK] + WEEK


# ---------------------------------------------------------------------------- a life


class ApologyStatus(StrEnum):
    """Where an apology stands; the last three are the friend's answers."""

    SENDING = "sending"  # on its way (held for quiet hours, or in the outbox)
    OPEN = "open"  # delivered, not answered yet
    CLOSED = "closed"  # the friend chose not to receive apologies from the sender
    TIME = "time"  # "I need some time"
    THANKED = "thanked"  # "Thank you"
    TALK = "talk"  # "Can we talk?"


ANSWERS = (ApologyStatus.TIME, ApologyStatus.THANKED, ApologyStatus.TALK)


class Action(StrEnum):
    """The buttons on an apology DM (and on its reminder), as their custom ids say them."""

    THANKS = "thanks"
    TIME = "time"
    TALK = "talk"
    REMIND_1 = "r1"
    REMIND_3 = "r3"
    REMIND_7 = "r7"
    BLOCK = "block"
    UNBLOCK = "unblock"  # on the "closed" note: its id is the block's, not the apology's


# The friend's answer each answering button gives.
ANSWER_OF: dict[Action, ApologyStatus] = {
    Action.THANKS: ApologyStatus.THANKED,
    Action.TIME: ApologyStatus.TIME,
    Action.TALK: ApologyStatus.TALK,
}

KEEP_WORDS = timedelta(days=30)  # the apology's words, never longer than this
FOLLOW_UP_AFTER = timedelta(days=7)  # after "Thank you" or "Can we talk?"

# "I need some time": a reminder to the friend themselves, and nobody else.
REMINDERS: dict[Action, tuple[str, timedelta]] = {
    Action.REMIND_1: ("In a day", timedelta(days=1)),
    Action.REMIND_3: ("In 3 days", timedelta(days=3)),
    Action.REMIND_7: ("In a week", timedelta(days=7)),
}

_FINAL = (ApologyStatus.THANKED, ApologyStatus.TALK)


def may_answer(status: ApologyStatus, answer: ApologyStatus) -> bool:
    """Whether the friend can give this answer now. "I need some time" comes once, before
    a final answer; "Thank you" and "Can we talk?" end it."""
    unanswered = status in (ApologyStatus.SENDING, ApologyStatus.OPEN)
    if answer is ApologyStatus.TIME:
        return unanswered
    if answer in _FINAL:
        return unanswered or status is ApologyStatus.TIME
    return False


def may_remind(status: ApologyStatus) -> bool:
    return status is ApologyStatus.TIME


def follow_up_due(answer: ApologyStatus, now: datetime) -> datetime | None:
    return now + FOLLOW_UP_AFTER if answer in _FINAL else None


def words_kept_after(answer: ApologyStatus) -> tuple[str, ...]:
    """Which parts stay once the friend answers: "what I'll do differently" waits for the
    sender's follow-up a week later; the rest has done its work. Nothing is kept past
    KEEP_WORDS either way."""
    if answer in _FINAL:
        return ("change",)
    if answer is ApologyStatus.TIME:
        return ("happened", "impact", "change", "need")  # not answered yet
    return ()


# ---------------------------------------------------------------------------- the sender


def undelivered_text(friend_mention: str) -> str:
    """The one sentence for an apology that couldn't be delivered, whatever the reason (a
    closed inbox, a pause, or a friend who chose not to receive apologies from the sender:
    all must read the same, or that choice would be found out)."""
    return (
        f"I couldn't deliver your apology to {friend_mention} — I can't reach them by DM "
        "right now. That isn't about what you wrote. If it feels right, you could send it to "
        "them yourself, or say it in person."
    )


def draft_text(parts: Parts) -> str:
    """Their words back, so nothing is lost (plain text, to copy)."""
    lines = [f"**{LABELS[key]}**\n{text}" for key, text in parts.named()]
    return "\n\n".join(lines)


# ---------------------------------------------------------------------------- pauses

PAUSE_MIN_MINUTES = 5
PAUSE_MAX_MINUTES = 24 * 60
# A pause to someone who paused Hearth waits for them; without an end date, look hourly.
HOLD_RECHECK = timedelta(hours=1)


def minutes_text(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    whole = "an hour" if hours == 1 else f"{hours} hours"
    return whole if rest == 0 else f"{whole} and {rest} minutes"


def next_hold_check(paused_until: datetime | None, now: datetime) -> datetime:
    """When to look again whether someone who paused Hearth is back: at the end of their
    pause, but at least hourly (they can resume early, or paused without an end)."""
    later = now + HOLD_RECHECK
    if paused_until is not None and now < paused_until < later:
        return paused_until
    return later


# ---------------------------------------------------------------------------- validating

VALIDATION_TAG = "validation"
VALIDATIONS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Card:
    """One way to validate a feeling, from the deck: a moment, and words to try."""

    text: str
    tip: str | None
    depth: int


def pick_validations(
    cards: Sequence[Card], rng: random.Random, n: int = VALIDATIONS_SHOWN
) -> list[Card]:
    """A few different cards, lightest first, so the deeper ones come after a warm-up."""
    chosen = rng.sample(list(cards), k=min(n, len(cards)))
    return sorted(chosen, key=lambda c: c.depth)
