"""`/repair` (practice 7, apologize and repair): a guided, private apology, a way back into
the conversation, a pause when it's too much, and kind words to validate feelings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.repair.logic` (pure rules) then never
    # pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.repair.cog import RepairCog

    await bot.add_cog(RepairCog(bot))
