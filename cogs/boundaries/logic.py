"""The rules of the boundaries cog and the words it says, without discord.

Group pace by consent: one open question per server; a deeper level only when every
active participant privately said "I'm in"; a rest after a "not yet". Nothing here
ever names or counts a voter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot import timeutil
from bot.boundaries_rules import (
    DEPTH_LEVELS,
    MemberPrefs,
    OptIn,
    PersonPrefs,
    depth_label,
    is_paused,
)
from bot.decks import DEPTHS, SENSITIVE_TOPICS

DEFAULT_WINDOW = timedelta(days=3)
DEFAULT_COOLDOWN = timedelta(days=14)
VOTE_DAYS = (1, 7)  # what admins may choose for the window
REST_DAYS = (1, 60)  # and for the rest after a "not yet"


class ProposalStatus(StrEnum):
    """A question about going deeper: open until it is decided (or withdrawn)."""

    OPEN = "open"
    DEEPER = "deeper"
    STAYED = "stayed"
    CANCELLED = "cancelled"


class PanelAction(StrEnum):
    """What a button on the `/boundaries mine` panel does."""

    QUIET = "quiet"  # opens the quiet-hours form
    NO_QUIET = "no_quiet"
    DMS_ON = "dms_on"
    DMS_OFF = "dms_off"
    TIMEZONE = "timezone"  # opens the time-zone form
    RESUME = "resume"
    PAUSE = "pause"  # with one of `PAUSES`


FOLLOW = "follow"  # the comfort-depth choice "follow the group"


@dataclass(frozen=True, slots=True)
class PaceSettings:
    window: timedelta = DEFAULT_WINDOW
    cooldown: timedelta = DEFAULT_COOLDOWN


# --------------------------------------------------------------------------- consent


def decide(
    active: Set[int], votes: Mapping[int, bool], comfort_cap: int | None, to_depth: int
) -> bool:
    """Whether the group goes deeper when the question closes.

    Only if there is someone to ask, every active participant said "I'm in", nobody at
    all said "not yet" (even someone who has since paused — the slowest pace wins), and
    no active participant's own comfort depth would hold the new level below `to_depth`.
    """
    if not active:
        return False
    if any(not in_favour for in_favour in votes.values()):
        return False
    if not all(votes.get(user) is True for user in active):
        return False
    return comfort_cap is None or comfort_cap >= to_depth


def next_depth(current: int) -> int | None:
    """The level a proposal would go to from `current`, or None at the deepest."""
    return current + 1 if current + 1 in DEPTHS else None


def cooldown_ends(last_stayed: datetime | None, cooldown: timedelta) -> datetime | None:
    return None if last_stayed is None else last_stayed + cooldown


@dataclass(frozen=True, slots=True)
class ProposalBlock:
    """Why a proposal can't be made right now, in words for the person asking."""

    reason: str  # "not_set_up", "deepest", "open", "resting"
    text: str


def why_not_propose(
    *,
    configured: bool,
    depth: int,
    open_channel_id: int | None,
    open_closes_at: datetime | None,
    rest_until: datetime | None,
    now: datetime,
) -> ProposalBlock | None:
    """None when anyone may ask the group to go deeper now; otherwise the kind reason."""
    if not configured:
        return ProposalBlock(
            "not_set_up",
            "Hearth isn't set up in this server yet, so there's no group channel to ask in. "
            "A server admin can run `/hearth setup` first.",
        )
    if open_channel_id is not None:
        until = (
            f" until {timeutil.discord_timestamp(open_closes_at, 'R')}" if open_closes_at else ""
        )
        return ProposalBlock(
            "open",
            f"There's already a question open in <#{open_channel_id}>{until} — you can "
            "answer it there, privately.",
        )
    if next_depth(depth) is None:
        return ProposalBlock("deepest", "This group is already at the deepest level.")
    if rest_until is not None and now < rest_until:
        return ProposalBlock(
            "resting",
            "The group chose to stay here not long ago, so let's give it some time. "
            f"Someone can ask again {timeutil.discord_timestamp(rest_until, 'R')}.",
        )
    return None


# --------------------------------------------------------------------------- words: the group


def depth_line(depth: int) -> str:
    level = DEPTH_LEVELS[depth]
    return f"**{depth_label(depth)}** — {level.hint[0].lower()}{level.hint[1:]}"


