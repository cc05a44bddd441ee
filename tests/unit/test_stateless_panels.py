"""Private panels a person may leave open hold nothing: their controls are persistent
items in a view stopped before it is sent, so discord.py keeps no view (and starts no
15-minute timer) per panel."""

from __future__ import annotations

import discord

from cogs.curiosity import logic
from cogs.curiosity import views as curiosity_views
from cogs.repair import views as repair_views

LANG = logic.load_languages()["en"]


async def test_a_curious_rephrasing_panel_is_stateless() -> None:
    # Inside the event loop, as the cog builds it (a view made outside one cannot stop).
    reading = logic.read("You never listen to me.", LANG)
    assert reading.critical
    _, view = curiosity_views.panel(reading, draft_id=42)
    assert view is not None
    assert view.is_finished()  # sending it stores nothing
    assert view.children
    assert all(isinstance(item, discord.ui.DynamicItem) for item in view.children)


def test_the_apology_preview_keeps_its_words_briefly() -> None:
    # It holds words Hearth stores nowhere until they are sent, so it stays a live view:
    # no longer than ten minutes.
    assert repair_views.PREVIEW_TIMEOUT <= 600
