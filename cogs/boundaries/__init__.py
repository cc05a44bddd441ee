"""Practice 6, boundaries and pace: a private boundaries panel and group depth by consent."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.boundaries.logic` (pure rules) then
    # never pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.boundaries.cog import BoundariesCog

    await bot.add_cog(BoundariesCog(bot))
