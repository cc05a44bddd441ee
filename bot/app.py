"""The Bot subclass. `setup_hook` wires database → scheduler → cogs → components → commands."""

from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import importlib
import json
import logging
import pkgutil
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands
from yarl import URL

import cogs
from bot import commandcheck, crypto, guilds, retention, textfit, timeutil
from bot.boundaries import Boundaries
from bot.config import Settings, old_keys, parse_shard_ids
from bot.connection import unreachable
from bot.db import Database, discover_migrations
from bot.decks import DEFAULT_DECK_DIR, Decks
from bot.discord_internals import (
    ANSWER_FOR_IT_AFTER,
    AnswerWatch,
    StateClient,
    has_handler,
    watch_answer,
)
from bot.dm import DMChannels
from bot.errors import IN_SERVERS, HearthTree, send_ephemeral
from bot.leases import Leases
from bot.limits import GlobalRestLimit, InvalidResponses, Pacer, ReachLimiter, global_share
from bot.outbox import Outbox
from bot.post_actions import PostActions
from bot.practices import practice_order
from bot.privacy import Registry, check_data_key
from bot.scheduler import Scheduler
from bot.shards import IdentifyGate, ShardPlan, shard_of
from bot.timeutil import Clock, SystemClock

if TYPE_CHECKING:
    from bot.cog import HearthCog

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


# How often Hearth logs the 401/403/429 answers it got, when it got any.
INVALID_REPORT_SECONDS = 60.0


def under_global_limit(url: URL) -> bool:
    """A request Discord counts toward the bot's global limit: its REST API, except
    interaction callbacks and interaction webhooks (follow-ups). Not the gateway, not the
    CDN."""
    path = url.path
    return "/api/" in path and "/interactions/" not in path and "/webhooks/" not in path


def rest_trace(limit_of: Callable[[], GlobalRestLimit]) -> aiohttp.TraceConfig:
    """Hooks `limit_of()` into every request of discord.py's HTTP session (discord.py's
    public `http_trace` option): aiohttp awaits `on_request_start` just before the request
    leaves, and always ends it with `on_request_end` or `on_request_exception`.

    Here, not around discord.py's `HTTPClient.request`: that call first waits for its
    route's bucket (seconds, for a busy channel) and resends after a 5xx or 429, so a limit
    kept there counts requests that leave much later, or several times."""
    trace = aiohttp.TraceConfig()

    async def start(_: Any, context: SimpleNamespace, params: Any) -> None:
        if under_global_limit(params.url):
            limit = limit_of()
            await limit.acquire()
            context.hearth_limit = limit  # released on the one it was taken from

    async def end(_: Any, context: SimpleNamespace, params: Any) -> None:
        limit = getattr(context, "hearth_limit", None)
        if limit is not None:
            context.hearth_limit = None
            limit.release()

    trace.on_request_start.append(start)
    trace.on_request_end.append(end)
    trace.on_request_exception.append(end)
    return trace


# Discord's deadline for an interaction's first answer; one still unanswered then is logged.
ANSWER_DEADLINE = 3.0
# How late past its time an interaction's stand-in or "unanswered" line may come, so one
# timer serves the interactions of a tenth of a second (a stand-in at 2.0–2.1 s, well
# inside Discord's 3).
SWEEP_SLACK = 0.1
# Set on each click and form as it arrives: whether discord.py routed it to a handler.
ROUTED = "hearth_routed"


# With freeze_gc, servers' objects are frozen out of the collector's sight this many at a
# time as they arrive (bot.discord_internals), so no collection walks thousands at once.
FREEZE_EVERY = 500


