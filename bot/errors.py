"""One place where every error from a command, button, select or modal ends up.

Known errors become one short, kind, ephemeral sentence. Anything else is logged
with an incident id that the person sees, so they can quote it to an admin.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.options import refusal
from bot.refusal import HearthError as HearthError  # raised everywhere, shown here

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)


class NotAdmin(app_commands.CheckFailure):
    """The person lacks Manage Server for an admin command."""


class NotInstalledHere(app_commands.CheckFailure):
    """Used through an installation that isn't a server's: Hearth added to someone's own
    account, in a server (or group chat) that never added Hearth."""


# Where commands work: servers, unless a command also opens itself to Hearth's DMs.
IN_SERVERS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
IN_SERVERS_AND_DMS = app_commands.AppCommandContext(
    guild=True, dm_channel=True, private_channel=False
)


def installed_here(interaction: discord.Interaction[Any]) -> bool:
    """Whether Hearth's own installation authorised this interaction: in a server, that
    server added Hearth; otherwise it happens in Hearth's own DMs."""
    if interaction.guild_id is not None:
        return interaction.is_guild_integration()
    return not interaction.context.private_channel


_DISCORD_CODES: dict[int, str] = {
    50001: "I can't see that channel. An admin can give my role access to it.",
    50013: "I'm missing a permission I need there. An admin can check my role's permissions.",
    10003: "That channel seems to be gone. An admin can pick another one with `/hearth setup`.",
    10008: "That message isn't there any more.",
    50007: "I couldn't send that as a DM — their DMs look closed to me.",
    # A thread a moderator closed (archived and locked, or locked): Hearth can't reopen it.
    50083: "That thread has been closed, so I couldn't add to it. A moderator can reopen it.",
    160005: "That thread has been locked, so I couldn't add to it. A moderator can unlock it.",
}

_PERMISSION_NAMES: dict[str, str] = {
    "manage_guild": "Manage Server",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "view_channel": "View Channel",
    "create_public_threads": "Create Public Threads",
    "create_private_threads": "Create Private Threads",
    "read_message_history": "Read Message History",
    "attach_files": "Attach Files",
    "send_messages_in_threads": "Send Messages in Threads",
    "add_reactions": "Add Reactions",
}


def permission_name(flag: str) -> str:
    return _PERMISSION_NAMES.get(flag, flag.replace("_", " ").title())


def incident_id() -> str:
    return secrets.token_hex(4)


def describe(error: BaseException) -> tuple[str, bool]:
    """The sentence to show for `error`, and whether it was an expected one."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        original = error.__cause__ if isinstance(error, app_commands.TransformerError) else None
        inner = error.original if isinstance(error, app_commands.CommandInvokeError) else original
        if isinstance(error, app_commands.TransformerError):
            return (
                f"I couldn't make sense of “{str(error.value)[:50]}”. Could you check it?",
                True,
            )
        if inner is not None:
            return describe(inner)
    if isinstance(error, HearthError):
        return error.message, True
    if isinstance(error, NotAdmin):
        return ("That one is for server admins (Manage Server permission).", True)
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(permission_name(p) for p in error.missing_permissions)
        return f"You need the {names} permission for that.", True
    if isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(permission_name(p) for p in error.missing_permissions)
        return f"I'm missing the {names} permission here. An admin can add it to my role.", True
    if isinstance(error, NotInstalledHere):
        return (
            "I only work in servers that have added me, and in my own DMs. "
            "An admin can add Hearth to this server, and then I'm all yours.",
            True,
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That works inside a server, not in DMs.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        return (
            f"Let's take a breath — you can do that again in {int(error.retry_after) + 1} s.",
            True,
        )
    if isinstance(error, app_commands.CheckFailure):
        return "That isn't available to you here.", True
    if isinstance(error, discord.HTTPException) and error.code in _DISCORD_CODES:
        return _DISCORD_CODES[error.code], True
    return "", False


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer `interaction` privately, whether or not it was answered before."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        # Expired (10062) or already answered (40060): nothing more we can say there.
        log.info("could not deliver error reply code=%s", getattr(exc, "code", None))


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    text, known = describe(error)
    guild_id = interaction.guild_id
    user_id = interaction.user.id if interaction.user else None
    if known:
        log.info("handled error type=%s guild=%s user=%s", type(error).__name__, guild_id, user_id)
    else:
        incident = incident_id()
        # Only the error type and ids: tracebacks are fine, message text never is.
        log.error(
            "incident=%s unhandled %s guild=%s user=%s",
            incident,
            type(error).__name__,
            guild_id,
            user_id,
            exc_info=error,
        )
        text = (
            "Something went wrong on my side, sorry about that. Nothing you did caused it. "
            f"If it keeps happening, an admin can look up incident `{incident}`."
        )
    await send_ephemeral(interaction, text)


class HearthTree(app_commands.CommandTree["HearthBot"]):
    async def interaction_check(self, interaction: discord.Interaction[HearthBot], /) -> bool:
        """Every command, one gate, before it runs: refuse kindly what a user-installed copy
        of Hearth was asked to do where no server installed it (its data and settings live
        per server), and any option value outside what its command declares (bot.options)
        — a forged value gets a kind refusal, never the command."""
        if not installed_here(interaction):
            log.info(
                "refused interaction outside an installation guild=%s user=%s",
                interaction.guild_id,
                interaction.user.id,
            )
            if interaction.type == discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
                return False
            raise NotInstalledHere()
        if interaction.type is not discord.InteractionType.application_command:
            return True
        command = interaction.command
        if not isinstance(command, app_commands.Command):
            return True
        problem = refusal(command, interaction.namespace)
        if problem is None:
            return True
        log.info(
            "option refused command=%s guild=%s user=%s",
            command.qualified_name,
            interaction.guild_id,
            interaction.user.id,
        )
        await send_ephemeral(interaction, problem)
        return False

    async def on_error(
        self, interaction: discord.Interaction[HearthBot], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
