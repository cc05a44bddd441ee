"""Who a message would actually ping, by Discord's parse rules and allowed_mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")
EVERYONE = re.compile(r"@(everyone|here)")


@dataclass(frozen=True)
class Pings:
    users: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[int] = field(default_factory=frozenset)
    everyone: bool = False

    def __bool__(self) -> bool:
        return bool(self.users or self.roles or self.everyone)


@dataclass(frozen=True)
class Mentioned:
    """What the content names, before allowed_mentions decides who is pinged."""

    users: list[int]
    roles: list[int]
    everyone: bool


def parse_content(content: str | None) -> Mentioned:
    text = content or ""
    return Mentioned(
        users=list(dict.fromkeys(int(x) for x in USER.findall(text))),
        roles=list(dict.fromkeys(int(x) for x in ROLE.findall(text))),
        everyone=bool(EVERYONE.search(text)),
    )


def allowed_mentions_errors(allowed: Any) -> dict[str, Any]:
    """Discord rejects `parse: ["users"]` together with an explicit `users` list."""
    if not isinstance(allowed, dict):
        return {}
    errors: dict[str, Any] = {}
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            errors[kind] = {
                "_errors": [
                    {
                        "code": "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                        "message": f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                    }
                ]
            }
    return {"allowed_mentions": errors} if errors else {}


def compute(
    content: str | None,
    allowed: dict[str, Any] | None,
    *,
    replied_user: int | None = None,
    can_mention_everyone: bool = False,
    mentionable_roles: frozenset[int] | set[int] = frozenset(),
    known_users: set[int] | None = None,
    known_roles: set[int] | None = None,
) -> Pings:
    """A missing allowed_mentions means everything in the content parses."""
    mentioned = parse_content(content)
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        user_list: set[int] = set()
        role_list: set[int] = set()
        ping_replied = True
    else:
        parse = set(allowed.get("parse") or [])
        user_list = {int(x) for x in allowed.get("users") or []}
        role_list = {int(x) for x in allowed.get("roles") or []}
        ping_replied = bool(allowed.get("replied_user", False))

    users = {u for u in mentioned.users if "users" in parse or u in user_list}
    if known_users is not None:
        users &= known_users
    if replied_user is not None and ping_replied:
        users.add(replied_user)
    roles = {r for r in mentioned.roles if "roles" in parse or r in role_list}
    if known_roles is not None:
        roles &= known_roles
    # Only mentionable roles ping, unless the author may mention everyone.
    roles = {r for r in roles if can_mention_everyone or r in mentionable_roles}
    everyone = mentioned.everyone and "everyone" in parse and can_mention_everyone
    return Pings(frozenset(users), frozenset(roles), everyone)
