"""Practice 4, quality time without distractions: the phones-down group challenge."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.phones_down.logic` (pure rules) then
    # never pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.phones_down.cog import PhonesDownCog

    await bot.add_cog(PhonesDownCog(bot))
