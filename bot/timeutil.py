"""Time for the whole bot: clocks, zones, DST-safe schedules, quiet hours and parsers.

Instants are aware UTC datetimes everywhere; schedules are local wall time plus an IANA
zone name. Nothing here reads the real clock except ``SystemClock``, so every rule can be
tested with a ``FakeClock``.

DST rules used throughout (the same ones APScheduler users usually wish they had):

- a local time that falls in a spring-forward gap moves forward by the gap
  (02:30 on the Berlin spring-forward day happens at 03:30 local);
- a local time that happens twice on a fall-back night means the first one (fold=0);
- a weekly or daily schedule fires exactly once per local day it is due.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import difflib
import functools
import math
import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from importlib import resources
from typing import Protocol

__all__ = [
    "UTC",
    "Clock",
    "FakeClock",
    "SystemClock",
    "UnknownTimezone",
    "discord_timestamp",
    "from_local",
    "in_quiet_hours",
    "is_valid_timezone",
    "next_daily",
    "next_weekly",
    "parse_duration",
    "parse_local_time",
    "quiet_hours_end",
    "resolve_timezone",
    "timezone_choices",
    "to_local",
    "validate_quiet_hours",
    "week_key",
    "zone",
]

UTC = _dt.UTC  # the same object as datetime.timezone.utc


def _require_aware(dt: datetime, what: str) -> datetime:
    # A naive datetime silently means "the server's local time", which is never right here.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {dt!r})")
    return dt.astimezone(UTC)


def _require_wall_time(at: time) -> time:
    if at.tzinfo is not None:
        raise ValueError("a wall-clock time must be naive; the zone is passed separately")
    return at


# --------------------------------------------------------------------------- clocks


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The real clock. The only place in the bot that reads the wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedSystemClock(SystemClock):
    """The real clock, moved by a fixed offset: time runs at real speed, the date is later.
    Only for rehearsals and the crash-consistency tests (`HEARTH_CLOCK_OFFSET_SECONDS`),
    which start Hearth "two days later" to see what it does with what fell due."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start, "FakeClock start")

    def now(self) -> datetime:
        return self._now

    def set(self, dt: datetime) -> None:
        self._now = _require_aware(dt, "FakeClock.set")

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


# --------------------------------------------------------------------------- zones


class UnknownTimezone(ValueError):
    """The text is not a time zone we know. Its message is safe to show to people: it names
    what they typed (one short line) and, when something is close, suggests it back."""

    def __init__(self, name: object = None, suggestions: Sequence[str] = ()) -> None:
        typed = _shown(name)
        what = f"the time zone “{typed}”" if typed else "that time zone"
        if suggestions:
            names = [*suggestions]
            options = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            text = (
                f"I don't know {what}. Did you mean {options}? Start typing a city and pick "
                "one from the list."
            )
        else:
            text = (
                f"I don't know {what}. Start typing a city (like Berlin or New York) and pick "
                "one from the list, or use a name like Europe/Berlin."
            )
        super().__init__(text)
        self.name = name
        self.suggestions = tuple(suggestions)


_PLAIN = str.maketrans("`_", "' ", "*<>")


def _shown(name: object) -> str:
    """What someone typed, as one short printable line (it goes back to them in a reply)."""
    if not isinstance(name, str):
        return ""
    line = " ".join("".join(c if c.isprintable() else " " for c in name).split())
    # No markdown or mention syntax survives: it reads back as plain text.
    line = line.translate(_PLAIN)
    return line if len(line) <= 40 else line[:39].rstrip() + "…"


# Names that exist in the zone database but are not places (or not portable).
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_ZONE_PREFIXES = ("posix/", "right/", "SystemV/")
# IANA names use ASCII letters, digits, "_", "-", "+" in "/"-separated parts; the
# longest is 32 characters. Checking the shape first keeps odd input away from the
# file system entirely.
_ZONE_SHAPE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", re.ASCII)
_MAX_ZONE_NAME = 64


