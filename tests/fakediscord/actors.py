"""Acting as friends: slash commands, clicks, selects, modals, messages — and their results.

Every interaction helper sends INTERACTION_CREATE and waits until the bot has given its
initial response (or `fake.response_timeout` passes), then returns an InteractionResult
that keeps tracking the interaction: later edits and followups show up on it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._util import DiscordError, walk_components

if TYPE_CHECKING:
    from .models import FakeAttachment, FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeUser
    from .server import FakeDiscord

PING, APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
INITIAL_DEADLINE = timedelta(seconds=3)
TOKEN_LIFETIME = timedelta(minutes=15)


class NoResponse(AssertionError):
    """The bot gave no (accepted) initial response to an interaction."""


class NotPermitted(Exception):
    """The Discord client would not let this person do that (hidden command, no access…)."""


# ---------------------------------------------------------------------- interactions


@dataclass(eq=False)
class FakeInteraction:
    fake: FakeDiscord
    id: int
    token: str
    type: int
    data: dict[str, Any]
    user: FakeUser
    member: FakeMember | None
    guild: FakeGuild | None
    channel: FakeChannel
    created_at: datetime
    created_real: float
    message: FakeMessage | None = None  # the message a component sits on
    name: str | None = None
    command_type: int | None = None
    opened_by: FakeInteraction | None = None  # for a modal submit: what opened the modal
    user_install: bool = False  # used through the app installed to the person's account
    response_type: int | None = None
    original: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    modal: FakeModal | None = None
    choices: list[dict[str, Any]] | None = None
    rejections: list[DiscordError] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    attempted: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def responded(self) -> bool:
        return self.response_type is not None

    def initial_expired(self) -> bool:
        loop = asyncio.get_running_loop()
        too_late_fake = self.fake.clock.now() - self.created_at > INITIAL_DEADLINE
        too_late_real = loop.time() - self.created_real > self.fake.response_timeout
        return too_late_fake or too_late_real

    def token_expired(self) -> bool:
        return self.fake.clock.now() - self.created_at > TOKEN_LIFETIME

    def owners(self) -> dict[str, str]:
        """`authorizing_integration_owners`: "0" (the server install, or "0" in the bot's
        DMs) when the server's installation authorised it; "1" (the person) for a user
        install — with no "0" where the app isn't installed to the server."""
        if not self.user_install:
            return {"0": str(self.guild.id) if self.guild else "0"}
        owners = {"1": str(self.user.id)}
        if self.guild is not None and self.guild.bot_present:
            owners["0"] = str(self.guild.id)
        return owners

    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": self.user.payload(),
            "authorizing_integration_owners": self.owners(),
        }
        if self.original is not None:
            data["original_response_message_id"] = str(self.original.id)
        if self.type == COMPONENT and self.message is not None:
            data["interacted_message_id"] = str(self.message.id)
        if self.type == APPLICATION_COMMAND:
            data["name"] = self.name
            data["command_type"] = self.command_type
        if self.type == MODAL_SUBMIT and self.opened_by is not None:
            data["triggering_interaction_metadata"] = self.opened_by.metadata()
        return data


@dataclass
class TextInputField:
    custom_id: str
    label: str
    style: int = 1
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    placeholder: str | None = None
    value: str | None = None
    kind: int = 4  # 4 text input; select types for selects inside a Label
    options: list[dict[str, Any]] = field(default_factory=list)
    wrapper: int = 1  # 1: inside an action row, 18: inside a Label


@dataclass
class FakeModal:
    """A modal the bot opened; submit it with `await someone.submit_modal(modal, {...})`."""

    interaction: FakeInteraction
    title: str
    custom_id: str
    fields: list[TextInputField]
    raw: dict[str, Any]

    @classmethod
    def from_payload(cls, interaction: FakeInteraction, data: dict[str, Any]) -> FakeModal:
        found: list[TextInputField] = []
        for row in data.get("components") or []:
            if row.get("type") == 1:
                for c in row.get("components") or []:
                    found.append(_field(c, c.get("label") or "", 1))
            elif row.get("type") == 18:
                c = row.get("component") or {}
                found.append(_field(c, row.get("label") or "", 18))
        return cls(interaction, data.get("title") or "", data.get("custom_id") or "", found, data)

    def field(self, label_or_id: str) -> TextInputField:
        for f in self.fields:
            if label_or_id in (f.label, f.custom_id):
                return f
        for f in self.fields:
            if f.label.casefold() == label_or_id.casefold():
                return f
        raise LookupError(
            f"modal {self.title!r} has no field {label_or_id!r}; fields: "
            f"{[f.label or f.custom_id for f in self.fields]}"
        )


