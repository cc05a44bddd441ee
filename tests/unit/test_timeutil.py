"""bot.timeutil: clocks, zones, DST-safe schedules, quiet hours, parsers, autocomplete."""

from __future__ import annotations

import functools
import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import timeutil
from bot.timeutil import (
    UTC,
    FakeClock,
    SystemClock,
    UnknownTimezone,
    discord_timestamp,
    from_local,
    in_quiet_hours,
    is_valid_timezone,
    next_daily,
    next_weekly,
    parse_duration,
    parse_local_time,
    quiet_hours_end,
    resolve_timezone,
    timezone_choices,
    to_local,
    validate_quiet_hours,
    week_key,
    zone,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"

# Zones with every kind of awkwardness: 30-minute DST (Lord_Howe), 45-minute offsets
# (Kathmandu, Chatham), half-hour offsets with DST (St_Johns), "negative" DST (Dublin),
# midnight transitions (Havana, Sao_Paulo, Santiago, Tehran), Ramadan DST (Casablanca),
# a skipped calendar day (Apia, 2011-12-30) and the southern hemisphere.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Havana",
    "America/Santiago",
    "America/Nuuk",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Asia/Gaza",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "Pacific/Apia",
    "Africa/Casablanca",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(dt: datetime, tz: str) -> datetime:
    """The naive local wall time of an instant."""
    return dt.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


@functools.cache
def transitions(tz: str, year: int) -> tuple[datetime, ...]:
    """Every UTC-offset change in ``year`` (found by scanning days and bisecting)."""
    z = ZoneInfo(tz)

    def offset(s: int) -> timedelta | None:
        return datetime.fromtimestamp(s, z).utcoffset()

    start = int(utc(year, 1, 1).timestamp())
    found = []
    for day in range(366):
        lo, hi = start + day * 86400, start + (day + 1) * 86400
        if offset(lo) != offset(hi):
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == offset(lo) else (lo, mid)
            found.append(datetime.fromtimestamp(hi, UTC))
    return tuple(found)


@st.composite
def instants(draw: st.DrawFn, tz: str) -> datetime:
    """An instant in 2000-2040, often within a day and a half of a DST transition."""
    year = draw(st.integers(2000, 2040))
    near = transitions(tz, year)
    if near and draw(st.booleans()):
        base = draw(st.sampled_from(near))
        return base + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))
    seconds = draw(st.integers(0, 365 * 86400))
    micros = draw(st.sampled_from([0, 0, 1, 999_999]))
    return utc(year, 1, 1) + timedelta(seconds=seconds, microseconds=micros)


wall_times = st.builds(
    time,
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 1, 15, 29, 30, 31, 45, 59]),
    second=st.sampled_from([0, 0, 0, 59]),
)


# --------------------------------------------------------------------------- clocks


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(utc(2026, 1, 1, 12))
    assert clock.now() == utc(2026, 1, 1, 12)
    clock.advance(timedelta(hours=36))
    assert clock.now() == utc(2026, 1, 3, 0)
    clock.set(datetime(2026, 6, 1, 12, tzinfo=ZoneInfo(BERLIN)))
    assert clock.now() == utc(2026, 6, 1, 10)
    assert clock.now().tzinfo is UTC


def test_fake_clock_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2026, 1, 1))
    clock = FakeClock(utc(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 1))


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert now.utcoffset() == timedelta(0)


def test_utc_is_the_stdlib_utc() -> None:
    import datetime as dt

    assert UTC is dt.timezone.utc  # noqa: UP017 - the spelling is the point


# --------------------------------------------------------------------------- zones


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        (" America/New_York ", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("Etc/GMT-14", "Etc/GMT-14"),
        ("US/Eastern", "US/Eastern"),
    ],
)
def test_zone_accepts_iana_names(name: str, key: str) -> None:
    assert zone(name).key == key
    assert is_valid_timezone(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "Nowhere/Special",
        "Berlin",
        "../../../../etc/passwd",
        "/etc/localtime",
        "/usr/share/zoneinfo/Europe/Berlin",
        "Europe/../Europe/Berlin",
        "Europe//Berlin",
        "Europe/Berlin/",
        "Europe\\Berlin",
        "localtime",
        "Factory",
        "posixrules",
        "Europe/Berlin\x00",
        "Éurope/Berlin",
        "Europe/Berlin\u200b",
        "\ud800",
        "🙂",
        "x" * 10_000,
        "Europe/" + "a" * 60,
        "__init__",
        "zoneinfo",
        ".",
    ],
)
def test_zone_rejects_everything_else_with_one_exception_type(name: str) -> None:
    with pytest.raises(UnknownTimezone):
        zone(name)
    assert not is_valid_timezone(name)


