"""The emulator's world: users, guilds, roles, channels, threads, messages and commands.

Objects are plain Python; their `payload()` methods render what Discord would send. A
mutation made after the bot connected also emits the gateway event Discord would send
(CHANNEL_UPDATE after an overwrite changes, GUILD_ROLE_UPDATE, THREAD_CREATE…), queued in
order; `await fake.sync()` waits until the bot has read everything queued so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import permissions as perm
from ._util import iso, snowflake_time, walk_components
from .actors import Actor
from .mentions import Pings

if TYPE_CHECKING:
    from .actors import FakeInteraction
    from .server import FakeDiscord

TEXT, DM, VOICE, CATEGORY, NEWS, FORUM = 0, 1, 2, 4, 5, 15
PUBLIC_THREAD, PRIVATE_THREAD, NEWS_THREAD = 11, 12, 10
THREAD_TYPES = (NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)

EPHEMERAL = 1 << 6
LOADING = 1 << 7


def _perm_value(value: Any = None, **names: bool) -> int:
    """An int, a discord.Permissions (anything with `.value`), and/or permission names."""
    if value is None:
        return perm.flags(**names) if names else 0
    return int(getattr(value, "value", value)) | (perm.flags(**names) if names else 0)


# ---------------------------------------------------------------------------- users


class FakeUser(Actor):
    """A Discord account. Members of guilds wrap one of these."""

    def __init__(
        self,
        fake: FakeDiscord,
        user_id: int,
        name: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        locale: str = "en-US",
    ) -> None:
        self._fake = fake
        self.id = user_id
        self.name = name
        self.bot = bot
        self.global_name = global_name
        self.locale = locale
        self.dms_open = True

    def __repr__(self) -> str:
        return f"<FakeUser {self.name} id={self.id}>"

    @property
    def user(self) -> FakeUser:
        return self

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def display_name(self) -> str:
        return self.global_name or self.name

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
            "collectibles": None,
        }

    def close_dms(self) -> None:
        """From now on the bot's DMs to this person fail with 50007."""
        self.dms_open = False

    def open_dms(self) -> None:
        self.dms_open = True

    @property
    def dm_channel(self) -> FakeChannel:
        """The DM channel between this person and the bot (created on first use)."""
        return self._fake.dm_channel_for(self)

    def dms(self) -> list[FakeMessage]:
        """What the bot sent this person by DM, oldest first."""
        return self._fake.dms_to(self)

    # Actor plumbing
    def _actor_user(self) -> FakeUser:
        return self

    def _default_guild(self) -> FakeGuild | None:
        return None


# ---------------------------------------------------------------------------- roles


class FakeRole:
    def __init__(
        self,
        guild: FakeGuild,
        role_id: int,
        name: str,
        *,
        permissions: int,
        position: int,
        mentionable: bool = False,
        hoist: bool = False,
        color: int = 0,
        bot_id: int | None = None,
    ) -> None:
        self.guild = guild
        self.id = role_id
        self.name = name
        self.permissions = permissions
        self.position = position
        self.mentionable = mentionable
        self.hoist = hoist
        self.color = color
        self.bot_id = bot_id

    def __repr__(self) -> str:
        return f"<FakeRole {self.name} id={self.id}>"

    @property
    def managed(self) -> bool:
        return self.bot_id is not None

    @property
    def mention(self) -> str:
        return "@everyone" if self.id == self.guild.id else f"<@&{self.id}>"

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data

    def set_permissions(self, value: int | Any | None = None, /, **names: bool) -> None:
        """Replace the role's permissions: `role.set_permissions(manage_guild=True)`."""
        self.permissions = _perm_value(value, **names)
        self.guild._role_changed(self)

    def grant(self, **names: bool) -> None:
        self.permissions |= perm.flags(**names)
        self.guild._role_changed(self)

    def revoke(self, **names: bool) -> None:
        self.permissions &= ~perm.flags(**names)
        self.guild._role_changed(self)


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


