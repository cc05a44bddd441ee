"""Practice 1, active listening: "Reflect back", listening circles and listening pairs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.listening.logic` (pure rules) then never
    # pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.listening.cog import ListeningCog

    await bot.add_cog(ListeningCog(bot))
