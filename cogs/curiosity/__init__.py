"""Curious, not critical (practice 3): a rephrasing helper, curious replies under shared
words, and curiosity cards for the group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.curiosity.cog import CuriosityCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(CuriosityCog(bot))
