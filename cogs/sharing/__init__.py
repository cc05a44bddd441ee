"""`/share` (practice 2, share authentically): share something any time, with the group or
privately with one friend, and say what you'd like back."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.sharing.logic` (pure rules) then
    # never pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.sharing.cog import SharingCog

    await bot.add_cog(SharingCog(bot))
