"""What people click on a weekly prompt: the two buttons on the post (they work after a
restart), the private answer panel, and the answer modal. They only parse and show; each
click is one call to a method of `PromptsCog`, which re-checks the round and saves."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, ui
from bot.cog import IdItem
from bot.decks import Prompt
from bot.errors import HearthError
from cogs.prompts import logic, render, store

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


def panel(
    cog: PromptsCog, found: store.Round, prompt: Prompt, user_id: int, answer: store.Answer | None
) -> tuple[discord.Embed, PanelView]:
    """The private panel for `answer` (None: not answered yet)."""
    embed = render.panel_embed(
        prompt,
        closes_at=found.closes_at,
        body=answer.body if answer else None,
        anonymous=bool(answer and answer.anonymous),
    )
    return embed, PanelView(cog, found, prompt, user_id, answer)


class PanelView(ui.HearthView):
    """The private panel: answer with a name or anonymously; later edit, switch, withdraw."""

    def __init__(
        self,
        cog: PromptsCog,
        found: store.Round,
        prompt: Prompt,
        owner_id: int,
        answer: store.Answer | None,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
        self.cog = cog
        self.found = found
        self.prompt = prompt
        self.answer = answer
        if answer is None:
            self._button("Answer with my name", "✍️", discord.ButtonStyle.primary, self._named)
            self._button("Answer anonymously", "🕶️", discord.ButtonStyle.secondary, self._anon)
        else:
            self._button("Edit my answer", "✏️", discord.ButtonStyle.primary, self._edit)
            if answer.anonymous:
                self._button("Show my name", "🙂", discord.ButtonStyle.secondary, self._toggle)
            else:
                self._button("Make it anonymous", "🕶️", discord.ButtonStyle.secondary, self._toggle)
            self._button("Withdraw", "↩️", discord.ButtonStyle.danger, self._withdraw)

    def _button(self, label: str, emoji: str, style: discord.ButtonStyle, callback: Any) -> None:
        button: discord.ui.Button[PanelView] = discord.ui.Button(
            label=label, emoji=emoji, style=style
        )
        button.callback = callback  # type: ignore[method-assign]
        self.add_item(button)

    def _modal(self, anonymous: bool, current: str | None) -> AnswerModal:
        return AnswerModal(self.cog, self.found, self.prompt, anonymous, current)

    async def _named(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(self._modal(False, None))

    async def _anon(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(self._modal(True, None))

    async def _edit(self, interaction: discord.Interaction[Any]) -> None:
        assert self.answer is not None
        await interaction.response.send_modal(self._modal(self.answer.anonymous, self.answer.body))

    async def _toggle(self, interaction: discord.Interaction[Any]) -> None:
        assert self.answer is not None
        await self.cog.on_switch_name(interaction, self.found, not self.answer.anonymous)

    async def _withdraw(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.on_withdraw(interaction, self.found, self.prompt)


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
