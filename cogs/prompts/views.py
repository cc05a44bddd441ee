"""What people click on a weekly prompt: the two buttons on the post (they work after a
restart), the private answer panel, and the answer modal. They only parse and show; each
click is one call to a method of `PromptsCog`, which re-checks the round and saves."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, ui
from bot.cog import IdItem, parse_id
from bot.decks import Prompt
from bot.errors import HearthError
from cogs.prompts import logic, render, store
from cogs.prompts.logic import PanelAction

if TYPE_CHECKING:
    from cogs.prompts.cog import PromptsCog

ANSWER_PREFIX = "hearth:prompt:answer:"
SKIP_PREFIX = "hearth:prompt:skip:"

FORGED = "That button doesn't look like one of mine, so I left everything as it was."
GONE = "I can't find that prompt any more. A new one comes with the next weekly post."


def answer_custom_id(round_id: int) -> str:
    return f"{ANSWER_PREFIX}{round_id}"


def skip_custom_id(round_id: int) -> str:
    return f"{SKIP_PREFIX}{round_id}"


# --------------------------------------------------------------------------- the post


class AnswerButton(
    IdItem["PromptsCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(ANSWER_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """ "Answer privately" under a prompt: opens the private panel."""

    def __init__(
        self, round_id: int | None, *, custom_id: str | None = None, closed: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=render.MINE_LABEL if closed else render.ANSWER_LABEL,
                emoji=None if closed else "✍️",
                style=discord.ButtonStyle.secondary if closed else discord.ButtonStyle.primary,
                custom_id=custom_id or answer_custom_id(round_id or 0),
            )
        )
        self.round_id = round_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.round_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_answer_button(interaction, self.round_id)


class SkipButton(
    IdItem["PromptsCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(SKIP_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """ "Skip this one": no reason asked, nothing shown to anyone."""

    def __init__(self, round_id: int | None, *, custom_id: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=render.SKIP_LABEL,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id or skip_custom_id(round_id or 0),
            )
        )
        self.round_id = round_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.round_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_skip_button(interaction, self.round_id)


def post_view(round_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(round_id))
    view.add_item(SkipButton(round_id))
    return view


def quiet_view(round_id: int) -> discord.ui.View:
    """On a prompt that closed without a reveal: one button that privately tells whoever
    answered what became of their answer (for those who don't take DMs from Hearth)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(round_id, closed=True))
    return view


# --------------------------------------------------------------------------- the panel


PANEL_PREFIX = "hearth:prompt:panel:"
# hearth:prompt:panel:<action>:<round id>. The panel keeps nothing between clicks, and its
# buttons always act on the answer of whoever presses them: no person's id is needed, and
# none is sent (an anonymous answer's panel must not name its writer anywhere).
_PANEL_ID = re.compile(r"([a-z_]+):(.*)", re.DOTALL)
_PANEL_LOOK: dict[PanelAction, tuple[str, str, discord.ButtonStyle]] = {
    PanelAction.NAMED: ("Answer with my name", "✍️", discord.ButtonStyle.primary),
    PanelAction.ANON: ("Answer anonymously", "🕶️", discord.ButtonStyle.secondary),
    PanelAction.EDIT: ("Edit my answer", "✏️", discord.ButtonStyle.primary),
    PanelAction.NAME_ON: ("Show my name", "🙂", discord.ButtonStyle.secondary),
    PanelAction.NAME_OFF: ("Make it anonymous", "🕶️", discord.ButtonStyle.secondary),
    PanelAction.WITHDRAW: ("Withdraw", "↩️", discord.ButtonStyle.danger),
}
_PANEL_ACTIONS = frozenset(a.value for a in PanelAction)


def panel_custom_id(action: PanelAction, round_id: int) -> str:
    return f"{PANEL_PREFIX}{action}:{round_id}"


def parse_panel_id(rest: str) -> tuple[PanelAction, int] | None:
    """(action, round id) from what follows the prefix; None if it's malformed."""
    match = _PANEL_ID.fullmatch(rest)
    round_id = None if match is None else parse_id(match[2])
    if match is None or match[1] not in _PANEL_ACTIONS or round_id is None:
        return None
    return PanelAction(match[1]), round_id


class PanelButton(
    IdItem["PromptsCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(PANEL_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """A button on someone's private answer panel: what it does, and for which prompt. It
    acts on the answer of whoever presses it; the cog re-checks the prompt and the server.
    No view is kept per panel."""

    def __init__(
        self, action: PanelAction | None, round_id: int | None, *, custom_id: str | None = None
    ) -> None:
        label, emoji, style = (
            _PANEL_LOOK[action]
            if action is not None
            else ("Answer", "✍️", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=style,
                custom_id=custom_id or panel_custom_id(action or PanelAction.NAMED, round_id or 0),
            )
        )
        self.action = action
        self.round_id = round_id

    tail_arity = 2
    example_tail = "edit:1"

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[PanelAction, int] | None:
        return parse_panel_id(rest)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None or self.round_id is None:
            raise HearthError(FORGED)
        await self.cog(interaction).on_panel(interaction, self.action, self.round_id)


def panel(
    found: store.Round, prompt: Prompt, answer: store.Answer | None
) -> tuple[discord.Embed, discord.ui.View]:
    """The private panel for `answer` (None: not answered yet): answer with a name or
    anonymously; later edit, switch, withdraw."""
    embed = render.panel_embed(
        prompt,
        closes_at=found.closes_at,
        body=answer.body if answer else None,
        anonymous=bool(answer and answer.anonymous),
    )
    actions: tuple[PanelAction, ...]
    if answer is None:
        actions = (PanelAction.NAMED, PanelAction.ANON)
    else:
        name = PanelAction.NAME_ON if answer.anonymous else PanelAction.NAME_OFF
        actions = (PanelAction.EDIT, name, PanelAction.WITHDRAW)
    return embed, ui.stateless_view(*(PanelButton(a, found.round_id) for a in actions))


def withdrawn_embed(prompt: Prompt, body: str) -> discord.Embed:
    return ui.embed(
        "Withdrawn",
        "Your answer is gone from Hearth; nobody will see it. Here's what you wrote, in "
        f"case you'd like to keep it:\n\n{render.quoted_back(body)}\n\n"
        "You can still answer again before the reveal.",
        practice=prompt.practice,
    )


class AnswerModal(ui.HearthModal):
    def __init__(
        self,
        cog: PromptsCog,
        found: store.Round,
        prompt: Prompt,
        anonymous: bool,
        current: str | None,
    ) -> None:
        title = "Answer anonymously" if anonymous else "Answer with your name"
        super().__init__(title=title)
        self.cog = cog
        self.found = found
        self.prompt = prompt
        self.anonymous = anonymous
        self.body: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label="Your answer",
            style=discord.TextStyle.paragraph,
            placeholder=textfit.one_line(prompt.text, textfit.TEXT_INPUT_PLACEHOLDER),
            default=current,
            max_length=logic.MAX_ANSWER_CHARS,
            required=True,
        )
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.on_answer(interaction, self.found, self.anonymous, self.body.value or "")