def test_zone_rejects_non_strings() -> None:
    with pytest.raises(UnknownTimezone):
        zone(None)  # type: ignore[arg-type]
    with pytest.raises(UnknownTimezone):
        zone(b"Europe/Berlin")  # type: ignore[arg-type]


def test_unknown_timezone_is_a_value_error_with_a_kind_message() -> None:
    with pytest.raises(ValueError, match="Europe/Berlin") as info:
        zone("Mars/Olympus_Mons")
    assert "don't know" in str(info.value)


@given(st.text(max_size=80))
def test_zone_never_raises_anything_but_unknown_timezone(name: str) -> None:
    try:
        result = zone(name)
    except UnknownTimezone:
        return
    assert isinstance(result, ZoneInfo)


def test_to_local_and_from_local_round_trip() -> None:
    instant = utc(2026, 7, 1, 10)
    assert to_local(instant, BERLIN) == datetime(2026, 7, 1, 12, tzinfo=ZoneInfo(BERLIN))
    assert from_local(datetime(2026, 7, 1, 12), BERLIN) == instant
    assert from_local(datetime(2026, 7, 1, 12), BERLIN).tzinfo is UTC


def test_from_local_moves_gap_times_forward() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin; it happens as 03:30 CEST.
    instant = from_local(datetime(2026, 3, 29, 2, 30), BERLIN)
    assert instant == utc(2026, 3, 29, 1, 30)
    assert local(instant, BERLIN) == datetime(2026, 3, 29, 3, 30)
    assert local(from_local(datetime(2026, 3, 8, 2, 30), NEW_YORK), NEW_YORK) == datetime(
        2026, 3, 8, 3, 30
    )