class HearthBot(StateClient):
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
        # Counts the answers Discord holds against this IP; see report_every in setup_hook.
        self.invalid_responses = InvalidResponses()
        # One trace on discord.py's HTTP session: Discord's global limit, kept as each
        # bot-token request leaves (rest_trace), and the invalid answers counted.
        trace = kwargs.pop("http_trace", None) or rest_trace(lambda: self.rest_limit)
        self.invalid_responses.trace(trace)
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: Hearth speaks slash commands only
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            tree_cls=HearthTree,
            # Every command states where it works instead of inheriting the application's
            # defaults: ticking "User Install" in the Developer Portal must not make Hearth's
            # commands usable in servers that never added it. A command that also works in
            # Hearth's DMs says so itself (`allowed_contexts=IN_SERVERS_AND_DMS`).
            allowed_contexts=IN_SERVERS,
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            help_command=None,
            http_trace=trace,
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
        if settings.shard_ids is not None and settings.shard_count is not None:
            # One of several processes: its share holds from its very first request (login,
            # GET /gateway/bot), and the process it replaces, killed a moment ago, may have
            # used that share in its last second — so the first request waits one window.
            here = len(parse_shard_ids(settings.shard_ids))
            self.rest_limit.window.limit = global_share(here, settings.shard_count)
            self.rest_limit.window.spent()
        # A handler still working near Discord's 3 s deadline gets its first answer from
        # Hearth (bot.discord_internals.StandInResponse); the stand-ins running now.
        self.answer_for_it_after = ANSWER_FOR_IT_AFTER
        self._stand_ins: set[asyncio.Task[None]] = set()
        # What falls due for the interactions that arrived (a stand-in answer, the
        # "unanswered" line), in arrival order: one timer for all of them (_sweep), not
        # two per interaction.
        self._stand_in_due: deque[tuple[float, AnswerWatch]] = deque()
        self._unanswered_due: deque[tuple[float, AnswerWatch]] = deque()
        self._sweeping: asyncio.TimerHandle | None = None
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
        # Which cog answers each persistent component class; filled with `personal_data`.
        self.component_owners: dict[type[Any], HearthCog] = {}
        # Owned by the core so several cogs can add `/hearth …` subcommands.
        self.hearth_group = app_commands.Group(
            name="hearth", description="Set up Hearth and learn what it can do", guild_only=True
        )
        self.tree.add_command(self.hearth_group)
        self.auto_sync = auto_sync
        # `python -m bot run` turns this on; tests create many bots in one process and don't.
        self.freeze_gc = freeze_gc
        if freeze_gc and self.gateway_state is not None:
            self.gateway_state.freeze_every = FREEZE_EVERY
        self._decks = decks
        self._invalid_report: asyncio.Task[None] | None = None
        self.synced: bool = False
        # Why Discord refused the last sync (one line), or None.
        self.sync_refusal: str | None = None
        self.setup_started = False  # login is retried only before this (bot.connection)
        self._sync_when_connected = False
        self._announced_ready = False
        # Which shards this process runs, of how many: from the settings, or Discord's
        # recommendation (GET /gateway/bot) at the start of setup_hook.
        self.shard_plan = ShardPlan()
        # With PostgreSQL (several processes): which shards' jobs and outbox run here.
        self.leases: Leases | None = None
        self.identify_gate = IdentifyGate()  # paced by session_start_limit.max_concurrency

    def servers_at_connect(self, shard_id: int) -> frozenset[int] | None:
        """Every server the shard's last READY listed (including any still unavailable),
        or None before its first READY."""
        state = self.gateway_state
        return state.ready_guild_ids.get(shard_id) if state is not None else None

    # -- shards ---------------------------------------------------------------------

    async def plan_shards(self) -> ShardPlan:
        """How many shards, and which here: HEARTH_SHARD_COUNT / HEARTH_SHARD_IDS, or
        Discord's recommendation (GET /gateway/bot, which also says how many shards may
        IDENTIFY at once). A small bot gets one shard, and nothing changes for it."""
        settings = self.settings
        ids = parse_shard_ids(settings.shard_ids) if settings.shard_ids else None
        recommended = 1
        if self.http.token is not None:  # not logged in: an offline tool or test
            recommended, _, limits = await self.http.get_bot_gateway()
            self.identify_gate.concurrency = max(1, int(limits.get("max_concurrency", 1)))
        count = settings.shard_count or int(recommended)
        self.shard_plan = ShardPlan.of(count, ids)
        self.shard_count = count
        # Several processes share the bot's global limit: each its shards' share of it
        # (set in place: what already left, like this very request, stays counted).
        self.rest_limit.window.limit = global_share(len(self.shard_plan.ids), count)
        self.shard_ids = list(self.shard_plan.ids)
        log.info(
            "shards %s%s, identify concurrency %d",
            self.shard_plan.describe(),
            "" if settings.shard_count else " (Discord's recommendation)",
            self.identify_gate.concurrency,
        )
        return self.shard_plan

    async def _take_leases(self) -> None:
        """Several processes may share this database: run only the shards whose lease
        this process holds (bot.leases); the others' jobs wait, parked, for a takeover."""
        ttl = timedelta(seconds=self.settings.lease_seconds)
        self.leases = Leases(self.db, self.clock, self.shard_plan, ttl=ttl, beat=ttl / 3)
        held = await self.leases.start()
        self.scheduler.own(self.shard_plan.count, held)
        self.outbox.own(self.shard_plan.count, held)
        self.leases.gained = self._shard_gained
        self.leases.lost = self._shard_lost

    async def _shard_gained(self, shard_id: int) -> None:
        """A shard taken over from a process that stopped renewing: its jobs come back
        from the database (what fell due meanwhile runs at once), its intents go out."""
        from bot.cog import HearthCog  # here, not at import: cogs import bot.cog

        self.scheduler.hold(shard_id)
        for cog in self.cogs.values():
            if isinstance(cog, HearthCog):
                await cog.rebuild_jobs()
        await self.outbox.hold(shard_id)
        log.info("shard %d taken over: jobs rebuilt, outbox picked up", shard_id)

    async def _shard_lost(self, shard_id: int) -> None:
        parked = self.scheduler.release(shard_id)
        self.outbox.release(shard_id)
        log.warning("shard %d given up: %d jobs stopped here", shard_id, parked)

    def shard_of_guild(self, guild_id: int) -> int:
        return shard_of(guild_id, self.shard_plan.count)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Shards of different buckets IDENTIFY at once (bot.shards.IdentifyGate).
        await self.identify_gate.wait(shard_id or 0)

    @property
    def decks(self) -> Decks:
        if self._decks is None:
            self._decks = load_decks()
        return self._decks

    async def setup_hook(self) -> None:
        # First, while a failure still means "try logging in again" (bot.connection).
        await self.plan_shards()
        self.setup_started = True
        _ = self.decks  # a broken deck stops the start, naming its file and line
        await timeutil.load_zone_names()
        self._freeze_gc()  # what was imported
        await self.db.connect()
        await self.db.migrate(discover_migrations())
        await self._open_data_key()
        self.scheduler.start()
        if self.db.backend == "postgresql":
            await self._take_leases()
        self._invalid_report = asyncio.create_task(
            self.invalid_responses.report_every(INVALID_REPORT_SECONDS), name="invalid-responses"
        )
        await self.load_cogs()
        self._freeze_gc()  # the cogs and their commands
        self.personal_data = Registry.of(self.cogs.values())
        sealed = await self.personal_data.seal_plaintext(self.db)
        if sealed:
            log.info("encrypted text stored before encryption rows=%d", sealed)
        # What people may take part in, as each cog declares it (`/boundaries mine` lists
        # them in the practices' order).
        for cog in sorted(self.hearth_cogs(), key=lambda c: practice_order(c.practice)):
            self.boundaries.declare(cog.opt_ins)
        for cog in self.hearth_cogs():
            if cog.dynamic_items:
                self.add_dynamic_items(*cog.dynamic_items)
                # How a click finds its cog (`bot.cog.owning_cog`).
                self.component_owners.update(dict.fromkeys(cog.dynamic_items, cog))
            await cog.rebuild_jobs()
            self._freeze_gc()  # its jobs, so the next cog's don't make a collection walk them
        self.arm_retention()
        # After the cogs: they register the outbox's handlers; then whatever was left
        # pending by the last run (a crash, a deploy) goes out first.
        await self.outbox.start()
        if self.auto_sync:
            await self._sync_or_later()
        log.info("setup complete cogs=%d", len(self.cogs))
        self._freeze_gc()

    def hearth_cogs(self) -> list[HearthCog]:
        """The loaded cogs that are Hearth's (every practice, and setup and privacy)."""
        from bot.cog import HearthCog  # here, not at import: cogs import bot.cog

        return [cog for cog in self.cogs.values() if isinstance(cog, HearthCog)]

    # -- the core's daily retention sweep (bot.retention) ---------------------------

    def arm_retention(self) -> None:
        when = timeutil.next_daily(self.clock.now(), retention.RUN_AT, "UTC")
        self.scheduler.at(retention.JOB_ID, when, self.retention_job, housekeeping=True)

    async def retention_job(self) -> None:
        try:
            await retention.sweep(self.db, self.hearth_cogs(), self.clock.now())
        finally:
            self.arm_retention()  # tomorrow comes whatever happened today

    async def load_cogs(self) -> None:
        for name in discover_cogs():
            # Imported once per process and set up on this bot. (load_extension would
            # re-execute every cog module for each new bot: slow restarts, same result.)
            await importlib.import_module(name).setup(self)

    async def on_shard_ready(self, shard_id: int) -> None:
        # Again after a shard's new session (not after a RESUME): its servers, from its READY.
        servers = sum(1 for g in self.guilds if g.shard_id == shard_id)
        log.info("shard %d of %d ready servers=%d", shard_id, self.shard_plan.count, servers)

    async def on_ready(self) -> None:
        self._freeze_gc()  # the servers' caches are loaded now
        if self._sync_when_connected:
            await self._sync_or_later()
        if not self._announced_ready:  # on_ready comes again after every reconnect
            self._announced_ready = True
            count = len(self.guilds)
            shards = "" if self.shard_plan.count == 1 else f" (shards {self.shard_plan.describe()})"
            log.info("ready in %d %s%s", count, "server" if count == 1 else "servers", shards)

    async def launch_shards(self) -> None:
        # The plan was made in setup_hook; discord.py launches exactly those shards.
        self.shard_count = self.shard_plan.count
        self.shard_ids = list(self.shard_plan.ids)
        await super().launch_shards()

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

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction" and args:
            self._arrived(args[0])
        super().dispatch(event_name, *args, **kwargs)

    def _arrived(self, interaction: discord.Interaction[Any]) -> None:
        """An interaction, just routed by discord.py (this runs in the same step, before any
        handler). Whether a click or form reached a handler is read now: read later, a
        panel stored a moment after (its reply still on the way back) would make a click
        look handled that never was — and nobody would answer it. And whatever happens
        next, one still unanswered at Discord's deadline is logged — and before that, a
        handler still working near it gets its first answer from Hearth (`watch_answer`)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        watch = watch_answer(interaction)
        if interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            interaction.extras[ROUTED] = has_handler(self, interaction)
        if watch is not None:
            self._stand_in_due.append((now + self.answer_for_it_after, watch))
            self._unanswered_due.append((now + ANSWER_DEADLINE, watch))
            self._arm_sweep(loop)

    def _arm_sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._sweeping is not None:
            return
        heads = [due[0][0] for due in (self._stand_in_due, self._unanswered_due) if due]
        if heads:
            self._sweeping = loop.call_at(min(heads) + SWEEP_SLACK, self._sweep)

    def _sweep(self) -> None:
        """Everything due by now: stand-in answers first, then the "unanswered" lines."""
        self._sweeping = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._stand_in_due and self._stand_in_due[0][0] <= now:
            self._stand_in_due.popleft()[1].stand_in(self._stand_ins)
        while self._unanswered_due and self._unanswered_due[0][0] <= now:
            _unanswered(self._unanswered_due.popleft()[1])
        self._arm_sweep(loop)

    async def on_interaction(self, interaction: discord.Interaction[Any], /) -> None:
        """A click or modal nobody handles (an expired panel, a finished flow) gets a kind
        word instead of Discord's "This interaction failed"."""
        if interaction.type not in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            return
        routed = interaction.extras.get(ROUTED)
        if routed is None:  # not seen arriving (a test dispatching by hand)
            routed = has_handler(self, interaction)
        if interaction.response.is_done() or routed:
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
            if not await self._sync_or_keep(guild):
                return False
            log.info("commands synced to guild=%s", target)
            self.synced = True
            return True
        digest = self.command_hash()
        if not force and await guilds.get_meta(self.db, "command_hash") == digest:
            return False
        if not await self._sync_or_keep(None):
            return False  # the hash stays old, so the next start tries again
        async with self.db.transaction() as tx:
            await guilds.set_meta(tx, "command_hash", digest)
        log.info("commands synced globally")
        self.synced = True
        return True

    async def _sync_or_keep(self, guild: discord.abc.Snowflake | None) -> bool:
        """Sync; when Discord refuses the tree (400), keep running with the commands Discord
        already has and say which command broke which rule, in one line."""
        self.sync_refusal = None
        try:
            await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            if exc.status != 400:
                raise
            # Discord's error tree; discord.py keeps it only on this attribute (2.7).
            errors = getattr(exc, "_errors", None)
            payload = [cmd.to_dict(self.tree) for cmd in self.tree.get_commands(guild=guild)]
            self.sync_refusal = commandcheck.refusal_summary(payload, errors or {})
            log.error(
                "command sync refused code=%s, keeping the commands Discord has: %s "
                "(check before deploying: python -m bot check-commands)",
                exc.code,
                self.sync_refusal,
            )
            return False
        return True

    async def close(self) -> None:
        if self._sweeping is not None:
            self._sweeping.cancel()
            self._sweeping = None
        if self._invalid_report is not None:
            self._invalid_report.cancel()
            self.invalid_responses.report()  # what came since the last one
        # Stop taking new work, let deliveries in flight be sent and recorded (bounded),
        # leave the rest to the outbox for the next start; then the gateway and database.
        await self.scheduler.shutdown()
        await self.outbox.close()
        await super().close()
        if self.leases is not None:
            try:
                await self.leases.close()  # given back: a restart takes them at once
            except Exception:
                log.exception("shard leases not released (they expire by themselves)")
        await self.db.close()


def _unanswered(watch: AnswerWatch) -> None:
    """Logged when an interaction has no first answer at Discord's deadline: every one gets
    an answer or a line saying it didn't (ids only: never who, never their words)."""
    if watch.is_answered():
        return
    log.warning(
        "interaction unanswered after %.0f s id=%s type=%s what=%s guild=%s",
        ANSWER_DEADLINE,
        watch.id,
        watch.kind,
        watch.what,
        watch.guild_id,
    )


async def offline_command_payload() -> list[dict[str, Any]]:
    """The commands this code would sync, built without Discord, settings or a database
    (`python -m bot check-commands`, and the tests that guard the tree)."""
    bot = HearthBot(Settings.model_construct(), auto_sync=False)
    await bot.load_cogs()
    return bot.command_payload()
