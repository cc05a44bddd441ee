"""Discord's permission algorithm: base permissions from roles, then channel overwrites."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from .models import FakeChannel, FakeGuild, FakeMember

P = discord.Permissions
ALL = P.all().value
ADMINISTRATOR = P(administrator=True).value
VIEW_CHANNEL = P(view_channel=True).value
SEND_MESSAGES = P(send_messages=True).value
SEND_IN_THREADS = P(send_messages_in_threads=True).value
EMBED_LINKS = P(embed_links=True).value
ATTACH_FILES = P(attach_files=True).value
READ_HISTORY = P(read_message_history=True).value
MENTION_EVERYONE = P(mention_everyone=True).value
MANAGE_MESSAGES = P(manage_messages=True).value
MANAGE_THREADS = P(manage_threads=True).value
MANAGE_CHANNELS = P(manage_channels=True).value
CREATE_PUBLIC_THREADS = P(create_public_threads=True).value
CREATE_PRIVATE_THREADS = P(create_private_threads=True).value
ADD_REACTIONS = P(add_reactions=True).value
SEND_TTS = P(send_tts_messages=True).value

# What @everyone gets in a fresh server (close to Discord's default).
EVERYONE_DEFAULT = P(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    use_external_stickers=True,
    read_message_history=True,
    use_application_commands=True,
    connect=True,
    speak=True,
    change_nickname=True,
    create_instant_invite=True,
).value

# What a bot invited with a typical "send messages" invite link gets on its managed role.
BOT_DEFAULT = P(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_external_emojis=True,
).value

# What a bot may do in its DM with a user (app_permissions in DM interactions).
DM_PERMISSIONS = P(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_external_emojis=True,
    mention_everyone=True,
    use_application_commands=True,
).value


def flags(**names: bool) -> int:
    """`flags(send_messages=True)` → the bit value, using discord.py's permission names."""
    return P(**names).value


def base_permissions(guild: FakeGuild, member: FakeMember) -> int:
    if member.user.id == guild.owner_id:
        return ALL
    perms = guild.everyone_role.permissions
    for role in member.roles:
        perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def channel_permissions(channel: FakeChannel, member: FakeMember) -> int:
    """Discord's documented order: @everyone overwrite, role overwrites, member overwrite."""
    guild = channel.guild
    assert guild is not None
    perms = base_permissions(guild, member)
    if perms & ADMINISTRATOR:
        return ALL
    target = channel.parent if channel.is_thread and channel.parent is not None else channel
    overwrites = target.overwrites
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role in member.roles:
        ow = overwrites.get(role.id)
        if ow is not None:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = overwrites.get(member.user.id)
    if own is not None:
        perms = (perms & ~own.deny) | own.allow

    if not perms & VIEW_CHANNEL:
        return 0
    if channel.is_thread:
        # Private threads are visible to their members and to thread managers only.
        if (
            channel.type == 12
            and member.user.id not in channel.thread_members
            and not perms & MANAGE_THREADS
        ):
            return 0
        can_send = bool(perms & SEND_IN_THREADS)
    else:
        can_send = bool(perms & SEND_MESSAGES)
    if not can_send:
        # Implicit: without send you also can't embed, attach, tts or mention everyone.
        perms &= ~(SEND_TTS | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES)
    return perms


def can_send(channel: FakeChannel, perms: int) -> bool:
    return bool(perms & (SEND_IN_THREADS if channel.is_thread else SEND_MESSAGES))


def names(value: int) -> list[str]:
    return [name for name, on in P(value) if on]
