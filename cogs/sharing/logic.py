"""The rules of `/share`, as plain functions (no discord, no database)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

MAX_SHARE_CHARS = 1500
MAX_PROMPT_CHARS = 200


class Visibility(StrEnum):
    """How a share appears."""

    NAMED = "named"
    ANONYMOUS = "anonymous"
    FRIEND = "friend"


VISIBILITIES: dict[Visibility, str] = {
    Visibility.NAMED: "In the group, with my name",
    Visibility.ANONYMOUS: "In the group, anonymously",
    Visibility.FRIEND: "Privately, to one friend",
}


class ShareStatus(StrEnum):
    """A share's life: pending until its post or DM is out, then posted or delivered — or
    undelivered when it couldn't go."""

    PENDING = "pending"
    POSTED = "posted"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"


@dataclass(frozen=True, slots=True)
class Want:
    key: str
    label: str  # the choice in /share
    wish: str  # "Friends will see you'd like …"
    line: str  # shown on the post, so friends answer in kind


WANTS: dict[str, Want] = {
    w.key: w
    for w in (
        Want(
            "listening",
            "Just listening",
            "a listening ear",
            "👂 **Just listening, please.** No fixing needed: a kind word or "
            "“I hear you” is plenty.",
        ),
        Want(
            "encouragement",
            "Encouragement",
            "some encouragement",
            "💛 **A little encouragement would be lovely.** Cheer them on.",
        ),
        Want(
            "advice",
            "Advice",
            "advice",
            "🧭 **Advice welcome.** If you've been somewhere similar, they'd love to hear it.",
        ),
    )
}

# One person can't flood the group channel (a friend's DMs: `bot.reach`).
SHARE_RATE = 6
SHARE_PER = timedelta(hours=1)


class ShareProblem(ValueError):
    """A share that can't go out as it is. The message is written for the person."""


def check_body(text: str | None, limit: int = MAX_SHARE_CHARS) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ShareProblem("That came through empty. Write a few words and try again.")
    if len(cleaned) > limit:
        raise ShareProblem(
            f"That's a little over the {limit:,} characters a share can hold "
            f"(yours has {len(cleaned):,}). Could you trim it a bit?"
        )
    return cleaned


def clean_prompt(text: str | None) -> str | None:
    """The prompt line as the person left it (None if they cleared it)."""
    cleaned = " ".join((text or "").split())
    return cleaned[:MAX_PROMPT_CHARS] or None


def share_depth(comfort: int | None, group: int, *, in_group: bool) -> int:
    """How deep a "give me a prompt" may go: your own comfort (the group's pace when you
    haven't set one), and never deeper than the group's pace for something it will read."""
    own = comfort if comfort is not None else group
    return min(own, group) if in_group else own


def share_skips(own: Collection[str], group: Collection[str], *, in_group: bool) -> frozenset[str]:
    """Topics a suggested prompt avoids: yours, and the group's for a group post."""
    return frozenset(own) | (frozenset(group) if in_group else frozenset())
