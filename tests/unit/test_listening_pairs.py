"""Listening pairs: who meets whom each round (cogs/listening/logic.py).

Checked against every possible arrangement for small groups: everyone who can be is
paired exactly once, nobody with someone on their private list (or on whose list they
are), one triad at most, no repeat while a fresher arrangement exists, the fewest
repeats in all — and the same answer for the same seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.decks import Prompt
from bot.timeutil import UTC
from cogs.listening import logic
from cogs.listening.logic import Cadence, Plan, pair_key, plan_pairs

Key = tuple[int, int, int]


def arrangements(
    people: list[int], allowed: set[frozenset[int]], triad_used: bool = False
) -> Iterator[tuple[list[tuple[int, ...]], list[int]]]:
    """Every way to seat `people`: pairs, at most one triad, the rest left out."""
    if not people:
        yield [], []
        return
    p, rest = people[0], people[1:]
    for groups, left in arrangements(rest, allowed, triad_used):
        yield groups, [p, *left]
    for i, q in enumerate(rest):
        if pair_key(p, q) not in allowed:
            continue
        others = rest[:i] + rest[i + 1 :]
        for groups, left in arrangements(others, allowed, triad_used):
            yield [(p, q), *groups], left
        if triad_used:
            continue
        for j in range(i + 1, len(rest)):
            r = rest[j]
            if pair_key(p, r) not in allowed or pair_key(q, r) not in allowed:
                continue
            remaining = [x for k, x in enumerate(rest) if k not in (i, j)]
            for groups, left in arrangements(remaining, allowed, True):
                yield [(p, q, r), *groups], left


def key_of(
    groups: list[tuple[int, ...]] | tuple[tuple[int, ...], ...],
    left: list[int] | tuple[int, ...],
    cost: dict[frozenset[int], int],
) -> Key:
    pairings = [pair_key(a, b) for g in groups for a, b in combinations(g, 2)]
    values = [cost[k] for k in pairings]
    return (len(left), max(values, default=0), sum(values))


def normalised(
    people: list[int], history: Counter[frozenset[int]], allowed: set[frozenset[int]]
) -> dict[frozenset[int], int]:
    raw = {k: history.get(k, 0) for k in allowed}
    base = min(raw.values(), default=0)
    return {k: v - base for k, v in raw.items()}


def check_plan(plan: Plan, people: list[int], avoid: set[frozenset[int]]) -> None:
    seen = [p for g in plan.groups for p in g] + list(plan.left_out)
    assert sorted(seen) == sorted(people), "everyone is placed exactly once"
    assert all(len(g) in (2, 3) for g in plan.groups)
    assert sum(1 for g in plan.groups if len(g) == 3) <= 1, "one triad at most"
    for g in plan.groups:
        for a, b in combinations(g, 2):
            assert pair_key(a, b) not in avoid, "never someone on a private list"


@st.composite
def worlds(
    draw: st.DrawFn, max_people: int = 8
) -> tuple[list[int], Counter[frozenset[int]], set[frozenset[int]], int]:
    n = draw(st.integers(min_value=0, max_value=max_people))
    people = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=10**18), min_size=n, max_size=n))
    )
    all_pairs = [pair_key(a, b) for a, b in combinations(people, 2)]
    history: Counter[frozenset[int]] = Counter()
    for pair in all_pairs:
        times = draw(st.integers(min_value=0, max_value=3))
        if times:
            history[pair] = times
    avoid = {pair for pair in all_pairs if draw(st.integers(0, 9)) == 0}
    seed = draw(st.integers(min_value=0, max_value=2**32))
    return people, history, avoid, seed


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_pairs_are_valid_complete_and_as_fresh_as_can_be(
    world: tuple[list[int], Counter[frozenset[int]], set[frozenset[int]], int],
) -> None:
    people, history, avoid, seed = world
    plan = plan_pairs(people, history, avoid, seed)
    check_plan(plan, people, avoid)
    assert plan.searched_all
    allowed = {pair_key(a, b) for a, b in combinations(people, 2)} - avoid
    cost = normalised(people, history, allowed)
    best = min(key_of(g, left, cost) for g, left in arrangements(people, allowed))
    # Nobody left out who could be seated; the most-repeated pairing as fresh as any
    # arrangement allows (no repeat before exhaustion); then the fewest repeats.
    assert key_of(plan.groups, plan.left_out, cost) == best


@settings(max_examples=100, deadline=None)
@given(worlds(max_people=12))
def test_the_same_seed_draws_the_same_pairs(
    world: tuple[list[int], Counter[frozenset[int]], set[frozenset[int]], int],
) -> None:
    people, history, avoid, seed = world
    first = plan_pairs(people, history, avoid, seed)
    shuffled = list(people)
    random.Random(seed).shuffle(shuffled)
    assert plan_pairs(shuffled, dict(history), set(avoid), seed) == first


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=2, max_value=41), st.integers(min_value=0, max_value=2**32))
def test_a_big_group_without_lists_is_always_seated_in_full(n: int, seed: int) -> None:
    people = list(range(100, 100 + n))
    rng = random.Random(seed)
    history: Counter[frozenset[int]] = Counter(
        {pair_key(a, b): rng.randint(0, 4) for a, b in combinations(people, 2)}
    )
    plan = plan_pairs(people, history, set(), seed)
    check_plan(plan, people, set())
    assert plan.left_out == ()
    assert sum(1 for g in plan.groups if len(g) == 3) == n % 2


def test_rounds_meet_everyone_before_anyone_twice() -> None:
    """Six friends, five rounds: every pairing exactly once (a round-robin), then again."""
    people = [1, 2, 3, 4, 5, 6]
    history: Counter[frozenset[int]] = Counter()
    for number in range(5):
        plan = plan_pairs(people, history, set(), seed=number)
        for g in plan.groups:
            for a, b in combinations(g, 2):
                assert history[pair_key(a, b)] == 0, f"round {number + 1} repeated {a}-{b}"
                history[pair_key(a, b)] += 1
    assert set(history.values()) == {1}
    assert len(history) == 15


def test_seven_make_three_pairs_no_triad_twice_in_a_row_needed() -> None:
    plan = plan_pairs(range(1, 8), {}, set(), seed=3)
    assert sorted(len(g) for g in plan.groups) == [2, 2, 3]


def test_someone_everybody_avoids_sits_out_and_nobody_learns_why() -> None:
    avoid = {pair_key(9, p) for p in (1, 2, 3)}
    plan = plan_pairs([1, 2, 3, 9], {}, avoid, seed=1)
    assert plan.left_out == (9,)
    assert plan.groups == ((1, 2, 3),)


def test_one_person_alone_is_not_paired() -> None:
    assert plan_pairs([5], {}, set(), seed=1) == Plan((), (5,), True)
    assert plan_pairs([], {}, set(), seed=1) == Plan((), (), True)


def test_pair_counts_count_triads_as_three_pairings() -> None:
    counts = logic.pair_counts([(1, 2), (1, 2, 3), (3, 4)])
    assert counts == Counter(
        {pair_key(1, 2): 2, pair_key(1, 3): 1, pair_key(2, 3): 1, pair_key(3, 4): 1}
    )


def test_a_pairs_depth_is_the_shyer_halfs_capped_by_the_group() -> None:
    assert logic.pair_depth(3, [1, 2]) == 1
    assert logic.pair_depth(3, [None, 2]) == 2
    assert logic.pair_depth(1, [3, 3]) == 1
    assert logic.pair_depth(2, [None, None]) == 2


def _prompt(pid: str, depth: int) -> Prompt:
    return Prompt(pid, "listening", depth, f"question {pid}", frozenset({"feelings"}))


def test_a_pair_gets_a_question_at_its_depth_not_one_it_had() -> None:
    deck = [_prompt("listening-001", 1), _prompt("listening-002", 2), _prompt("listening-003", 2)]
    rng = random.Random(1)
    assert logic.pick_prompt(deck, 2, {"listening-002"}, rng) == deck[2]
    assert logic.pick_prompt(deck, 1, set(), rng) == deck[0]
    assert logic.pick_prompt(deck, 3, {"listening-002", "listening-003"}, rng) == deck[0]
    assert logic.pick_prompt([], 2, set(), rng) is None


def test_rounds_follow_local_time_weekly_or_fortnightly() -> None:
    after = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
    weekly = logic.next_round_start(after, Cadence.WEEKLY, 2, time(19, 0), "Europe/Berlin")
    assert weekly == datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
    fortnight = logic.next_round_start(after, Cadence.FORTNIGHTLY, 2, time(19, 0), "Europe/Berlin")
    assert fortnight == datetime(2026, 3, 11, 18, 0, tzinfo=UTC)
    times = logic.round_times(weekly, weekly + (fortnight - weekly))
    assert times.nudge_at - weekly == (fortnight - weekly) / 2
    assert weekly < times.nudge_at < times.ask_at < times.ends_at


def test_who_met_counts_pairs_where_anyone_said_yes() -> None:
    Met = logic.Met
    assert logic.met_count({1: [Met.YES, Met.NO], 2: [Met.NO], 3: [], 4: [Met.YES]}) == 2
