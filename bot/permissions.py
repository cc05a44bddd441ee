"""The permissions Hearth needs in its group channel, and why (README's invite URL uses these)."""

from __future__ import annotations

import discord

from bot.errors import permission_name

# flag → what breaks without it, in the words an admin reads.
NEEDED: dict[str, str] = {
    "view_channel": "see the channel at all",
    "send_messages": "post the weekly prompt and results",
    "embed_links": "show prompts and results as cards",
    "attach_files": "share the phones-down forest picture",
    "read_message_history": "find its own earlier posts to update them",
    "create_public_threads": "open a thread for revealed answers",
    "create_private_threads": "open a private thread for each listening pair",
    "send_messages_in_threads": "post answers inside those threads",
    "add_reactions": "quietly mark a message sent out of turn in a listening circle",
}

INVITE_PERMISSIONS = discord.Permissions(**dict.fromkeys(NEEDED, True))


def missing_in(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    """Flags Hearth lacks in `channel`, in the order of NEEDED."""
    have = channel.permissions_for(me)
    return [flag for flag in NEEDED if not getattr(have, flag)]


def explain_missing(missing: list[str], channel_mention: str) -> str:
    lines = [f"• **{permission_name(flag)}** — to {NEEDED[flag]}" for flag in missing]
    return (
        f"I'm missing some permissions in {channel_mention}:\n"
        + "\n".join(lines)
        + "\n\nTo fix it: open the channel's settings → Permissions → add Hearth's role "
        "(or Hearth) and allow those, then run `/hearth setup` again to re-check."
    )