def _field(c: dict[str, Any], label: str, wrapper: int) -> TextInputField:
    return TextInputField(
        custom_id=c.get("custom_id") or "",
        label=label,
        style=c.get("style", 1),
        required=c.get("required", True),
        min_length=c.get("min_length"),
        max_length=c.get("max_length"),
        placeholder=c.get("placeholder"),
        value=c.get("value"),
        kind=c.get("type", 4),
        options=c.get("options") or [],
        wrapper=wrapper,
    )


class InteractionResult:
    """What the bot did with one interaction; stays live as the bot edits and follows up."""

    def __init__(self, interaction: FakeInteraction) -> None:
        self.interaction = interaction
        self._followup_cursor = 0

    def __repr__(self) -> str:
        i = self.interaction
        if not i.responded:
            why = f", rejected: {i.rejections[-1]}" if i.rejections else ""
            return f"<InteractionResult no response{why}>"
        return f"<InteractionResult type={i.response_type} message={i.original!r}>"

    # -- the initial response ------------------------------------------------------------

    @property
    def responded(self) -> bool:
        return self.interaction.responded

    @property
    def type(self) -> int | None:
        """The callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 8, 9 modal."""
        return self.interaction.response_type

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)

    @property
    def rejections(self) -> list[DiscordError]:
        """Callbacks the emulator refused (limits, 40060, 10062…)."""
        return self.interaction.rejections

    def _require(self) -> FakeInteraction:
        i = self.interaction
        if not i.responded:
            extra = f" (its callback was rejected: {i.rejections[-1]})" if i.rejections else ""
            raise NoResponse(f"the bot gave no response to {self._describe()}{extra}")
        return i

    def _describe(self) -> str:
        i = self.interaction
        if i.type == APPLICATION_COMMAND:
            return f"/{i.name}"
        if i.type == COMPONENT:
            return f"component {i.data.get('custom_id')!r}"
        if i.type == MODAL_SUBMIT:
            return f"modal {i.data.get('custom_id')!r}"
        return f"interaction type {i.type}"

    @property
    def message(self) -> FakeMessage | None:
        """The message the response created (4, 5) or updated (6, 7)."""
        return self._require().original

    @property
    def ephemeral(self) -> bool:
        msg = self.message
        return bool(msg is not None and msg.ephemeral)

    @property
    def content(self) -> str:
        msg = self.message
        return msg.content if msg is not None else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        msg = self.message
        return msg.embeds if msg is not None else []

    @property
    def embed(self) -> dict[str, Any] | None:
        return self.embeds[0] if self.embeds else None

    @property
    def components(self) -> list[dict[str, Any]]:
        msg = self.message
        return msg.components if msg is not None else []

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    @property
    def text(self) -> str:
        """Content and embed texts of the response, then of each followup."""
        parts = []
        msg = self.message
        if msg is not None:
            parts.append(msg.text)
        parts += [f.text for f in self.followups if f is not msg]
        return "\n".join(p for p in parts if p)

    @property
    def modal(self) -> FakeModal | None:
        return self._require().modal

    @property
    def choices(self) -> list[dict[str, Any]]:
        return self._require().choices or []

    @property
    def followups(self) -> list[FakeMessage]:
        return list(self.interaction.followups)

    # -- what happens later --------------------------------------------------------------

    async def wait_followup(self, timeout: float = 2.0) -> FakeMessage:
        """The next followup this result has not returned yet (waits for it)."""
        fake = self.interaction.fake
        await fake.until(
            lambda: len(self.interaction.followups) > self._followup_cursor,
            timeout=timeout,
            what=f"a followup to {self._describe()}",
        )
        msg = self.interaction.followups[self._followup_cursor]
        self._followup_cursor += 1
        return msg

    async def wait_original(self, timeout: float = 2.0) -> FakeMessage:
        """The response message once it is no longer "thinking…" (after a defer + edit)."""
        i = self._require()
        await i.fake.until(
            lambda: i.original is not None and not i.original.loading,
            timeout=timeout,
            what=f"the deferred response to {self._describe()} to be filled in",
        )
        assert i.original is not None
        return i.original

    async def wait_edit(self, timeout: float = 2.0) -> FakeMessage:
        """The response message after its next edit."""
        i = self._require()
        msg = i.original
        assert msg is not None, "this response has no message"
        edits = len(msg.history)
        await i.fake.until(
            lambda: len(msg.history) > edits, timeout=timeout, what="the response to be edited"
        )
        return msg