GROUP_EXPLAINER = (
    "The group only goes deeper when everyone taking part says “I'm in”, privately. "
    "Anyone can bring it back down at any time by lowering their own comfort depth in "
    "`/boundaries mine` — quietly, nobody is told."
)


def group_status(depth: int) -> str:
    return f"This group is at {depth_line(depth)}\n\n{GROUP_EXPLAINER}"


def invite_line(channel_id: int) -> str:
    return (
        "Curious about going a little deeper? I'll ask everyone in "
        f"<#{channel_id}> without saying it was you."
    )


PROPOSAL_TITLE = "Someone would like to go a little deeper…"


def proposal_text(from_depth: int, to_depth: int, closes_at: datetime) -> str:
    return (
        f"Right now this group's prompts stay at **{depth_label(from_depth)}**. Someone "
        f"wonders whether you'd like to go one step further, to {depth_line(to_depth)}\n\n"
        "Your answer is private: only you see it, and nobody learns who said what. "
        "We only go deeper if everyone taking part says “I'm in” — “Not yet” is always "
        "a good answer. You can change your mind until "
        f"{timeutil.discord_timestamp(closes_at, 'R')}."
    )


CLOSED_PROPOSAL_TEXT = "This question has closed — the answer is just below."


def result_title(deeper: bool) -> str:
    return "Going a little deeper" if deeper else "Staying here for now — and that's okay"


def result_text(deeper: bool, depth: int) -> str:
    if deeper:
        return (
            f"Everyone's in, so this group is going a little deeper, to {depth_line(depth)}\n\n"
            "If it ever feels like too much, anyone can bring it back down — quietly, no "
            "reasons needed — by lowering their own comfort depth in `/boundaries mine`."
        )
    return (
        f"This group is staying at **{depth_label(depth)}** for now. Going deeper only "
        "happens when everyone is ready, and there's no rush at all. Someone can ask "
        "again in a while."
    )


def proposed_line(channel_id: int, closes_at: datetime) -> str:
    return (
        f"I've asked the group in <#{channel_id}> — without your name. I've counted you as "
        "“I'm in”; you can change that on the post until "
        f"{timeutil.discord_timestamp(closes_at, 'R')}."
    )


def vote_ack(in_favour: bool, closes_at: datetime, own_cap: int | None, to_depth: int) -> str:
    until = timeutil.discord_timestamp(closes_at, "R")
    if not in_favour:
        return (
            "Noted: not yet. That's completely okay — nobody will know, and you don't owe "
            f"anyone a reason. You can change your answer until {until}."
        )
    text = f"You're in. Only you can see this, and you can change your mind until {until}."
    if own_cap is not None and own_cap < to_depth:
        text += (
            f" One thing: your own comfort depth here is **{depth_label(own_cap)}**, which "
            "keeps the group there for now. You can change it in `/boundaries mine`."
        )
    return text


VOTE_NOT_FOUND = "I couldn't find that question in this server, so nothing was changed."
VOTE_CLOSED = (
    "This question has closed already, so nothing was changed. `/boundaries group` shows "
    "where the group is now."
)


def pace_line(settings: PaceSettings) -> str:
    window = _days(settings.window)
    rest = _days(settings.cooldown)
    return (
        f"A question about going deeper stays open for {window}; after a “not yet” the group "
        f"rests for {rest} before anyone asks again."
    )


