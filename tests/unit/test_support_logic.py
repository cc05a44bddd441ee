"""Steady support's rules: schedules, the spread, deferral, the quiet watch, the words."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bot import textfit, timeutil
from bot.boundaries_rules import PersonPrefs
from bot.timeutil import UTC
from cogs.support import chart, logic
from cogs.support.logic import Later, Schedule, Send

BERLIN = "Europe/Berlin"
# Monday 12 January 2026; Berlin is UTC+1.
MONDAY_0500 = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)
USER = 424242


def schedule(
    *,
    frequency: str = "daily",
    at: time = time(9, 0),
    day: int = 0,
    slot: datetime | None = None,
    send_at: datetime | None = None,
    quiet_days: int | None = None,
    quiet_since: datetime | None = None,
    alerted: datetime | None = None,
) -> Schedule:
    slot = slot or logic.next_slot(MONDAY_0500, frequency, at, day, BERLIN)
    return Schedule(
        user_id=USER,
        guild_id=1,
        frequency=frequency,
        local_time=at,
        weekday=day,
        active=True,
        next_slot=slot,
        next_send_at=send_at or logic.first_send(slot, USER),
        quiet_days=quiet_days,
        quiet_since=quiet_since,
        quiet_alerted_at=alerted,
    )


def allowed(**kwargs: object) -> PersonPrefs:
    return PersonPrefs(USER, timezone=BERLIN, dms_allowed=True, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    ("frequency", "day", "local_days"),
    [
        ("daily", 0, [0, 1, 2, 3, 4, 5, 6]),
        ("weekdays", 0, [0, 1, 2, 3, 4]),
        ("weekly", 2, [2]),
        ("twice_weekly", 0, [0, 3]),
        ("twice_weekly", 5, [1, 5]),  # Saturday and three days later: Tuesday
    ],
)
def test_each_frequency_lands_on_its_own_days_at_the_local_time(
    frequency: str, day: int, local_days: list[int]
) -> None:
    seen: set[int] = set()
    after = MONDAY_0500
    for _ in range(14):
        after = logic.next_slot(after, frequency, time(9, 0), day, BERLIN)
        local = timeutil.to_local(after, BERLIN)
        assert (local.hour, local.minute) == (9, 0)
        seen.add(local.weekday())
    assert sorted(seen) == local_days


def test_a_slot_across_the_spring_change_keeps_the_local_hour() -> None:
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Saturday; Berlin springs forward Sunday
    sunday = logic.next_slot(before, "daily", time(9, 0), 0, BERLIN)
    assert timeutil.to_local(sunday, BERLIN).hour == 9
    assert sunday == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # now UTC+2


def test_unknown_frequency_is_refused_kindly() -> None:
    with pytest.raises(ValueError, match="Pick how often"):
        logic.check_frequency("hourly")


def test_the_spread_is_the_same_for_a_person_and_spreads_a_crowd() -> None:
    assert logic.jitter(USER) == logic.jitter(USER)
    offsets = [logic.jitter(uid).total_seconds() for uid in range(10**17, 10**17 + 1000)]
    assert all(0 <= s < logic.JITTER.total_seconds() for s in offsets)
    # 1,000 people at 09:00 arrive over (almost) every second of the window, no second
    # carrying more than a handful.
    per_second: dict[float, int] = {}
    for s in offsets:
        per_second[s] = per_second.get(s, 0) + 1
    assert len(per_second) >= 100
    assert max(per_second.values()) <= 20


def test_schedules_read_like_a_person_wrote_them() -> None:
    assert logic.describe_schedule("daily", time(9), 0, BERLIN) == (
        "every day at 09:00 (Europe/Berlin)"
    )
    assert "Mondays and Thursdays" in logic.describe_schedule("twice_weekly", time(8), 0, BERLIN)
    assert "every Friday" in logic.describe_schedule("weekly", time(8), 4, BERLIN)


# --------------------------------------------------------------------------- deciding


def test_a_due_check_in_goes_out() -> None:
    s = schedule()
    assert logic.decide(s, allowed(), True, s.next_send_at or MONDAY_0500, BERLIN) == Send(
        s.next_slot or MONDAY_0500
    )


def test_quiet_hours_defer_to_their_end_and_keep_the_slot() -> None:
    s = schedule(at=time(6, 30))  # 06:30 Berlin, inside 22:00–07:00
    now = s.next_send_at
    assert now is not None
    decision = logic.decide(s, allowed(quiet_start=time(22), quiet_end=time(7)), True, now, BERLIN)
    assert isinstance(decision, Later)
    assert decision.why == "quiet"
    assert decision.slot == s.next_slot  # the same check-in, just later
    local = timeutil.to_local(decision.send_at - logic.jitter(USER), BERLIN)
    assert (local.hour, local.minute) == (7, 0)


def test_a_pause_moves_to_the_first_regular_time_after_it_ends() -> None:
    s = schedule()
    now = s.next_send_at
    assert now is not None
    pause_end = now + timedelta(days=2, hours=5)  # ends Wednesday afternoon
    decision = logic.decide(s, allowed(paused_until=pause_end), True, now, BERLIN)
    assert isinstance(decision, Later)
    assert decision.why == "paused"
    assert decision.slot > pause_end
    assert decision.slot - pause_end < timedelta(days=1)  # Thursday 09:00, not a backlog
    local = timeutil.to_local(decision.slot, BERLIN)
    assert (local.weekday(), local.hour) == (3, 9)


def test_an_indefinite_pause_checks_again_at_the_next_regular_time() -> None:
    s = schedule()
    now = s.next_send_at
    assert now is not None
    decision = logic.decide(s, allowed(paused_indefinitely=True), True, now, BERLIN)
    assert isinstance(decision, Later)
    assert decision.slot == logic.next_slot(now, "daily", time(9), 0, BERLIN)


@pytest.mark.parametrize(
    ("person", "opted", "why"),
    [
        (PersonPrefs(USER, timezone=BERLIN), True, "no_dms"),  # DMs never allowed
        (PersonPrefs(USER, timezone=BERLIN, dms_allowed=True, dm_unreachable=True), True, "no_dms"),
        (PersonPrefs(USER, timezone=BERLIN, dms_allowed=True), False, "opted_out"),
    ],
)
def test_nobody_is_dmed_without_consent_or_into_a_closed_inbox(
    person: PersonPrefs, opted: bool, why: str
) -> None:
    s = schedule()
    now = s.next_send_at
    assert now is not None
    decision = logic.decide(s, person, opted, now, BERLIN)
    assert isinstance(decision, Later)
    assert decision.why == why
    assert decision.slot > (s.next_slot or now)  # moved on, never sent


def test_a_check_in_missed_while_hearth_was_down_is_not_sent_half_a_day_late() -> None:
    s = schedule()
    assert s.next_send_at is not None
    late = s.next_send_at + timedelta(hours=13)
    decision = logic.decide(s, allowed(), True, late, BERLIN)
    assert isinstance(decision, Later)
    assert decision.why == "stale"
    assert decision.slot > late
    on_time_enough = logic.decide(s, allowed(), True, s.next_send_at + timedelta(hours=2), BERLIN)
    assert isinstance(on_time_enough, Send)


@settings(max_examples=200, deadline=None)
@given(
    start_minutes=st.integers(0, 24 * 60 - 1),
    length=st.integers(1, 18 * 60),
    at_minutes=st.integers(0, 24 * 60 - 1),
    offset=st.integers(0, 7 * 24 * 60),
)
def test_a_decision_never_sends_in_quiet_hours_and_never_goes_backwards(
    start_minutes: int, length: int, at_minutes: int, offset: int
) -> None:
    start = time(start_minutes // 60, start_minutes % 60)
    end_minutes = (start_minutes + length) % (24 * 60)
    end = time(end_minutes // 60, end_minutes % 60)
    if start == end:
        return
    s = schedule(at=time(at_minutes // 60, at_minutes % 60))
    now = MONDAY_0500 + timedelta(minutes=offset)
    if s.next_send_at is None or now < s.next_send_at:
        now = s.next_send_at or now
    person = allowed(quiet_start=start, quiet_end=end)
    decision = logic.decide(s, person, True, now, BERLIN)
    if isinstance(decision, Send):
        assert not timeutil.in_quiet_hours(now, start, end, BERLIN)
    else:
        assert decision.send_at > now
        assert decision.slot >= (s.next_slot or now)


# --------------------------------------------------------------------------- the quiet watch


def test_the_quiet_watch_looks_n_days_after_the_last_answer_and_only_once() -> None:
    since = MONDAY_0500
    on = schedule(quiet_days=4, quiet_since=since)
    assert logic.quiet_due(on) == since + timedelta(days=4)
    assert logic.quiet_due(schedule(quiet_days=None, quiet_since=since)) is None
    told = schedule(quiet_days=4, quiet_since=since, alerted=since + timedelta(days=4))
    assert logic.quiet_due(told) is None  # fired for this spell; an answer resets it


@pytest.mark.parametrize("days", [0, 1, 31])
def test_quiet_days_out_of_range_are_refused(days: int) -> None:
    with pytest.raises(ValueError, match="between 2 and 30"):
        logic.check_quiet_days(days)


# --------------------------------------------------------------------------- moods and words


def test_the_circle_is_offered_when_an_answer_turns_low_once_per_check_in() -> None:
    assert logic.offers_circle(None, 2, circle_told=False)
    assert logic.offers_circle(4, 1, circle_told=False)
    assert not logic.offers_circle(2, 1, circle_told=False)  # already offered for this one
    assert not logic.offers_circle(None, 1, circle_told=True)
    assert not logic.offers_circle(None, 3, circle_told=False)


def test_help_shows_at_the_lowest_mood_only() -> None:
    assert logic.shows_help(None, 1)
    assert logic.shows_help(3, 1)
    assert not logic.shows_help(1, 1)
    assert not logic.shows_help(None, 2)


def test_default_help_text_is_general_and_points_to_real_help() -> None:
    text = logic.DEFAULT_RESOURCES
    assert "emergency number" in text
    assert "findahelpline.com" in text
    assert len(text) <= logic.RESOURCES_MAX


def test_circle_dms_carry_no_mood_and_no_words() -> None:
    for title, body in (logic.signal_text("Ana"), logic.quiet_text("Ana", 5)):
        for mood in logic.MOODS.values():
            assert mood.label.lower() not in f"{title} {body}".lower()
        assert "Ana" in title


def test_the_sender_hears_plainly_what_happened() -> None:
    when = MONDAY_0500 + timedelta(hours=3)
    assert "Sent" in logic.friend_result(logic.Delivery.SENT, "Ben")
    assert "<t:" in logic.friend_result(logic.Delivery.LATER, "Ben", when)
    assert "couldn't deliver" in logic.friend_result(logic.Delivery.FAILED, "Ben")
    assert "isn't taking messages" in logic.friend_result(logic.Delivery.DROPPED, "Ben")
    assert "Nothing else was shared" in logic.told_circle(2, 1, 0)
    assert "couldn't reach one" in logic.told_circle(1, 0, 1)
    assert "couldn't reach anyone" in logic.told_circle(0, 0, 2)


def test_labels_fit_discord() -> None:
    for mood in logic.MOODS.values():
        assert len(mood.label) <= textfit.BUTTON_LABEL
    for name in logic.FREQUENCIES.values():
        assert len(name) <= textfit.CHOICE_NAME
    assert len(logic.CIRCLE_OFFER) <= textfit.CONTENT


def test_history_lines_show_mood_skip_and_a_short_quote() -> None:
    at = MONDAY_0500
    rows = [
        logic.HistoryRow(at, "answered", 4, "slept well\nand ate"),
        logic.HistoryRow(at, "skipped", None, None),
        logic.HistoryRow(at, "sent", None, None),
        logic.HistoryRow(at, "answered", 2, "x" * 300),
    ]
    lines = [logic.history_line(r, BERLIN) for r in rows]
    assert "Good" in lines[0]
    assert "“slept well and ate”" in lines[0]
    assert "skipped" in lines[1]
    assert "no answer" in lines[2]
    assert len(lines[3]) < 120
    assert lines[3].endswith("…”")
    assert logic.history_points(rows) == [(at, 2), (at, 4)]


def test_empty_words_are_not_kept() -> None:
    assert logic.clean_note("   \n ", 100) is None
    assert logic.clean_note(None, 100) is None
    assert logic.clean_note("  hi  ", 100) == "hi"
    assert logic.clean_note("abcdef", 3) == "abc"


# --------------------------------------------------------------------------- the chart


def _png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


def test_the_mood_chart_is_a_real_png_of_the_right_size() -> None:
    points = [(MONDAY_0500 + timedelta(days=i), (i % 5) + 1) for i in range(30)]
    image = _png(chart.mood_chart(points, BERLIN))
    assert image.size == chart.SIZE
    # Something was drawn in the support colour (the line), not just a blank card.
    colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 16) or []}
    assert (217, 139, 166) in colours


def test_a_chart_of_one_answer_still_draws() -> None:
    image = _png(chart.mood_chart([(MONDAY_0500, 3)], BERLIN))
    assert image.size == chart.SIZE
    empty = _png(chart.mood_chart([], BERLIN))
    assert empty.size == chart.SIZE


def test_a_higher_mood_is_drawn_higher() -> None:
    def dot_row(mood: int) -> int:
        image = _png(chart.mood_chart([(MONDAY_0500, mood)], BERLIN)).convert("RGB")
        rgb = {
            1: (108, 142, 191),
            5: (224, 176, 70),
        }[mood]
        width = image.size[0]
        raw, needle = image.tobytes(), bytes(rgb)
        hits = [i // 3 // width for i in range(0, len(raw), 3) if raw[i : i + 3] == needle]
        assert hits, "the dot wasn't drawn"
        return sum(hits) // len(hits)

    assert dot_row(5) < dot_row(1)  # y grows downwards