def _zone_key(name: str) -> str:
    return name.strip().replace(" ", "_").casefold()


@functools.cache
def _zone_names() -> dict[str, str]:
    """Lower-cased key -> canonical spelling, for every zone that may be used."""
    names: dict[str, str] = {}
    for name in zoneinfo.available_timezones():
        if name in _NOT_ZONES or name.startswith(_NOT_ZONE_PREFIXES):
            continue
        names[_zone_key(name)] = name
    return names


async def load_zone_names() -> None:
    """Read the zone list (tens of milliseconds, once per process) on a worker thread, so
    the first time zone looked up after start doesn't hold the event loop."""
    await asyncio.to_thread(_zone_names)


def _canonical_zone_name(name: object) -> str | None:
    if not isinstance(name, str) or not name or len(name) > _MAX_ZONE_NAME:
        return None
    key = _zone_key(name)
    if not _ZONE_SHAPE.fullmatch(key) or ".." in key:
        return None
    return _zone_names().get(key)


@functools.cache
def _load_zone(canonical: str) -> zoneinfo.ZoneInfo:
    # ZoneInfo only keeps 8 zones strongly cached; holding them here stops autocomplete
    # and schedulers from re-reading zone files (about 80 µs each) over and over.
    return zoneinfo.ZoneInfo(canonical)


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The ZoneInfo for an IANA name (case-insensitive); UnknownTimezone otherwise."""
    canonical = _canonical_zone_name(name)
    if canonical is None:
        raise UnknownTimezone(name)
    try:
        return _load_zone(canonical)
    except Exception as exc:  # a listed but unreadable zone file must not escape as OSError
        raise UnknownTimezone(name) from exc


def is_valid_timezone(name: str) -> bool:
    try:
        zone(name)
    except UnknownTimezone:
        return False
    return True


def to_local(dt_utc: datetime, tz: str) -> datetime:
    """The aware local datetime in ``tz`` for an aware instant."""
    return _require_aware(dt_utc, "to_local").astimezone(zone(tz))


def _from_local(naive_local: datetime, z: zoneinfo.ZoneInfo) -> datetime:
    # PEP 495: fold=0 maps a gap time with the offset from before the transition, which
    # lands it "gap" later on the new clock (02:30 -> 03:30), and picks the first of two
    # ambiguous times. Exactly the two rules we want.
    return naive_local.replace(tzinfo=z, fold=0).astimezone(UTC)


def from_local(naive_local: datetime, tz: str) -> datetime:
    """The UTC instant of a local wall time (gap: moved forward; ambiguous: first)."""
    if naive_local.tzinfo is not None:
        raise ValueError("from_local takes a naive local datetime; the zone is passed as tz")
    return _from_local(naive_local, zone(tz))


# --------------------------------------------------------------------------- schedules


def next_daily(
    after: datetime,
    at: time,
    tz: str,
    weekdays: frozenset[int] | None = None,
) -> datetime:
    """The first instant strictly after ``after`` at local time ``at`` on a due day.

    ``weekdays`` (0=Monday) limits the days; None means every day. Once per local day:
    an ambiguous time fires at its first occurrence only, and a time in a DST gap fires
    shifted forward by the gap instead of being skipped.
    """
    after_utc = _require_aware(after, "after")
    at = _require_wall_time(at)
    if weekdays is not None:
        if not weekdays:
            raise ValueError("weekdays must not be empty (use None for every day)")
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
    z = zone(tz)
    today = after_utc.astimezone(z).date()
    best: datetime | None = None
    # Start a day early and look 9 days ahead: a gap shift can move a day's firing past
    # midnight, and any non-empty weekday set has a due day within that span.
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        if weekdays is not None and day.weekday() not in weekdays:
            continue
        candidate = _from_local(datetime.combine(day, at), z)
        if candidate > after_utc and (best is None or candidate < best):
            best = candidate
    if best is None:  # pragma: no cover - unreachable with the span above
        raise AssertionError("no due day found")
    return best


def next_weekly(after: datetime, weekday: int, at: time, tz: str) -> datetime:
    """The first instant strictly after ``after`` on local ``weekday`` (0=Monday) at ``at``."""
    if not 0 <= weekday <= 6:
        raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
    return next_daily(after, at, tz, frozenset({weekday}))


def week_key(dt_utc: datetime, tz: str) -> str:
    """The local ISO week of an instant, like "2026-W43": a once-per-week ledger key."""
    iso = to_local(dt_utc, tz).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


# --------------------------------------------------------------------------- quiet hours


def validate_quiet_hours(start: time, end: time) -> None:
    """Raise ValueError (with a message for people) if the window is unusable."""
    _require_wall_time(start)
    _require_wall_time(end)
    if start == end:
        raise ValueError(
            "Quiet hours need different start and end times — for example 22:00 to 07:00."
        )


def _in_window(t: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end  # the window crosses midnight


def in_quiet_hours(at_utc: datetime, start: time, end: time, tz: str) -> bool:
    """Whether the local time at ``at_utc`` is in [start, end); start == end means never."""
    _require_wall_time(start)
    _require_wall_time(end)
    return _in_window(to_local(at_utc, tz).time(), start, end)


def _offset_at(seconds: int, z: zoneinfo.ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(seconds, z).utcoffset()


def _first_offset_change(lo: datetime, hi: datetime, z: zoneinfo.ZoneInfo) -> datetime:
    """The first whole second in (lo, hi] whose UTC offset differs from lo's.

    zoneinfo has no public transition list, but transitions fall on whole seconds and
    there is at most one in a day's span here, so bisecting on the offset finds it.
    """
    lo_s = math.floor(lo.timestamp())
    hi_s = math.ceil(hi.timestamp())
    base = _offset_at(lo_s, z)
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset_at(mid, z) == base:
            lo_s = mid
        else:
            hi_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def quiet_hours_end(at_utc: datetime, start: time, end: time, tz: str) -> datetime:
    """When quiet hours that contain ``at_utc`` end (UTC); ``at_utc`` itself if not quiet.

    "End" is the first instant whose local time is outside [start, end): normally the
    local ``end`` on the right day, or the DST transition if the clock jumps out of the
    window (an ``end`` inside a spring-forward gap ends the window at the jump). So the
    result is never quiet itself, and is at most 25 hours away, except when a gap
    swallows all of a day's free time (a window 23:59-23:58 on a night that skips
    23:00-00:00); then quiet lasts until the next day's end.
    """
    at = _require_aware(at_utc, "at_utc")
    _require_wall_time(start)
    _require_wall_time(end)
    z = zone(tz)
    cur = at
    if not _in_window(cur.astimezone(z).time(), start, end):
        return at
    # Each round either reaches the local end time or stops at a transition; there are at
    # most a couple of transitions in the ~25 hours a window can last.
    for _ in range(8):
        local = cur.astimezone(z)
        wall = local.replace(tzinfo=None)
        end_day = wall.date()
        if start > end and wall.time() >= start:
            end_day += timedelta(days=1)
        candidate = cur + (datetime.combine(end_day, end) - wall)
        if candidate.astimezone(z).utcoffset() == local.utcoffset():
            return candidate
        jump = _first_offset_change(cur, candidate, z)
        if not _in_window(jump.astimezone(z).time(), start, end):
            return jump
        cur = jump
    raise AssertionError("quiet hours did not end within 8 transitions")  # pragma: no cover


# --------------------------------------------------------------------------- parsers


_TIME_HINT = 'Try a time like "19:30", "7:30pm" or "7pm".'
_TIME_24 = re.compile(r"([0-9]{1,2})(?:\s*[:h.]\s*([0-9]{2})|\s*h)", re.ASCII)
_TIME_12 = re.compile(r"([0-9]{1,2})(?:\s*[:h.]\s*([0-9]{2}))?\s*([ap])\.?\s*(?:m\.?)?", re.ASCII)
_TIME_WORDS = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def _normalise_input(text: str, max_len: int, hint: str) -> str:
    if not isinstance(text, str):
        raise ValueError(hint)
    # NFKC turns full-width digits and odd colons into ASCII, so phones' keyboards work.
    text = unicodedata.normalize("NFKC", text[: max_len * 4]).strip().lower()
    if len(text) > max_len:
        raise ValueError(f"That's longer than I expected. {hint}")
    return text


def parse_local_time(text: str) -> time:
    """A wall-clock time from "19:30", "7:30pm", "7 pm", "07:05", "19h30", "19h", "noon"."""
    s = _normalise_input(text, 20, _TIME_HINT)
    if s in _TIME_WORDS:
        return _TIME_WORDS[s]
    if m := _TIME_12.fullmatch(s):
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ValueError(f"With am/pm the hour goes from 1 to 12. {_TIME_HINT}")
        return time(hour % 12 + (12 if m[3] == "p" else 0), minute)
    if m := _TIME_24.fullmatch(s):
        hour, minute = int(m[1]), int(m[2] or 0)
        if hour > 23 or minute > 59:
            raise ValueError(f"Hours go up to 23 and minutes up to 59. {_TIME_HINT}")
        return time(hour, minute)
    raise ValueError(f"I couldn't read that as a time. {_TIME_HINT}")


_DURATION_HINT = 'Try something like "30m", "1h30m", "90" (minutes) or "2 hours".'
_UNIT_MINUTES = {
    "w": 7 * 24 * 60,
    "d": 24 * 60,
    "h": 60,
    "m": 1,
}
_UNIT_WORDS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
}
_DURATION_PART = re.compile(r"([0-9]+(?:[.,][0-9]+)?)\s*([a-z]+)\s*(?:,|and)?\s*", re.ASCII)
_MAX_DURATION = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """A positive duration from "30m", "1h", "1h30m", "90" (minutes), "1:30", "2 hours".

    Longer than a year is refused: nothing in the bot waits that long, and it keeps huge
    numbers from overflowing timedelta.
    """
    s = _normalise_input(text, 40, _DURATION_HINT)
    minutes: float
    if re.fullmatch(r"[0-9]{1,6}", s, re.ASCII):
        minutes = int(s)
    elif m := re.fullmatch(r"([0-9]{1,4}):([0-5][0-9])", s, re.ASCII):
        minutes = int(m[1]) * 60 + int(m[2])
    else:
        pos, seen, minutes = 0, set(), 0.0
        while pos < len(s):
            part = _DURATION_PART.match(s, pos)
            if part is None or part.end() == pos:
                raise ValueError(f"I couldn't read that as a length of time. {_DURATION_HINT}")
            unit = _UNIT_WORDS.get(part[2])
            if unit is None or unit in seen:
                raise ValueError(f"I couldn't read that as a length of time. {_DURATION_HINT}")
            seen.add(unit)
            number = part[1].replace(",", ".")
            if len(number) > 12:
                raise ValueError(f"That number is too big. {_DURATION_HINT}")
            minutes += float(number) * _UNIT_MINUTES[unit]
            pos = part.end()
        if not seen:
            raise ValueError(f"I couldn't read that as a length of time. {_DURATION_HINT}")
    if minutes * 60 > _MAX_DURATION.total_seconds():
        raise ValueError("That's longer than a year — try something shorter.")
    result = timedelta(seconds=round(minutes * 60))
    if result <= timedelta(0):
        raise ValueError("The length of time needs to be more than zero.")
    return result


# --------------------------------------------------------------------------- display


_TIMESTAMP_STYLES = frozenset("tTdDfFR")


def discord_timestamp(dt: datetime, style: str = "f") -> str:
    """Discord's self-localising timestamp markup, e.g. "<t:1234567890:R>"."""
    if style not in _TIMESTAMP_STYLES:
        raise ValueError(f"style must be one of {''.join(sorted(_TIMESTAMP_STYLES))}")
    seconds = math.floor(_require_aware(dt, "discord_timestamp").timestamp())
    return f"<t:{seconds}:{style}>"


