"""The rules of "Reflect back" and listening circles (cogs/listening/logic.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timeutil import UTC
from cogs.listening import logic
from cogs.listening.logic import Refusal, Turn

T0 = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)


def refusal(**overrides: object) -> Refusal | None:
    values: dict[str, object] = {
        "author_is_hearth": False,
        "author_is_bot": False,
        "writer": 2,
        "reflector": 1,
        "writer_paused": False,
        "practice_on": True,
    }
    values.update(overrides)
    return logic.reflect_refusal(**values)  # type: ignore[arg-type]


def test_who_may_be_reflected() -> None:
    assert refusal() is None
    # Hearth's post of one person's words (a revealed answer) is theirs to answer.
    assert refusal(author_is_hearth=True, author_is_bot=True, writer=2) is None
    assert refusal(author_is_hearth=True, author_is_bot=True, writer=None) is Refusal.HEARTH
    assert refusal(author_is_bot=True, writer=None) is Refusal.BOT
    assert refusal(writer=1) is Refusal.SELF
    assert refusal(writer_paused=True) is Refusal.PAUSED
    assert refusal(practice_on=False) is Refusal.OFF


def test_turn_minutes() -> None:
    assert logic.check_turn_minutes(None) == 5
    assert logic.check_turn_minutes(1) == 1
    assert logic.check_turn_minutes(30) == 30
    for bad in (0, 31, -5):
        with pytest.raises(logic.RuleError):
            logic.check_turn_minutes(bad)


@given(st.lists(st.integers(1, 50), unique=True, max_size=12), st.integers(1, 60))
def test_the_stick_goes_round_everyone_in_join_order(order: list[int], current: int) -> None:
    if not order:
        assert logic.next_speaker(order, current) is None
        return
    holder = order[0]
    seen = []
    for _ in order:
        seen.append(holder)
        nxt = logic.next_speaker(order, holder)
        assert nxt is not None
        holder = nxt
    assert seen == order  # each once, then back to the first
    assert holder == order[0]
    # Someone who left: the stick goes back to the start of the circle.
    assert logic.next_speaker(order, 999) == order[0]


def test_who_spoke_adds_turns_up_in_order_of_first_turn_and_counts_the_open_one() -> None:
    turns = [
        Turn(1, T0, T0 + timedelta(minutes=4)),
        Turn(2, T0 + timedelta(minutes=5), T0 + timedelta(minutes=7)),
        Turn(1, T0 + timedelta(minutes=8), T0 + timedelta(minutes=9)),
        Turn(3, T0 + timedelta(minutes=10), None),
    ]
    spoke = logic.who_spoke(turns, T0 + timedelta(minutes=13))
    assert spoke == [
        (1, timedelta(minutes=5)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=3)),
    ]


@pytest.mark.parametrize(
    ("length", "text"),
    [
        (timedelta(seconds=20), "under a minute"),
        (timedelta(minutes=1, seconds=30), "1 minute"),
        (timedelta(minutes=12), "12 minutes"),
        (timedelta(minutes=60), "1 h"),
        (timedelta(minutes=65), "1 h 5 min"),
    ],
)
def test_lengths_read_like_people_say_them(length: timedelta, text: str) -> None:
    assert logic.describe_length(length) == text