# -------------------------------------------------------------------------- members


class FakeMember(Actor):
    """A user inside one guild: roles, nickname, and the guild as the default place to act."""

    def __init__(
        self, guild: FakeGuild, user: FakeUser, *, roles: list[FakeRole], nick: str | None
    ) -> None:
        self._fake = guild._fake
        self.guild = guild
        self.user = user
        self.roles = roles
        self.nick = nick
        self.joined_at = guild._fake.clock.now()

    def __repr__(self) -> str:
        return f"<FakeMember {self.name} guild={self.guild.name!r}>"

    id = property(lambda self: self.user.id)
    name = property(lambda self: self.user.name)
    mention = property(lambda self: self.user.mention)
    bot = property(lambda self: self.user.bot)
    locale = property(lambda self: self.user.locale)

    @property
    def display_name(self) -> str:
        return self.nick or self.user.display_name

    @property
    def dms_open(self) -> bool:
        return self.user.dms_open

    def close_dms(self) -> None:
        self.user.close_dms()

    def open_dms(self) -> None:
        self.user.open_dms()

    @property
    def dm_channel(self) -> FakeChannel:
        return self.user.dm_channel

    def dms(self) -> list[FakeMessage]:
        return self.user.dms()

    def permissions(self) -> int:
        """Guild-level permissions (roles only, no channel overwrites)."""
        return perm.base_permissions(self.guild, self)

    def permissions_in(self, channel: FakeChannel) -> int:
        return perm.channel_permissions(channel, self)

    def payload(
        self, *, with_user: bool = True, channel: FakeChannel | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r.id) for r in self.roles],
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if channel is not None:
            data["permissions"] = str(self.permissions_in(channel))
        return data

    def add_role(self, role: FakeRole) -> None:
        if role not in self.roles:
            self.roles.append(role)
            self.guild._member_changed(self)

    def remove_role(self, role: FakeRole) -> None:
        if role in self.roles:
            self.roles.remove(role)
            self.guild._member_changed(self)

    # Actor plumbing
    def _actor_user(self) -> FakeUser:
        return self.user

    def _default_guild(self) -> FakeGuild | None:
        return self.guild


# ------------------------------------------------------------------------- channels