# --------------------------------------------------------------------------- autocomplete


# Shown for an empty query and used to order otherwise-equal matches.
_POPULAR = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Australia/Sydney",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Seoul",
    "Asia/Manila",
    "Asia/Jakarta",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Pacific/Auckland",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Phoenix",
    "America/Halifax",
    "America/Argentina/Buenos_Aires",
    "America/Bogota",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Zurich",
    "Europe/Brussels",
    "Europe/Vienna",
    "Europe/Prague",
    "Europe/Helsinki",
    "Europe/Athens",
    "Asia/Bangkok",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Australia/Melbourne",
    "Australia/Perth",
)
_POPULAR_EMPTY = 12

# Everyday names people type that are not zone cities (or are old spellings).
_ALIASES: dict[str, str] = {
    "utc": "UTC",
    "gmt": "UTC",
    "zulu": "UTC",
    "uk": "Europe/London",
    "britain": "Europe/London",
    "england": "Europe/London",
    "scotland": "Europe/London",
    "wales": "Europe/London",
    "nyc": "America/New_York",
    "new york city": "America/New_York",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "dc": "America/New_York",
    "philadelphia": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "eastern": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "dallas": "America/Chicago",
    "houston": "America/Chicago",
    "austin": "America/Chicago",
    "mountain": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pacific": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles",
    "sf": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "hawaii": "Pacific/Honolulu",
    "rio de janeiro": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo",
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "calcutta": "Asia/Kolkata",
    "ist": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "peking": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
    "jst": "Asia/Tokyo",
    "saigon": "Asia/Ho_Chi_Minh",
    "hanoi": "Asia/Bangkok",
    "rangoon": "Asia/Yangon",
    "kiev": "Europe/Kyiv",
    "saint petersburg": "Europe/Moscow",
    "st petersburg": "Europe/Moscow",
    "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "geneva": "Europe/Zurich",
    "cape town": "Africa/Johannesburg",
    "canberra": "Australia/Sydney",
    "aest": "Australia/Brisbane",
    "wellington": "Pacific/Auckland",
    "dubai": "Asia/Dubai",
    "abu dhabi": "Asia/Dubai",
    "tel aviv": "Asia/Jerusalem",
    "usa": "America/New_York",
}

