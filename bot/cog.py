"""The base every practice cog stands on."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, textfit, timeutil
from bot.boundaries_rules import OptIn
from bot.discord_internals import cog_app_commands
from bot.errors import HearthError, NotAdmin, report_error
from bot.practices import BY_KEY

if TYPE_CHECKING:
    from datetime import datetime

    from bot.app import HearthBot
    from bot.db import Tx
    from bot.retention import Policy

# Marks a command that belongs under the shared `/hearth` group.
HEARTH_GROUP_KEY = "hearth_group"


T = TypeVar("T")
AnyCommand = app_commands.Command[Any, ..., Any]


def hearth_subcommand(**kwargs: Any) -> Callable[[Any], AnyCommand]:
    """`@app_commands.command` for a command that lives under `/hearth`.

    Several cogs add to `/hearth` (setup here, `prompt now` in prompts, …);
    Discord allows one top-level command of a name, so the core owns the group.
    """
    extras = dict(kwargs.pop("extras", {}) or {})
    extras[HEARTH_GROUP_KEY] = True
    decorator: Callable[[Any], AnyCommand] = app_commands.command(extras=extras, **kwargs)
    return decorator


def _is_admin(interaction: discord.Interaction[Any]) -> bool:
    # default_member_permissions is only a UI hint; this is the real check.
    perms = interaction.permissions
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    if not (perms.manage_guild or perms.administrator):
        raise NotAdmin()
    return True


# The days of the week as a command option's choices (0 = Monday).
DAY_CHOICES: list[app_commands.Choice[int]] = [
    app_commands.Choice(name=name, value=i) for i, name in enumerate(guilds.WEEKDAYS)
]


def timezone_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """What a time-zone option's autocomplete offers for `current` (cities and zones)."""
    now = interaction.client.clock.now()
    return [
        app_commands.Choice(name=label, value=value)
        for label, value in timeutil.timezone_choices(current, at=now)
    ]


def admin_only() -> Callable[[T], T]:
    """A server-side check for Manage Server."""
    check: Callable[[T], T] = app_commands.check(_is_admin)
    return check


class HearthCog(commands.Cog):
    """A practice (or core feature) with commands, persistent components and jobs.

    What it declares (class attributes; the core reads them at start, never lists them):

    - `practice`: the practice key this cog serves (`bot.practices`: `/hearth help`,
      colours, the server's on/off switch). Several cogs may serve one practice.
    - `dynamic_items`: its `IdItem`s, registered at start so buttons on old messages keep
      working after a restart, each answered by this cog.
    - `personal_data`: its tables about people (`bot.privacy.PersonalData`).
    - `opt_ins`: what a person may take part in here (`bot.boundaries_rules.OptIn`),
      listed in `/boundaries mine` and asked through `bot.boundaries.participates`.
    - `kept_by_policy`: what of its data follows the server's retention period, in a few
      words for `/hearth retention` ("shares"); None when none does.

    Its hooks (the core awaits them in turn):

    - `rebuild_jobs()`: re-create this cog's scheduled jobs from the database.
    - `rebuild_guild_jobs(guild_id)`: the same for one server Hearth is back in.
    - `person_forgotten(user_id)` / `server_forgotten(guild_id)`: after the rows went.
    - `retention_due(tx, policy, now)`: delete what has outlived its time, daily.
    - `settings_notes(guild_id)`: its lines in `/hearth settings`.

    Leaving a server (the `hearth_guild_left` event) suspends that server's jobs, as if
    Hearth were down there: a cog whose jobs need the server cancels them on that event,
    skips servers Hearth has left in `rebuild_jobs` (`guilds.left_ids`), and brings them
    back in `rebuild_guild_jobs` when Hearth is added again before the server's data is
    deleted — work whose time passed meanwhile then runs as it would after a downtime.
    """

    practice: ClassVar[str | None] = None
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem[Any]], ...]] = ()
    opt_ins: ClassVar[tuple[OptIn, ...]] = ()
    kept_by_policy: ClassVar[str | None] = None

    def __init__(self, bot: HearthBot) -> None:
        self.bot = bot
        # Move `/hearth …` subcommands into the shared group before the cog is injected.
        # A nested group (`/hearth prompt now`) is marked by
        # `app_commands.Group(..., extras={HEARTH_GROUP_KEY: True})`.
        own = cog_app_commands(self)
        mine = [
            cmd
            for cmd in own
            if isinstance(cmd, app_commands.Command | app_commands.Group)
            and cmd.extras.get(HEARTH_GROUP_KEY)
        ]
        for cmd in mine:
            own.remove(cmd)
            cmd.parent = None
            bot.hearth_group.add_command(cmd)

    async def rebuild_jobs(self) -> None:
        """Re-create scheduled jobs from the database; must be idempotent."""

    async def rebuild_guild_jobs(self, guild_id: int) -> None:
        """Hearth is back in this server (its data kept): re-create the jobs leaving it
        cancelled, from the database, as `rebuild_jobs` would at a start. Idempotent.
        (Cogs whose jobs go on while Hearth is away — DMs to people — have none.)"""

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        """Lines (title, text) this cog adds to `/hearth settings`, e.g. a paused schedule."""
        return []

    # Personal data: a cog that stores anything about people sets the class attribute
    # `personal_data = store.PERSONAL_DATA` (a `bot.privacy.PersonalData`), and the
    # privacy cog shows, exports and deletes it. Rows are handled there, in one
    # transaction; these hooks tidy what lives outside the database afterwards.

    async def person_forgotten(self, user_id: int) -> None:
        """This person's rows are gone: cancel their jobs, drop them from memory."""

    async def server_forgotten(self, guild_id: int) -> None:
        """This server's rows are gone: cancel its jobs, drop it from memory."""

    async def retention_due(self, tx: Tx, policy: Policy, now: datetime) -> int:
        """Once a day (the core's `retention:daily`, 03:30 UTC): delete what has outlived
        its time — by each server's period in `policy` (`policy.cutoff_for(guild_id,
        now)`), or by the practice's own fixed one — inside `tx`, one transaction per cog.
        Returns how many rows went (for the log). The core scrubs the write-ahead log
        after every cog has run."""
        return 0

    async def practice_on(self, guild_id: int) -> bool:
        """Whether this cog's practice is on in the server (a server Hearth never heard of
        counts as on): for work nobody asked for just now — a job, a post's buttons."""
        if self.practice is None:
            return True
        settings = await guilds.get(self.bot.db, guild_id)
        return settings is None or settings.practice_on(self.practice)

    async def require_practice(self, guild_id: int | None) -> None:
        """Refuse kindly when this cog's practice is switched off in the server (a server
        Hearth never heard of counts as on). For starting something new; stopping never
        needs it."""
        if guild_id is None or self.practice is None:
            return
        if not await self.practice_on(guild_id):
            raise HearthError(
                f"{BY_KEY[self.practice].name} is switched off in this server. An admin can "
                "switch it on in `/hearth settings`."
            )


