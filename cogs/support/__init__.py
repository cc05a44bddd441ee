"""Practice 5, steady support: DM check-ins, a private support circle, and "I'm here"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.support.cog import SupportCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(SupportCog(bot))