_OFFSET_QUERY = re.compile(r"(?:utc|gmt)\s*([+-])\s*([0-9]{1,2})(?::?00)?", re.ASCII)
_MAX_CHOICES = 25
_MAX_LABEL = 100


def _fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-as-space form used for matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    # Apostrophes vanish rather than split words, so "St. John's" finds St_Johns.
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’")
    spaced = "".join(c if c.isalnum() or c == "/" else " " for c in stripped.casefold())
    return " ".join(spaced.split())


@dataclass(frozen=True, slots=True)
class _ZoneEntry:
    value: str  # the IANA name
    label: str  # what people read
    rank: int  # popularity; lower first
    exact: frozenset[str]  # folded names that count as an exact hit
    names: str  # folded city/alias/country names, each after a "\n", for one-pass search
    path: str  # folded IANA name, e.g. "america/new york"
    path_tail: str  # the same without the region, e.g. "new york"
    extra: str  # folded zone.tab comment, matched last


def _city(name: str) -> str:
    return name.rsplit("/", 1)[-1].replace("_", " ")


def _read_tab(filename: str) -> list[list[str]]:
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", filename).read_text("utf-8")
    except Exception:  # tzdata missing or packaged differently: fall back to bare names
        return []
    return [line.split("\t") for line in text.splitlines() if line and line[0] != "#"]


