"""The rules of active listening, as plain functions: no discord, no database.

Three tools: "Reflect back" (a reply that says what you heard), listening circles (a
talking stick passed in turn) and listening pairs (two or three friends, a private
thread and one question). Everything here decides; `store` keeps and `cog` talks.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from itertools import combinations

from bot import boundaries_rules, timeutil
from bot.boundaries_rules import OptIn
from bot.decks import Prompt

PRACTICE = "listening"


class RuleError(ValueError):
    """Input that breaks a rule. The message is written for the person."""


# --------------------------------------------------------------------------- reflect back

HEARD_MAX = 1000  # "What I heard"
QUESTION_MAX = 300  # "A question to understand more"
CLARIFY_MAX = 1000  # "Not quite": what they meant


class Answer(StrEnum):
    """What the person whose words were reflected said back."""

    OPEN = "open"
    YES = "yes"  # "Yes, that's it"
    NOT_QUITE = "not_quite"  # and a clarification, posted as a reply


class Reply(StrEnum):
    """The two buttons under a reflection, as their custom ids say them."""

    YES = "yes"  # "Yes, that's it"
    NO = "no"  # "Not quite"


class Refusal(StrEnum):
    """Why a message can't be reflected back."""

    HEARTH = "hearth"  # one of Hearth's own messages that carries nobody's words
    BOT = "bot"
    SELF = "self"
    PAUSED = "paused"
    OFF = "off"  # the practice is switched off in this server


def reflect_refusal(
    *,
    author_is_hearth: bool,
    author_is_bot: bool,
    writer: int | None,
    reflector: int,
    writer_paused: bool,
    practice_on: bool,
) -> Refusal | None:
    """Whether a message may be reflected back. `writer` is whose words it carries: its
    author, or for one of Hearth's own messages the one person whose words it is (a
    revealed answer, a share), None when it is nobody's."""
    if not practice_on:
        return Refusal.OFF
    if author_is_hearth and writer is None:
        return Refusal.HEARTH
    if author_is_bot and not author_is_hearth:
        return Refusal.BOT
    if writer is None:
        return Refusal.HEARTH
    if writer == reflector:
        return Refusal.SELF
    if writer_paused:
        return Refusal.PAUSED
    return None


# --------------------------------------------------------------------------- circles

DEFAULT_TURN_MINUTES = 5
MIN_TURN_MINUTES = 1
MAX_TURN_MINUTES = 30
# Between two turns: a moment for listeners to reflect back before the next speaker.
REFLECT_PAUSE = timedelta(minutes=1)
# A circle where nobody has said or pressed anything for this long ends itself.
IDLE_AFTER = timedelta(hours=1)
MIN_MEMBERS = 2  # to begin passing the stick
MAX_MEMBERS = 12
TOPIC_MAX = 100
# How often a circle's last activity is written down (it lives in memory in between):
# an idle end can come at most this much early after a restart.
ACTIVITY_SAVE_EVERY = timedelta(minutes=5)
# The quiet mark on a message posted while someone else holds the stick.
QUIET_MARK = "🪶"


class Phase(StrEnum):
    GATHERING = "gathering"  # friends join; the starter begins
    SPEAKING = "speaking"  # the holder speaks, everyone else listens
    REFLECTING = "reflecting"  # a moment to reflect back before the next speaker
    ENDED = "ended"


class EndReason(StrEnum):
    CLOSED = "closed"  # the starter or an admin pressed "End circle"
    IDLE = "idle"  # an hour with nothing said or pressed
    THREAD = "thread"  # its thread was archived or deleted, or Hearth lost it


LIVE_PHASES = (Phase.GATHERING, Phase.SPEAKING, Phase.REFLECTING)


class CircleAction(StrEnum):
    """A circle's buttons."""

    JOIN = "join"
    LEAVE = "leave"
    BEGIN = "begin"
    PASS = "pass"  # the holder passes the stick
    READY = "ready"  # the next speaker is ready
    END = "end"


def check_turn_minutes(value: int | None) -> int:
    """Minutes per turn (5 unless told); RuleError outside 1–30."""
    if value is None:
        return DEFAULT_TURN_MINUTES
    if not MIN_TURN_MINUTES <= value <= MAX_TURN_MINUTES:
        raise RuleError(
            f"A turn can be {MIN_TURN_MINUTES} to {MAX_TURN_MINUTES} minutes. Five is a "
            "lovely place to start."
        )
    return value


