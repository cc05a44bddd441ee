"""The events cogs exchange through the core, each with its arguments: the one place that
says what a practice may announce or hear. Cogs never import each other; what one must
tell the rest travels as one of these.

Send with the helper (`events.settings_changed(bot, guild_id)`), never with a bare
`bot.dispatch("hearth_…")`; hear with a listener named after the event that takes
exactly its arguments:

    @commands.Cog.listener()
    async def on_hearth_settings_changed(self, guild_id: int) -> None: ...

`tests/unit/test_events.py` holds every listener and every dispatch to this list.
Work the core runs for every cog is a hook on `HearthCog` instead (`rebuild_jobs`,
`person_forgotten`, `retention_due`, …): a hook is awaited, in order, and its failure
is seen; an event is fire-and-forget.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord


@dataclass(frozen=True, slots=True)
class Event:
    name: str  # dispatched as-is; listeners are `on_<name>`
    args: tuple[str, ...]  # the listener's parameters, in order
    about: str


SETTINGS_CHANGED = Event(
    "hearth_settings_changed",
    ("guild_id",),
    "A server's set-up changed (channel, time zone, weekly time, practices on), or its "
    "data was forgotten while Hearth stays: re-read `bot.guilds.get` and re-arm.",
)
GUILD_LEFT = Event(
    "hearth_guild_left",
    ("guild_id",),
    "Hearth was removed from a server (its data stays 14 days): suspend its jobs, as if "
    "Hearth were down there; `rebuild_guild_jobs` brings them back if it returns.",
)

EVENTS: tuple[Event, ...] = (SETTINGS_CHANGED, GUILD_LEFT)


def settings_changed(bot: discord.Client, guild_id: int) -> None:
    bot.dispatch(SETTINGS_CHANGED.name, guild_id)


def guild_left(bot: discord.Client, guild_id: int) -> None:
    bot.dispatch(GUILD_LEFT.name, guild_id)
