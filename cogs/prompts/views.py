"""What people click on a weekly prompt: the two buttons on the post (they work after a
restart), the private answer panel, and the answer modal."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import textfit, ui
from bot.cog import IdItem
from bot.decks import Prompt
from bot.errors import HearthError
from cogs.prompts import logic, render, store

if TYPE_CHECKING:
    from bot.app import HearthBot
    from cogs.prompts.cog import PromptsCog

log = logging.getLogger(__name__)

ANSWER_PREFIX = "hearth:prompt:answer:"
SKIP_PREFIX = "hearth:prompt:skip:"

FORGED = "That button doesn't look like one of mine, so I left everything as it was."
GONE = "I can't find that prompt any more. A new one comes with the next weekly post."


def answer_custom_id(round_id: int) -> str:
    return f"{ANSWER_PREFIX}{round_id}"


def skip_custom_id(round_id: int) -> str:
    return f"{SKIP_PREFIX}{round_id}"


def _bot(interaction: discord.Interaction[Any]) -> HearthBot:
    return cast("HearthBot", interaction.client)


def _cog(interaction: discord.Interaction[Any]) -> PromptsCog:
    cog = _bot(interaction).get_cog("PromptsCog")
    if cog is None:  # pragma: no cover - the cog is always loaded with its buttons
        raise HearthError("Prompts are resting right now. Please try again in a moment.")
    return cast("PromptsCog", cog)


async def _round_for(interaction: discord.Interaction[Any], round_id: int | None) -> store.Round:
    """The round a click points at, re-checked: it exists and belongs to this server."""
    if round_id is None:
        raise HearthError(FORGED)
    found = await store.get_round(_bot(interaction).db, round_id)
    if found is None:
        raise HearthError(GONE)
    if interaction.guild_id != found.guild_id:
        raise HearthError(FORGED)
    return found


def _prompt(bot: HearthBot, found: store.Round) -> Prompt:
    prompt = bot.decks.get(found.prompt_id)
    if prompt is None:
        raise HearthError("That prompt has been retired from Hearth's deck, so it's closed now.")
    return prompt


async def closed_note(bot: HearthBot, found: store.Round, user_id: int) -> str:
    """What someone reads when they click on a prompt that has closed."""
    if found.status == logic.REVEALED:
        return "This one's been revealed: the answers are in the thread under the prompt."
    if found.status == logic.QUIET:
        mine = await store.answer_of(bot.db, found.round_id, user_id)
        if mine is not None and not mine.skipped:
            return (
                "Only your answer came in for this one, so I kept it private: nothing was "
                "shown to anyone. Thank you for answering. It matters, even when it's quiet."
            )
        return "This prompt has closed. A new one comes with the next weekly post."
    return GONE


# --------------------------------------------------------------------------- the post


class AnswerButton(
    IdItem,
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
        bot = _bot(interaction)
        found = await _round_for(interaction, self.round_id)
        if not found.live:
            await ui.reply(interaction, await closed_note(bot, found, interaction.user.id))
            return
        await show_panel(interaction, found)


class SkipButton(
    IdItem,
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
        bot = _bot(interaction)
        found = await _round_for(interaction, self.round_id)
        if not found.live:
            await ui.reply(interaction, await closed_note(bot, found, interaction.user.id))
            return
        user_id = interaction.user.id
        async with bot.boundaries.acting(found.guild_id, user_id):
            result = await store.save_skip(
                bot.db, found.round_id, found.guild_id, user_id, bot.clock.now()
            )
        if result == "closed":
            fresh = await store.get_round(bot.db, found.round_id)
            await ui.reply(interaction, await closed_note(bot, fresh or found, user_id))
            return
        if result == "answered":
            await ui.reply(
                interaction,
                "You've already answered this one, so I kept your answer as it is. To take it "
                f"back, use **{render.ANSWER_LABEL}** → **Withdraw**.",
            )
            return
        log.info("prompt skipped round=%s guild=%s", found.round_id, found.guild_id)
        await ui.reply(interaction, "Skipped. No reason needed, and nobody sees who skips. 🌿")
        await _cog(interaction).after_response(found)


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


async def show_panel(
    interaction: discord.Interaction[Any], found: store.Round, *, edit: bool = False
) -> None:
    bot = _bot(interaction)
    prompt = _prompt(bot, found)
    mine = await store.answer_of(bot.db, found.round_id, interaction.user.id)
    answer = mine if mine is not None and not mine.skipped else None
    embed = render.panel_embed(
        prompt,
        closes_at=found.closes_at,
        body=answer.body if answer else None,
        anonymous=bool(answer and answer.anonymous),
    )
    view = PanelView(found, prompt, interaction.user.id, answer)
    if edit:
        await interaction.response.edit_message(embed=textfit.fit_embed(embed), view=view)
    else:
        await ui.reply(interaction, embed=embed, view=view)


class PanelView(ui.HearthView):
    """The private panel: answer with a name or anonymously; later edit, switch, withdraw."""

    def __init__(
        self, found: store.Round, prompt: Prompt, owner_id: int, answer: store.Answer | None
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
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

    async def _named(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(AnswerModal(self.found, self.prompt, False, None))

    async def _anon(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(AnswerModal(self.found, self.prompt, True, None))

    async def _edit(self, interaction: discord.Interaction[Any]) -> None:
        assert self.answer is not None
        await interaction.response.send_modal(
            AnswerModal(self.found, self.prompt, self.answer.anonymous, self.answer.body)
        )

    async def _toggle(self, interaction: discord.Interaction[Any]) -> None:
        assert self.answer is not None
        bot = _bot(interaction)
        async with bot.boundaries.acting(self.found.guild_id, interaction.user.id):
            changed = await store.set_anonymous(
                bot.db, self.found.round_id, interaction.user.id, not self.answer.anonymous
            )
        if not changed:
            await _refuse_closed(interaction, self.found)
            return
        await show_panel(interaction, self.found, edit=True)

    async def _withdraw(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        async with bot.boundaries.acting(self.found.guild_id, interaction.user.id):
            body = await store.withdraw(bot.db, self.found.round_id, interaction.user.id)
        if body is None:
            await _refuse_closed(interaction, self.found)
            return
        log.info("prompt answer withdrawn round=%s", self.found.round_id)
        embed = ui.embed(
            "Withdrawn",
            "Your answer is gone from Hearth; nobody will see it. Here's what you wrote, in "
            f"case you'd like to keep it:\n\n{render.quoted_back(body)}\n\n"
            "You can still answer again before the reveal.",
            practice=self.prompt.practice,
        )
        view = PanelView(self.found, self.prompt, interaction.user.id, None)
        await interaction.response.edit_message(embed=embed, view=view)


async def _refuse_closed(interaction: discord.Interaction[Any], found: store.Round) -> None:
    bot = _bot(interaction)
    fresh = await store.get_round(bot.db, found.round_id)
    if fresh is not None and fresh.live:
        await ui.reply(interaction, "There's no answer of yours here to change.")
        return
    await ui.reply(interaction, await closed_note(bot, fresh or found, interaction.user.id))


class AnswerModal(ui.HearthModal):
    def __init__(
        self, found: store.Round, prompt: Prompt, anonymous: bool, current: str | None
    ) -> None:
        title = "Answer anonymously" if anonymous else "Answer with your name"
        super().__init__(title=title)
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
        bot = _bot(interaction)
        raw = self.body.value or ""
        try:
            body = logic.check_answer(raw)
        except logic.AnswerProblem as problem:
            back = f"\n\nHere's what you wrote:\n{render.quoted_back(raw)}" if raw.strip() else ""
            await ui.reply(interaction, f"{problem}{back}")
            return
        user_id = interaction.user.id
        async with bot.boundaries.acting(self.found.guild_id, user_id):
            saved = await store.save_answer(
                bot.db,
                self.found.round_id,
                self.found.guild_id,
                user_id,
                body,
                self.anonymous,
                bot.clock.now(),
            )
        if not saved:
            fresh = await store.get_round(bot.db, self.found.round_id)
            note = await closed_note(bot, fresh or self.found, user_id)
            await ui.reply(
                interaction,
                f"{note}\n\nIt closed while you were writing, so here's your answer back:\n"
                f"{render.quoted_back(body)}",
            )
            return
        log.info("prompt answer saved round=%s guild=%s", self.found.round_id, self.found.guild_id)
        shown = "without your name" if self.anonymous else "with your name"
        await ui.reply(
            interaction,
            f"Saved, privately. Nobody sees it until the reveal, when it'll be shown {shown}. "
            f"Until then you can edit or withdraw it from **{render.ANSWER_LABEL}**.",
        )
        await _cog(interaction).after_response(self.found)