class FakeChannel:
    """A text channel, category, thread or DM."""

    def __init__(
        self,
        fake: FakeDiscord,
        channel_id: int,
        kind: int,
        name: str | None,
        *,
        guild: FakeGuild | None = None,
        parent: FakeChannel | None = None,
        position: int = 0,
        topic: str | None = None,
        recipient: FakeUser | None = None,
    ) -> None:
        self._fake = fake
        self.id = channel_id
        self.type = kind
        self.name = name
        self.guild = guild
        self.parent = parent
        self.position = position
        self.topic = topic
        self.recipient = recipient
        self.overwrites: dict[int, Overwrite] = {}
        self.messages: list[FakeMessage] = []
        self.deleted = False
        self.rate_limit_per_user = 0
        self.nsfw = False
        # threads
        self.owner_id: int | None = None
        self.thread_members: set[int] = set()
        self._archived = False
        self.locked = False
        self.invitable = True
        self._auto_archive_duration = 1440
        self.starter_message: FakeMessage | None = None
        self.created_at = fake.clock.now()
        # Changed when created, (un)archived or given a new duration (Discord's field).
        self.archive_timestamp = self.created_at
        # Last message, unarchive or duration change: the inactivity clock starts here.
        self.last_activity = self.created_at
        self._consumed: set[int] = set()  # message ids returned by wait_for_message

    def __repr__(self) -> str:
        kind = {TEXT: "text", DM: "dm", CATEGORY: "category", PUBLIC_THREAD: "thread"}.get(
            self.type, f"type{self.type}"
        )
        return f"<FakeChannel #{self.name} {kind} id={self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    # -- a thread's life: archived after `auto_archive_duration` minutes of inactivity on
    # the emulator's clock (unless `fake.auto_archive` is off), unarchived by activity.

    @property
    def archived(self) -> bool:
        if self.is_thread and not self._archived and not self.deleted and self._fake.auto_archive:
            due = self.last_activity + timedelta(minutes=self._auto_archive_duration)
            if self._fake.clock.now() >= due:
                self._archived = True
                self.archive_timestamp = due
                self._changed()  # THREAD_UPDATE, as Discord sends when it archives
        return self._archived

    @archived.setter
    def archived(self, value: bool) -> None:
        if bool(value) != self._archived:
            now = self._fake.clock.now()
            self.archive_timestamp = now
            if not value:
                self.last_activity = now
        self._archived = bool(value)

    @property
    def auto_archive_duration(self) -> int:
        return self._auto_archive_duration

    @auto_archive_duration.setter
    def auto_archive_duration(self, minutes: int) -> None:
        if minutes != self._auto_archive_duration:
            self.archive_timestamp = self.last_activity = self._fake.clock.now()
        self._auto_archive_duration = int(minutes)

    def touch(self) -> None:
        """A message was sent here: activity that keeps a thread open."""
        self.last_activity = self._fake.clock.now()

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def visible_messages(self) -> list[FakeMessage]:
        """Messages anyone could see in the channel: not deleted, not ephemeral."""
        return [m for m in self.messages if not m.deleted and not m.ephemeral]

    @property
    def bot_messages(self) -> list[FakeMessage]:
        return [m for m in self.visible_messages if m.author.id == self._fake.bot_user.id]

    @property
    def last_message(self) -> FakeMessage | None:
        visible = self.visible_messages
        return visible[-1] if visible else None

    @property
    def threads(self) -> list[FakeChannel]:
        if self.guild is None:
            return []
        return [
            c for c in self.guild.channels if c.is_thread and c.parent is self and not c.deleted
        ]

    def bot_permissions(self) -> int:
        if self.guild is None:
            return perm.DM_PERMISSIONS
        member = self.guild.bot_member
        return 0 if member is None else perm.channel_permissions(self, member)

    # -- payloads ------------------------------------------------------------------------

    def payload(self, *, for_member: FakeMember | None = None) -> dict[str, Any]:
        last = self.messages[-1].id if self.messages else None
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": str(last) if last else None,
            "flags": 0,
        }
        if self.is_dm:
            assert self.recipient is not None
            data["recipients"] = [self.recipient.payload()]
            return data
        assert self.guild is not None
        data.update(
            {
                "guild_id": str(self.guild.id),
                "name": self.name,
                "position": self.position,
                "permission_overwrites": [o.payload() for o in self.overwrites.values()],
                "parent_id": str(self.parent.id) if self.parent else None,
                "nsfw": self.nsfw,
                "rate_limit_per_user": self.rate_limit_per_user,
            }
        )
        if self.type != CATEGORY:
            data["topic"] = self.topic
        if self.type == FORUM:
            data.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None)
            data.update(default_forum_layout=0, default_thread_rate_limit_per_user=0)
        if self.is_thread:
            del data["permission_overwrites"]
            del data["position"]
            count = len([m for m in self.messages if not m.ephemeral])
            data.update(
                {
                    "owner_id": str(self.owner_id) if self.owner_id else None,
                    "member_count": min(len(self.thread_members), 50),
                    "message_count": count,
                    "total_message_sent": count,
                    "thread_metadata": {
                        "archived": self.archived,
                        "auto_archive_duration": self.auto_archive_duration,
                        "archive_timestamp": iso(self.archive_timestamp),
                        "locked": self.locked,
                        "invitable": self.invitable,
                        "create_timestamp": iso(self.created_at),
                    },
                    "applied_tags": [],
                }
            )
            bot_id = self._fake.bot_user.id
            if bot_id in self.thread_members:
                data["member"] = self._thread_member_payload(bot_id)
        if for_member is not None:
            data["permissions"] = str(perm.channel_permissions(self, for_member))
        return data

    def _thread_member_payload(self, user_id: int) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "user_id": str(user_id),
            "join_timestamp": iso(self.created_at),
            "flags": 0,
        }

    # -- permissions ---------------------------------------------------------------------

    def set_overwrite(
        self, target: FakeRole | FakeMember | FakeUser | FakeGuild, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Replace the overwrite for a role, member, or the guild (= @everyone)."""
        if isinstance(target, (FakeGuild, FakeRole)):
            target_id, kind = target.id, 0
        else:
            target_id, kind = target.id, 1
        self.overwrites[target_id] = Overwrite(target_id, kind, allow, deny)
        self._changed()

    def allow(self, target: FakeRole | FakeMember | FakeUser | FakeGuild, **names: bool) -> None:
        current = self._current(target)
        bits = perm.flags(**names)
        self.set_overwrite(target, allow=current.allow | bits, deny=current.deny & ~bits)

    def deny(self, target: FakeRole | FakeMember | FakeUser | FakeGuild, **names: bool) -> None:
        current = self._current(target)
        bits = perm.flags(**names)
        self.set_overwrite(target, allow=current.allow & ~bits, deny=current.deny | bits)

    def deny_bot(self, **names: bool) -> None:
        """`chan.deny_bot(send_messages=True)`: a member overwrite for the bot."""
        self.deny(self._fake.bot_user, **names)

    def allow_bot(self, **names: bool) -> None:
        self.allow(self._fake.bot_user, **names)

    def hide_from_everyone(self) -> None:
        assert self.guild is not None
        self.deny(self.guild, view_channel=True)

    def _current(self, target: Any) -> Overwrite:
        return self.overwrites.get(target.id, Overwrite(target.id, 0))

    def _changed(self) -> None:
        if self.guild is not None and not self.deleted:
            event = "THREAD_UPDATE" if self.is_thread else "CHANNEL_UPDATE"
            self._fake._emit(event, self.payload(), guild=self.guild)

    # -- life cycle ----------------------------------------------------------------------

    def rename(self, name: str) -> None:
        self.name = name
        self._changed()

    def archive(self, *, locked: bool = False) -> None:
        """Archive the thread as a moderator would (`locked=True`: only people with
        Manage Threads may unarchive it or talk in it)."""
        assert self.is_thread
        self.archived = True
        self.locked = locked
        self._changed()

    def lock(self) -> None:
        """Lock the thread, leaving it open: only moderators may still talk in it."""
        assert self.is_thread
        self.locked = True
        self._changed()

    def unarchive(self) -> None:
        assert self.is_thread
        self.archived = False
        self._changed()

    async def delete(self) -> None:
        """Delete the channel: CHANNEL_DELETE, and later posts to it get 10003."""
        self._delete()
        await self._fake.sync()

    def _delete(self) -> None:
        if self.deleted:
            return
        self.deleted = True
        if self.guild is None:
            return
        if self.is_thread:
            self._fake._emit(
                "THREAD_DELETE",
                {
                    "id": str(self.id),
                    "guild_id": str(self.guild.id),
                    "parent_id": str(self.parent.id) if self.parent else None,
                    "type": self.type,
                },
                guild=self.guild,
            )
        else:
            self._fake._emit("CHANNEL_DELETE", self.payload(), guild=self.guild)
            for thread in self.threads:
                thread.deleted = True
            for child in self.guild.channels:
                if child.parent is self and not child.is_thread:
                    child.parent = None

    def add_thread(
        self,
        name: str,
        *,
        private: bool = False,
        starter: FakeMessage | None = None,
        owner: FakeUser | FakeMember | None = None,
        members: tuple[FakeUser | FakeMember, ...] | list[FakeUser | FakeMember] = (),
    ) -> FakeChannel:
        """A thread made by someone other than the bot (THREAD_CREATE if connected)."""
        assert self.guild is not None
        assert not self.is_thread
        owner_user = owner.user if owner is not None else None
        thread = self._fake._new_thread(
            self,
            name,
            kind=PRIVATE_THREAD if private else PUBLIC_THREAD,
            owner_id=owner_user.id if owner_user else self._fake.bot_user.id,
            starter=starter,
        )
        for m in members:
            thread.thread_members.add(m.user.id)
        if owner_user is not None:
            thread.thread_members.add(owner_user.id)
        self._fake._emit(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, guild=self.guild
        )
        return thread


# --------------------------------------------------------------------------- guilds


class FakeGuild:
    def __init__(self, fake: FakeDiscord, guild_id: int, name: str, owner: FakeUser) -> None:
        self._fake = fake
        self.id = guild_id
        self.name = name
        self.owner_id = owner.id
        self.preferred_locale = "en-US"
        self.roles: list[FakeRole] = [
            FakeRole(self, guild_id, "@everyone", permissions=perm.EVERYONE_DEFAULT, position=0)
        ]
        self.members: dict[int, FakeMember] = {}
        self.channels: list[FakeChannel] = []
        self.bot_present = False
        self.bot_role: FakeRole | None = None
        self.joined_at = fake.clock.now()

    def __repr__(self) -> str:
        return f"<FakeGuild {self.name} id={self.id}>"

    # -- lookups -------------------------------------------------------------------------

    @property
    def everyone_role(self) -> FakeRole:
        return self.roles[0]

    @property
    def bot_member(self) -> FakeMember | None:
        return self.members.get(self._fake.bot_user.id) if self.bot_present else None

    @property
    def owner(self) -> FakeMember:
        return self.members[self.owner_id]

    @property
    def text_channels(self) -> list[FakeChannel]:
        return [c for c in self.channels if c.type in (TEXT, NEWS) and not c.deleted]

    @property
    def threads(self) -> list[FakeChannel]:
        return [c for c in self.channels if c.is_thread and not c.deleted]

    @property
    def default_channel(self) -> FakeChannel:
        channels = self.text_channels
        if not channels:
            raise LookupError(f"{self!r} has no text channel; add one with add_text_channel()")
        return channels[0]

    def channel(self, name_or_id: str | int) -> FakeChannel:
        for c in self.channels:
            if not c.deleted and (c.id == name_or_id or c.name == name_or_id):
                return c
        raise LookupError(f"no channel {name_or_id!r} in {self!r}")

    def member(self, name_or_id: str | int) -> FakeMember:
        for m in self.members.values():
            if m.id == name_or_id or m.name == name_or_id:
                return m
        raise LookupError(f"no member {name_or_id!r} in {self!r}")

    def role(self, name_or_id: str | int) -> FakeRole:
        for r in self.roles:
            if r.id == name_or_id or r.name == name_or_id:
                return r
        raise LookupError(f"no role {name_or_id!r} in {self!r}")

    # -- building ------------------------------------------------------------------------

    def add_category(self, name: str) -> FakeChannel:
        return self._add_channel(CATEGORY, name, None, None)

    def add_text_channel(
        self, name: str, *, category: FakeChannel | None = None, topic: str | None = None
    ) -> FakeChannel:
        return self._add_channel(TEXT, name, category, topic)

    def add_forum(self, name: str, *, category: FakeChannel | None = None) -> FakeChannel:
        """A forum: nothing is posted in it directly; every post is a thread with a first
        message."""
        return self._add_channel(FORUM, name, category, None)

    def _add_channel(
        self, kind: int, name: str, category: FakeChannel | None, topic: str | None
    ) -> FakeChannel:
        position = len([c for c in self.channels if not c.is_thread])
        channel = FakeChannel(
            self._fake,
            self._fake.ids.next(),
            kind,
            name,
            guild=self,
            parent=category,
            position=position,
            topic=topic,
        )
        if category is not None:  # a new channel starts synced with its category
            channel.overwrites = {k: Overwrite(**vars(o)) for k, o in category.overwrites.items()}
        self.channels.append(channel)
        self._fake.channels[channel.id] = channel
        self._fake._emit("CHANNEL_CREATE", channel.payload(), guild=self)
        return channel

    def add_role(
        self,
        name: str,
        permissions: int | Any | None = None,
        *,
        mentionable: bool = False,
        hoist: bool = False,
        color: int = 0,
        **names: bool,
    ) -> FakeRole:
        """`guild.add_role("mods", manage_guild=True)` or with a discord.Permissions."""
        role = FakeRole(
            self,
            self._fake.ids.next(),
            name,
            permissions=_perm_value(permissions, **names),
            position=len(self.roles),
            mentionable=mentionable,
            hoist=hoist,
            color=color,
        )
        self.roles.append(role)
        self._fake._emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.payload()}, guild=self
        )
        return role

    def add_member(
        self,
        who: str | FakeUser,
        *,
        roles: tuple[FakeRole, ...] | list[FakeRole] = (),
        admin: bool = False,
        nick: str | None = None,
        locale: str = "en-US",
    ) -> FakeMember:
        """`guild.add_member("alice", admin=True)`: a new user, or an existing FakeUser."""
        user = who if isinstance(who, FakeUser) else self._fake.add_user(who, locale=locale)
        role_list = list(roles)
        if admin:
            role_list.append(self._admin_role())
        member = FakeMember(self, user, roles=role_list, nick=nick)
        self.members[user.id] = member
        if self.bot_present:
            self._fake._emit(
                "GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(self.id)}, guild=self
            )
        return member

    def remove_member(self, member: FakeMember) -> None:
        self.members.pop(member.id, None)
        self._fake._emit(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(self.id), "user": member.user.payload()},
            guild=self,
        )

    def _admin_role(self) -> FakeRole:
        for role in self.roles:
            if role.name == "Admin" and role.permissions & perm.ADMINISTRATOR:
                return role
        return self.add_role("Admin", administrator=True)

    # -- the bot -------------------------------------------------------------------------

    def set_bot_permissions(self, value: int | Any | None = None, /, **names: bool) -> None:
        """Replace the permissions of the bot's managed role."""
        assert self.bot_role is not None, "the bot is not in this guild"
        self.bot_role.set_permissions(value, **names)

    def _attach_bot(self, permissions: int) -> None:
        bot = self._fake.bot_user
        if self.bot_role is None:
            self.bot_role = FakeRole(
                self,
                self._fake.ids.next(),
                self._fake.app_name,
                permissions=permissions,
                position=len(self.roles),
                bot_id=bot.id,
            )
            self.roles.append(self.bot_role)
        self.members[bot.id] = FakeMember(self, bot, roles=[self.bot_role], nick=None)
        self.bot_present = True
        self.joined_at = self._fake.clock.now()

    async def remove_bot(self) -> None:
        """The bot is kicked (GUILD_DELETE); its REST calls here now get 50001."""
        self._detach_bot()
        await self._fake.sync()

    def _detach_bot(self) -> None:
        if not self.bot_present:
            return
        self.bot_present = False
        self.members.pop(self._fake.bot_user.id, None)
        if self.bot_role is not None:
            self.roles.remove(self.bot_role)
            self.bot_role = None
        self._fake._emit("GUILD_DELETE", {"id": str(self.id)}, guild=self, force=True)

    # -- events --------------------------------------------------------------------------

    def _role_changed(self, role: FakeRole) -> None:
        self._fake._emit(
            "GUILD_ROLE_UPDATE", {"guild_id": str(self.id), "role": role.payload()}, guild=self
        )

    def _member_changed(self, member: FakeMember) -> None:
        self._fake._emit(
            "GUILD_MEMBER_UPDATE",
            {**member.payload(), "guild_id": str(self.id)},
            guild=self,
            about_bot=member.id == self._fake.bot_user.id,
        )

    # -- payloads ------------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """The REST shape (GET /guilds/{id})."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.preferred_locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
        }

    def create_payload(self, *, members_intent: bool, joining: bool) -> dict[str, Any]:
        """GUILD_CREATE: channels, active threads, roles and (what the intents allow of) members."""
        data = self.payload()
        bot_id = self._fake.bot_user.id
        members = [
            m.payload()
            for m in self.members.values()
            if members_intent or m.id == bot_id  # without the intent: only the bot itself
        ]
        data.update(
            {
                "joined_at": iso(self.joined_at),
                "large": False,
                "member_count": len(self.members),
                "members": members,
                "channels": [
                    c.payload() for c in self.channels if not c.is_thread and not c.deleted
                ],
                "threads": [c.payload() for c in self.threads if not c.archived],
                "voice_states": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
            }
        )
        if not joining:  # at startup the guild "becomes available"; a join omits the key
            data["unavailable"] = False
        return data