# The cog a persistent component belongs to, as its class declares it: `IdItem["SupportCog"]`.
CogT = TypeVar("CogT", bound="HearthCog")

RESTING = "That part of Hearth is taking a short break. Please try again in a moment."


def owning_cog(client: discord.Client, item_type: type[Any]) -> HearthCog:
    """The cog that registered `item_type` in its `dynamic_items`: the one way a component
    finds its cog (`HearthItem.cog`). A kind refusal if that cog isn't loaded."""
    owners: dict[type[Any], HearthCog] = getattr(client, "component_owners", {})
    cog = owners.get(item_type)
    if cog is None:
        raise HearthError(RESTING)
    return cog


class HearthItem(Generic[CogT]):
    """Mixin for `DynamicItem`s: errors in `handle` reach the common handler, and
    `self.cog(interaction)` is the cog that registered the item, typed as its class
    declares (`class JoinButton(IdItem["PhonesDownCog"], DynamicItem[Button], …)`).

    discord.py only logs exceptions raised in a dynamic item's callback, which
    would leave the person looking at "This interaction failed".
    """

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.handle(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        """What the click does: one call to a typed method of `self.cog(interaction)`."""

    def cog(self, interaction: discord.Interaction[Any]) -> CogT:
        return cast("CogT", owning_cog(interaction.client, type(self)))


_ID = re.compile(r"[1-9][0-9]{0,18}")
_MAX_ID = 2**63 - 1  # SQLite's INTEGER; every snowflake fits


def parse_id(text: str) -> int | None:
    """A positive id from the tail of a custom id, or None when it was forged or mangled."""
    if not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if value <= _MAX_ID else None


E = TypeVar("E", bound=StrEnum)
_ACTION_TAIL = re.compile(r"([a-z][a-z0-9]{0,15}):(.*)", re.DOTALL)


def parse_action_tail(rest: str) -> tuple[str, int] | None:
    """An `<action>:<id>` tail (`yes:42`): a short lowercase word and an id (`parse_id`)."""
    match = _ACTION_TAIL.fullmatch(rest)
    found = None if match is None else parse_id(match[2])
    return None if match is None or found is None else (match[1], found)


def parse_action(actions: type[E], rest: str) -> tuple[E, int] | None:
    """An `<action>:<id>` tail whose action is one of `actions` (a StrEnum's values)."""
    parsed = parse_action_tail(rest)
    if parsed is None or parsed[0] not in {a.value for a in actions}:
        return None
    return actions(parsed[0]), parsed[1]


class IdItem(HearthItem[CogT]):
    """A `DynamicItem` whose custom id is a prefix plus a tail of ids (`hearth:ci:note:123`).

    The template captures the tail as `rest`; `parse_tail` turns it into the subclass's
    positional arguments (by default one id, bounded by `parse_id`), and the subclass also
    takes `custom_id=`. A mangled tail arrives as `tail_arity` Nones, and `handle` refuses
    it kindly. `example_tail` is a well-formed tail: the forgery test builds its forgeries
    from it (ids too big to store, in every place an id goes), for every item.
    """

    tail_arity: ClassVar[int] = 1
    example_tail: ClassVar[str] = "1"

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[Any, ...] | None:
        found = parse_id(rest)
        return None if found is None else (found,)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Any:
        parsed = cls.parse_tail(match["rest"]) or (None,) * cls.tail_arity
        return cls(*parsed, custom_id=match[0][: textfit.CUSTOM_ID])  # type: ignore[call-arg]