@functools.cache
def _zone_index() -> tuple[_ZoneEntry, ...]:
    known = set(_zone_names().values())
    countries = {row[0]: row[1] for row in _read_tab("iso3166.tab") if len(row) >= 2}
    # zone -> (country codes, comment)
    places: dict[str, tuple[list[str], str]] = {}
    for row in _read_tab("zone.tab"):
        if len(row) >= 3 and row[2] in known:
            codes, comment = places.setdefault(row[2], ([], row[3] if len(row) > 3 else ""))
            codes.append(row[0])
    if not places:
        regions = (
            *("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/"),
            *("Europe/", "Indian/", "Pacific/"),
        )
        places = {n: ([], "") for n in known if n.startswith(regions)}
    aliases: dict[str, list[str]] = {}
    for alias, target in _ALIASES.items():
        aliases.setdefault(target, []).append(alias)
    rank = {name: i for i, name in enumerate(_POPULAR)}

    entries = [
        _ZoneEntry(
            value="UTC",
            label="UTC (Coordinated Universal Time)",
            rank=0,
            exact=frozenset({"utc", *aliases.get("UTC", [])}),
            names=_names_blob(["utc", "coordinated universal time", *aliases.get("UTC", [])]),
            path="utc",
            path_tail="utc",
            extra="",
        )
    ]
    for name, (codes, comment) in places.items():
        city = _city(name)
        country_names = [countries[c] for c in codes if c in countries]
        # Country codes and single-zone countries count as exact hits ("de", "japan").
        exact = {_fold(city), _fold(name), *aliases.get(name, [])}
        exact.update(c.casefold() for c in codes)
        folded_countries = [_fold(c) for c in country_names]
        if len(codes) == 1:
            exact.update(folded_countries)
        label = f"{city}, {country_names[0]} ({name})" if country_names else f"{city} ({name})"
        entries.append(
            _ZoneEntry(
                value=name,
                label=label,
                rank=rank.get(name, len(_POPULAR)),
                exact=frozenset(exact),
                names=_names_blob([_fold(city), *aliases.get(name, []), *folded_countries]),
                path=_fold(name),
                path_tail=_fold(name.split("/", 1)[-1]),
                extra=_fold(comment),
            )
        )
    entries.sort(key=lambda e: (e.rank, e.label))
    return tuple(entries)


