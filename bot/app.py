"""The Bot subclass. `setup_hook` wires database → scheduler → cogs → components → commands."""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib
import json
import logging
import pkgutil
from pathlib import Path
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot import crypto, guilds, textfit, timeutil
from bot.boundaries import Boundaries
from bot.config import Settings, old_keys
from bot.connection import unreachable
from bot.db import Database, discover_migrations
from bot.decks import DEFAULT_DECK_DIR, Decks
from bot.dm import DMChannels
from bot.errors import HearthTree, send_ephemeral
from bot.gateway import GatewayState
from bot.limits import GlobalRestLimit, Pacer, ReachLimiter
from bot.outbox import Outbox
from bot.post_actions import PostActions
from bot.privacy import Registry, check_data_key
from bot.scheduler import Scheduler
from bot.timeutil import Clock, SystemClock

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Only what Hearth uses: no privileged intents (message content, members, presences)."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True  # message *events* only: phones-down and listening circles
    chosen.dm_messages = True
    return chosen


@functools.lru_cache(maxsize=4)
def _decks_for(directory: Path, signature: tuple[tuple[str, int, int], ...]) -> Decks:
    return Decks.load(directory)


def load_decks(directory: Path = DEFAULT_DECK_DIR) -> Decks:
    """Decks, parsed once per process unless a file changed (restarts in tests reuse it)."""
    signature = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.toml"))
    )
    return _decks_for(directory, signature)


def discover_cogs() -> list[str]:
    """Every package in `cogs/` is an extension; adding a folder adds a practice."""
    return sorted(f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if m.ispkg)


def typed_in(data: Any) -> str:
    """Everything a person typed into a submitted form, quoted back (fitted to a message)."""
    values: list[str] = []
    for row in data.get("components") or []:
        for part in row.get("components") or [row.get("component") or {}]:
            value = part.get("value")
            if isinstance(value, str) and value.strip():
                values.append(value)
    if not values:
        return ""
    budget = (textfit.CONTENT - 250) // len(values)
    return "\n".join(textfit.quote_block(v, budget) for v in values)


# With freeze_gc, servers' objects are frozen out of the collector's sight this many at a
# time as they arrive (bot.gateway), so no collection walks thousands of them at once.
FREEZE_EVERY = 500


