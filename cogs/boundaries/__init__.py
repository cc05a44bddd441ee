"""Practice 6, boundaries and pace: a private boundaries panel and group depth by consent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.boundaries.cog import BoundariesCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(BoundariesCog(bot))
