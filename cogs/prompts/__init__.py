"""The weekly group prompt (practice 2, share authentically): one prompt a week in the
group channel, answered privately and revealed together."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.prompts.logic` (pure rules) then
    # never pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.prompts.cog import PromptsCog

    await bot.add_cog(PromptsCog(bot))