def test_from_local_takes_the_first_of_two_ambiguous_times() -> None:
    # 02:30 happens twice on 2026-10-25 in Berlin: 00:30 UTC (CEST) then 01:30 UTC (CET).
    assert from_local(datetime(2026, 10, 25, 2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    assert from_local(datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)


def test_naive_and_aware_mixups_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_local(datetime(2026, 1, 1), BERLIN)
    with pytest.raises(ValueError, match="naive local datetime"):
        from_local(utc(2026, 1, 1), BERLIN)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_weekly(datetime(2026, 1, 1), 0, time(9), BERLIN)
    with pytest.raises(ValueError, match="wall-clock time must be naive"):
        next_weekly(utc(2026, 1, 1), 0, time(9, tzinfo=UTC), BERLIN)
    with pytest.raises(UnknownTimezone):
        to_local(utc(2026, 1, 1), "Mars/Base")


# --------------------------------------------------------------------------- next_weekly


SUN = 6


def test_next_weekly_ordinary_week() -> None:
    # 2026-07-01 is a Wednesday; next Friday 18:00 Berlin is 16:00 UTC on the 3rd.
    assert next_weekly(utc(2026, 7, 1), 4, time(18), BERLIN) == utc(2026, 7, 3, 16)
    # Strictly after: the exact instant itself is not "next".
    assert next_weekly(utc(2026, 7, 3, 16), 4, time(18), BERLIN) == utc(2026, 7, 10, 16)
    assert next_weekly(utc(2026, 7, 3, 15, 59, 59), 4, time(18), BERLIN) == utc(2026, 7, 3, 16)


def test_next_weekly_berlin_spring_forward() -> None:
    # 2026-03-29 is the Sunday Berlin skips 02:00-03:00.
    after = utc(2026, 3, 23)
    fired = next_weekly(after, SUN, time(2, 30), BERLIN)
    assert fired == utc(2026, 3, 29, 1, 30)  # 03:30 CEST, once
    assert local(fired, BERLIN) == datetime(2026, 3, 29, 3, 30)
    following = next_weekly(fired, SUN, time(2, 30), BERLIN)
    assert following == utc(2026, 4, 5, 0, 30)  # back to 02:30, now CEST
    # A normal time that day is untouched, just an hour "earlier" in UTC.
    assert next_weekly(after, SUN, time(10), BERLIN) == utc(2026, 3, 29, 8)
    assert next_weekly(after, SUN, time(1, 59), BERLIN) == utc(2026, 3, 29, 0, 59)
    assert next_weekly(after, SUN, time(3), BERLIN) == utc(2026, 3, 29, 1)


def test_next_weekly_berlin_fall_back_fires_once() -> None:
    # 2026-10-25: 02:00-03:00 happens twice. The 02:30 schedule fires on the first one.
    fired = next_weekly(utc(2026, 10, 19), SUN, time(2, 30), BERLIN)
    assert fired == utc(2026, 10, 25, 0, 30)
    # Asking again from the first firing (or from between the two) skips the repeat.
    assert next_weekly(fired, SUN, time(2, 30), BERLIN) == utc(2026, 11, 1, 1, 30)
    between = utc(2026, 10, 25, 1, 0)  # 02:00 CET, the second pass through 02:xx
    assert next_weekly(between, SUN, time(2, 30), BERLIN) == utc(2026, 11, 1, 1, 30)
    assert next_weekly(utc(2026, 10, 19), SUN, time(12), BERLIN) == utc(2026, 10, 25, 11)


def test_next_weekly_new_york_dst_days() -> None:
    spring = next_weekly(utc(2026, 3, 2), SUN, time(2, 30), NEW_YORK)
    assert spring == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
    assert next_weekly(spring, SUN, time(2, 30), NEW_YORK) == utc(2026, 3, 15, 6, 30)
    fall = next_weekly(utc(2026, 10, 26), SUN, time(1, 30), NEW_YORK)
    assert fall == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, the first of two
    assert next_weekly(fall, SUN, time(1, 30), NEW_YORK) == utc(2026, 11, 8, 6, 30)
    assert next_weekly(utc(2026, 10, 26), SUN, time(9), NEW_YORK) == utc(2026, 11, 1, 14)


def test_week_key_guards_the_berlin_double_cron() -> None:
    # APScheduler fires a 02:30 cron at 00:30 and 01:30 UTC that night: one ledger key.
    first, second = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)
    assert week_key(first, BERLIN) == week_key(second, BERLIN) == "2026-W43"
    assert week_key(utc(2026, 10, 25, 23, 30), BERLIN) == "2026-W44"  # Monday 00:30 CET


def test_week_key_uses_local_iso_years() -> None:
    assert week_key(utc(2027, 1, 1, 12), BERLIN) == "2026-W53"
    assert week_key(utc(2026, 1, 1, 12), BERLIN) == "2026-W01"
    # Sunday evening in New York is already Monday in UTC.
    assert week_key(utc(2026, 1, 5, 2), NEW_YORK) == "2026-W01"
    assert week_key(utc(2026, 1, 5, 2), "UTC") == "2026-W02"


def test_next_weekly_rejects_bad_weekdays() -> None:
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        next_weekly(utc(2026, 1, 1), 7, time(9), BERLIN)
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        next_weekly(utc(2026, 1, 1), -1, time(9), BERLIN)


def _intended_day(fired: datetime, weekday: int, at: time, tz: str) -> date:
    """The due day a firing belongs to (a gap shift can push it past midnight)."""
    day = local(fired, tz).date()
    for candidate in (day, day - timedelta(days=1)):
        if candidate.weekday() == weekday and from_local(datetime.combine(candidate, at), tz) == (
            fired
        ):
            return candidate
    raise AssertionError(f"{fired} is not a {weekday} {at} firing in {tz}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), tz=st.sampled_from(ZONES), weekday=st.integers(0, 6), at=wall_times)
def test_next_weekly_properties(data: st.DataObject, tz: str, weekday: int, at: time) -> None:
    after = data.draw(instants(tz), label="after")
    fired = next_weekly(after, weekday, at, tz)
    assert fired > after
    assert fired.tzinfo is UTC
    day = _intended_day(fired, weekday, at, tz)
    wall = datetime.combine(day, at)
    if local(fired, tz) != wall:
        # Only a time that does not exist that day may move, and only forward.
        assert local(from_local(wall, tz), tz) != wall
        assert local(fired, tz) > wall
    # It is the first: last week's firing was not after `after`.
    assert from_local(wall - timedelta(days=7), tz) <= after

    chain = [fired]
    for _ in range(59):
        chain.append(next_weekly(chain[-1], weekday, at, tz))
    keys = [week_key(f, tz) for f in chain]
    for earlier, later in itertools.pairwise(chain):
        assert timedelta(days=6) <= later - earlier <= timedelta(days=8)
    assert len(set(keys)) == len(keys)  # one per ISO week, never twice


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    tz=st.sampled_from(ZONES),
    at=wall_times,
    weekdays=st.none() | st.frozensets(st.integers(0, 6), min_size=1),
)
def test_next_daily_fires_once_per_due_day(
    data: st.DataObject, tz: str, at: time, weekdays: frozenset[int] | None
) -> None:
    after = data.draw(instants(tz), label="after")
    chain = [next_daily(after, at, tz, weekdays)]
    for _ in range(20):
        chain.append(next_daily(chain[-1], at, tz, weekdays))
    assert chain[0] > after
    days = []
    for fired in chain:
        wall = local(fired, tz)
        due = wall.date() if wall.time() == at else None
        if due is None:  # shifted out of a gap; it belongs to the day of the wall time
            due = next(
                d
                for d in (wall.date(), wall.date() - timedelta(days=1))
                if from_local(datetime.combine(d, at), tz) == fired
            )
        assert weekdays is None or due.weekday() in weekdays
        days.append(due)
    assert days == sorted(set(days))  # strictly increasing: never twice a day
    for a, b in itertools.pairwise(days):
        # No due day skipped between consecutive firings.
        gap_days = [a + timedelta(days=i) for i in range(1, (b - a).days)]
        assert not [d for d in gap_days if weekdays is None or d.weekday() in weekdays]


def test_next_daily_weekdays() -> None:
    weekdays = frozenset({0, 2, 4})  # Mon, Wed, Fri
    after = utc(2026, 7, 3, 20)  # Friday evening
    assert next_daily(after, time(8), BERLIN, weekdays) == utc(2026, 7, 6, 6)  # Monday
    assert next_daily(after, time(8), BERLIN) == utc(2026, 7, 4, 6)  # Saturday
    with pytest.raises(ValueError, match="must not be empty"):
        next_daily(after, time(8), BERLIN, frozenset())
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        next_daily(after, time(8), BERLIN, frozenset({7}))


def test_next_daily_through_both_berlin_dst_nights() -> None:
    fired = [next_daily(utc(2026, 3, 27), time(2, 30), BERLIN)]
    for _ in range(3):
        fired.append(next_daily(fired[-1], time(2, 30), BERLIN))
    assert [local(f, BERLIN) for f in fired] == [
        datetime(2026, 3, 27, 2, 30),
        datetime(2026, 3, 28, 2, 30),
        datetime(2026, 3, 29, 3, 30),
        datetime(2026, 3, 30, 2, 30),
    ]
    fired = [next_daily(utc(2026, 10, 24), time(2, 30), BERLIN)]
    for _ in range(2):
        fired.append(next_daily(fired[-1], time(2, 30), BERLIN))
    assert fired == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


# --------------------------------------------------------------------------- quiet hours


NIGHT = (time(22), time(7))


def test_quiet_hours_across_midnight() -> None:
    # Berlin in July is UTC+2.
    assert in_quiet_hours(utc(2026, 7, 1, 21), *NIGHT, BERLIN)  # 23:00
    assert in_quiet_hours(utc(2026, 7, 1, 20), *NIGHT, BERLIN)  # 22:00 sharp
    assert in_quiet_hours(utc(2026, 7, 2, 4, 59), *NIGHT, BERLIN)  # 06:59
    assert not in_quiet_hours(utc(2026, 7, 2, 5), *NIGHT, BERLIN)  # 07:00 sharp
    assert not in_quiet_hours(utc(2026, 7, 1, 12), *NIGHT, BERLIN)
    assert quiet_hours_end(utc(2026, 7, 1, 21), *NIGHT, BERLIN) == utc(2026, 7, 2, 5)
    assert quiet_hours_end(utc(2026, 7, 2, 1), *NIGHT, BERLIN) == utc(2026, 7, 2, 5)
    noon = utc(2026, 7, 1, 10)
    assert quiet_hours_end(noon, *NIGHT, BERLIN) == noon


def test_quiet_hours_same_day_window() -> None:
    start, end = time(13), time(15)
    assert in_quiet_hours(utc(2026, 1, 5, 13, 30), start, end, "UTC")
    assert not in_quiet_hours(utc(2026, 1, 5, 15), start, end, "UTC")
    assert not in_quiet_hours(utc(2026, 1, 5, 23), start, end, "UTC")
    assert quiet_hours_end(utc(2026, 1, 5, 13, 30), start, end, "UTC") == utc(2026, 1, 5, 15)


def test_quiet_hours_across_dst_nights() -> None:
    # Spring forward: the night is an hour shorter; it still ends at 07:00 local.
    assert quiet_hours_end(utc(2026, 3, 28, 22), *NIGHT, BERLIN) == utc(2026, 3, 29, 5)
    # Fall back: an hour longer.
    assert quiet_hours_end(utc(2026, 10, 24, 21), *NIGHT, BERLIN) == utc(2026, 10, 25, 6)
    assert quiet_hours_end(utc(2026, 3, 8, 4), *NIGHT, NEW_YORK) == utc(2026, 3, 8, 11)


def test_quiet_hours_ending_inside_the_gap_end_at_the_jump() -> None:
    # Quiet until 02:30, which 2026-03-29 skips: quiet ends when the clock jumps to 03:00.
    ends = quiet_hours_end(utc(2026, 3, 29, 0, 30), time(1), time(2, 30), BERLIN)
    assert ends == utc(2026, 3, 29, 1)
    assert local(ends, BERLIN) == datetime(2026, 3, 29, 3)


def test_quiet_hours_in_the_repeated_hour_never_end_in_the_past() -> None:
    # 02:15 the second time round (CET) is quiet for 01:00-02:30; the end is 02:30 CET,
    # not the 02:30 CEST that already passed.
    at = utc(2026, 10, 25, 1, 15)
    assert in_quiet_hours(at, time(1), time(2, 30), BERLIN)
    assert quiet_hours_end(at, time(1), time(2, 30), BERLIN) == utc(2026, 10, 25, 1, 30)


def test_empty_quiet_window_means_none_and_is_refused_kindly() -> None:
    assert not in_quiet_hours(utc(2026, 1, 1), time(9), time(9), BERLIN)
    assert quiet_hours_end(utc(2026, 1, 1), time(9), time(9), BERLIN) == utc(2026, 1, 1)
    with pytest.raises(ValueError, match="different start and end"):
        validate_quiet_hours(time(9), time(9))
    validate_quiet_hours(time(22), time(7))
    validate_quiet_hours(time(7), time(22))


def max_quiet(start: time, end: time) -> timedelta:
    """How long quiet hours can last: a day plus an hour of DST.

    Unless the free part of the day is no longer than a DST gap (an hour in these zones):
    then a gap can swallow the one free moment and quiet runs on to the next day's end.
    """
    free = (as_delta(start) - as_delta(end)) % timedelta(days=1)
    return timedelta(hours=25) if free > timedelta(hours=1) else timedelta(hours=49)


def as_delta(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second)


def test_quiet_hours_whose_free_minute_is_skipped_run_to_the_next_day() -> None:
    # Nuuk jumped from 22:59:59 on 2024-03-30 straight to 00:00 on the 31st. With quiet
    # hours 23:59-23:58 the only free minute that day never happened.
    nuuk = "America/Nuuk"
    at = utc(2024, 3, 30, 23)  # 21:00 local
    ends = quiet_hours_end(at, time(23, 59), time(23, 58), nuuk)
    assert local(ends, nuuk) == datetime(2024, 3, 31, 23, 58)
    assert not in_quiet_hours(ends, time(23, 59), time(23, 58), nuuk)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), tz=st.sampled_from(ZONES), start=wall_times, end=wall_times)