def _days(delta: timedelta) -> str:
    days = round(delta.total_seconds() / 86400, 1)
    if days == int(days):
        n = int(days)
        return "1 day" if n == 1 else f"{n} days"
    hours = round(delta.total_seconds() / 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"


# --------------------------------------------------------------------------- words: the panel


PANEL_TITLE = "Your boundaries"
PANEL_INTRO = (
    "Only you can see this. Every change saves straight away, and nobody is ever told what "
    "you chose."
)
PANEL_FOOTER_GUILD = (
    "Depth, topics and what you take part in are for this server; the rest goes everywhere "
    "with you."
)
PANEL_FOOTER_DM = "Depth, topics and what you take part in are set inside each server."

FOLLOW_LABEL = "Follow the group"
FOLLOW_HINT = "No limit of your own — go with what the group has agreed on."


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def comfort_text(depth: int | None) -> str:
    return FOLLOW_LABEL if depth is None else depth_line(depth)


def topics_text(topics: frozenset[str]) -> str:
    names = [label for key, label in SENSITIVE_TOPICS.items() if key in topics]
    return ", ".join(names) if names else "None — every topic is fine"


def features_text(declared: Sequence[OptIn], opt_ins: frozenset[str]) -> str:
    if not declared:
        return "Nothing to choose here yet"
    return "\n".join(f"{'✅' if o.key in opt_ins else '▫️'} {o.label}" for o in declared)


def timezone_text(person: PersonPrefs, now: datetime) -> str:
    if person.timezone is None:
        return "Not set yet — use the button below or `/boundaries timezone`"
    local = timeutil.to_local(now, person.timezone)
    return f"{person.timezone} (it's {local.strftime('%H:%M')} there now)"


def quiet_text(person: PersonPrefs) -> str:
    window = person.quiet_hours
    if window is None:
        return "None"
    return f"{_hhmm(window[0])}–{_hhmm(window[1])} — any DM waits until they end"


def dms_text(person: PersonPrefs) -> str:
    if not person.dms_allowed:
        return "Off — Hearth won't DM you"
    return "Allowed (never during quiet hours or a pause)"


def pause_text(person: PersonPrefs, now: datetime) -> str:
    if not is_paused(person, now):
        return "Not paused"
    if person.paused_indefinitely or person.paused_until is None:
        return "Paused until you resume"
    return f"Paused until {timeutil.discord_timestamp(person.paused_until, 'f')}"


def panel_fields(
    person: PersonPrefs, member: MemberPrefs | None, now: datetime, declared: Sequence[OptIn]
) -> list[tuple[str, str]]:
    """The panel's fields: this server's settings first (when in one), then everywhere.
    `declared`: what the practices offer to take part in (`HearthCog.opt_ins`)."""
    fields: list[tuple[str, str]] = []
    if member is not None:
        fields += [
            ("Comfort depth here", comfort_text(member.comfort_depth)),
            ("Topics you skip here", topics_text(member.skip_topics)),
            ("What you take part in here", features_text(declared, member.opt_ins)),
        ]
    fields += [
        ("Time zone", timezone_text(person, now)),
        ("Quiet hours", quiet_text(person)),
        ("DMs from Hearth", dms_text(person)),
        ("Pause", pause_text(person, now)),
    ]
    return fields


# --------------------------------------------------------------------------- words: saved


def saved_comfort(depth: int | None) -> str:
    if depth is None:
        return "Saved — you'll follow the group's pace here."
    return (
        f"Saved — prompts here will go no deeper than **{depth_label(depth)}** for you. "
        "Nobody is told, and nobody needs a reason."
    )


def saved_topics(topics: frozenset[str]) -> str:
    names = [label.lower() for key, label in SENSITIVE_TOPICS.items() if key in topics]
    if not names:
        return "Saved — you're not skipping any topics here."
    return (
        f"Saved — the group won't get prompts about {_and(names)} while you take part. "
        "Nobody can see who chose it."
    )


def saved_features(
    declared: Sequence[OptIn], opt_ins: frozenset[str], dms_switched_on: bool
) -> str:
    names = [o.label for o in declared if o.key in opt_ins]
    if not names:
        text = "Saved — you're taking a break from everything here. Come back whenever you like."
    else:
        text = f"Saved — you're taking part in {_and(names)}."
    if dms_switched_on:
        text += " That part comes by DM, so I've allowed DMs from Hearth too."
    return text


def saved_dms(allowed: bool) -> str:
    if allowed:
        return "Saved — Hearth may DM you now, never during your quiet hours or a pause."
    return "Saved — no DMs from Hearth."


def saved_pause(until: datetime | None) -> str:
    if until is None:
        return "Paused until you resume. Take all the time you need."
    return f"Paused until {timeutil.discord_timestamp(until, 'f')}. Take all the time you need."


SAVED_RESUME = "Welcome back — you're no longer paused."


def saved_quiet(start: time, end: time, zone: str) -> str:
    return f"Saved — quiet hours {_hhmm(start)}–{_hhmm(end)} ({zone}). Any DM waits until they end."


SAVED_NO_QUIET = "Saved — no quiet hours."


def saved_timezone(zone: str, now: datetime) -> str:
    local = timeutil.to_local(now, zone)
    return f"Saved — your time zone is {zone} (it's {local.strftime('%H:%M')} there now)."


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
