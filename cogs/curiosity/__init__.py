"""Curious, not critical (practice 3): a rephrasing helper, curious replies under shared
words, and curiosity cards for the group."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HearthBot


async def setup(bot: HearthBot) -> None:
    # Imported here, not above: importing `cogs.curiosity.logic` (pure rules) then never
    # pulls in the cog, nor discord with it (tests/unit/test_architecture.py).
    from cogs.curiosity.cog import CuriosityCog, languages

    # Compiling the phrasing tables takes ~50 ms: on a worker thread, so the start's
    # event loop (and, on a reload, the gateway) isn't held while it runs.
    await asyncio.to_thread(languages)
    await bot.add_cog(CuriosityCog(bot))
