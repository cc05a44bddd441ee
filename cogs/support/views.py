"""What people see and click: the check-in DM, the circle's DMs, and their modals.

Buttons on DMs are `IdItem`s (they keep working after a restart). Each one only parses
its custom id and hands the click to one method of the cog, which re-checks who clicked
and whether the thing still exists. A forged or malformed id gets a kind refusal. Modals
are given the cog by the method that opens them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, ui
from bot.cog import IdItem, parse_id
from bot.errors import HearthError
from cogs.support import logic

if TYPE_CHECKING:
    from cogs.support.cog import SupportCog

_MOOD_TAIL = re.compile(r"(.*):([1-5])", re.DOTALL)
FORGED = "That button doesn't look right, so I left everything as it was."


def _button(
    custom_id: str,
    label: str,
    *,
    emoji: str | None = None,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    row: int | None = None,
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=textfit.one_line(label, textfit.BUTTON_LABEL),
        emoji=emoji,
        style=style,
        custom_id=custom_id,
        row=row,
    )


# --------------------------------------------------------------------------- the check-in DM

MOOD_PREFIX = "hearth:ci:mood:"
NOTE_PREFIX = "hearth:ci:note:"
SKIP_PREFIX = "hearth:ci:skip:"
STOP_PREFIX = "hearth:ci:stop:"
TELL_PREFIX = "hearth:ci:tell:"
KEEP_PREFIX = "hearth:ci:keep:"


class MoodButton(
    IdItem["SupportCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(MOOD_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """One of the five moods: `hearth:ci:mood:<check-in id>:<mood>`."""

    tail_arity = 2
    example_tail = "1:3"

    def __init__(
        self,
        checkin_id: int | None,
        mood: int | None,
        *,
        selected: bool = False,
        custom_id: str | None = None,
    ) -> None:
        m = logic.MOODS[mood] if mood in logic.MOODS else logic.MOODS[3]
        super().__init__(
            _button(
                custom_id or f"{MOOD_PREFIX}{checkin_id}:{mood}",
                m.label,
                emoji=m.emoji,
                style=discord.ButtonStyle.success if selected else discord.ButtonStyle.secondary,
                row=0,
            )
        )
        self.checkin_id = checkin_id
        self.mood = mood

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[int, int] | None:
        match = _MOOD_TAIL.fullmatch(rest)
        checkin_id = None if match is None else parse_id(match[1])
        if match is None or checkin_id is None:
            return None
        return checkin_id, int(match[2])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.checkin_id is None or self.mood is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_mood(interaction, self.checkin_id, self.mood)


class _CheckinAction(IdItem["SupportCog"]):
    """The buttons that carry only a check-in id: one refusal for forgeries."""

    checkin_id: int | None

    def checked_id(self) -> int:
        if self.checkin_id is None:
            raise HearthError(FORGED)
        return self.checkin_id


class NoteButton(
    _CheckinAction,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(NOTE_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    def __init__(self, checkin_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(
            _button(custom_id or f"{NOTE_PREFIX}{checkin_id}", "Add a few words", emoji="✍️", row=1)
        )
        self.checkin_id = checkin_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog(interaction).on_note_button(interaction, self.checked_id())


class SkipButton(
    _CheckinAction,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(SKIP_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    def __init__(self, checkin_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(
            _button(custom_id or f"{SKIP_PREFIX}{checkin_id}", "Skip today", emoji="⏭️", row=1)
        )
        self.checkin_id = checkin_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog(interaction).on_skip(interaction, self.checked_id())


class StopButton(
    _CheckinAction,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(STOP_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    def __init__(self, checkin_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(
            _button(custom_id or f"{STOP_PREFIX}{checkin_id}", "Stop check-ins", emoji="✋", row=1)
        )
        self.checkin_id = checkin_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog(interaction).on_stop_button(interaction, self.checked_id())


class TellButton(
    _CheckinAction,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(TELL_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    def __init__(self, checkin_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(
            _button(
                custom_id or f"{TELL_PREFIX}{checkin_id}",
                "Yes, let them know",
                emoji="💛",
                style=discord.ButtonStyle.primary,
            )
        )
        self.checkin_id = checkin_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog(interaction).on_tell(interaction, self.checked_id())


class KeepButton(
    _CheckinAction,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(KEEP_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    def __init__(self, checkin_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(_button(custom_id or f"{KEEP_PREFIX}{checkin_id}", "Not now"))
        self.checkin_id = checkin_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog(interaction).on_keep(interaction, self.checked_id())


def checkin_view(checkin_id: int, selected: int | None = None) -> discord.ui.View:
    """Five moods on the first row; words, skip and stop on the second."""
    view = discord.ui.View(timeout=None)
    for mood in logic.MOODS:
        view.add_item(MoodButton(checkin_id, mood, selected=mood == selected))
    view.add_item(NoteButton(checkin_id))
    view.add_item(SkipButton(checkin_id))
    view.add_item(StopButton(checkin_id))
    return view


def checkin_embed(
    mood: int | None = None, *, has_note: bool = False, skipped: bool = False
) -> discord.Embed:
    return ui.embed(
        logic.CHECKIN_TITLE,
        logic.checkin_reply(mood, has_note, skipped),
        practice="support",
        footer=logic.CHECKIN_FOOTER,
    )


def offer_view(checkin_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(TellButton(checkin_id))
    view.add_item(KeepButton(checkin_id))
    return view


class NoteModal(ui.HearthModal):
    """A few words for the person's own check-in; only they will ever read them."""

    def __init__(self, cog: SupportCog, checkin_id: int, current: str | None) -> None:
        super().__init__(title="A few words, just for you")
        self.cog = cog
        self.checkin_id = checkin_id
        self.words: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
            label="What's on your mind?",
            style=discord.TextStyle.paragraph,
            placeholder="Anything at all. Only you will see this.",
            default=current,
            required=False,
            max_length=logic.NOTE_MAX,
        )
        self.add_item(self.words)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.cog.on_note(interaction, self.checkin_id, self.words.value)


