"""`/share` (practice 2, share authentically): share something any time, with the group or
privately with one friend, and say what you'd like back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.sharing.cog import SharingCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(SharingCog(bot))