def _names_blob(names: list[str]) -> str:
    return "".join("\n" + n for n in names)


def _score(entry: _ZoneEntry, q: str) -> int | None:
    """Lower is better; None means no match. ``q`` is folded, so it holds no newline."""
    if q in entry.exact:
        return 0
    if "\n" + q in entry.names:
        return 1
    if entry.path.startswith(q) or entry.path_tail.startswith(q):
        return 2
    if " " + q in entry.names:
        return 3
    if q in entry.names or q in entry.path:
        return 4
    if q in entry.extra:
        return 5
    return None


def _offset_label(value: str, at: datetime | None) -> str:
    if at is None:
        return ""
    offset = to_local(at, value).utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f" · UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _choice(label: str, value: str, at: datetime | None) -> tuple[str, str]:
    suffix = _offset_label(value, at)
    room = _MAX_LABEL - len(suffix)
    if len(label) > room:
        label = label[: room - 1].rstrip() + "…"
    return label + suffix, value


def timezone_choices(
    query: str, limit: int = 25, *, at: datetime | None = None
) -> list[tuple[str, str]]:
    """(label, IANA name) pairs for slash-command autocomplete, best first.

    Matches cities ("berlin", "são paulo"), IANA names ("Europe/Ber"), countries
    ("germany", "de"), a few everyday aliases ("NYC", "UK", "pst") and fixed offsets
    ("UTC+5"). Pass ``at`` to show each zone's UTC offset at that instant. Values are
    only suggestions: validate what comes back with ``zone()``.
    """
    limit = min(limit, _MAX_CHOICES)
    if limit <= 0:
        return []
    index = _zone_index()
    raw = query[:100] if isinstance(query, str) else ""
    q = _fold(raw)
    if not q:
        return [_choice(e.label, e.value, at) for e in index[: min(limit, _POPULAR_EMPTY)]]

    results: list[tuple[str, str]] = []
    if m := _OFFSET_QUERY.fullmatch(raw.strip().casefold()):
        hours = int(m[2])
        # POSIX-style Etc names have the sign inverted: Etc/GMT-5 is UTC+05:00.
        name = "UTC" if hours == 0 else f"Etc/GMT{'-' if m[1] == '+' else '+'}{hours}"
        if _canonical_zone_name(name):
            label = f"UTC{m[1]}{hours:02d}:00 (fixed offset, no daylight saving)"
            results.append((label, name))

    scored: list[tuple[int, int, _ZoneEntry]] = []
    for position, entry in enumerate(index):
        score = _score(entry, q)
        if score is not None:
            scored.append((score, position, entry))
    scored.sort(key=lambda item: (item[0], item[1]))
    seen = {value for _, value in results}
    for _, _, entry in scored:
        if len(results) >= limit:
            break
        if entry.value not in seen:
            seen.add(entry.value)
            results.append(_choice(entry.label, entry.value, at))
    if not results:  # nothing contains it: perhaps a slip of the keyboard ("Berlln")
        results = [_choice(e.label, e.value, at) for e in _near(q, limit)]
    return results[:limit]


