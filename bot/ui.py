"""How Hearth looks and answers: one embed style, fitted text, base views and modals.

Every outgoing text goes through `bot.textfit`; every view and modal routes its
errors to `bot.errors.report_error`, the same place command errors go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import discord

from bot import textfit
from bot.errors import report_error
from bot.practices import BY_KEY, HEARTH_COLOUR

EMPTY = "—"
# A second press of a question already answered.
ANSWERED = "Already done — that one's answered."
# What someone hears when they press a control on a panel that isn't theirs.
NOT_YOURS = "These buttons belong to someone else — use the command yourself to get your own."


def colour_for(practice: str | None) -> int:
    return BY_KEY[practice].colour if practice in BY_KEY else HEARTH_COLOUR


def embed(
    title: str | None = None,
    description: str | None = None,
    *,
    practice: str | None = None,
    fields: Sequence[tuple[str, str]] | Sequence[tuple[str, str, bool]] = (),
    footer: str | None = None,
) -> discord.Embed:
    """An embed in Hearth's style, fitted to Discord's limits whatever the text."""
    if practice in BY_KEY and title is not None:
        title = f"{BY_KEY[practice].emoji} {title}"
    # fit_embed fits every part below, title and description too: once is enough.
    e = discord.Embed(
        title=title or None, description=description or None, colour=colour_for(practice)
    )
    for field in fields:
        name, value = field[0], field[1]
        inline = bool(field[2]) if len(field) > 2 else False
        e.add_field(name=name, value=value, inline=inline)
    if footer:
        e.set_footer(text=footer)
    fitted: discord.Embed = textfit.fit_embed(e)
    return fitted


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: Sequence[discord.Embed] = (),
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer an interaction (first response or followup), private unless told otherwise."""
    text = textfit.fit(content, textfit.CONTENT) if content else None
    all_embeds = [textfit.fit_embed(e) for e in ([embed] if embed else [])] + [
        textfit.fit_embed(e) for e in embeds
    ]
    kwargs: dict[str, Any] = {"ephemeral": ephemeral}
    if text:
        kwargs["content"] = text
    if all_embeds:
        kwargs["embeds"] = all_embeds
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def stateless_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A panel made only of persistent items (`bot.cog.IdItem`s whose ids say whose panel
    it is), which discord.py needn't keep: stopped before it is sent, so sending it stores
    nothing and starts no timer — an ephemeral view would otherwise be held, with all it
    refers to, for 15 minutes. Clicks reach the items' classes through the patterns
    registered at start, after a restart too."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


class HearthView(discord.ui.View):
    """A view whose errors reach the common handler.

    With `owner_id`, only that person may use it (others get a kind word), which
    is how ephemeral panels and personal DMs stay personal.
    """

    def __init__(self, *, owner_id: int | None = None, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if self.owner_id is not None and interaction.user.id != self.owner_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return False
        return True

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
    ) -> None:
        await report_error(interaction, error)


class HearthModal(discord.ui.Modal):
    """A modal whose errors reach the common handler. Titles are fitted to 45."""

    def __init__(self, *, title: str, timeout: float | None = 900, custom_id: str | None = None):
        kwargs: dict[str, Any] = {"title": textfit.one_line(title, textfit.MODAL_TITLE)}
        if custom_id is not None:
            kwargs["custom_id"] = custom_id
        super().__init__(timeout=timeout, **kwargs)

    async def on_error(  # type: ignore[override]  # Modal drops View's `item` argument
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


class ConfirmView(HearthView):
    """Two buttons; `result` is True, False, or None when the person walked away."""

    def __init__(
        self,
        *,
        owner_id: int,
        confirm_label: str = "Yes",
        cancel_label: str = "Not now",
        danger: bool = False,
        timeout: float = 120,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=timeout)
        self.result: bool | None = None
        self.answered: discord.Interaction[Any] | None = None
        self._done = asyncio.Event()
        yes: discord.ui.Button[ConfirmView] = discord.ui.Button(
            label=textfit.one_line(confirm_label, textfit.BUTTON_LABEL),
            style=discord.ButtonStyle.danger if danger else discord.ButtonStyle.primary,
        )
        no: discord.ui.Button[ConfirmView] = discord.ui.Button(
            label=textfit.one_line(cancel_label, textfit.BUTTON_LABEL),
            style=discord.ButtonStyle.secondary,
        )
        yes.callback = self._yes  # type: ignore[method-assign]
        no.callback = self._no  # type: ignore[method-assign]
        self.add_item(yes)
        self.add_item(no)

    async def _finish(self, interaction: discord.Interaction[Any], value: bool) -> None:
        if self._done.is_set():  # a second click that arrived before the first stopped it
            await interaction.response.send_message(ANSWERED, ephemeral=True)
            return
        # Acknowledge the click before the view stops listening: the caller answers by
        # editing (`edit_original_response`), and the bot's "nobody handles this" fallback
        # never sees an unanswered click without a view.
        await interaction.response.defer()
        self.result = value
        self.answered = interaction
        self.stop()
        self._done.set()

    async def _yes(self, interaction: discord.Interaction[Any]) -> None:
        await self._finish(interaction, True)

    async def _no(self, interaction: discord.Interaction[Any]) -> None:
        await self._finish(interaction, False)

    async def on_timeout(self) -> None:
        self._done.set()

    async def wait_result(self) -> bool | None:
        await self._done.wait()
        return self.result


async def confirm(
    interaction: discord.Interaction[Any],
    question: str,
    *,
    confirm_label: str = "Yes",
    cancel_label: str = "Not now",
    danger: bool = False,
    timeout: float = 120,
) -> tuple[bool | None, discord.Interaction[Any] | None]:
    """Ask privately and wait. Returns (answer, the click's interaction).

    The click is already acknowledged: answer it by editing the question with
    `clicked.edit_original_response(content=…, view=None)`.
    """
    view = ConfirmView(
        owner_id=interaction.user.id,
        confirm_label=confirm_label,
        cancel_label=cancel_label,
        danger=danger,
        timeout=timeout,
    )
    await reply(interaction, question, view=view)
    result = await view.wait_result()
    return result, view.answered