def test_quiet_hours_end_properties(data: st.DataObject, tz: str, start: time, end: time) -> None:
    at = data.draw(instants(tz), label="at")
    ends = quiet_hours_end(at, start, end, tz)
    assert ends.tzinfo is UTC
    if not in_quiet_hours(at, start, end, tz):
        assert ends == at
        return
    assert ends > at
    assert not in_quiet_hours(ends, start, end, tz)
    assert ends - at <= max_quiet(start, end)
    # It is the first way out: everything between is still quiet.
    assert in_quiet_hours(ends - timedelta(microseconds=1), start, end, tz)
    for i in range(1, 24):
        assert in_quiet_hours(at + (ends - at) * i / 24, start, end, tz)


# --------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:30", time(19, 30)),
        ("7:30pm", time(19, 30)),
        ("7:30 PM", time(19, 30)),
        ("7pm", time(19)),
        ("7 p.m.", time(19)),
        ("7am", time(7)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("12:45am", time(0, 45)),
        ("07:05", time(7, 5)),
        ("7:05", time(7, 5)),
        ("0:00", time(0)),
        ("23:59", time(23, 59)),
        ("19h30", time(19, 30)),
        ("19h", time(19)),
        ("19.30", time(19, 30)),
        ("  19:30  ", time(19, 30)),
        ("noon", time(12)),
        ("Midnight", time(0)),
        ("１９：３０", time(19, 30)),
    ],
)
def test_parse_local_time_accepts(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "7",
        "19",
        "24:00",
        "25:00",
        "7:60",
        "19:3",
        "13pm",
        "0am",
        "7:30 xm",
        "seven",
        "7pm pm",
        "-1:00",
        "19:30:00:00",
        "١٩:٣٠",
        "1" * 1000,
        "\x00",
    ],
)
def test_parse_local_time_refuses_kindly(text: str) -> None:
    with pytest.raises(ValueError, match="19:30") as info:
        parse_local_time(text)
    assert len(str(info.value)) < 120