class HearthBot(commands.Bot):
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        auto_sync: bool = True,
        decks: Decks | None = None,
        freeze_gc: bool = False,
        send_timeout: float = 15.0,
        **kwargs: Any,
    ) -> None:
        # Hearth is text-only: no warnings about voice libraries it will never need.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: Hearth speaks slash commands only
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            tree_cls=HearthTree,
            help_command=None,
            **kwargs,
        )
        self.settings = settings
        if settings.discord_api:  # a proxy in front of Discord, or a local emulator
            discord.http.Route.BASE = settings.discord_api.rstrip("/")
        if settings.discord_gateway:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway)
        self.clock: Clock = clock or SystemClock()
        self.db = Database(settings.database)
        self.dm_channels = DMChannels()
        self.dm_pacer = Pacer(settings.dm_open_rate, burst=settings.dm_open_burst)
        self.rest_limit = GlobalRestLimit()
        self._pace_rest()
        self.scheduler = Scheduler(self.clock, misfire_grace_seconds=settings.misfire_grace_seconds)
        self.boundaries = Boundaries(self.db, self.clock)
        # The one per-person limit on anything that DMs someone on another's behalf.
        self.reach = ReachLimiter(self.clock)
        # Everything Hearth says because its state changed goes through here (bot.outbox).
        self.outbox = Outbox(self, timeout=send_timeout)
        # One practice's buttons under another's posts (providers register in __init__).
        self.post_actions = PostActions(self)
        # Every practice's personal data (bot.privacy); filled once the cogs are loaded.
        self.personal_data = Registry(())
        # Owned by the core so several cogs can add `/hearth …` subcommands.
        self.hearth_group = app_commands.Group(
            name="hearth", description="Set up Hearth and learn what it can do", guild_only=True
        )
        self.tree.add_command(self.hearth_group)
        self.auto_sync = auto_sync
        # `python -m bot run` turns this on; tests create many bots in one process and don't.
        self.freeze_gc = freeze_gc
        if freeze_gc and isinstance(self._connection, GatewayState):
            self._connection.freeze_every = FREEZE_EVERY
        self._decks = decks
        self.synced: bool = False
        self.setup_started = False  # login is retried only before this (bot.connection)
        self._sync_when_connected = False
        self._announced_ready = False

    def _pace_rest(self) -> None:
        """Every bot-token request waits its turn under Discord's global limit. Interaction
        responses and follow-ups go through discord.py's webhook adapter instead, outside
        that limit on Discord's side too, so answering people never queues behind posts."""
        request = self.http.request

        async def paced(*args: Any, **kwargs: Any) -> Any:
            await self.rest_limit.wait()
            return await request(*args, **kwargs)

        # An instance attribute: discord.py's own methods call `self.request(...)`.
        setattr(self.http, "request", paced)  # noqa: B010 (assigning a method for mypy)

    def _get_state(self, **options: Any) -> GatewayState:
        # discord.py's state, parsing in turns so thousands of servers don't stall the loop.
        return GatewayState(
            dispatch=self.dispatch,
            handlers=self._handlers,
            hooks=self._hooks,
            http=self.http,
            **options,
        )

    def servers_at_connect(self) -> frozenset[int] | None:
        """Every server the last READY listed (including any still unavailable), or None
        before the first READY."""
        state = self._connection
        return state.ready_guild_ids if isinstance(state, GatewayState) else None

    @property
    def decks(self) -> Decks:
        if self._decks is None:
            self._decks = load_decks()
        return self._decks

    async def setup_hook(self) -> None:
        self.setup_started = True
        _ = self.decks  # a broken deck stops the start, naming its file and line
        await timeutil.load_zone_names()
        self._freeze_gc()  # what was imported
        await self.db.connect()
        await self.db.migrate(discover_migrations())
        await self._open_data_key()
        self.scheduler.start()
        for name in discover_cogs():
            # Imported once per process and set up on this bot. (load_extension would
            # re-execute every cog module for each new bot: slow restarts, same result.)
            await importlib.import_module(name).setup(self)
        self._freeze_gc()  # the cogs and their commands
        from bot.cog import HearthCog  # here, not at import: cogs import bot.cog

        self.personal_data = Registry.of(self.cogs.values())
        sealed = await self.personal_data.seal_plaintext(self.db)
        if sealed:
            log.info("encrypted text stored before encryption rows=%d", sealed)
        for cog in self.cogs.values():
            if isinstance(cog, HearthCog):
                if cog.dynamic_items:
                    self.add_dynamic_items(*cog.dynamic_items)
                await cog.rebuild_jobs()
        # After the cogs: they register the outbox's handlers; then whatever was left
        # pending by the last run (a crash, a deploy) goes out first.
        await self.outbox.start()
        if self.auto_sync:
            await self._sync_or_later()
        log.info("setup complete cogs=%d", len(self.cogs))
        self._freeze_gc()

    async def on_ready(self) -> None:
        self._freeze_gc()  # the servers' caches are loaded now
        if self._sync_when_connected:
            await self._sync_or_later()
        if not self._announced_ready:  # on_ready comes again after every reconnect
            self._announced_ready = True
            count = len(self.guilds)
            log.info("ready in %d %s", count, "server" if count == 1 else "servers")

    def _freeze_gc(self) -> None:
        """Move everything loaded so far out of the garbage collector's sight.

        Modules, cogs, jobs and the servers' caches live as long as the process; with them
        in view every full collection walked them all and held the event loop for 40–80 ms
        (benchmarks 2–4). Frozen, a collection walks only what came after. (A server that
        leaves later keeps its cached objects until the next start: kilobytes.)
        """
        if self.freeze_gc:
            gc.freeze()

    async def _open_data_key(self) -> None:
        """Activate the data key, refusing one that isn't this database's (DataKeyError)."""
        if self.settings.data_key is None:
            raise crypto.DataKeyError(
                "No data key is set (HEARTH_DATA_KEY is empty or missing).\n\n"
                + crypto.DATA_KEY_HELP
            )
        cipher = crypto.DataCipher(
            self.settings.data_key.get_secret_value(), old_keys(self.settings)
        )
        await check_data_key(self.db, cipher)
        crypto.activate(cipher)

    async def on_interaction(self, interaction: discord.Interaction[Any], /) -> None:
        """A click or modal nobody handles (an expired panel, a finished flow) gets a kind
        word instead of Discord's "This interaction failed"."""
        if interaction.type not in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            return
        if interaction.response.is_done() or self._has_handler(interaction):
            return
        if interaction.type == discord.InteractionType.modal_submit:
            # A form opened before a restart: nothing could be saved, but nothing typed
            # is lost either — it comes back to them, privately.
            typed = typed_in(interaction.data or {})
            text = (
                "That form had gone quiet (I restarted while it was open), so nothing was "
                "saved. Open it again with the same command or button"
            )
            if typed:
                text += " — here's what you wrote, so you can paste it back:\n" + typed
            else:
                text += "."
            await send_ephemeral(interaction, textfit.fit(text, textfit.CONTENT))
            return
        await send_ephemeral(
            interaction,
            "That button has gone quiet — what it belonged to has finished or timed out. "
            "Running the command again gives you a fresh one.",
        )

    def _has_handler(self, interaction: discord.Interaction[Any]) -> bool:
        # discord.py keeps no public "is this routed?" API; this reads its view store
        # (pinned to discord.py 2.7).
        store = self._connection._view_store
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if interaction.type == discord.InteractionType.modal_submit:
            return custom_id in store._modals
        if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
            return True
        key = (data.get("component_type"), custom_id)
        message_id = interaction.message.id if interaction.message else None
        return key in store._views.get(message_id, {}) or key in store._views.get(None, {})

    async def on_message(self, message: discord.Message, /) -> None:
        # No prefix commands: skip discord.py's command parsing on every message.
        return

    # -- command sync ---------------------------------------------------------------

    async def _sync_or_later(self) -> None:
        """Sync at start; when Discord can't be reached (or answers 5xx), try again at the
        next READY rather than stop the start: the gateway waits for the network anyway."""
        try:
            await self.sync_commands()
        except Exception as exc:
            why = unreachable(exc)
            if why is None:
                raise
            log.warning("commands not synced yet: Hearth can't reach Discord (%s)", why)
            self._sync_when_connected = True
        else:
            self._sync_when_connected = False

    def command_payload(self) -> list[dict[str, Any]]:
        return [cmd.to_dict(self.tree) for cmd in self.tree.get_commands()]

    def command_hash(self) -> str:
        blob = json.dumps(self.command_payload(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False, guild_id: int | None = None) -> bool:
        """Sync to Discord only when the tree changed (or to the dev guild, or forced)."""
        target = guild_id if guild_id is not None else self.settings.dev_guild_id
        if target is not None:
            guild = discord.Object(id=target)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("commands synced to guild=%s", target)
            self.synced = True
            return True
        digest = self.command_hash()
        if not force and await guilds.get_meta(self.db, "command_hash") == digest:
            return False
        await self.tree.sync()
        await guilds.set_meta(self.db, "command_hash", digest)
        log.info("commands synced globally")
        self.synced = True
        return True

    async def close(self) -> None:
        # Stop taking new work, let deliveries in flight be sent and recorded (bounded),
        # leave the rest to the outbox for the next start; then the gateway and database.
        await self.scheduler.shutdown()
        await self.outbox.close()
        await super().close()
        await self.db.close()