# --------------------------------------------------------------------------- the circle's DMs

ACCEPT_PREFIX = "hearth:sc:accept:"
DECLINE_PREFIX = "hearth:sc:decline:"
HERE_PREFIX = "hearth:sc:here:"


class AcceptButton(
    IdItem["SupportCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(ACCEPT_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """Carries the id of the person whose circle it is; only the invited friend may click."""

    def __init__(self, owner_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(
            _button(
                custom_id or f"{ACCEPT_PREFIX}{owner_id}",
                "Yes, I'm in",
                emoji="💛",
                style=discord.ButtonStyle.success,
            )
        )
        self.owner_id = owner_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.owner_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_invite_answer(interaction, self.owner_id, accept=True)


class DeclineButton(
    IdItem["SupportCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(DECLINE_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    def __init__(self, owner_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(_button(custom_id or f"{DECLINE_PREFIX}{owner_id}", "No, thanks"))
        self.owner_id = owner_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.owner_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_invite_answer(interaction, self.owner_id, accept=False)


class HereButton(
    IdItem["SupportCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(HERE_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """ "Send an I'm here" under a circle DM; carries the id of the person it's for."""

    def __init__(self, owner_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(
            _button(
                custom_id or f"{HERE_PREFIX}{owner_id}",
                "Send an “I'm here”",
                emoji="🤝",
                style=discord.ButtonStyle.primary,
            )
        )
        self.owner_id = owner_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.owner_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_here_button(interaction, self.owner_id)


def invite_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptButton(owner_id))
    view.add_item(DeclineButton(owner_id))
    return view


def here_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(HereButton(owner_id))
    return view


class HereModal(ui.HearthModal):
    """An optional short note to go with an "I'm here"."""

    def __init__(self, cog: SupportCog, owner_id: int) -> None:
        super().__init__(title="Send an “I'm here”")
        self.cog = cog
        self.owner_id = owner_id
        self.note: discord.ui.TextInput[HereModal] = discord.ui.TextInput(
            label="A short note (optional)",
            style=discord.TextStyle.paragraph,
            placeholder="Thinking of you. No need to reply.",
            required=False,
            max_length=logic.FRIEND_NOTE_MAX,
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.cog.on_here(interaction, self.owner_id, self.note.value)


class ResourcesModal(ui.HearthModal):
    """Admins write where people here can find help; empty goes back to Hearth's text."""

    def __init__(self, cog: SupportCog, current: str) -> None:
        super().__init__(title="Where to find help")
        self.cog = cog
        self.text: discord.ui.TextInput[ResourcesModal] = discord.ui.TextInput(
            label="Shown privately at the lowest mood",
            style=discord.TextStyle.paragraph,
            placeholder="Local emergency number, crisis lines… Leave empty for Hearth's text.",
            default=current,
            required=False,
            max_length=logic.RESOURCES_MAX,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.cog.on_resources(interaction, self.text.value)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    MoodButton,
    NoteButton,
    SkipButton,
    StopButton,
    TellButton,
    KeepButton,
    AcceptButton,
    DeclineButton,
    HereButton,
)
