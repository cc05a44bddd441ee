"""Small shared pieces: the emulator's clock, snowflakes, JSON responses, Discord errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiohttp import web

DISCORD_EPOCH_MS = 1420070400000


class Clock(Protocol):
    """Anything with `now()` → aware datetime; bot.timeutil.FakeClock fits."""

    def now(self) -> datetime: ...


class ManualClock:
    """The emulator's default clock: it only moves when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 17, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, dt: datetime) -> None:
        self._now = dt

    def advance(self, delta: timedelta | float = 0.0, /, **kwargs: float) -> None:
        """`advance(timedelta(minutes=5))`, `advance(4.0)` (seconds) or `advance(minutes=16)`."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._now = self._now + delta + timedelta(**kwargs)


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    return aware(dt).astimezone(UTC).isoformat()


class Snowflakes:
    """Ids whose timestamp part follows the emulator clock, strictly increasing."""

    def __init__(self, clock_source: Any) -> None:
        self._source = clock_source  # has a `.clock` attribute (the FakeDiscord)
        self._last = 0
        self._past = 0

    def next(self) -> int:
        ms = int(aware(self._source.clock.now()).timestamp() * 1000) - DISCORD_EPOCH_MS
        candidate = max(ms, 0) << 22
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate

    def on_shard(self, shard_id: int, count: int) -> int:
        """An id heard on shard `shard_id` of `count` (Discord's `(id >> 22) % count`): one
        whose timestamp is a few milliseconds in the past, as a server or an account made
        earlier would have. Unique (the low bits count these), never a future id."""
        self._past += 1
        ms = max(int(aware(self._source.clock.now()).timestamp() * 1000) - DISCORD_EPOCH_MS, 0)
        ms -= count + (ms - shard_id) % count  # earlier, and on that shard
        # The top low bit set: `next()` reaches it only after 2 million ids in one ms.
        return (ms << 22) | 0x200000 | (self._past & 0x1FFFFF)


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py compares the content type to "application/json" exactly, so no charset.
    hdrs = {"Content-Type": "application/json"}
    if headers:
        hdrs.update(headers)
    return web.Response(body=dumps(data).encode(), status=status, headers=hdrs)


ERROR_MESSAGES: dict[int, tuple[int, str]] = {
    0: (404, "404: Not Found"),
    10003: (404, "Unknown Channel"),
    10004: (404, "Unknown Guild"),
    10007: (404, "Unknown Member"),
    10008: (404, "Unknown Message"),
    10011: (404, "Unknown Role"),
    10013: (404, "Unknown User"),
    10014: (404, "Unknown Emoji"),
    10015: (404, "Unknown Webhook"),
    10062: (404, "Unknown interaction"),
    10063: (404, "Unknown application command"),
    40058: (400, "Cannot send a message in a forum channel"),
    40060: (400, "Interaction has already been acknowledged."),
    50001: (403, "Missing Access"),
    50005: (403, "Cannot edit a message authored by another user"),
    50006: (400, "Cannot send an empty message"),
    50007: (403, "Cannot send messages to this user"),
    50013: (403, "Missing Permissions"),
    50027: (401, "Invalid Webhook Token"),
    50035: (400, "Invalid Form Body"),
    50083: (400, "Thread is archived"),
    50278: (403, "Cannot send messages to this user due to having no mutual guilds"),
    160004: (400, "A thread has already been created for this message"),
    160005: (400, "Thread is locked"),
}


class DiscordError(Exception):
    """Raised inside a handler; turned into Discord's JSON error shape."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        status: int | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        default_status, default_message = ERROR_MESSAGES.get(code, (400, "Bad Request"))
        self.code = code
        self.status = status or default_status
        self.message = message or default_message
        self.errors = errors
        super().__init__(f"{self.status} {self.code} {self.message}")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def form_error(errors: dict[str, Any]) -> DiscordError:
    return DiscordError(50035, errors=errors)


def field_error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def merge_errors(into: dict[str, Any], path: list[str | int], leaf: dict[str, Any]) -> None:
    """Put `leaf` at `path` in Discord's nested error tree."""
    node = into
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).extend(leaf["_errors"])


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in components:
        out.append(c)
        if isinstance(c.get("components"), list):
            out.extend(walk_components(c["components"]))
        for key in ("accessory", "component"):
            if isinstance(c.get(key), dict):
                out.extend(walk_components([c[key]]))
    return out