def next_speaker(order: Sequence[int], current: int | None) -> int | None:
    """Who holds the stick after `current`, going round the circle in `order` (join
    order). Someone who left is simply skipped; None when the circle is empty."""
    if not order:
        return None
    if current is None or current not in order:
        return order[0]
    return order[(order.index(current) + 1) % len(order)]


@dataclass(frozen=True, slots=True)
class Turn:
    user_id: int
    started_at: datetime
    ended_at: datetime | None


def who_spoke(turns: Iterable[Turn], now: datetime) -> list[tuple[int, timedelta]]:
    """Each speaker and how long they held the stick in all, in the order they first
    spoke. A turn still going counts until `now`. No words, only times."""
    totals: dict[int, timedelta] = {}
    for turn in turns:
        end = turn.ended_at or now
        totals[turn.user_id] = totals.get(turn.user_id, timedelta()) + max(
            end - turn.started_at, timedelta()
        )
    return list(totals.items())


def describe_length(length: timedelta) -> str:
    """ "under a minute", "1 minute", "12 minutes", "1 h 5 min"."""
    minutes = int(length.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


# --------------------------------------------------------------------------- pairs


# Taking part in listening pairs: off until someone joins (`/listen pairs join`, or the
# boundaries panel). The key predates the declaration and is kept (people's choices).
PAIRING = OptIn(
    "pairing", "Listening pairs", "Now and then, get paired with a friend to really listen."
)


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class RoundStatus(StrEnum):
    OPEN = "open"  # pairs are talking
    CLOSED = "closed"  # totals told


class Met(StrEnum):
    YES = "yes"
    NO = "no"


class PairVia(StrEnum):
    """How a pair talks: a private thread of its own, or DMs where Hearth can't open one."""

    THREAD = "thread"
    DM = "dm"


# Within a round: the nudge to silent pairs halfway, "Did you two get to talk?" at
# five sevenths (day 5 of a week), the totals at its end.
NUDGE_AT = 0.5
ASK_AT = 5 / 7
# A round needs at least two people; with one it waits for the next.
MIN_POOL = 2
# The search for the fairest pairs stops after this many steps and keeps the best found
# (small groups are searched to the end: 12 people take a few hundred steps).
PAIRING_BUDGET = 20_000


def next_round_start(
    after: datetime, cadence: Cadence, weekday: int, at: time, tz: str
) -> datetime:
    """The next round after `after`, in the server's local time (exact across DST)."""
    start = timeutil.next_weekly(after, weekday, at, tz)
    if cadence is Cadence.FORTNIGHTLY:
        start = timeutil.next_weekly(start, weekday, at, tz)
    return start


@dataclass(frozen=True, slots=True)
class RoundTimes:
    nudge_at: datetime
    ask_at: datetime
    ends_at: datetime


def round_times(start: datetime, ends_at: datetime) -> RoundTimes:
    length = ends_at - start
    return RoundTimes(start + length * NUDGE_AT, start + length * ASK_AT, ends_at)


def pair_key(a: int, b: int) -> frozenset[int]:
    return frozenset((a, b))


def pair_counts(past_groups: Iterable[Collection[int]]) -> Counter[frozenset[int]]:
    """How often each two people were in the same pair (or triad) before."""
    counts: Counter[frozenset[int]] = Counter()
    for group in past_groups:
        for a, b in combinations(sorted(set(group)), 2):
            counts[pair_key(a, b)] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Plan:
    """A round's pairs: groups of two (one of three when the count is odd), and anyone
    nobody could be paired with (everyone else is on their private list, or theirs)."""

    groups: tuple[tuple[int, ...], ...]
    left_out: tuple[int, ...]
    searched_all: bool  # False: the budget ran out and this is the best found

    @property
    def paired(self) -> frozenset[int]:
        return frozenset(p for g in self.groups for p in g)


def plan_pairs(
    people: Iterable[int],
    history: Mapping[frozenset[int], int],
    avoid: Collection[frozenset[int]],
    seed: int,
    *,
    budget: int = PAIRING_BUDGET,
) -> Plan:
    """The fairest pairs for a round, the same for the same inputs and seed.

    In order of importance: everyone who can be is paired exactly once (groups of two,
    one group of three when needed); no group holds two people one of whom asked not to
    be paired with the other; no two people meet again while an arrangement exists where
    everyone meets someone they've met fewer times ("no repeat before exhaustion": the
    most-repeated pairing is as fresh as it can be); then the fewest repeats in all.

    An exhaustive branch-and-bound search, cheapest choices first, for the most
    constrained person first; past `budget` steps it keeps the best arrangement found.
    """
    pool = sorted(set(people))
    rng = random.Random(seed)
    rank = {p: i for i, p in enumerate(rng.sample(pool, len(pool)))}
    blocked = {frozenset(pair) for pair in avoid if len(pair) == 2}

    def allowed(a: int, b: int) -> bool:
        return a != b and pair_key(a, b) not in blocked

    raw = {
        pair_key(a, b): int(history.get(pair_key(a, b), 0))
        for a, b in combinations(pool, 2)
        if allowed(a, b)
    }
    base = min(raw.values(), default=0)  # after a full cycle, count from the new floor
    cost = {key: value - base for key, value in raw.items()}

    def c(a: int, b: int) -> int:
        return cost[pair_key(a, b)]

    def by_cost(p: int) -> list[int]:
        return sorted((q for q in pool if allowed(p, q)), key=lambda q: (c(p, q), rank[q]))

    partners = {p: by_cost(p) for p in pool}
    order = sorted(pool, key=lambda p: (len(partners[p]), rank[p]))
    small = len(pool) <= 14

    placed: set[int] = set()
    groups: list[tuple[int, ...]] = []
    left: list[int] = []
    best: tuple[tuple[int, int, int], tuple[tuple[int, ...], ...], tuple[int, ...]] | None = None
    steps = 0

    def search(i: int, maxc: int, sumc: int, triad_used: bool) -> bool:
        """Place order[i:]; True to stop searching."""
        nonlocal best, steps
        steps += 1
        while i < len(order) and order[i] in placed:
            i += 1
        key = (len(left), maxc, sumc)
        if i == len(order):
            if best is None or key < best[0]:
                best = (key, tuple(groups), tuple(left))
            return key == (0, 0, 0) or steps > budget
        if best is not None and (key >= best[0] or steps > budget):
            return steps > budget
        p = order[i]
        placed.add(p)
        free = [q for q in partners[p] if q not in placed]
        options: list[tuple[tuple[int, int], tuple[int, ...]]] = [
            ((max(maxc, c(p, q)), sumc + c(p, q)), (q,)) for q in free
        ]
        unplaced = len(order) - len(placed) + 1
        if not triad_used and (unplaced % 2 == 1 or small):
            mates = free if small else free[:8]
            for q, r in combinations(mates, 2):
                if allowed(q, r):
                    pq, pr, qr = c(p, q), c(p, r), c(q, r)
                    options.append(((max(maxc, pq, pr, qr), sumc + pq + pr + qr), (q, r)))
        options.sort(key=lambda o: (o[0], [rank[x] for x in o[1]]))
        for (m, s), mates_ in options:
            if best is not None and (len(left), m, s) >= best[0]:
                break
            placed.update(mates_)
            groups.append((p, *mates_))
            stop = search(i + 1, m, s, triad_used or len(mates_) == 2)
            groups.pop()
            placed.difference_update(mates_)
            if stop:
                placed.discard(p)
                return True
        stop = False
        if best is None or (len(left) + 1, maxc, sumc) < best[0]:
            left.append(p)
            stop = search(i + 1, maxc, sumc, triad_used)
            left.pop()
        placed.discard(p)
        return stop

    search(0, 0, 0, False)
    assert best is not None
    found_groups = tuple(sorted(tuple(sorted(g)) for g in best[1]))
    return Plan(found_groups, tuple(sorted(best[2])), searched_all=steps <= budget)


def pair_depth(consented: int, comforts: Iterable[int | None]) -> int:
    """How deep a pair's question may go: the group's agreed depth, capped by the lower
    of their own comfort depths (a pair never goes deeper than its shyer half)."""
    return boundaries_rules.group_depth(consented, comforts)


def pick_prompt(
    candidates: Sequence[Prompt], depth: int, used_ids: Collection[str], rng: random.Random
) -> Prompt | None:
    """A question at exactly the pair's depth if there is one (else the deepest below),
    one these people haven't had yet when possible. `candidates` already skip their
    skipped topics."""
    within = [p for p in candidates if p.depth <= depth]
    fresh = [p for p in within if p.id not in used_ids] or within
    if not fresh:
        return None
    deepest = max(p.depth for p in fresh)
    return rng.choice([p for p in fresh if p.depth == deepest])


def met_count(answers: Mapping[int, Collection[Met]]) -> int:
    """Pairs that met: at least one of them said yes (pair id → their answers)."""
    return sum(1 for said in answers.values() if Met.YES in said)


def round_seed(guild_id: int, number: int) -> int:
    """The same round always draws the same pairs (a retry after a crash, say)."""
    return (guild_id * 1_000_003 + number) & 0x7FFFFFFFFFFFFFFF
