"""Sending a DM the careful way.

Callers first ask the boundaries service whether a DM is welcome (opt-in, quiet
hours, pause). This module then opens the DM at a paced rate, remembers the DM
channel so it isn't opened again, and when Discord says the person can't be
reached (50007 / 50278) marks them unreachable so Hearth never retries into a wall.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

UNREACHABLE_CODES = frozenset({50007, 50278})


class DMChannels:
    """user id → DM channel id, bounded, so a DM opens one channel per person."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._ids: OrderedDict[int, int] = OrderedDict()

    def get(self, user_id: int) -> int | None:
        channel_id = self._ids.get(user_id)
        if channel_id is not None:
            self._ids.move_to_end(user_id)
        return channel_id

    def forget(self, user_id: int) -> None:
        self._ids.pop(user_id, None)

    def put(self, user_id: int, channel_id: int) -> None:
        self._ids[user_id] = channel_id
        self._ids.move_to_end(user_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)


async def send_dm(
    bot: HearthBot,
    user_id: int,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
) -> discord.Message | None:
    """DM `user_id`; the message, or None when it couldn't be delivered (never raises
    for delivery problems). A person Discord reports unreachable is marked so."""
    if (await bot.boundaries.person(user_id)).dm_unreachable:
        return None
    kwargs: dict[str, Any] = {}
    if content:
        kwargs["content"] = textfit.fit(content, textfit.CONTENT)
    if embed is not None:
        kwargs["embed"] = textfit.fit_embed(embed)
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    try:
        channel_id = bot.dm_channels.get(user_id)
        if channel_id is None:
            await bot.dm_pacer.wait()
            channel = await bot.create_dm(discord.Object(id=user_id))
            bot.dm_channels.put(user_id, channel.id)
            channel_id = channel.id
        return await bot.get_partial_messageable(channel_id, type=discord.ChannelType.private).send(
            **kwargs
        )
    except discord.HTTPException as exc:
        if exc.code in UNREACHABLE_CODES:
            await bot.boundaries.mark_dm_unreachable(user_id)
            log.info("dm unreachable user=%s code=%s", user_id, exc.code)
        else:
            log.warning("dm failed user=%s status=%s code=%s", user_id, exc.status, exc.code)
        return None
