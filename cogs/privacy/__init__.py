"""Your data: /privacy show, export and delete; a server's data after Hearth leaves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.privacy.logic` (pure rules) then
    # never pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.privacy.cog import PrivacyCog

    await bot.add_cog(PrivacyCog(bot))
