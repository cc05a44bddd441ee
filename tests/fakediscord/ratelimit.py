"""Per-route buckets and the global limit, with Discord's headers.

Buckets run on real monotonic time: discord.py sleeps on real time when it reads
`X-RateLimit-Reset-After`, so a fake clock here would only desynchronise the two.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass
class Rule:
    limit: int
    window: float


@dataclass
class _Bucket:
    rule: Rule
    count: int = 0
    reset_at: float = 0.0


@dataclass
class Stats:
    requests: int = 0
    ratelimited: int = 0  # 429s sent
    invalid: int = 0  # 401, 403 and 429 (Discord bans an IP at 10,000 per 10 min)
    by_status: Counter[int] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)  # 429s: "route (scope)"

    def record(self, route: str, status: int, *, scope: str = "") -> bool:
        """Count one response; True when Discord counts it as invalid (401, 403, or a 429
        that isn't `X-RateLimit-Scope: shared`)."""
        self.requests += 1
        self.by_status[status] += 1
        self.by_route[route] += 1
        if status == 429:
            self.ratelimited += 1
            self.limited[f"{route} ({scope or 'banned'})"] += 1
        invalid = status in (401, 403) or (status == 429 and scope != "shared")
        if invalid:
            self.invalid += 1
        return invalid


@dataclass
class Decision:
    headers: dict[str, str]
    retry_after: float | None = None
    is_global: bool = False


MESSAGE_ROUTES = (
    "POST /channels/{channel_id}/messages",
    "PATCH /channels/{channel_id}/messages/{message_id}",
)
WEBHOOK_ROUTES = (
    "POST /webhooks/{webhook_id}/{webhook_token}",
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
    "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/@original",
    "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
)


class InvalidRequestBan:
    """Discord's "Cloudflare ban": 10,000 invalid requests (401, 403, non-shared 429) from
    one IP in 10 minutes, and every request is answered 429 — without `Via`, which
    discord.py doesn't retry — until the ban ends. On the emulator's clock (seconds)."""

    def __init__(self) -> None:
        self.limit = 10_000
        self.window = 600.0
        self.length = 3600.0
        self.bans = 0
        self._times: deque[float] = deque()
        self._until = float("-inf")

    def note_invalid(self, now: float) -> None:
        self._times.append(now)
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        if len(self._times) >= self.limit and not self.banned(now):
            self._until = now + self.length
            self.bans += 1
            self._times.clear()

    def banned(self, now: float) -> bool:
        return now < self._until

    def remaining(self, now: float) -> float:
        return max(self._until - now, 0.0)


class RateLimiter:
    """Defaults close to Discord's: 5 messages / 5 s per channel, 50 requests/s global."""

    def __init__(self) -> None:
        self.enabled = True
        self.ban = InvalidRequestBan()
        self.global_limit = 50
        self.global_window = 1.0
        self.default = Rule(50, 1.0)
        self.rules: dict[str, Rule] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_count = 0
        self._global_reset = 0.0
        self.configure(message_limit=5, message_window=5.0)
        for route in WEBHOOK_ROUTES:
            self.rules[route] = Rule(5, 2.0)
        self.rules["DELETE /channels/{channel_id}/messages/{message_id}"] = Rule(5, 1.0)
        self.rules[
            "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me"
        ] = Rule(1, 0.25)

    def configure(
        self,
        *,
        enabled: bool | None = None,
        global_limit: int | None = None,
        global_window: float | None = None,
        message_limit: int | None = None,
        message_window: float | None = None,
        default_limit: int | None = None,
        default_window: float | None = None,
        invalid_limit: int | None = None,
        invalid_window: float | None = None,
        ban_length: float | None = None,
    ) -> None:
        if enabled is not None:
            self.enabled = enabled
        if invalid_limit is not None:
            self.ban.limit = invalid_limit
        if invalid_window is not None:
            self.ban.window = invalid_window
        if ban_length is not None:
            self.ban.length = ban_length
        if global_limit is not None:
            self.global_limit = global_limit
        if global_window is not None:
            self.global_window = global_window
        if global_limit is not None or global_window is not None:
            self._global_count, self._global_reset = 0, 0.0  # a fresh window under the new rule
        if message_limit is not None or message_window is not None:
            current = self.rules.get(MESSAGE_ROUTES[0], Rule(5, 5.0))
            rule = Rule(
                message_limit if message_limit is not None else current.limit,
                message_window if message_window is not None else current.window,
            )
            for route in MESSAGE_ROUTES:
                self.rules[route] = rule
        if default_limit is not None:
            self.default = Rule(default_limit, self.default.window)
        if default_window is not None:
            self.default = Rule(self.default.limit, default_window)

    def set_rule(self, route: str, limit: int, window: float) -> None:
        """`set_rule("POST /channels/{channel_id}/messages", 5, 0.3)`."""
        self.rules[route] = Rule(limit, window)

    def check_global(self, now: float | None = None) -> float | None:
        """Seconds to wait when the global limit is exhausted, else None (and count it)."""
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        if now >= self._global_reset:
            self._global_count = 0
            self._global_reset = now + self.global_window
        if self._global_count >= self.global_limit:
            return self._global_reset - now
        self._global_count += 1
        return None

    def take(self, route: str, major: str, now: float | None = None) -> Decision:
        if not self.enabled:
            return Decision(headers={})
        now = time.monotonic() if now is None else now
        rule = self.rules.get(route, self.default)
        key = (route, major)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rule is not rule:
            bucket = self._buckets[key] = _Bucket(rule)
        if now >= bucket.reset_at:
            bucket.count = 0
            bucket.reset_at = now + rule.window
        reset_after = max(bucket.reset_at - now, 0.0)
        if bucket.count >= rule.limit:
            return Decision(self._headers(route, rule, 0, reset_after), retry_after=reset_after)
        bucket.count += 1
        return Decision(self._headers(route, rule, rule.limit - bucket.count, reset_after))

    @staticmethod
    def bucket_hash(route: str) -> str:
        return hashlib.md5(route.encode(), usedforsecurity=False).hexdigest()

    def _headers(
        self, route: str, rule: Rule, remaining: int, reset_after: float
    ) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket_hash(route),
        }


def too_many(
    retry_after: float,
    *,
    scope: str,
    is_global: bool = False,
    headers: dict[str, str] | None = None,
    via: bool = True,
) -> tuple[dict[str, object], dict[str, str]]:
    """Body and headers of a 429 — one discord.py retries (it needs `Via`), or with
    `via=False` one it takes for a Cloudflare ban and raises."""
    hdrs = dict(headers or {})
    hdrs.update(
        {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": scope,
        }
    )
    if via:
        hdrs["Via"] = "1.1 google"
    if is_global:
        hdrs["X-RateLimit-Global"] = "true"
    body: dict[str, object] = {
        "message": "You are being rate limited.",
        "retry_after": math.ceil(retry_after * 1000) / 1000,
        "global": is_global,
    }
    return body, hdrs
