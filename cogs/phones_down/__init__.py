"""Practice 4, quality time without distractions: the phones-down group challenge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.phones_down.cog import PhonesDownCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(PhonesDownCog(bot))
