"""What people see and click: the curious-reply buttons under other practices' posts, the
reply form, the private rephrasing panel with its "Send as a question" buttons, and the
curiosity card.

Every button that must outlive a restart is an `IdItem` (`hearth:cu:…`): the item parses
its ids with the core parser, and the cog re-reads everything and decides.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot import textfit, ui
from bot.boundaries_rules import depth_label
from bot.cog import IdItem, parse_id
from bot.decks import Prompt
from bot.errors import HearthError
from bot.post_actions import PostActionItem, action_custom_id
from cogs.curiosity import logic
from cogs.curiosity.logic import Ask, Reaction

if TYPE_CHECKING:
    from cogs.curiosity.cog import CuriosityCog

PRACTICE = "curiosity"
COG_NAME = "CuriosityCog"
REPLY_PREFIX = "hearth:cu:reply:"
SEND_PREFIX = "hearth:cu:send:"

# What a reply button does: ask (a form, posted in the thread) or react (one click, a tally).
ReplyAction = Ask | Reaction

FORGED = "That button doesn't look like one of mine, so I left everything as it was."

# action → (label, emoji, style)
_LOOK: dict[ReplyAction, tuple[str, str, discord.ButtonStyle]] = {
    Ask.MORE: ("Tell me more", "💬", discord.ButtonStyle.primary),
    Ask.UNDERSTAND: ("Help me understand", "🔍", discord.ButtonStyle.secondary),
    Reaction.SAME: ("Same here", "🙋", discord.ButtonStyle.secondary),
    Reaction.HEAR: ("I hear you", "🤝", discord.ButtonStyle.secondary),
}

# The starter each form opens with: a curious first line, theirs to change.
STARTERS: dict[Ask, str] = {
    Ask.MORE: "Tell me more about this — what was it like for you?",
    Ask.UNDERSTAND: "Help me understand what this means to you.",
}
REPLY_LINES: dict[Ask, str] = {
    Ask.MORE: "💬 {who} would like to hear more:",
    Ask.UNDERSTAND: "🔍 {who} asks, curiously:",
}
MAX_REPLY_CHARS = 1000


def reply_action(value: str | None) -> ReplyAction | None:
    """A reply button's action from its custom id (None for anything else)."""
    for kind in (Ask, Reaction):
        for member in kind:
            if member.value == value:
                return member
    return None


def label(action: ReplyAction, count: int = 0) -> str:
    """A reply button's words; a tally shows as a small count beside them."""
    words = _LOOK[action][0]
    return f"{words} · {count}" if count else words


# --------------------------------------------------------------------------- replies