@given(st.text(max_size=40))
def test_parse_local_time_only_raises_value_error(text: str) -> None:
    try:
        result = parse_local_time(text)
    except ValueError:
        return
    assert isinstance(result, time)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("30 min", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("1 hour 30 minutes", timedelta(minutes=90)),
        ("1 hour and 30 minutes", timedelta(minutes=90)),
        ("90", timedelta(minutes=90)),
        ("1:30", timedelta(minutes=90)),
        ("2 hours", timedelta(hours=2)),
        ("1.5h", timedelta(minutes=90)),
        ("1,5 h", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1 week", timedelta(weeks=1)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0m",
        "0:00",
        "m",
        "h1",
        "abc",
        "1x",
        "1h1h",
        "1 hour 30",
        "-5",
        "1:75",
        "400d",
        "99999999999999999999d",
        "1" * 30 + "m",
        "1.2.3h",
        ":30",
        "30s",
        "\ud800",
    ],
)
def test_parse_duration_refuses_kindly(text: str) -> None:
    with pytest.raises(ValueError, match=r"^[A-Z].{10,}") as info:
        parse_duration(text)
    assert len(str(info.value)) < 120


@given(st.text(max_size=40))
def test_parse_duration_only_raises_value_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except ValueError:
        return
    assert timedelta(0) < result <= timedelta(days=366)


