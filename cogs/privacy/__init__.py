"""Your data: /privacy show, export and delete; a server's data after Hearth leaves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.privacy.cog import PrivacyCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