# A misspelling is compared with names at least this long, and must be this similar
# (difflib's ratio) to one of them: "berlln" → "berlin" is 0.92, "sidney" → "sydney" 0.83.
_NEAR_MIN_LENGTH = 4
_NEAR_CUTOFF = 0.75


@functools.cache
def _near_names() -> dict[str, tuple[int, ...]]:
    """Folded city, IANA, alias and country names → positions in `_zone_index()`."""
    names: dict[str, list[int]] = {}
    for i, entry in enumerate(_zone_index()):
        for name in {*entry.exact, entry.path, entry.path_tail, *entry.names.split("\n")}:
            if len(name) >= _NEAR_MIN_LENGTH and i not in names.get(name, ()):
                names.setdefault(name, []).append(i)
    return {name: tuple(found) for name, found in names.items()}


def _near(q: str, limit: int) -> list[_ZoneEntry]:
    """Zones whose names are spelled nearly like `q` (folded), closest first."""
    if len(q) < _NEAR_MIN_LENGTH or limit <= 0:
        return []
    index, names = _zone_index(), _near_names()
    found: list[_ZoneEntry] = []
    for name in difflib.get_close_matches(q, names, n=limit, cutoff=_NEAR_CUTOFF):
        for i in names[name]:
            if index[i] not in found:
                found.append(index[i])
    return found[:limit]


# How many places an unknown or ambiguous time zone suggests back.
SUGGESTIONS = 3


def resolve_timezone(text: str) -> str:
    """The IANA name for typed text: an IANA name, or an unambiguous city/alias/country.

    The one resolver behind every command and modal that takes a time zone (an option
    value need not come from autocomplete). Raises UnknownTimezone, suggesting the closest
    places back: the candidates of an ambiguous name ("us"), names containing it
    ("germ"), or names spelled nearly like it ("Berlln").
    """
    canonical = _canonical_zone_name(text)
    if canonical is not None and ("/" in canonical or canonical == "UTC"):
        return canonical
    q = _fold(text[:100]) if isinstance(text, str) else ""
    hits: list[_ZoneEntry] = []
    if q:
        hits = [e for e in _zone_index() if q in e.exact]
        if len(hits) == 1:
            return hits[0].value
    if canonical is not None:  # legacy names like "Japan" or "EST5EDT" still work
        return canonical
    if hits:  # popular first: the index is in that order
        labels = [e.label for e in hits[:SUGGESTIONS]]
    elif q:
        labels = [label for label, _ in timezone_choices(text, SUGGESTIONS)]
    else:
        labels = []
    raise UnknownTimezone(text, labels)