# ------------------------------------------------------------------------- messages


@dataclass
class FakeAttachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "description": self.description,
        }

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class Edit:
    """A former version of a message, kept when it is edited."""

    at: datetime
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]


_ABSENT: Any = object()


@dataclass(eq=False)
class FakeMessage:
    id: int
    channel: FakeChannel
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    nonce: Any = None
    reference: dict[str, Any] | None = None
    referenced: FakeMessage | None = None
    allowed_mentions: Any = _ABSENT  # the raw request field; _ABSENT when it was not sent
    pinged: Pings = field(default_factory=Pings)
    edited_at: datetime | None = None
    deleted: bool = False
    history: list[Edit] = field(default_factory=list)
    webhook_id: int | None = None
    application_id: int | None = None
    interaction: FakeInteraction | None = None
    ephemeral_for: int | None = None
    thread: FakeChannel | None = None
    reactions: dict[str, set[int]] = field(default_factory=dict)
    sticker_ids: list[str] = field(default_factory=list)
    poll: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return (
            f"<FakeMessage id={self.id} channel={self.channel.name!r} author={self.author.name!r} "
            f"content={self.content[:40]!r} embeds={len(self.embeds)}>"
        )

    # -- convenience for assertions ------------------------------------------------------

    @property
    def created_at(self) -> datetime:
        return snowflake_time(self.id)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still showing "thinking…"."""
        return bool(self.flags & LOADING)

    @property
    def embed(self) -> dict[str, Any] | None:
        return self.embeds[0] if self.embeds else None

    @property
    def text(self) -> str:
        """Content plus every visible text of the embeds and v2 text displays, for `in` checks."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            for f in e.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((e.get("footer") or {}).get("text") or "")
            parts.append((e.get("author") or {}).get("name") or "")
        parts += [
            c.get("content") or "" for c in walk_components(self.components) if c.get("type") == 10
        ]
        return "\n".join(p for p in parts if p)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    @property
    def selects(self) -> list[dict[str, Any]]:
        return [c for c in walk_components(self.components) if c.get("type") in (3, 5, 6, 7, 8)]

    def button(self, label_or_id: str) -> dict[str, Any]:
        for b in self.buttons:
            if label_or_id in (b.get("label"), b.get("custom_id")):
                return b
        labels = [b.get("label") or b.get("custom_id") for b in self.buttons]
        raise LookupError(f"no button {label_or_id!r} on {self!r}; buttons: {labels}")

    def select_menu(self, placeholder_or_id: str) -> dict[str, Any]:
        selects = self.selects
        for s in selects:
            if placeholder_or_id in (s.get("placeholder"), s.get("custom_id")):
                return s
        if len(selects) == 1 and not placeholder_or_id:
            return selects[0]
        raise LookupError(
            f"no select {placeholder_or_id!r} on {self!r}; selects: "
            f"{[s.get('placeholder') or s.get('custom_id') for s in selects]}"
        )

    def pings(self, who: FakeUser | FakeMember | FakeRole) -> bool:
        """Whether this message notified `who` (directly, by role, or by @everyone)."""
        if isinstance(who, FakeRole):
            return who.id in self.pinged.roles
        if self.pinged.everyone or who.id in self.pinged.users:
            return True
        guild = self.channel.guild
        member = guild.members.get(who.id) if guild else None
        return bool(member and {r.id for r in member.roles} & self.pinged.roles)

    # -- payloads ------------------------------------------------------------------------

    def payload(self, *, with_reference: bool = True) -> dict[str, Any]:
        guild = self.channel.guild
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": self.tts,
            "mention_everyone": self.pinged.everyone,
            "mentions": [self._mention_payload(uid) for uid in sorted(self.pinged.users)],
            "mention_roles": [str(r) for r in sorted(self.pinged.roles)],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "reactions": [
                {
                    "emoji": {"id": None, "name": emoji},
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": self.channel._fake.bot_user.id in users,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for emoji, users in self.reactions.items()
                if users
            ],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
            "components": self.components,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if guild is not None:
            data["guild_id"] = str(guild.id)
            member = guild.members.get(self.author.id)
            if member is not None and self.webhook_id is None:
                data["member"] = member.payload(with_user=False)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.reference is not None:
            data["message_reference"] = self.reference
            if with_reference:
                data["referenced_message"] = (
                    self.referenced.payload(with_reference=False)
                    if self.referenced is not None and not self.referenced.deleted
                    else None
                )
        if self.interaction is not None:
            data["interaction_metadata"] = self.interaction.metadata()
        if self.thread is not None and not self.thread.deleted:
            data["thread"] = self.thread.payload()
        if self.poll is not None:
            data["poll"] = self.poll
        return data

    def _mention_payload(self, user_id: int) -> dict[str, Any]:
        fake = self.channel._fake
        user = fake.users.get(user_id)
        data: dict[str, Any] = (
            user.payload()
            if user
            else {"id": str(user_id), "username": "unknown", "discriminator": "0", "avatar": None}
        )
        guild = self.channel.guild
        member = guild.members.get(user_id) if guild else None
        if member is not None:
            data["member"] = member.payload(with_user=False)
        return data

    def _remember(self) -> None:
        self.history.append(
            Edit(self.edited_at or self.created_at, self.content, self.embeds, self.components)
        )


# ------------------------------------------------------------------------- commands


class FakeCommand:
    """An application command the bot registered (global or for one guild)."""

    def __init__(
        self,
        command_id: int,
        app_id: int,
        data: dict[str, Any],
        guild_id: int | None,
        version: int,
    ) -> None:
        self.id = command_id
        self.application_id = app_id
        self.guild_id = guild_id
        self.data = data
        self.version = version

    def __repr__(self) -> str:
        return f"<FakeCommand /{self.name} type={self.type} guild={self.guild_id}>"

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def type(self) -> int:
        return int(self.data.get("type", 1))

    @property
    def options(self) -> list[dict[str, Any]]:
        return list(self.data.get("options") or [])

    @property
    def default_member_permissions(self) -> int | None:
        value = self.data.get("default_member_permissions")
        return None if value is None else int(value)

    @property
    def contexts(self) -> list[int] | None:
        value = self.data.get("contexts")
        if value is None:
            if self.guild_id is not None:
                return [0]
            return [0, 1, 2] if self.data.get("dm_permission", True) is not False else [0]
        return [int(v) for v in value]

    @property
    def integration_types(self) -> list[int]:
        """Where it can be installed: 0 servers, 1 users' accounts (stated, or the app's
        installation contexts when it was registered)."""
        return [int(v) for v in self.data.get("integration_types") or [0]]

    def payload(self) -> dict[str, Any]:
        data = dict(self.data)
        data.setdefault("type", 1)
        data.setdefault("description", "")
        data.setdefault("options", [])
        data.setdefault("default_member_permissions", None)
        data.setdefault("nsfw", False)
        if self.guild_id is None:
            data.setdefault("integration_types", [0])
            data.setdefault("contexts", None)
        data.update(
            {
                "id": str(self.id),
                "application_id": str(self.application_id),
                "version": str(self.version),
            }
        )
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data
