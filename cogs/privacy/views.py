"""The panel under `/privacy show`: pick a part to read why Hearth keeps it."""

from __future__ import annotations

from typing import Any

import discord

from bot import textfit, ui
from bot.practices import BY_KEY
from bot.privacy import PersonalData


class WhySelect(discord.ui.Select["WhyView"]):
    def __init__(self, declarations: list[PersonalData]) -> None:
        self.declarations = {d.key: d for d in declarations}
        options = [
            discord.SelectOption(
                label=textfit.one_line(d.title, textfit.OPTION_LABEL),
                value=d.key,
                emoji=BY_KEY[d.practice].emoji if d.practice in BY_KEY else "🔒",
            )
            for d in declarations[:25]
        ]
        super().__init__(placeholder="Why does Hearth keep this?", options=options)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        decl = self.declarations.get(self.values[0]) if self.values else None
        if decl is None:
            await ui.reply(interaction, "That part isn't there any more.")
            return
        await ui.reply(
            interaction,
            embed=ui.embed(
                decl.title,
                decl.statement,
                practice=decl.practice,
                fields=[("How long", decl.kept)],
            ),
        )


class WhyView(ui.HearthView):
    def __init__(self, owner_id: int, declarations: list[PersonalData]) -> None:
        super().__init__(owner_id=owner_id, timeout=600)
        self.add_item(WhySelect(declarations))