# --------------------------------------------------------------------------- display


def test_discord_timestamp() -> None:
    instant = utc(2009, 2, 13, 23, 31, 30)
    assert discord_timestamp(instant, "R") == "<t:1234567890:R>"
    assert discord_timestamp(instant) == "<t:1234567890:f>"
    assert discord_timestamp(instant.astimezone(ZoneInfo(BERLIN)), "t") == "<t:1234567890:t>"
    assert discord_timestamp(instant + timedelta(microseconds=999_999)) == "<t:1234567890:f>"
    assert discord_timestamp(utc(1969, 12, 31, 23, 59, 59, 500_000), "d") == "<t:-1:d>"
    with pytest.raises(ValueError, match="style must be one of"):
        discord_timestamp(instant, "x")
    with pytest.raises(ValueError, match="timezone-aware"):
        discord_timestamp(datetime(2009, 2, 13))


# --------------------------------------------------------------------------- autocomplete


def values(query: str, limit: int = 25) -> list[str]:
    return [value for _, value in timezone_choices(query, limit)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("berl", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("europe/berl", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("york", "America/New_York"),
        ("NYC", "America/New_York"),
        ("london", "Europe/London"),
        ("UK", "Europe/London"),
        ("sao paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("são", "America/Sao_Paulo"),
        ("utc", "UTC"),
        ("germany", "Europe/Berlin"),
        ("japan", "Asia/Tokyo"),
        ("mumbai", "Asia/Kolkata"),
        ("kiev", "Europe/Kyiv"),
        ("st johns", "America/St_Johns"),
        ("St. John's", "America/St_Johns"),
        ("lord howe", "Australia/Lord_Howe"),
        ("UTC+5", "Etc/GMT-5"),
        ("gmt-3", "Etc/GMT+3"),
    ],
)
def test_timezone_choices_best_match_first(query: str, first: str) -> None:
    assert values(query)[0] == first


def test_timezone_choices_prefix_before_substring() -> None:
    found = values("ber")
    # "Berlin" starts with it; "Cambridge_Bay"/"Kamberg"-style middles come later.
    assert found.index("Europe/Berlin") < len(found)
    prefix = [v for v in found if v.rsplit("/", 1)[-1].lower().startswith("ber")]
    middle = [v for v in found if "ber" in v.rsplit("/", 1)[-1].lower()[1:]]
    assert prefix
    if middle:
        assert max(found.index(v) for v in prefix) < min(found.index(v) for v in middle)


def test_timezone_choices_limits_and_unknowns() -> None:
    assert values("zzqqxx") == []
    assert values("Mars/Olympus") == []
    assert len(timezone_choices("a")) == 25
    assert len(timezone_choices("a", limit=100)) == 25
    assert len(timezone_choices("a", limit=3)) == 3
    assert timezone_choices("a", limit=0) == []


def test_timezone_choices_empty_query_gives_popular_zones() -> None:
    popular = values("")
    assert 5 <= len(popular) <= 25
    assert {"UTC", "Europe/London", "America/New_York"} <= set(popular)


def test_timezone_choices_can_show_current_offsets() -> None:
    (label, value), *_ = timezone_choices("berlin", at=utc(2026, 1, 15))
    assert value == "Europe/Berlin"
    assert label.endswith("UTC+01:00")
    (label, _), *_ = timezone_choices("kathmandu", at=utc(2026, 7, 15))
    assert label.endswith("UTC+05:45")
    (label, _), *_ = timezone_choices("st johns", at=utc(2026, 1, 15))
    assert label.endswith("UTC-03:30")


@settings(max_examples=300)
@given(query=st.text(max_size=120), at=st.none() | st.just(utc(2026, 6, 1)))
def test_timezone_choices_never_crash_and_stay_within_discord_limits(
    query: str, at: datetime | None
) -> None:
    choices = timezone_choices(query, at=at)
    assert len(choices) <= 25
    assert len({value for _, value in choices}) == len(choices)
    for label, value in choices:
        assert 1 <= len(label) <= 100
        assert 1 <= len(value) <= 100
        assert is_valid_timezone(value)


def test_every_choice_is_a_loadable_zone() -> None:
    for entry in timeutil._zone_index():
        assert zone(entry.value).key == entry.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("NYC", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("japan", "Asia/Tokyo"),
    ],
)
def test_resolve_timezone(text: str, expected: str) -> None:
    assert resolve_timezone(text) == expected


@pytest.mark.parametrize("text", ["", "germ", "us", "united states", "Mars", "../etc"])
def test_resolve_timezone_refuses_unknown_or_ambiguous(text: str) -> None:
    with pytest.raises(UnknownTimezone):
        resolve_timezone(text)


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("Berlln", "Europe/Berlin"),
        ("Nwe York", "America/New_York"),
        ("Sidney", "Australia/Sydney"),
        ("Tokio", "Asia/Tokyo"),
        ("Europe/Berln", "Europe/Berlin"),
        ("germ", "Europe/Berlin"),  # part of a name
        ("us", "America/New_York"),  # ambiguous: the most used first
    ],
)
def test_an_unknown_zone_suggests_the_closest_places_back(typed: str, suggested: str) -> None:
    with pytest.raises(UnknownTimezone) as caught:
        resolve_timezone(typed)
    error = caught.value
    assert error.suggestions
    assert f"({suggested})" in error.suggestions[0]
    assert f"Did you mean {error.suggestions[0]}" in str(error)
    # Autocomplete offers the same place for the same typing.
    assert suggested in values(typed)


def test_a_zone_nothing_is_close_to_says_how_to_find_one() -> None:
    with pytest.raises(UnknownTimezone) as caught:
        resolve_timezone("zzqqxx")
    assert caught.value.suggestions == ()
    assert "Start typing a city" in str(caught.value)
    assert "Did you mean" not in str(caught.value)


@settings(max_examples=200)
@given(typed=st.text(max_size=120))
def test_resolving_any_text_gives_a_zone_or_a_short_kind_refusal(typed: str) -> None:
    error: UnknownTimezone | None = None
    try:
        found = resolve_timezone(typed)
    except UnknownTimezone as exc:
        error = exc
    if error is None:
        assert is_valid_timezone(found)
        return
    text = str(error)
    assert len(text) <= 600
    assert "\n" not in text
    assert "<@" not in text  # what was typed can't come back as a mention
    assert "`" not in text
    assert len(error.suggestions) <= timeutil.SUGGESTIONS
