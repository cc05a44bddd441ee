"""What `/share` shows: the modal, the post (or DM), and the kind fallback when a private
share can't reach its friend."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, ui
from cogs.sharing import logic
from cogs.sharing.logic import Visibility

if TYPE_CHECKING:
    from cogs.sharing.cog import SharingCog


@dataclass(frozen=True, slots=True)
class Draft:
    """A share on its way: the choices from `/share`, then the words from the modal."""

    guild_id: int
    user_id: int
    visibility: Visibility
    wants: str
    friend_id: int | None = None
    friend_name: str | None = None
    prompt_text: str | None = None
    body: str = ""

    @property
    def in_group(self) -> bool:
        return self.visibility in (Visibility.NAMED, Visibility.ANONYMOUS)


def share_embed(draft: Draft, *, guild_name: str | None = None) -> discord.Embed:
    """The share as its readers see it. An anonymous one carries nothing but its words."""
    parts: list[str] = []
    if draft.visibility == Visibility.NAMED:
        parts.append(f"From <@{draft.user_id}>")
    elif draft.visibility == Visibility.FRIEND:
        where = f" in **{textfit.one_line(guild_name, 100)}**" if guild_name else ""
        parts.append(f"<@{draft.user_id}> shared this with you privately{where}.")
    if draft.prompt_text:
        parts.append(f"*{textfit.one_line(draft.prompt_text, logic.MAX_PROMPT_CHARS)}*")
    parts.append(textfit.fit(draft.body, logic.MAX_SHARE_CHARS))
    want = logic.WANTS[draft.wants]
    line = want.line
    if draft.visibility == Visibility.FRIEND:
        line += " Reply to them directly whenever you're ready."
    footer = "Shared anonymously" if draft.visibility == Visibility.ANONYMOUS else None
    title = "Shared with you" if draft.visibility == Visibility.FRIEND else "Something shared"
    return ui.embed(
        title,
        "\n\n".join(parts),
        practice="sharing",
        fields=[("What would help", line)],
        footer=footer,
    )


def modal_title(draft: Draft) -> str:
    if draft.visibility == Visibility.FRIEND:
        return f"Share with {draft.friend_name or 'a friend'}"
    if draft.visibility == Visibility.ANONYMOUS:
        return "Share anonymously"
    return "Share with the group"


class ShareModal(ui.HearthModal):
    def __init__(self, cog: SharingCog, draft: Draft) -> None:
        super().__init__(title=modal_title(draft))
        self.cog = cog
        self.draft = draft
        self.prompt: discord.ui.TextInput[ShareModal] | None = None
        if draft.prompt_text:
            self.prompt = discord.ui.TextInput(
                label="A prompt to start from (edit or clear it)",
                style=discord.TextStyle.paragraph,
                default=draft.prompt_text,
                max_length=logic.MAX_PROMPT_CHARS,
                required=False,
            )
            self.add_item(self.prompt)
        self.body: discord.ui.TextInput[ShareModal] = discord.ui.TextInput(
            label="What would you like to share?",
            style=discord.TextStyle.paragraph,
            placeholder="Start small if you like: one honest sentence is plenty.",
            max_length=logic.MAX_SHARE_CHARS,
            required=True,
        )
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        raw = self.body.value or ""
        try:
            body = logic.check_body(raw)
        except logic.ShareProblem as problem:
            back = f"\n\nHere's what you wrote:\n{quoted_back(raw)}" if raw.strip() else ""
            await ui.reply(interaction, f"{problem}{back}")
            return
        prompt_text = self.draft.prompt_text
        if self.prompt is not None:
            prompt_text = logic.clean_prompt(self.prompt.value)
        await self.cog.send_share(
            interaction, replace(self.draft, body=body, prompt_text=prompt_text)
        )


def quoted_back(body: str) -> str:
    return textfit.quote_block(body, 1500)


class InsteadView(ui.HearthView):
    """When a private share can't reach its friend: post it in the group instead, or keep it.
    Their words are in the message above the buttons either way, so nothing is lost."""

    def __init__(self, cog: SharingCog, draft: Draft, *, group_ok: bool, shown: str) -> None:
        super().__init__(owner_id=draft.user_id, timeout=900)
        self.cog = cog
        self.draft = draft
        self.shown = shown
        if group_ok:
            self._button("Post it in the group with my name", discord.ButtonStyle.primary, True)
            self._button("Post it anonymously", discord.ButtonStyle.secondary, False)
        keep: discord.ui.Button[InsteadView] = discord.ui.Button(
            label="Keep it to myself", style=discord.ButtonStyle.secondary
        )
        keep.callback = self._keep  # type: ignore[method-assign]
        self.add_item(keep)

    def _button(self, label: str, style: discord.ButtonStyle, named: bool) -> None:
        button: discord.ui.Button[InsteadView] = discord.ui.Button(label=label, style=style)

        async def post(interaction: discord.Interaction[Any]) -> None:
            visibility = Visibility.NAMED if named else Visibility.ANONYMOUS
            draft = replace(self.draft, visibility=visibility, friend_id=None, friend_name=None)
            await self.cog.send_share(interaction, draft)
            self.stop()  # after answering: a stopped view no longer counts as a handler

        button.callback = post  # type: ignore[method-assign]
        self.add_item(button)

    async def _keep(self, interaction: discord.Interaction[Any]) -> None:
        # Their words stay on screen; only the buttons go.
        await interaction.response.edit_message(
            content=textfit.fit(
                f"{self.shown}\n\nOkay, it stays with you. Hearth hasn't kept a copy. 🌿",
                textfit.CONTENT,
            ),
            view=None,
        )
        self.stop()
