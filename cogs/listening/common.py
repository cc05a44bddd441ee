"""What the parts of the listening practice share: the bot, its clock, a few checks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot import guilds
from bot.db import Database
from bot.errors import HearthError
from cogs.listening.logic import PRACTICE

if TYPE_CHECKING:
    from bot.app import HearthBot

ANSWER_WAIT = 2.5  # how long a command waits to say whether its message made it
OFF = (
    "Active listening is switched off in this server. An admin can switch it on in "
    "`/hearth settings`."
)


class Part:
    """One of the practice's tools (circles, pairs), acting for the cog."""

    def __init__(self, bot: HearthBot) -> None:
        self.bot = bot

    @property
    def db(self) -> Database:
        return self.bot.db

    def now(self) -> datetime:
        return self.bot.clock.now()

    async def practice_on(self, guild_id: int) -> bool:
        settings = await guilds.get(self.db, guild_id)
        return settings is None or settings.practice_on(PRACTICE)

    async def require_practice(self, guild_id: int) -> None:
        if not await self.practice_on(guild_id):
            raise HearthError(OFF)

    @staticmethod
    def require_post_rights(interaction: discord.Interaction[Any], what: str) -> None:
        perms = interaction.app_permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        can_send = perms.send_messages_in_threads if in_thread else perms.send_messages
        if not (
            perms.view_channel and can_send and perms.embed_links and perms.read_message_history
        ):
            raise HearthError(
                f"I can't post here, so I couldn't {what}. An admin can give me View Channel, "
                "Send Messages, Embed Links and Read Message History, or try another channel."
            )
