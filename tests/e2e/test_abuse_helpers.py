"""Shared by the abuse sweeps: every command as Discord knows it, options filled the way a
person could fill them, everything a response offers clicked, and the database snapshot.

Commands are read from what Hearth registered with (fake) Discord, so a practice added
later is swept without touching these tests.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.cog import _is_admin
from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.actors import InteractionResult, NotPermitted
from tests.fakediscord.harness import HearthHarness

SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)

# Sensible values for options that take a format rather than free words.
STRUCTURED = {
    "time": "19:00",
    "at": "19:00",
    "duration": "30m",
    "join_window": "5m",
    "timezone": "Europe/Berlin",
    "zone": "Europe/Berlin",
}


@dataclass(frozen=True)
class Command:
    path: str  # "support circle add"
    options: list[dict[str, Any]]
    admin: bool


def walk(fake: FakeDiscord, admin_paths: set[str]) -> list[Command]:
    """Every slash command leaf Hearth registered, by its full path."""
    found: list[Command] = []

    def visit(prefix: str, options: list[dict[str, Any]]) -> Iterator[Command]:
        subs = [o for o in options if o.get("type") in (SUBCOMMAND, GROUP)]
        if not subs:
            yield Command(prefix, options, prefix in admin_paths)
            return
        for sub in subs:
            yield from visit(f"{prefix} {sub['name']}", sub.get("options") or [])

    for cmd in fake.global_commands.values():
        if cmd.type == 1:
            found.extend(visit(cmd.name, cmd.data.get("options") or []))
    return sorted(found, key=lambda c: (destructive(c.path), c.path))


def destructive(path: str) -> bool:
    # Last in a sweep, so everything else still has something to work on.
    return any(word in path for word in ("delete", "forget", "stop", "leave", "remove"))


def admin_paths(bot: Any) -> set[str]:
    """Commands guarded by the server-side Manage Server check (`bot.cog.admin_only`)."""
    return {
        cmd.qualified_name
        for cmd in bot.tree.walk_commands()
        if any(check is _is_admin for check in getattr(cmd, "checks", []))
    }


async def fill(
    who: FakeMember,
    command: Command,
    *,
    words: str,
    structured: bool,
    friend: FakeMember,
    role: Any,
    fake: FakeDiscord,
) -> dict[str, Any]:
    """Values for every option, the way a person could type them: `words` in free text."""
    values: dict[str, Any] = {}
    for option in command.options:
        name, kind = option["name"], option["type"]
        if option.get("choices"):
            values[name] = option["choices"][0]["value"]
        elif kind == STRING:
            if structured and name in STRUCTURED:
                values[name] = STRUCTURED[name]
            elif structured and option.get("autocomplete"):
                try:
                    offered = await who.autocomplete(command.path, name, "")
                except (NotPermitted, LookupError, TypeError, ValueError):
                    offered = []
                values[name] = offered[0]["value"] if offered else words
            else:
                values[name] = fit(words, option.get("min_length"), option.get("max_length"))
        elif kind in (INTEGER, NUMBER):
            low = option.get("min_value")
            values[name] = low if low is not None and low > 0 else 1
            high = option.get("max_value")
            if high is not None and values[name] > high:
                values[name] = high
        elif kind == BOOLEAN:
            values[name] = True
        elif kind in (USER, MENTIONABLE):
            values[name] = friend
        elif kind == CHANNEL:
            values[name] = who.guild.text_channels[0]
        elif kind == ROLE:
            values[name] = role
        elif kind == ATTACHMENT:
            values[name] = fake.attachment("words.txt", words.encode())
    return values


def fit(words: str, low: int | None, high: int | None) -> str:
    text = words
    if low is not None and len(text) < low:
        text = (text + " " + "words") * (low // 5 + 1)
    if high is not None:
        text = text[:high]
    return text or "words"


async def answer_modal(who: FakeMember, r: InteractionResult, words: str) -> InteractionResult:
    modal = r.modal
    assert modal is not None
    values: dict[str, Any] = {}
    for field in modal.fields:
        if field.kind == 4:
            values[field.custom_id] = fit(words, field.min_length, field.max_length)
        elif field.options:
            values[field.custom_id] = [field.options[0]["value"]]
    return await who.submit_modal(modal, values)


async def follow(
    who: FakeMember, r: InteractionResult, words: str, depth: int = 0
) -> list[InteractionResult]:
    """Submit the modal a response opened, and press every button it shows (recursively,
    two levels deep). Returns every interaction it made."""
    made = [r]
    if depth > 2 or not r.responded:
        return made
    if r.modal is not None:
        made += await follow(who, await answer_modal(who, r, words), words, depth + 1)
        return made
    if r.deferred:
        with contextlib.suppress(Exception):  # a deferred update has no original to wait for
            await r.wait_original(timeout=1.0)
    message = r.message
    if message is None:
        return made
    return made + await press_all(who, message, words, depth)


async def press_all(
    who: FakeMember, message: FakeMessage, words: str, depth: int = 0
) -> list[InteractionResult]:
    """Press every button on `message` once (as long as it's still there), following each."""
    made: list[InteractionResult] = []
    ids = [b.get("custom_id") for b in message.buttons if b.get("style") not in (5, 6)]
    for custom_id in ids:
        current = [b.get("custom_id") for b in message.buttons]
        if custom_id not in current or message.deleted:
            continue  # an earlier click changed the message
        try:
            clicked = await who.click(message, str(custom_id))
        except (NotPermitted, LookupError):
            continue
        made += await follow(who, clicked, words, depth + 1)
    return made


async def settled(hearth: HearthHarness) -> None:
    """Wait until what the bot started in the background (a deletion, a post: the outbox)
    has reached Discord, and the bot has read everything Discord said back."""
    assert await hearth.bot.outbox.idle(), "the outbox didn't settle"
    await hearth.fake.sync()


async def snapshot(db: Any) -> str:
    """Every row of every table, as text: equal snapshots mean nothing changed."""
    parts: dict[str, Any] = {}
    for table in await db.tables():
        rows = await db.fetchall(f"SELECT * FROM {table}")
        parts[table] = sorted(json.dumps(list(r), default=str) for r in rows)
    return json.dumps(parts, sort_keys=True)