class ReplyButton(
    PostActionItem["CuriosityCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Everything under the prefix reaches us, so a forged or broken id gets a kind word.
    template=re.compile(re.escape(REPLY_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """Tell me more / Help me understand / Same here / I hear you, under a post."""

    actions: ClassVar[tuple[str, ...]] = tuple(_LOOK)

    def __init__(
        self,
        action: ReplyAction | str | None,
        post_id: int | None,
        *,
        count: int = 0,
        custom_id: str | None = None,
    ) -> None:
        known = reply_action(action)
        look = (
            _LOOK[known] if known is not None else ("Curious", "🔍", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(
                label=label(known, count) if known is not None else look[0],
                emoji=look[1],
                style=look[2],
                custom_id=custom_id
                or action_custom_id(REPLY_PREFIX, known or Ask.MORE, post_id or 0),
            )
        )
        self.action = known
        self.post_id = post_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None or self.post_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_reply_button(interaction, self.action, self.post_id)


def reply_items(post_id: int, counts: dict[Reaction, int]) -> list[discord.ui.Item[Any]]:
    return [
        ReplyButton(
            action, post_id, count=counts.get(action, 0) if isinstance(action, Reaction) else 0
        )
        for action in _LOOK
    ]


class ReplyModal(ui.HearthModal):
    """A curious reply, opened with a starter the person can keep, change or replace."""

    def __init__(
        self,
        cog: CuriosityCog,
        action: Ask,
        post_id: int,
        *,
        channel_id: int,
        message_id: int,
        in_thread: bool,
    ) -> None:
        super().__init__(title=_LOOK[action][0])
        self.cog = cog
        self.action = action
        self.post_id = post_id
        self.channel_id = channel_id
        self.message_id = message_id
        self.in_thread = in_thread
        self.body: discord.ui.TextInput[ReplyModal] = discord.ui.TextInput(
            label="Your question",
            style=discord.TextStyle.paragraph,
            default=STARTERS[action],
            max_length=MAX_REPLY_CHARS,
            required=True,
        )
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.send_reply(interaction, self, self.body.value or "")


def reply_message(action: Ask, user_id: int, text: str) -> str:
    line = REPLY_LINES[action].format(who=f"<@{user_id}>")
    return textfit.fit(f"{line} {text}", textfit.CONTENT)


def who_text(found: dict[Reaction, list[int]]) -> str:
    """Who is with the author, for their eyes only."""
    lines = []
    for action in Reaction:
        everyone = found.get(action, [])
        people = [p for p in everyone if p]  # 0: someone who has since deleted their data
        if everyone:
            shown = [f"<@{p}>" for p in people[:40]]
            hidden = len(everyone) - len(shown)
            if hidden:
                shown.append(
                    f"{hidden} more" if shown else f"{hidden} friend{'s' if hidden > 1 else ''}"
                )
            names = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1]
            lines.append(f"{_LOOK[action][1]} **{_LOOK[action][0]}**: {names}")
    if not lines:
        return (
            "Nobody has added a “Same here” or “I hear you” yet. When someone does, you'll "
            "see who here — only you can."
        )
    return "Who's with you on this (only you can see this):\n" + "\n".join(lines)


# --------------------------------------------------------------------------- rephrasing


_SEND_TAIL = re.compile(r"([1-3]):(.*)", re.DOTALL)


class SendButton(
    IdItem["CuriosityCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(SEND_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """ "Send #n as a question" on the private rephrasing panel."""

    tail_arity = 2
    example_tail = "1:1"

    def __init__(
        self, number: int | None, draft_id: int | None, *, custom_id: str | None = None
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Send {number} as a question" if number else "Send as a question",
                emoji="✉️",
                style=discord.ButtonStyle.primary if number == 1 else discord.ButtonStyle.secondary,
                custom_id=custom_id or f"{SEND_PREFIX}{number or 1}:{draft_id or 0}",
            )
        )
        self.number = number
        self.draft_id = draft_id

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[int, int] | None:
        match = _SEND_TAIL.fullmatch(rest)
        draft_id = None if match is None else parse_id(match[2])
        if match is None or draft_id is None:
            return None
        return int(match[1]), draft_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.number is None or self.draft_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).send_draft(interaction, self.draft_id, self.number)


def panel(
    reading: logic.Reading, draft_id: int | None
) -> tuple[discord.Embed, discord.ui.View | None]:
    """The private answer to a rephrase: what Hearth noticed and the rewrites, or a warm word."""
    if reading.critical:
        lines = [f"**What I noticed:** {reading.noticed}", "", "**Curious ways to say it**"]
        lines += [f"**{n}.** {text}" for n, text in enumerate(reading.rewrites, 1)]
        lines += [
            "",
            "Only you can see this. Sending one posts it in this channel with your name, once.",
        ]
    else:
        lines = [reading.already or ""]
        if reading.deeper:
            lines += ["", reading.deeper]
    if reading.cut:
        lines += ["", f"_(I read the first {logic.MAX_CHARS:,} characters.)_"]
    embed = ui.embed("Curious, not critical", "\n".join(lines), practice=PRACTICE)
    if not reading.critical or draft_id is None:
        return embed, None
    view = discord.ui.View(timeout=None)
    for number in range(1, len(reading.rewrites) + 1):
        view.add_item(SendButton(number, draft_id))
    return embed, view


def question_message(user_id: int, text: str) -> str:
    return textfit.fit(f"<@{user_id}> asks, curiously: {text}", textfit.CONTENT)


# --------------------------------------------------------------------------- cards


def card_embed(prompt: Prompt, drawn_by: int) -> discord.Embed:
    text = f"**{prompt.text}**"
    if prompt.tip:
        text += f"\n\n💡 {prompt.tip}"
    text += f"\n\nDrawn by <@{drawn_by}>. Answer here if you like — and ask one follow-up."
    return ui.embed(
        "A curiosity card", text, practice=PRACTICE, footer=f"Depth {depth_label(prompt.depth)}"
    )
