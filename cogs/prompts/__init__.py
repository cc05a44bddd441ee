"""The weekly group prompt (practice 2, share authentically): one prompt a week in the
group channel, answered privately and revealed together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.prompts.cog import PromptsCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(PromptsCog(bot))
