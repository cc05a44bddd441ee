"""Curious, not critical (practice 3): a rephrasing helper, curious replies under shared
words, and curiosity cards for the group."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.curiosity.logic` (pure rules) then never
    # pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.curiosity.cog import CuriosityCog

    await bot.add_cog(CuriosityCog(bot))