# ----------------------------------------------------------------------------- actor


class Actor:
    """Mixed into FakeUser and FakeMember: what a person can do in Discord's client."""

    _fake: FakeDiscord

    def _actor_user(self) -> FakeUser:
        raise NotImplementedError

    def _default_guild(self) -> FakeGuild | None:
        raise NotImplementedError

    # -- context -------------------------------------------------------------------------

    def _where(self, channel: FakeChannel | None) -> tuple[FakeChannel, FakeGuild | None]:
        if channel is None:
            guild = self._default_guild()
            channel = guild.default_channel if guild is not None else self._actor_user().dm_channel
        return channel, channel.guild

    def _member_in(self, guild: FakeGuild) -> FakeMember:
        user = self._actor_user()
        member = guild.members.get(user.id)
        if member is None:
            raise NotPermitted(f"{user.name} is not a member of {guild.name}")
        return member

    def _check_can_see(self, channel: FakeChannel, member: FakeMember | None) -> None:
        from .permissions import VIEW_CHANNEL

        if channel.deleted:
            raise NotPermitted(f"{channel!r} was deleted")
        if member is not None and not member.permissions_in(channel) & VIEW_CHANNEL:
            raise NotPermitted(f"{member.name} cannot see {channel!r}")

    # -- application commands ------------------------------------------------------------

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        /,
        *,
        channel: FakeChannel | None = None,
        timeout: float | None = None,
        user_install: bool = False,
        **kwargs: Any,
    ) -> InteractionResult:
        """`await alice.slash("phonesdown start", duration="30m")` (groups by space).

        `channel=` is where the command is typed (default: the guild's first text channel,
        or the DM with the bot). Options named `channel` or `timeout` go in the dict:
        `slash("hearth setup", {"channel": general}, timezone="Europe/Berlin")`.
        `user_install=True`: through the app added to the person's own account (works in
        servers without the bot, if the command was registered as user-installable)."""
        where, guild = self._where(channel)
        member = self._member_in(guild) if guild is not None else None
        self._check_can_see(where, member)
        cmd, path, leaf_options = self._fake._resolve_command(
            command, guild, member, where, user_install=user_install
        )
        given = _merge_options(leaf_options, options, kwargs, channel, timeout)
        built, resolved = self._fake._build_options(
            leaf_options, given, guild, where, focused=None, member=member
        )
        data = self._fake._command_data(cmd, path, built, resolved)
        return await self._fake._interact(
            APPLICATION_COMMAND,
            self._actor_user(),
            member,
            guild,
            where,
            data,
            name=command,
            command_type=1,
            timeout=timeout,
            user_install=user_install,
        )

    async def autocomplete(
        self,
        command: str,
        option: str,
        typed: str,
        options: Mapping[str, Any] | None = None,
        /,
        *,
        channel: FakeChannel | None = None,
        timeout: float | None = None,
        user_install: bool = False,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while `option` holds `typed` (other options as kwargs,
        or in a dict as for `slash`)."""
        where, guild = self._where(channel)
        member = self._member_in(guild) if guild is not None else None
        cmd, path, leaf_options = self._fake._resolve_command(
            command, guild, member, where, user_install=user_install
        )
        given = {**_merge_options(leaf_options, options, kwargs, None, None), option: typed}
        built, resolved = self._fake._build_options(
            leaf_options, given, guild, where, focused=option, member=member
        )
        data = self._fake._command_data(cmd, path, built, resolved)
        result = await self._fake._interact(
            AUTOCOMPLETE,
            self._actor_user(),
            member,
            guild,
            where,
            data,
            name=command,
            command_type=1,
            timeout=timeout,
            user_install=user_install,
        )
        return result.choices

    async def user_command(
        self,
        name: str,
        target: FakeUser | FakeMember,
        *,
        channel: FakeChannel | None = None,
        timeout: float | None = None,
        user_install: bool = False,
    ) -> InteractionResult:
        where, guild = self._where(channel)
        member = self._member_in(guild) if guild is not None else None
        self._check_can_see(where, member)
        cmd = self._fake._resolve_context_command(
            name, 2, guild, member, where, user_install=user_install
        )
        target_user = target.user
        resolved: dict[str, Any] = {"users": {str(target_user.id): target_user.payload()}}
        target_member = guild.members.get(target_user.id) if guild else None
        if target_member is not None:
            resolved["members"] = {
                str(target_user.id): target_member.payload(with_user=False, channel=where)
            }
        data = {
            "id": str(cmd.id),
            "name": cmd.name,
            "type": 2,
            "target_id": str(target_user.id),
            "resolved": resolved,
        }
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._fake._interact(
            APPLICATION_COMMAND,
            self._actor_user(),
            member,
            guild,
            where,
            data,
            name=name,
            command_type=2,
            timeout=timeout,
            user_install=user_install,
        )

    async def message_command(
        self,
        name: str,
        message: FakeMessage,
        *,
        timeout: float | None = None,
        user_install: bool = False,
    ) -> InteractionResult:
        where, guild = message.channel, message.channel.guild
        member = self._member_in(guild) if guild is not None else None
        self._check_can_see(where, member)
        cmd = self._fake._resolve_context_command(
            name, 3, guild, member, where, user_install=user_install
        )
        data = {
            "id": str(cmd.id),
            "name": cmd.name,
            "type": 3,
            "target_id": str(message.id),
            "resolved": {"messages": {str(message.id): message.payload()}},
        }
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._fake._interact(
            APPLICATION_COMMAND,
            self._actor_user(),
            member,
            guild,
            where,
            data,
            name=name,
            command_type=3,
            timeout=timeout,
            user_install=user_install,
        )

    # -- components ----------------------------------------------------------------------

    def _component_context(
        self, target: FakeMessage | InteractionResult
    ) -> tuple[FakeMessage, FakeMember | None, FakeGuild | None]:
        message = target.message if isinstance(target, InteractionResult) else target
        if message is None:
            raise LookupError("that response has no message to interact with")
        if message.deleted:
            raise NotPermitted(f"{message!r} was deleted")
        user = self._actor_user()
        if message.ephemeral_for is not None and message.ephemeral_for != user.id:
            raise NotPermitted(f"{user.name} cannot see an ephemeral message shown to someone else")
        guild = message.channel.guild
        member = self._member_in(guild) if guild is not None else None
        if message.channel.is_dm and message.channel.recipient is not user:
            raise NotPermitted(f"{user.name} cannot see someone else's DMs")
        self._check_can_see(message.channel, member)
        return message, member, guild

    async def click(
        self,
        target: FakeMessage | InteractionResult,
        label_or_custom_id: str,
        *,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Press a button, found by its label or custom_id."""
        message, member, guild = self._component_context(target)
        button = message.button(label_or_custom_id)
        if button.get("disabled"):
            raise NotPermitted(f"button {label_or_custom_id!r} is disabled")
        if button.get("style") in (5, 6):
            raise NotPermitted(f"button {label_or_custom_id!r} is a link/premium button")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._fake._interact(
            COMPONENT,
            self._actor_user(),
            member,
            guild,
            message.channel,
            data,
            message=message,
            timeout=timeout,
        )

    async def select(
        self,
        target: FakeMessage | InteractionResult,
        placeholder_or_custom_id: str,
        values: list[Any],
        *,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Pick values in a select menu (option values or labels; users/roles/channels for
        the entity selects)."""
        message, member, guild = self._component_context(target)
        menu = message.select_menu(placeholder_or_custom_id)
        if menu.get("disabled"):
            raise NotPermitted(f"select {placeholder_or_custom_id!r} is disabled")
        data = {"custom_id": menu["custom_id"], "component_type": menu["type"]}
        data.update(self._fake._select_values(menu, values, guild, message.channel))
        return await self._fake._interact(
            COMPONENT,
            self._actor_user(),
            member,
            guild,
            message.channel,
            data,
            message=message,
            timeout=timeout,
        )

    async def submit_modal(
        self,
        modal: FakeModal | InteractionResult | None,
        values: dict[str, Any],
        *,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Fill a modal by field label or custom_id and submit it."""
        if isinstance(modal, InteractionResult):
            modal = modal.modal
        if modal is None:
            raise LookupError("the bot did not open a modal")
        opener = modal.interaction
        user = self._actor_user()
        if opener.user is not user:
            raise NotPermitted(f"{user.name} cannot submit a modal shown to {opener.user.name}")
        filled: dict[str, Any] = {}
        for key, value in values.items():
            filled[modal.field(key).custom_id] = value
        rows: list[dict[str, Any]] = []
        for f in modal.fields:
            value = filled.get(f.custom_id, f.value if f.kind == 4 else None)
            inner = self._fake._modal_component(f, value)
            if f.wrapper == 18:
                rows.append({"type": 18, "component": inner})
            else:
                rows.append({"type": 1, "components": [inner]})
        data = {"custom_id": modal.custom_id, "components": rows}
        return await self._fake._interact(
            MODAL_SUBMIT,
            user,
            opener.member,
            opener.guild,
            opener.channel,
            data,
            message=opener.message,
            opened_by=opener,
            timeout=timeout,
        )

    # -- messages ------------------------------------------------------------------------

    async def say(
        self,
        channel: FakeChannel,
        content: str = "",
        *,
        reply_to: FakeMessage | None = None,
        embeds: list[dict[str, Any]] | None = None,
        attachments: list[FakeAttachment] | None = None,
        sync: bool = True,
    ) -> FakeMessage:
        """Post a message as this person (MESSAGE_CREATE). Waits until the bot has read it,
        unless `sync=False` or the gateway is down."""
        guild = channel.guild
        member = self._member_in(guild) if guild is not None else None
        self._check_can_see(channel, member)
        if member is not None:
            from .permissions import can_send

            if not can_send(channel, member.permissions_in(channel)):
                raise NotPermitted(f"{member.name} cannot send messages in {channel!r}")
        msg = self._fake._user_message(
            self._actor_user(),
            channel,
            content,
            reply_to=reply_to,
            embeds=embeds,
            attachments=attachments,
        )
        if sync:
            await self._fake.sync()
        return msg

    async def send_dm(self, content: str, *, sync: bool = True) -> FakeMessage:
        """Write to the bot in DMs."""
        return await self.say(self._actor_user().dm_channel, content, sync=sync)

    async def react(self, message: FakeMessage, emoji: str, *, sync: bool = True) -> None:
        self._fake._user_reaction(self._actor_user(), message, emoji)
        if sync:
            await self._fake.sync()

    async def delete_message(self, message: FakeMessage, *, sync: bool = True) -> None:
        """Delete one's own message (MESSAGE_DELETE)."""
        if message.author is not self._actor_user():
            raise NotPermitted("people can only delete their own messages here")
        self._fake._delete_message(message)
        if sync:
            await self._fake.sync()


def _merge_options(
    definitions: list[dict[str, Any]],
    options: Mapping[str, Any] | None,
    kwargs: dict[str, Any],
    channel: Any,
    timeout: Any,
) -> dict[str, Any]:
    given = {**(options or {}), **kwargs}
    for name, value in (("channel", channel), ("timeout", timeout)):
        clash = next((d for d in definitions if d["name"] == name), None)
        if clash is not None and value is not None and clash.get("required") and name not in given:
            raise TypeError(
                f"{name}= says where/how long to run the command, but this command has a "
                f"required option {name!r}: pass it in the dict, e.g. "
                f"slash(command, {{{name!r}: ...}})"
            )
    return given


def new_token() -> str:
    return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)


@dataclass
class ResolvedSet:
    users: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, Any] = field(default_factory=dict)
    channels: dict[str, Any] = field(default_factory=dict)
    attachments: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


Predicate = Callable[[], bool]

__all__ = [
    "Actor",
    "FakeInteraction",
    "FakeModal",
    "InteractionResult",
    "NoResponse",
    "NotPermitted",
    "ResolvedSet",
    "TextInputField",
]
