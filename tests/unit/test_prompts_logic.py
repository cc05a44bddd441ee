"""The weekly prompt's pure rules: schedule, rotation, reveal, quiet pause, packing."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import timeutil
from bot.practices import KEYS
from bot.timeutil import UTC
from cogs.prompts import logic

BERLIN = "Europe/Berlin"
SUNDAY = 6


# --------------------------------------------------------------------------- the schedule


def test_last_occurrence_is_the_latest_at_or_before_now() -> None:
    now = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # a Wednesday
    last = logic.last_occurrence(now, SUNDAY, time(18, 0), BERLIN)
    assert last == datetime(2026, 1, 11, 17, 0, tzinfo=UTC)  # Sunday 18:00 CET
    assert logic.last_occurrence(last, SUNDAY, time(18, 0), BERLIN) == last
    assert logic.last_occurrence(last - timedelta(seconds=1), SUNDAY, time(18, 0), BERLIN) == (
        last - timedelta(days=7)
    )


def test_the_fall_back_night_has_one_occurrence_and_one_week() -> None:
    # 2026-10-25 is the Sunday Berlin falls back: 02:30 happens twice.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, an hour later
    at = time(2, 30)
    assert logic.is_occurrence(first, SUNDAY, at, BERLIN)
    assert not logic.is_occurrence(second, SUNDAY, at, BERLIN)
    assert logic.last_occurrence(second, SUNDAY, at, BERLIN) == first
    assert timeutil.week_key(first, BERLIN) == timeutil.week_key(second, BERLIN)


def test_a_late_prompt_is_posted_within_six_hours_only() -> None:
    due = datetime(2026, 1, 11, 17, 0, tzinfo=UTC)
    assert not logic.too_late(due + timedelta(hours=6), due)
    assert logic.too_late(due + timedelta(hours=6, seconds=1), due)
    assert not logic.too_late(due - timedelta(days=2), due)  # fired early: on time


def test_missed_occurrence_on_start() -> None:
    due = datetime(2026, 1, 11, 17, 0, tzinfo=UTC)
    week = timeutil.week_key(due, BERLIN)
    kwargs = {"configured_at": due - timedelta(days=3), "done_weeks": set()}
    at = time(18, 0)
    assert logic.missed_occurrence(due + timedelta(hours=2), SUNDAY, at, BERLIN, **kwargs) == due
    assert logic.missed_occurrence(due + timedelta(hours=7), SUNDAY, at, BERLIN, **kwargs) is None
    done = {"configured_at": due - timedelta(days=3), "done_weeks": {week}}
    assert logic.missed_occurrence(due + timedelta(hours=2), SUNDAY, at, BERLIN, **done) is None
    fresh = {"configured_at": due + timedelta(hours=1), "done_weeks": set()}
    # Set up after the time had passed: no surprise post for a week that never was.
    assert logic.missed_occurrence(due + timedelta(hours=2), SUNDAY, at, BERLIN, **fresh) is None


@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    weekday=st.integers(0, 6),
    at=st.sampled_from([time(0, 0), time(2, 30), time(3, 0), time(18, 0), time(23, 59)]),
    tz=st.sampled_from([BERLIN, "America/New_York", "Australia/Lord_Howe", "UTC"]),
    configured_days_ago=st.integers(0, 9),
)
def test_occurrences_worked_out_once_are_the_schedules_own(
    now: datetime, weekday: int, at: time, tz: str, configured_days_ago: int
) -> None:
    # At start each distinct schedule is worked out once for thousands of servers: asked
    # again, and for a server whose week is done, it answers as a schedule read alone.
    occurrences = logic.Occurrences(now)
    last = logic.last_occurrence(now, weekday, at, tz)
    configured = now - timedelta(days=configured_days_ago)
    for done in (set(), {timeutil.week_key(last, tz)}):
        for _ in range(2):
            assert occurrences.following(weekday, at, tz) == timeutil.next_weekly(
                now, weekday, at, tz
            )
            fresh = not logic.too_late(now, last) and configured <= last and not done
            missed = occurrences.missed(weekday, at, tz, configured_at=configured, done_weeks=done)
            assert missed == (last if fresh else None)


# --------------------------------------------------------------------------- rotation


def test_rotation_goes_through_the_practices_in_order() -> None:
    on = frozenset(KEYS)
    seen = []
    last = None
    for _ in range(8):
        last = logic.next_practice(on, last, None)
        seen.append(last)
    assert seen == [*KEYS, KEYS[0]]


def test_rotation_skips_practices_that_are_off() -> None:
    on = frozenset({"sharing", "support", "repair"})
    assert logic.next_practice(on, None, None) == "sharing"
    assert logic.next_practice(on, "sharing", None) == "support"
    assert logic.next_practice(on, "support", None) == "repair"
    assert logic.next_practice(on, "repair", None) == "sharing"
    # The last practice may since have been switched off: continue after it.
    assert logic.next_practice(on, "curiosity", None) == "support"


def test_a_pin_holds_while_its_practice_is_on() -> None:
    on = frozenset({"sharing", "repair"})
    assert logic.next_practice(on, "sharing", "sharing") == "sharing"
    assert logic.next_practice(on, "sharing", "listening") == "repair"  # pin is off: rotate
    assert logic.next_practice(frozenset(), None, "sharing") is None


def test_practices_from_falls_back_in_rotation_order() -> None:
    on = frozenset({"listening", "sharing", "repair"})
    assert logic.practices_from(on, "sharing") == ["sharing", "repair", "listening"]


# --------------------------------------------------------------------------- answers


def test_an_answer_is_trimmed_and_kept() -> None:
    assert logic.check_answer("  I slept well \n") == "I slept well"


@pytest.mark.parametrize("text", ["", "   ", None, "\n\n"])
def test_an_empty_answer_gets_a_kind_word(text: str | None) -> None:
    with pytest.raises(logic.AnswerProblem, match="empty"):
        logic.check_answer(text)


def test_a_long_answer_is_refused_kindly_with_its_length() -> None:
    with pytest.raises(logic.AnswerProblem) as caught:
        logic.check_answer("x" * 1001)
    assert "1,000" in str(caught.value)
    assert "1,001" in str(caught.value)


@given(st.text(max_size=logic.MAX_ANSWER_CHARS).filter(lambda t: t.strip()))
def test_any_answer_within_the_limit_is_accepted(text: str) -> None:
    assert logic.check_answer(text) == text.strip()


POSTED = datetime(2026, 1, 18, 17, 0, tzinfo=UTC)
DEADLINE = POSTED + timedelta(hours=logic.DEFAULT_DEADLINE_HOURS)
A_DAY_ON = POSTED + logic.EARLY_REVEAL_AFTER


def early(
    now: datetime,
    regulars: set[int],
    answered: set[int],
    skipped: frozenset[int] | set[int] = frozenset(),
) -> bool:
    return logic.reveal_early(now, POSTED, DEADLINE, regulars, answered, skipped)


def test_early_reveal_needs_a_day_two_answers_and_everyone_who_took_part_lately() -> None:
    regulars = {1, 2, 3, 4}  # answered or skipped one of the last three prompts
    assert early(A_DAY_ON, regulars, {1, 2, 3}, {4})
    assert not early(A_DAY_ON - timedelta(seconds=1), regulars, {1, 2, 3}, {4})  # too soon
    assert not early(A_DAY_ON, regulars, {1, 2, 3})  # 4 hasn't answered or skipped
    assert not early(A_DAY_ON, {1, 2}, {1}, {2})  # one answer waits for the deadline
    assert early(A_DAY_ON, {1, 2}, {1, 2, 9})  # a newcomer's answer counts too
    assert early(A_DAY_ON, {1}, {1, 9})  # …and makes the two
    # A new group (nobody took part before): its prompt stays open the whole time.
    assert not early(DEADLINE - timedelta(seconds=1), set(), {1, 2, 3, 4, 5})
    assert not logic.early_reveal_possible(POSTED, DEADLINE, set())
    # A deadline within the first day: nothing comes sooner than it.
    short = POSTED + logic.EARLY_REVEAL_AFTER
    assert not logic.early_reveal_possible(POSTED, short, {1})
    assert logic.early_reveal_at(POSTED, short, {1}, {1, 2}, set()) is None
    assert logic.early_reveal_at(POSTED, DEADLINE, {1}, {1, 2}, set()) == A_DAY_ON


def test_a_new_group_is_not_closed_by_two_quick_answers() -> None:
    """The case that broke: a new server, two answers in eight minutes."""
    eight_minutes = POSTED + timedelta(minutes=8)
    assert not early(eight_minutes, set(), {1, 2})
    assert not early(eight_minutes, {1, 2}, {1, 2})  # even once it has regulars


ids = st.sets(st.integers(min_value=1, max_value=12), max_size=8)
moments = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))


@given(regulars=ids, answered=ids, skipped=ids, after=moments, hours=st.integers(1, 144))
def test_early_reveal_follows_its_rule_for_any_round(
    regulars: set[int], answered: set[int], skipped: set[int], after: timedelta, hours: int
) -> None:
    skipped = skipped - answered  # one response each: an answer replaces a skip
    now, closes = POSTED + after, POSTED + timedelta(hours=hours)
    when = logic.early_reveal_at(POSTED, closes, regulars, answered, skipped)
    revealed = logic.reveal_early(now, POSTED, closes, regulars, answered, skipped)
    if revealed:
        # Everything the post promises holds at that moment.
        assert now - POSTED >= logic.EARLY_REVEAL_AFTER
        assert len(answered) >= logic.MIN_TO_REVEAL
        assert regulars
        assert regulars <= answered | skipped
        assert when is not None
        assert when < closes
    assert revealed == (
        bool(regulars)
        and closes > POSTED + logic.EARLY_REVEAL_AFTER
        and now >= POSTED + logic.EARLY_REVEAL_AFTER
        and len(answered) >= logic.MIN_TO_REVEAL
        and regulars <= answered | skipped
    )
    # Someone more answering never takes a reveal away (once it may come, it may come).
    if revealed:
        newcomer = 99
        assert logic.reveal_early(
            now, POSTED, closes, regulars, answered | {newcomer}, skipped - {newcomer}
        )


def test_fewer_than_two_answers_are_never_revealed() -> None:
    assert logic.outcome(0) == logic.RoundStatus.QUIET
    assert logic.outcome(1) == logic.RoundStatus.QUIET
    assert logic.outcome(2) == logic.RoundStatus.REVEALED


# --------------------------------------------------------------------------- quiet rooms


def test_three_silent_weekly_prompts_pause_the_schedule() -> None:
    w, m = logic.RoundKind.WEEKLY, logic.RoundKind.MANUAL
    assert not logic.should_pause([(w, 0), (w, 0)])
    assert logic.should_pause([(w, 0), (w, 0), (w, 0)])
    assert not logic.should_pause([(w, 0), (w, 0), (w, 3), (w, 0)])
    # An admin's prompt with no answers neither counts nor breaks the streak...
    assert logic.should_pause([(w, 0), (m, 0), (w, 0), (w, 0)])
    # ...but one that got answers shows the room isn't quiet.
    assert not logic.should_pause([(w, 0), (m, 2), (w, 0), (w, 0)])


# --------------------------------------------------------------------------- the reveal


def test_shuffled_is_a_fresh_order_of_the_same_answers() -> None:
    items = list(range(20))
    orders = {tuple(logic.shuffled(items, random.Random(seed))) for seed in range(10)}
    assert all(sorted(order) == items for order in orders)
    assert len(orders) > 1  # the order changes from reveal to reveal


@pytest.mark.parametrize("hours", [0, 145])
def test_a_deadline_must_close_before_the_next_week(hours: int) -> None:
    with pytest.raises(ValueError, match="1 to 144"):
        logic.check_deadline_hours(hours)
