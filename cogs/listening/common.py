"""What the parts of the listening practice share: their cog, the clock, a few checks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.db import Database
from bot.errors import HearthError

if TYPE_CHECKING:
    from bot.app import HearthBot
    from cogs.listening.cog import ListeningCog

ANSWER_WAIT = 2.5  # how long a command waits to say whether its message made it


class Part:
    """One of the practice's tools (circles, pairs), acting for the cog (as support's and
    phones-down's services do): whether the practice is on here is the cog's to say."""

    def __init__(self, cog: ListeningCog) -> None:
        self.cog = cog
        self.bot: HearthBot = cog.bot

    @property
    def db(self) -> Database:
        return self.bot.db

    def now(self) -> datetime:
        return self.bot.clock.now()

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
