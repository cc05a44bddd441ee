"""Practice 5, steady support: DM check-ins, a private support circle, and "I'm here"."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.support.logic` (pure rules) then
    # never pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.support.cog import SupportCog

    await bot.add_cog(SupportCog(bot))
