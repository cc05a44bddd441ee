"""Setting Hearth up in a server: /hearth setup, settings, help, and the welcome on join."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.setup.cog import SetupCog

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    await bot.add_cog(SetupCog(bot))
