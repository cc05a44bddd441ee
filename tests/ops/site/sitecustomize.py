"""Loaded by every Python the operator tests start (it is on their PYTHONPATH): points the
real, unmodified discord.py at the local emulator — or at a closed local port, as a machine
without network — instead of discord.com. Nothing else about Hearth changes."""

import os

_API = os.environ.get("HEARTH_TEST_DISCORD_API")
if _API:
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = _API
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        os.environ["HEARTH_TEST_DISCORD_GATEWAY"]
    )
