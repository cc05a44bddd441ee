"""The privacy cog's words and rules, free of discord and the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.privacy import SERVER_GRACE_DAYS, Forgotten, Section
from bot.timeutil import discord_timestamp

GRACE = timedelta(days=SERVER_GRACE_DAYS)

SHOW_TITLE = "What Hearth holds about you"
SHOW_INTRO = (
    "Only you can see this. It's all yours: `/privacy export` gives you a copy, and "
    "`/privacy delete` erases it."
)
SHOW_NOTHING = (
    "Hearth holds nothing about you right now — no settings, no answers, nothing. 🌱 "
    "If you start using Hearth, `/privacy show` will always tell you what it keeps."
)
SHOW_FOOTER = "Your words are stored encrypted. Pick a part below to read why Hearth keeps it."

EXPORT_TEXT = (
    "Here's everything Hearth holds about you. The file starts with a short guide to what "
    "each part means. Only you can see this."
)
EXPORT_NOTHING = "Hearth holds nothing about you, so there's nothing to export. 🌱"

DELETE_QUESTION = (
    "This deletes everything Hearth holds about you, in every server: your check-ins and "
    "notes, answers, shares, boundaries, your support circle (and your place in friends' "
    "circles), your part in phones-down challenges — and the messages Hearth posted with "
    "your words. It can't be undone.\n\nWould you like a copy first? `/privacy export`."
)
DELETE_YES = "Delete everything"
DELETE_NO = "Keep it"
DELETE_KEPT = "Nothing was deleted. Your data stays as it was."
DELETE_WORKING = "Deleting… this takes a moment."
DELETE_TITLE = "All gone"
DELETE_NOTHING = "There was nothing to delete — Hearth held nothing about you. 🌱"
DELETE_FOOTER = "If you use Hearth again, it starts fresh. Take care. 💛"

SERVER_QUESTION = (
    "This deletes everything Hearth keeps about this server, right now: its set-up, the "
    "weekly prompts and their answers, shares, phones-down history, support circles made "
    "here, and everyone's settings here — and it deletes the messages Hearth posted here "
    "that carry people's words (revealed answers, shares, debrief answers). People's own "
    "check-ins and personal settings stay theirs.\n\nHearth stays in the server, as if it "
    "had just been added. This can't be undone."
)
SERVER_YES = "Delete this server's data"
SERVER_NO = "Keep it"
SERVER_KEPT = "Nothing was deleted."
SERVER_WORKING = "Deleting this server's data…"


def dates(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return ""
    if first.date() == last.date():
        return f" — {discord_timestamp(first, 'D')}"
    return f" — {discord_timestamp(first, 'D')} to {discord_timestamp(last, 'D')}"


def section_text(section: Section) -> str:
    lines = [f"• {held.what}{dates(held.first, held.last)}" for held in section.held]
    lines.append(f"_Kept:_ {section.kept}")
    return "\n".join(lines)


def deleted_lines(result: Forgotten) -> list[tuple[str, str]]:
    return [(title, ", ".join(lines)) for title, lines in result.removed.items()]


def messages_line(deleted: int, unreachable: int, waiting: int, redacted: int = 0) -> str | None:
    parts: list[str] = []
    if deleted:
        parts.append(
            f"I deleted {deleted} of my messages that carried your words."
            if deleted != 1
            else "I deleted 1 message of mine that carried your words."
        )
    if redacted:
        parts.append(
            f"I took your name and words out of {redacted} messages the group keeps."
            if redacted != 1
            else "I took your name and words out of 1 message the group keeps."
        )
    if unreachable:
        parts.append(
            f"{unreachable} were already gone or somewhere I can no longer reach."
            if unreachable != 1
            else "1 was already gone or somewhere I can no longer reach."
        )
    if waiting:
        parts.append(
            f"Discord is busy, so {waiting} more will be deleted in a few minutes."
            if waiting != 1
            else "Discord is busy, so 1 more will be deleted in a few minutes."
        )
    return " ".join(parts) or None


def server_done(rows: int, deleted: int, unreachable: int, waiting: int) -> str:
    text = "Done. Everything Hearth kept about this server is deleted" + (
        f" ({rows} records)." if rows != 1 else " (1 record)."
    )
    extra = messages_line(deleted, unreachable, waiting)
    if extra:
        text += " " + extra.replace("carried your words", "carried people's words")
    return (
        text + "\n\nHearth is still here, like it was just added. An admin can run "
        "`/hearth setup` to begin again — or remove Hearth from the server."
    )


def purge_due(left_at: datetime) -> datetime:
    return left_at + GRACE
