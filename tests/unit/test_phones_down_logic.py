"""Phones down's pure rules: durations, outcomes, minutes, late joins, streaks and words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.phones_down import logic
from cogs.phones_down.logic import Outcome, Taking

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("10m", 10),
        ("45m", 45),
        ("1h", 60),
        ("1h30m", 90),
        ("90", 90),
        ("4h", 240),
        ("2 hours", 120),
    ],
)
def test_durations_people_type_are_understood(text: str, minutes: int) -> None:
    assert logic.parse_challenge_duration(text) == minutes


@pytest.mark.parametrize("text", ["5m", "9", "4h1m", "5h", "1d", "0", "banana", "", "-30m"])
def test_durations_outside_ten_minutes_to_four_hours_get_a_clear_message(text: str) -> None:
    with pytest.raises(logic.RuleError) as caught:
        logic.parse_challenge_duration(text)
    message = str(caught.value)
    assert "10 minutes to 4 hours" in message
    assert len(message) < 300


@given(st.integers(min_value=1, max_value=600))
def test_every_whole_minute_is_accepted_exactly_when_in_range(minutes: int) -> None:
    if 10 <= minutes <= 240:
        assert logic.parse_challenge_duration(f"{minutes}m") == minutes
    else:
        with pytest.raises(logic.RuleError):
            logic.parse_challenge_duration(f"{minutes}m")


def test_join_window_defaults_to_two_minutes_and_has_bounds() -> None:
    assert logic.parse_join_window(None) == timedelta(minutes=2)
    assert logic.parse_join_window("  ") == timedelta(minutes=2)
    assert logic.parse_join_window("5m") == timedelta(minutes=5)
    for bad in ("0", "31m", "2h", "soon"):
        with pytest.raises(logic.RuleError, match="1 to 30 minutes"):
            logic.parse_join_window(bad)


def test_reminder_defaults_to_fifteen_minutes_and_has_bounds() -> None:
    assert logic.parse_reminder(None) == 15
    assert logic.parse_reminder("1h") == 60
    for bad in ("1m", "4h", "later"):
        with pytest.raises(logic.RuleError, match="5 minutes to 3 hours"):
            logic.parse_reminder(bad)


def test_titles_become_one_short_line() -> None:
    assert logic.clean_title("  Sunday\n\nwalk ") == "Sunday walk"
    assert logic.clean_title("   ") is None
    assert logic.clean_title(None) is None
    assert len(logic.clean_title("x" * 500) or "") == logic.TITLE_MAX


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "1 minute"),
        (45, "45 minutes"),
        (60, "1 hour"),
        (90, "1 hour 30 minutes"),
        (0, "0 minutes"),
        (120, "2 hours"),
    ],
)
def test_minutes_read_naturally(minutes: int, words: str) -> None:
    assert logic.describe_minutes(minutes) == words


# --------------------------------------------------------------------------- taking part


def test_whatever_happened_first_decides_the_outcome() -> None:
    assert logic.outcome(Taking(1, at(0))) is Outcome.MADE_IT
    assert logic.outcome(Taking(1, at(0), picked_up_at=at(5))) is Outcome.PICKED_UP
    assert logic.outcome(Taking(1, at(0), stepped_away_at=at(5))) is Outcome.STEPPED_AWAY
    both = Taking(1, at(0), picked_up_at=at(5), stepped_away_at=at(9))
    assert logic.outcome(both) is Outcome.PICKED_UP
    away_first = Taking(1, at(0), picked_up_at=at(9), stepped_away_at=at(5))
    assert logic.outcome(away_first) is Outcome.STEPPED_AWAY


def test_phone_free_minutes_run_from_joining_to_the_first_stop() -> None:
    start, end = at(0), at(30)
    assert logic.phone_free_minutes(Taking(1, at(-2)), start, end) == 30
    assert logic.phone_free_minutes(Taking(1, at(10)), start, end) == 20  # a late join
    assert logic.phone_free_minutes(Taking(1, at(-2), picked_up_at=at(12.5)), start, end) == 12
    assert logic.phone_free_minutes(Taking(1, at(0), stepped_away_at=at(7)), start, end) == 7
    assert logic.phone_free_minutes(Taking(1, at(0), picked_up_at=at(0)), start, end) == 0


def test_late_joins_are_welcome_until_half_time() -> None:
    start, end = at(0), at(60)
    assert logic.late_join_until(start, end) == at(30)
    assert logic.can_join_late(start, end, at(29))
    assert not logic.can_join_late(start, end, at(30))


def test_results_count_the_group_and_name_only_those_who_made_it() -> None:
    parts = [
        Taking(11, at(-2)),
        Taking(22, at(-1), picked_up_at=at(10)),
        Taking(33, at(-1), stepped_away_at=at(15)),
        Taking(44, at(-1)),
    ]
    res = logic.results(parts, at(0), at(30))
    assert res.participants == 4
    assert res.made_it == (11, 44)
    assert res.stepped_away == 1
    assert res.free_minutes == 30 + 10 + 15 + 30
    assert res.share == 0.5
    text = "\n".join(logic.results_lines(res, 1, late=False))
    assert "**2 of 4** made it the whole way" in text
    assert "<@11>" in text
    assert "<@44>" in text
    assert "<@22>" not in text
    assert "<@33>" not in text
    assert "1 hour 25 minutes" in text


@given(
    st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=20),
)
def test_nobody_who_missed_is_ever_named(flags: list[tuple[bool, bool]], streak: int) -> None:
    parts = [
        Taking(
            1000 + i,
            at(-1),
            picked_up_at=at(5) if picked else None,
            stepped_away_at=at(6) if away else None,
        )
        for i, (picked, away) in enumerate(flags)
    ]
    res = logic.results(parts, at(0), at(30))
    text = "\n".join(logic.results_lines(res, streak, late=False))
    named = {int(m) for m in re.findall(r"<@(\d+)>", text)}
    assert named == set(res.made_it)
    for word in ("fail", "broke", "lost", "shame"):
        assert word not in text.casefold()


def test_a_group_where_nobody_made_it_still_hears_kind_words() -> None:
    res = logic.results([Taking(1, at(0), picked_up_at=at(3))], at(0), at(30))
    text = "\n".join(logic.results_lines(res, 0, late=True))
    assert "completely okay" in text
    assert "a little late" in text
    assert "<@" not in text


# --------------------------------------------------------------------------- streaks


def weeks_before(today: date, *backs: int) -> set[str]:
    return {logic.iso_week(today - timedelta(days=7 * b)) for b in backs}


TODAY = date(2026, 3, 11)  # a Wednesday


def test_streak_counts_weeks_in_a_row() -> None:
    assert logic.streak(weeks_before(TODAY, 0, 1, 2), TODAY) == 3
    assert logic.streak(set(), TODAY) == 0
    assert logic.streak(weeks_before(TODAY, 0), TODAY) == 1


def test_this_week_is_still_open_and_never_breaks_the_streak() -> None:
    assert logic.streak(weeks_before(TODAY, 1, 2), TODAY) == 2


def test_one_quiet_week_is_forgiven_two_are_not() -> None:
    assert logic.streak(weeks_before(TODAY, 0, 2, 3), TODAY) == 3  # grace week 1
    assert logic.streak(weeks_before(TODAY, 0, 3, 4), TODAY) == 1  # two quiet weeks
    assert logic.streak(weeks_before(TODAY, 2, 3), TODAY) == 2  # open week + one grace
    assert logic.streak(weeks_before(TODAY, 3, 4), TODAY) == 0


def test_streak_weeks_cross_the_new_year() -> None:
    today = date(2026, 1, 7)
    assert logic.iso_week(today) == "2026-W02"
    assert logic.streak(weeks_before(today, 0, 1, 2), today) == 3


@given(st.sets(st.integers(min_value=0, max_value=40), max_size=40))
def test_streak_never_exceeds_the_active_weeks_and_grows_with_this_week(backs: set[int]) -> None:
    active = weeks_before(TODAY, *backs)
    count = logic.streak(active, TODAY)
    assert 0 <= count <= len(active)
    assert logic.streak(active | weeks_before(TODAY, 0), TODAY) >= count


def test_group_stats_use_the_servers_weeks() -> None:
    tz = "America/New_York"
    now = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # Sunday 23:00 in New York, Monday in UTC
    sessions = [
        logic.Session(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), 30, 4, 2, 85),  # Sat evening NY
        logic.Session(datetime(2026, 3, 8, 20, 0, tzinfo=UTC), 60, 3, 3, 180),  # Sun NY
    ]
    stats = logic.group_stats(sessions, now, tz)
    assert stats.sessions == 2
    assert stats.free_minutes == 265
    assert stats.longest_minutes == 60
    assert stats.most_together == 4
    assert stats.streak == 2  # W09 and W10 in New York, though UTC says W10 is over


def test_forest_has_twelve_weeks_oldest_first_with_one_tree_per_session() -> None:
    tz = "UTC"
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    sessions = [
        logic.Session(now - timedelta(days=1), 30, 4, 4, 120),
        logic.Session(now - timedelta(days=2), 30, 4, 1, 60),
        logic.Session(now - timedelta(weeks=11), 30, 2, 0, 10),
        logic.Session(now - timedelta(weeks=13), 30, 2, 2, 60),  # too old to show
    ]
    weeks = logic.forest(sessions, now, tz)
    assert len(weeks) == logic.FOREST_WEEKS
    assert weeks[-1] == [0.25, 1.0]
    assert weeks[0] == [0.0]
    assert sum(len(w) for w in weeks) == 3
    labels = logic.week_labels(now, tz)
    assert len(labels) == logic.FOREST_WEEKS
    assert labels[-1] == "9 Mar"


def test_personal_stats_add_up_only_your_part() -> None:
    mine = [
        (Taking(7, at(0)), at(0), at(30)),
        (Taking(7, at(0), picked_up_at=at(20)), at(0), at(60)),
    ]
    stats = logic.personal_stats(mine)
    assert stats == logic.PersonalStats(sessions=2, free_minutes=50, whole_way=1)
