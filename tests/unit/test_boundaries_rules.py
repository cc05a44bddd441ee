"""bot.boundaries_rules: pauses, DMs and quiet hours, activity, group depth, input checks."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import boundaries_rules as rules
from bot.boundaries_rules import (
    DEPTH_LEVELS,
    BoundaryError,
    MemberPrefs,
    OptIn,
    PersonPrefs,
)
from bot.decks import SENSITIVE_TOPICS
from bot.textfit import OPTION_DESCRIPTION, OPTION_LABEL
from bot.timeutil import UTC, in_quiet_hours, to_local

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"


def person(**kwargs: object) -> PersonPrefs:
    return PersonPrefs(1, **kwargs)  # type: ignore[arg-type]


def dm_ready(**kwargs: object) -> PersonPrefs:
    return person(dms_allowed=True, **kwargs)


# --------------------------------------------------------------------------- vocabulary


def declared_opt_ins() -> list[OptIn]:
    """Every opt-in the cogs declare (`HearthCog.opt_ins`), read from their classes."""
    import importlib

    from bot.app import discover_cogs
    from bot.cog import HearthCog

    found: list[OptIn] = []
    for extension in discover_cogs():
        for value in vars(importlib.import_module(f"{extension}.cog")).values():
            if isinstance(value, type) and issubclass(value, HearthCog):
                found += [o for o in value.opt_ins if o not in found]
    return found


def test_every_label_fits_a_select_option() -> None:
    for level in DEPTH_LEVELS.values():
        assert len(level.hint) <= OPTION_DESCRIPTION
        assert len(rules.depth_label(level.depth)) <= OPTION_LABEL
    declared = declared_opt_ins()
    assert {o.key for o in declared} >= {"prompts", "phones_down", "checkins"}
    for opt_in in declared:
        assert len(opt_in.label) <= OPTION_LABEL
        assert len(opt_in.hint) <= OPTION_DESCRIPTION
    # Nothing that reaches out to a person starts on: only the weekly prompt does.
    assert [o.key for o in declared if o.default] == [rules.ACTIVE_OPT_IN]


def test_opt_in_keys_are_stored_words() -> None:
    assert OptIn("pairing", "Listening pairs", "Now and then, a friend to listen with.").key
    for bad in ("", "Pairing", "pairs; DROP TABLE", "x" * 33):
        with pytest.raises(ValueError, match="opt-in key"):
            OptIn(bad, "A label", "A hint")


# --------------------------------------------------------------------------- pause


def test_pause_until_a_time_ends_by_itself() -> None:
    p = person(paused_until=NOW + timedelta(days=1))
    assert rules.is_paused(p, NOW)
    assert rules.is_paused(p, NOW + timedelta(hours=23, minutes=59))
    assert not rules.is_paused(p, NOW + timedelta(days=1))


def test_pause_until_resume_never_ends_by_itself() -> None:
    p = person(paused_indefinitely=True)
    assert rules.is_paused(p, NOW + timedelta(days=3650))


def test_pause_choices() -> None:
    assert rules.pause_end("day", NOW) == NOW + timedelta(days=1)
    assert rules.pause_end("week", NOW) == NOW + timedelta(days=7)
    assert rules.pause_end("resume", NOW) is None
    with pytest.raises(BoundaryError):
        rules.pause_end("forever-and-ever", NOW)


# --------------------------------------------------------------------------- DMs


def test_nobody_is_dmed_by_default() -> None:
    assert not rules.may_dm(person(), NOW)
    assert rules.next_dm_time(person(), NOW) is None


def test_dms_allowed_and_nothing_else_in_the_way() -> None:
    assert rules.may_dm(dm_ready(), NOW)
    assert rules.next_dm_time(dm_ready(), NOW) == NOW


@pytest.mark.parametrize(
    "blocked",
    [
        {"dm_unreachable": True},
        {"paused_indefinitely": True},
        {"paused_until": NOW + timedelta(hours=1)},
    ],
)
def test_paused_or_unreachable_people_get_no_dm_now_or_later(blocked: dict[str, object]) -> None:
    p = dm_ready(**blocked)
    assert not rules.may_dm(p, NOW)
    assert rules.next_dm_time(p, NOW) is None


def test_quiet_hours_across_midnight_defer_to_their_end() -> None:
    p = dm_ready(timezone=BERLIN, quiet_start=time(22, 0), quiet_end=time(7, 0))
    late = datetime(2026, 1, 10, 22, 30, tzinfo=UTC)  # 23:30 in Berlin (UTC+1)
    assert not rules.may_dm(p, late)
    assert rules.next_dm_time(p, late) == datetime(2026, 1, 11, 6, 0, tzinfo=UTC)  # 07:00 local
    early = datetime(2026, 1, 11, 5, 0, tzinfo=UTC)  # 06:00 local, same window
    assert rules.next_dm_time(p, early) == datetime(2026, 1, 11, 6, 0, tzinfo=UTC)
    day = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
    assert rules.may_dm(p, day)
    assert rules.next_dm_time(p, day) == day


def test_quiet_hours_over_the_spring_forward_night() -> None:
    # Berlin jumps from 02:00 to 03:00 on 2026-03-29: a 22:00–07:00 night is an hour shorter.
    p = dm_ready(timezone=BERLIN, quiet_start=time(22, 0), quiet_end=time(7, 0))
    at = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # 23:00 CET
    end = rules.next_dm_time(p, at)
    assert end == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert to_local(end, BERLIN).time() == time(7, 0)


def test_quiet_hours_over_the_fall_back_night() -> None:
    p = dm_ready(timezone="America/New_York", quiet_start=time(23, 0), quiet_end=time(6, 30))
    at = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 EDT, clocks go back at 02:00
    end = rules.next_dm_time(p, at)
    assert end == datetime(2026, 11, 1, 11, 30, tzinfo=UTC)  # 06:30 EST
    assert end - at == timedelta(hours=7, minutes=30)  # the repeated hour is still quiet


# Zones with ordinary, odd (30-minute, southern-hemisphere) and no DST.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Kolkata",
    "Europe/London",
    "UTC",
]


def _transitions(year: int) -> list[datetime]:
    """Every hour in `year` at which one of ZONES changes its UTC offset."""
    found = []
    for name in ZONES:
        z = ZoneInfo(name)
        hour = datetime(year, 1, 1, tzinfo=UTC)
        offset = hour.astimezone(z).utcoffset()
        while hour.year == year:
            hour += timedelta(hours=1)
            if (now := hour.astimezone(z).utcoffset()) != offset:
                found.append(hour)
                offset = now
    return found


wall_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
# Half the instants fall within a day and a half of a DST change, where the bugs live.
instants = st.one_of(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda t, minutes: t + timedelta(minutes=minutes),
        st.sampled_from(_transitions(2026)),
        st.integers(-36 * 60, 36 * 60),
    ),
)


@settings(max_examples=600, deadline=None)
@given(zone=st.sampled_from(ZONES), start=wall_times, end=wall_times, at=instants)
@example(
    zone="Europe/Berlin",
    start=time(1, 0),
    end=time(2, 30),
    at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
)
@example(
    zone="Europe/Berlin",
    start=time(2, 30),
    end=time(6, 0),
    at=datetime(2026, 10, 25, 0, 45, tzinfo=UTC),
)
@example(
    zone="America/New_York",
    start=time(22, 0),
    end=time(1, 30),
    at=datetime(2026, 11, 1, 5, 15, tzinfo=UTC),
)
def test_a_dm_inside_quiet_hours_goes_out_exactly_when_they_end(
    zone: str, start: time, end: time, at: datetime
) -> None:
    try:
        rules.check_quiet_hours(start, end)
    except BoundaryError:
        return  # refused windows are never stored
    p = dm_ready(timezone=zone, quiet_start=start, quiet_end=end)
    when = rules.next_dm_time(p, at)
    assert when is not None  # quiet hours defer, they never drop
    assert when >= at
    assert not in_quiet_hours(when, start, end, zone)
    assert rules.may_dm(p, when)
    if in_quiet_hours(at, start, end, zone):
        assert when > at
        assert in_quiet_hours(when - timedelta(seconds=1), start, end, zone)  # not a moment late
        assert when - at <= rules.MAX_QUIET + timedelta(hours=1)  # at most a DST hour longer
        assert not rules.may_dm(p, at)
    else:
        assert when == at


# --------------------------------------------------------------------------- quiet-hour input


@pytest.mark.parametrize(
    ("start", "end"),
    [(time(22, 0), time(7, 0)), (time(13, 0), time(14, 0)), (time(6, 0), time(0, 0))],
)
def test_sensible_windows_are_accepted(start: time, end: time) -> None:
    rules.check_quiet_hours(start, end)


def test_an_empty_window_is_refused_kindly() -> None:
    with pytest.raises(BoundaryError, match="different start and end"):
        rules.check_quiet_hours(time(22, 0), time(22, 0))


def test_a_window_typed_the_wrong_way_round_is_refused_with_a_suggestion() -> None:
    with pytest.raises(BoundaryError, match="Did you mean 06:00 to 07:00") as info:
        rules.check_quiet_hours(time(7, 0), time(6, 0))
    assert "23 hours" in str(info.value)


def test_the_longest_window_allowed() -> None:
    rules.check_quiet_hours(time(6, 0), time(0, 0))  # 18 hours
    with pytest.raises(BoundaryError):
        rules.check_quiet_hours(time(6, 0), time(0, 15))


def test_quiet_length_crosses_midnight() -> None:
    assert rules.quiet_length(time(22, 0), time(7, 0)) == timedelta(hours=9)
    assert rules.quiet_length(time(7, 0), time(22, 0)) == timedelta(hours=15)


# --------------------------------------------------------------------------- topics, features


def test_topics_come_from_the_decks_vocabulary() -> None:
    assert rules.check_topics(["money", "family"]) == {"money", "family"}
    assert rules.check_topics([]) == frozenset()
    with pytest.raises(BoundaryError):
        rules.check_topics(["money", "everyday"])  # an ordinary tag isn't skippable
    assert set(SENSITIVE_TOPICS) >= {"family", "romance", "body_health", "money", "faith"}


def test_opt_ins_are_checked_against_the_declared_ones() -> None:
    pairs = OptIn("pairing", "Listening pairs", "Now and then, a friend to listen with.")
    assert rules.check_opt_in("pairing", {"pairing": pairs}) is pairs
    with pytest.raises(BoundaryError):
        rules.check_opt_in("prompts; DROP TABLE", {"pairing": pairs})
    with pytest.raises(BoundaryError):
        rules.check_opt_in("pairing", {})  # nobody offers it (its practice isn't here)


# --------------------------------------------------------------------------- activity, depth


def member(**kwargs: object) -> MemberPrefs:
    values: dict[str, object] = {
        "last_seen": NOW - timedelta(days=1),
        "opt_ins": frozenset({rules.ACTIVE_OPT_IN}),
    }
    values.update(kwargs)
    return MemberPrefs(10, 1, **values)  # type: ignore[arg-type]


def test_active_participant() -> None:
    assert rules.is_active(member(), person(), NOW)
    assert not rules.is_active(member(opt_ins=frozenset({"pairing"})), person(), NOW)
    assert not rules.is_active(member(), person(paused_indefinitely=True), NOW)
    assert not rules.is_active(member(last_seen=NOW - timedelta(days=31)), person(), NOW)
    assert rules.is_active(member(last_seen=NOW - rules.ACTIVE_WINDOW), person(), NOW)
    assert not rules.is_active(member(last_seen=None), person(), NOW)


def test_group_depth_is_the_consent_capped_by_explicit_comfort() -> None:
    assert rules.group_depth(1, []) == 1
    assert rules.group_depth(3, [None, None]) == 3
    assert rules.group_depth(3, [None, 2, 3]) == 2
    assert rules.group_depth(2, [3]) == 2  # comfort never raises the group


@given(
    consented=st.integers(1, 3),
    comforts=st.lists(st.one_of(st.none(), st.integers(1, 3)), max_size=12),
)
def test_group_depth_never_exceeds_anyone(consented: int, comforts: list[int | None]) -> None:
    depth = rules.group_depth(consented, comforts)
    assert 1 <= depth <= consented
    assert all(depth <= c for c in comforts if c is not None)
    assert depth == min([consented, *(c for c in comforts if c is not None)])
