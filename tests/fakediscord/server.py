"""FakeDiscord: the emulator object tests talk to. It owns the world, the aiohttp server
(REST + gateway on 127.0.0.1, random port), rate limits, faults and the request log."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import yarl
from aiohttp import web

from . import permissions as perm
from ._util import Clock, DiscordError, ManualClock, Snowflakes, walk_components
from .actors import (
    FakeInteraction,
    InteractionResult,
    NotPermitted,
    ResolvedSet,
    TextInputField,
    new_token,
)
from .gateway import PRIVILEGED, Gateway
from .mentions import Pings, compute
from .models import (
    DM,
    THREAD_TYPES,
    FakeAttachment,
    FakeChannel,
    FakeCommand,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
)
from .ratelimit import RateLimiter, Stats
from .rest import BANNED, Rest
from .spec import SpecValidator, default_validator, load

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
# How long Discord remembers a message's nonce for enforce_nonce ("the past few minutes").
NONCE_WINDOW = timedelta(minutes=5)
IS_COMPONENTS_V2 = 1 << 15


@dataclass
class RequestRecord:
    method: str
    path: str
    route: str  # "POST /channels/{channel_id}/messages", or "?" for an unknown route
    status: int = 0
    code: int | None = None
    body: Any = None
    error: dict[str, Any] | None = None
    expected: bool = False

    def __str__(self) -> str:
        detail = f" {self.error}" if self.error else ""
        return f"{self.method} {self.path} → {self.status}{detail}"


@dataclass
class Fault:
    route: str  # "POST /channels/{channel_id}/messages", "POST *", or "*"
    remaining: int
    status: int
    code: int | None
    retry_after: float
    is_global: bool
    used: int = 0
    hang: float | None = None  # seconds (real time) before answering at all
    drop: bool = False  # close the connection instead of answering
    applied: bool = True  # with hang/drop: whether Discord did the work anyway
    scope: str | None = None  # a 429's X-RateLimit-Scope (default: user, or global)
    via: bool = True  # False: a 429 without Via, as Cloudflare's — discord.py won't retry

    def matches(self, route: str) -> bool:
        if self.route == "*":
            return True
        method, _, template = self.route.partition(" ")
        r_method, _, r_template = route.partition(" ")
        return method == r_method and template in ("*", r_template)


class FakeDiscord:
    """A local Discord. Build the world, start a bot against it, act as friends, assert."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        spec: Path | bool | None = True,
        app_name: str = "Hearth",
    ) -> None:
        self.clock: Clock = clock or ManualClock()
        self.ids = Snowflakes(self)
        self.app_name = app_name
        self.app_id = self.ids.next()
        # Like every modern app, the bot user shares the application's id.
        self.bot_user = FakeUser(self, self.app_id, app_name, bot=True)
        self.owner_user = FakeUser(self, self.ids.next(), "app-owner")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner_user)}
        self.token = _make_token(self.app_id)
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.attachments: dict[int, FakeAttachment] = {}
        self.global_commands: dict[tuple[str, int], FakeCommand] = {}
        self.guild_commands: dict[int, dict[tuple[str, int], FakeCommand]] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.interactions_by_token: dict[str, FakeInteraction] = {}
        self.privileged_intents: set[str] = set()
        # Threads archive after their auto_archive_duration of inactivity, as on Discord.
        # A test about something else may switch that off.
        self.auto_archive = True
        # The Developer Portal's installation contexts: 0 servers, 1 users' accounts.
        self.install_types: set[int] = {0}
        self.response_timeout = 3.0
        self.rejection_grace = 0.5
        self.echo_bot_messages = True
        self.ratelimits = RateLimiter()
        self.stats = Stats()
        self.requests: list[RequestRecord] = []
        self.ping_log: list[tuple[FakeMessage, Pings]] = []
        self.faults: list[Fault] = []
        # (author id, nonce) → (message, when): Discord's enforce_nonce de-duplication.
        self.nonces: dict[tuple[int, str], tuple[FakeMessage, datetime]] = {}
        self.nonce_window = NONCE_WINDOW
        self.expected_codes: set[int] = set()
        # GET /gateway/bot's session_start_limit: IDENTIFYs so far, and how many shards
        # may IDENTIFY at once (Discord gives 1 to most bots, 16 and up to large ones).
        self.session_starts_used = 0
        self.max_concurrency = 1
        if spec is True:
            self.spec: SpecValidator | None = default_validator()
        elif isinstance(spec, Path):
            self.spec = load(spec)
        else:
            self.spec = None
        self.gateway = Gateway(self)
        self.rest = Rest(self)
        self._dm_channels: dict[int, FakeChannel] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self._bots: list[tuple[discord.Client, asyncio.Task[None]]] = []
        self._saved: tuple[str, yarl.URL] | None = None
        self.port = 0

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> None:
        """Move the emulator clock (shared with Hearth under the `hearth` fixture):
        `fake.advance(seconds=4)` ages interactions; 15 minutes expires their tokens;
        threads left idle for their `auto_archive_duration` archive."""
        self.clock.advance((delta or timedelta()) + timedelta(**kwargs))  # type: ignore[attr-defined]
        self.archive_idle_threads()

    def archive_idle_threads(self) -> None:
        """Archive (THREAD_UPDATE) every thread idle past its `auto_archive_duration` now.
        Reading `thread.archived` does this for one thread; REST calls always see it."""
        for channel in list(self.channels.values()):
            if channel.is_thread:
                _ = channel.archived

    # ================================================================ server life cycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self.gateway.handle)
        self.rest.install(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._runner = runner
        return self

    async def stop(self) -> None:
        for client, _ in list(self._bots):
            await self.stop_bot(client)
        self.gateway.release()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.restore_discord()

    def point_discord_here(self) -> None:
        """Aim discord.py's REST base and gateway at this emulator (undo: restore_discord)."""
        if self._saved is None:
            self._saved = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def restore_discord(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    # =================================================================== running bots

    async def start_bot(self, client: discord.Client, *, timeout: float = 5.0) -> None:
        """Log a real discord.py client in, connect it, and wait until it is ready and sees
        every guild it is in. Fast settings: no 5 s wait before re-IDENTIFY, a short
        guild_ready_timeout."""
        fast_startup(client)
        await client.login(self.token)
        task = asyncio.create_task(client.connect(reconnect=True), name="fakediscord-bot")
        self._bots.append((client, task))
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=timeout, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # re-raise why connect() ended
            raise TimeoutError("the bot did not become ready")
        wanted = [g.id for g in self.guilds.values() if g.bot_present and _hears(client, g.id)]
        await self.until(
            lambda: all(client.get_guild(gid) is not None for gid in wanted),
            timeout=timeout,
            what="the bot to see all its guilds",
        )

    def _client_for(self, session_id: str) -> discord.Client | None:
        for client, _ in self._bots:
            if any(ws.session_id == session_id for ws in websockets_of(client)):
                return client
        return None

    async def stop_bot(self, client: discord.Client) -> None:
        for entry in list(self._bots):
            if entry[0] is client:
                self._bots.remove(entry)
                await client.close()
                task = entry[1]
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=2.0)

    # ========================================================================= world

    def add_user(
        self,
        name: str,
        *,
        bot: bool = False,
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
    ) -> FakeUser:
        """`shard=(1, 4)`: an account whose id falls on shard 1 of 4 by Discord's formula
        (Hearth gives a person's DMs and jobs to a shard that way)."""
        user_id = self.ids.on_shard(*shard) if shard is not None else self.ids.next()
        user = FakeUser(self, user_id, name, bot=bot, locale=locale)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Friends",
        *,
        owner: FakeUser | str | None = None,
        with_bot: bool = True,
        bot_permissions: int | Any | None = None,
        shard: tuple[int, int] | None = None,
    ) -> FakeGuild:
        """A server with its owner as a member and (by default) the bot in it. If a bot is
        already connected it receives GUILD_CREATE, as when someone invites it.
        `shard=(1, 4)`: a server whose events a bot with 4 shards hears on shard 1 (ids
        made by the emulator's clock otherwise all fall on one shard)."""
        owner_user = (
            owner if isinstance(owner, FakeUser) else self.add_user(owner or f"{name}-owner")
        )
        guild_id = self.ids.on_shard(*shard) if shard is not None else self.ids.next()
        guild = FakeGuild(self, guild_id, name, owner_user)
        self.guilds[guild.id] = guild
        guild.add_member(owner_user)
        if with_bot:
            self._join(guild, bot_permissions)
        return guild

    async def add_bot_to(self, guild: FakeGuild, *, permissions: int | Any | None = None) -> None:
        """Invite the bot (back) into a guild: GUILD_CREATE; waits until the bot read it."""
        self._join(guild, permissions)
        await self.sync()

    def _join(self, guild: FakeGuild, permissions: int | Any | None) -> None:
        if guild.bot_present:
            return
        value = (
            perm.BOT_DEFAULT
            if permissions is None
            else int(getattr(permissions, "value", permissions))
        )
        guild._attach_bot(value)
        for session in self.gateway.live_sessions():
            members = bool(session.intents & PRIVILEGED["members"])
            self.gateway.dispatch(
                "GUILD_CREATE",
                guild.create_payload(members_intent=members, joining=True),
                guild=guild,
                sessions=[session],
            )
        self._notify()

    def dm_channel_for(self, user: FakeUser | FakeMember) -> FakeChannel:
        target = user.user
        channel = self._dm_channels.get(target.id)
        if channel is None:
            channel = FakeChannel(self, self.ids.next(), DM, None, recipient=target)
            self._dm_channels[target.id] = channel
            self.channels[channel.id] = channel
        return channel

    def dms_to(self, user: FakeUser | FakeMember) -> list[FakeMessage]:
        """Messages the bot sent this person by DM, oldest first."""
        channel = self._dm_channels.get(user.user.id)
        return [] if channel is None else channel.bot_messages

    def attachment(
        self, filename: str, data: bytes | str, *, content_type: str | None = None
    ) -> FakeAttachment:
        """A file a person uploads (for attachment options or `say(attachments=...)`)."""
        raw = data.encode() if isinstance(data, str) else data
        att = FakeAttachment(self.ids.next(), filename, raw, content_type)
        att.url = f"{self.base_url}/attachments/{att.id}/{filename}"
        self.attachments[att.id] = att
        return att

    @property
    def commands(self) -> list[FakeCommand]:
        """Every command the bot registered: global first, then per guild."""
        found = list(self.global_commands.values())
        for per_guild in self.guild_commands.values():
            found += per_guild.values()
        return found

    def command(self, name: str, *, guild: FakeGuild | None = None, type: int = 1) -> FakeCommand:
        if guild is not None:
            found = self.guild_commands.get(guild.id, {}).get((name, type))
            if found is not None:
                return found
        found = self.global_commands.get((name, type))
        if found is None:
            raise LookupError(f"the bot registered no command {name!r}; it has {self._names()}")
        return found

    def enable_intents(
        self, *, members: bool = False, presences: bool = False, message_content: bool = False
    ) -> None:
        """Tick the privileged intents in the (fake) developer portal."""
        for name, on in (
            ("members", members),
            ("presences", presences),
            ("message_content", message_content),
        ):
            if on:
                self.privileged_intents.add(name)

    def enable_user_install(self) -> None:
        """Tick "User Install" in the (fake) Developer Portal: commands registered from now
        on without `integration_types` become installable to people's accounts too."""
        self.install_types.add(1)

    @property
    def app_flags(self) -> int:
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        if "presences" in self.privileged_intents:
            flags |= 1 << 13
        if "members" in self.privileged_intents:
            flags |= 1 << 15
        if "message_content" in self.privileged_intents:
            flags |= 1 << 19
        return flags

    # ==================================================================== waiting

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def until(
        self,
        predicate: Callable[[], bool | Awaitable[bool]],
        *,
        timeout: float = 2.0,
        what: str = "a condition",
    ) -> None:
        """Wait until `predicate()` holds: re-checked on every emulator change, and every
        20 ms for conditions on the bot's own state (its database, its cache). An async
        predicate is awaited (`lambda: has_row(db)`), for a question the bot's database
        answers."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout

        async def holds() -> bool:
            result = predicate()
            return bool(await result if inspect.isawaitable(result) else result)

        while not await holds():
            remaining = end - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, timeout=min(remaining, 0.02))

    async def sync(self, timeout: float = 2.0) -> None:
        """Wait until the bot has read every gateway event queued so far (threads that went
        idle are archived first, so their THREAD_UPDATE is among them)."""
        self.archive_idle_threads()
        await self.gateway.sync(timeout=timeout)

    async def wait_for_message(
        self,
        channel: FakeChannel | FakeUser | FakeMember,
        predicate: Callable[[FakeMessage], bool] | None = None,
        *,
        timeout: float = 2.0,
        author: FakeUser | None = None,
    ) -> FakeMessage:
        """The next message by the bot (or `author`) in `channel` — or in a person's DMs —
        that matches `predicate` and that no earlier wait_for_message returned."""
        if not isinstance(channel, FakeChannel):
            channel = self.dm_channel_for(channel)
        chan = channel
        who = author or self.bot_user
        found: list[FakeMessage] = []

        def check() -> bool:
            for m in chan.visible_messages:
                if m.id in chan._consumed or m.author is not who:
                    continue
                if predicate is None or predicate(m):
                    found.append(m)
                    return True
            return False

        await self.until(check, timeout=timeout, what=f"a message from {who.name} in {chan!r}")
        chan._consumed.add(found[0].id)
        return found[0]

    async def wait_for_dm(
        self,
        user: FakeUser | FakeMember,
        predicate: Callable[[FakeMessage], bool] | None = None,
        *,
        timeout: float = 2.0,
    ) -> FakeMessage:
        return await self.wait_for_message(user, predicate, timeout=timeout)

    def pings(self) -> list[tuple[FakeMessage, Pings]]:
        """Every notification the bot caused: (message, who it pinged), in order."""
        return list(self.ping_log)

    # =============================================================== gateway control

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Send any raw gateway dispatch to connected bots (filtered by their intents)."""
        self.gateway.dispatch(event, data)
        self._notify()

    def _emit(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild: FakeGuild | None = None,
        force: bool = False,
        about_bot: bool = False,
    ) -> None:
        if guild is not None and not guild.bot_present and not force:
            return  # the bot is not in that guild: it hears nothing from it
        self.gateway.dispatch(event, data, guild=guild, about_bot=about_bot)
        self._notify()

    async def drop_gateway(self, *, timeout: float = 2.0) -> None:
        """Cut the connection like a network blip; returns once the bot has RESUMEd."""
        before = self.gateway.resumes
        await self.gateway.drop(4000)
        await self.until(
            lambda: self.gateway.resumes > before and self.gateway.connected(),
            timeout=timeout,
            what="the bot to resume",
        )
        await self.sync()

    @contextlib.asynccontextmanager
    async def gateway_outage(self, *, timeout: float = 2.0) -> AsyncIterator[None]:
        """Inside the block the bot is disconnected and cannot reconnect; events queue up.
        On exit it reconnects, RESUMEs and gets the missed events replayed."""
        before = self.gateway.resumes
        self.gateway.hold()
        await self.gateway.drop(4000)
        try:
            yield
        finally:
            self.gateway.release()
        await self.until(
            lambda: self.gateway.resumes > before and self.gateway.connected(),
            timeout=timeout,
            what="the bot to resume after the outage",
        )
        await self.sync()

    async def request_reconnect(self, *, timeout: float = 2.0) -> None:
        """Send op 7 RECONNECT; returns once the bot has RESUMEd."""
        before = self.gateway.resumes
        await self.gateway.send_op(7)
        await self.until(
            lambda: self.gateway.resumes > before and self.gateway.connected(),
            timeout=timeout,
            what="the bot to resume after op 7",
        )
        await self.sync()

    async def invalidate_session(self, *, timeout: float = 2.0) -> None:
        """Send op 9 (not resumable); returns once the bot has IDENTIFYed again and is ready."""
        before = self.gateway.readies
        self.gateway.invalidate()
        await self.gateway.send_op(9, False)
        await self.until(
            lambda: self.gateway.readies > before and self.gateway.connected(),
            timeout=timeout,
            what="the bot to identify again",
        )
        await self.sync()

    # ====================================================================== faults

    def fail(
        self,
        route: str,
        *,
        times: int = 1,
        status: int = 502,
        code: int | None = None,
        retry_after: float = 0.05,
        is_global: bool = False,
        hang: float | None = None,
        drop: bool = False,
        applied: bool = True,
    ) -> Fault:
        """Make the next `times` requests to `route` fail: `fail("POST
        /channels/{channel_id}/messages", status=429)`; "POST *" or "*" match more.

        `hang=2.0` answers only after two (real) seconds; `drop=True` closes the connection
        without an answer. With either, `applied` says whether the request still took
        effect on "Discord" (a message made whose answer never arrived)."""
        fault = Fault(
            route,
            times,
            status,
            code,
            retry_after,
            is_global,
            hang=hang,
            drop=drop,
            applied=applied,
        )
        self.faults.append(fault)
        return fault

    def fail_429(
        self,
        route: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        scope: str = "user",
        via: bool = True,
    ) -> Fault:
        """The next `times` requests to `route` get a 429: `scope="shared"` (a per-resource
        limit, not counted as invalid), `scope="global"`, or `via=False` (no Via header: a
        Cloudflare ban to discord.py, which raises instead of retrying)."""
        fault = Fault(route, times, 429, None, retry_after, scope == "global", scope=scope, via=via)
        self.faults.append(fault)
        return fault

    def expect_errors(self, *codes: int) -> None:
        """Declare error codes (Discord's JSON code, e.g. 50007, or an HTTP status) that
        this test provokes on purpose, so the fixture does not fail the test for them.
        Requests refused by an invalid-request ban carry code 1015."""
        self.expected_codes.update(codes)

    def unexpected_errors(self) -> list[RequestRecord]:
        return [
            r
            for r in self.requests
            if 400 <= r.status < 500
            and (r.status != 429 or r.code == BANNED)  # a ban is never a routine 429
            and not r.expected
            and r.code not in self.expected_codes
            and r.status not in self.expected_codes
        ]

    def errors(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.status >= 400]

    # ============================================================ interactions (core)

    def _names(self) -> list[str]:
        return sorted({c.name for c in self.commands})

    def _lookup(self, name: str, kind: int, guild: FakeGuild | None) -> FakeCommand | None:
        if guild is not None:
            found = self.guild_commands.get(guild.id, {}).get((name, kind))
            if found is not None:
                return found
        return self.global_commands.get((name, kind))

    def _check_usable(
        self,
        cmd: FakeCommand,
        guild: FakeGuild | None,
        member: FakeMember | None,
        *,
        user_install: bool = False,
    ) -> None:
        contexts = cmd.contexts or [0, 1, 2]
        if user_install:
            # Someone who added the app to their account, using it anywhere: only commands
            # registered as user-installable show up there.
            if 1 not in cmd.integration_types:
                raise NotPermitted(f"/{cmd.name} is not installable to a user's account")
            if (0 if guild is not None else 1) not in contexts:
                raise NotPermitted(f"/{cmd.name} cannot be used in that context")
            return
        if 0 not in cmd.integration_types:
            raise NotPermitted(f"/{cmd.name} is only installable to users' accounts")
        if guild is None and 1 not in contexts:
            raise NotPermitted(f"/{cmd.name} cannot be used in DMs")
        if guild is not None:
            if 0 not in contexts:
                raise NotPermitted(f"/{cmd.name} cannot be used in servers")
            if not guild.bot_present:
                raise NotPermitted(f"the bot is not in {guild.name}")
            needed = cmd.default_member_permissions
            if needed is not None and member is not None:
                have = member.permissions()
                if not have & perm.ADMINISTRATOR and (needed == 0 or have & needed != needed):
                    raise NotPermitted(
                        f"{member.name} lacks {perm.names(needed) or ['administrator']} "
                        f"needed to see /{cmd.name}"
                    )

    def _resolve_command(
        self,
        command: str,
        guild: FakeGuild | None,
        member: FakeMember | None,
        channel: FakeChannel,
        *,
        user_install: bool = False,
    ) -> tuple[FakeCommand, list[tuple[str, int]], list[dict[str, Any]]]:
        parts = command.strip().lstrip("/").split()
        cmd = self._lookup(parts[0], 1, guild) if parts else None
        if cmd is None:
            raise LookupError(f"no slash command /{command}; the bot registered {self._names()}")
        self._check_usable(cmd, guild, member, user_install=user_install)
        options = cmd.options
        path: list[tuple[str, int]] = []
        for part in parts[1:]:
            sub = next((o for o in options if o.get("type") in (1, 2) and o["name"] == part), None)
            if sub is None:
                subs = [o["name"] for o in options if o.get("type") in (1, 2)]
                raise LookupError(f"/{cmd.name} has no subcommand {part!r}; it has {subs}")
            path.append((part, int(sub["type"])))
            options = sub.get("options") or []
        subs = [o["name"] for o in options if o.get("type") in (1, 2)]
        if subs:
            raise LookupError(f"/{command} needs a subcommand: one of {subs}")
        return cmd, path, options

    def _resolve_context_command(
        self,
        name: str,
        kind: int,
        guild: FakeGuild | None,
        member: FakeMember | None,
        channel: FakeChannel,
        *,
        user_install: bool = False,
    ) -> FakeCommand:
        cmd = self._lookup(name, kind, guild)
        if cmd is None:
            what = "user" if kind == 2 else "message"
            raise LookupError(f"no {what} command {name!r}; the bot registered {self._names()}")
        self._check_usable(cmd, guild, member, user_install=user_install)
        return cmd

    def _command_data(
        self,
        cmd: FakeCommand,
        path: list[tuple[str, int]],
        options: list[dict[str, Any]],
        resolved: ResolvedSet,
    ) -> dict[str, Any]:
        nested = options
        for name, kind in reversed(path):
            nested = [{"name": name, "type": kind, "options": nested}]
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 1}
        if nested:
            data["options"] = nested
        if resolved.payload():
            data["resolved"] = resolved.payload()
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return data

    def _build_options(
        self,
        definitions: list[dict[str, Any]],
        given: dict[str, Any],
        guild: FakeGuild | None,
        channel: FakeChannel,
        *,
        focused: str | None,
        member: FakeMember | None = None,
    ) -> tuple[list[dict[str, Any]], ResolvedSet]:
        by_name = {o["name"]: o for o in definitions}
        for key in given:
            if key not in by_name:
                raise TypeError(f"no option {key!r}; options are {list(by_name)}")
        resolved = ResolvedSet()
        built: list[dict[str, Any]] = []
        for definition in definitions:
            name = definition["name"]
            if name not in given or given[name] is None:
                if definition.get("required") and focused is None:
                    raise TypeError(f"option {name!r} is required")
                continue
            value = given[name]
            entry: dict[str, Any] = {"name": name, "type": definition["type"]}
            if name == focused:
                entry.update(value=str(value), focused=True)
            else:
                entry["value"] = self._option_value(
                    definition, value, resolved, guild, channel, member
                )
            built.append(entry)
        return built, resolved

    def _option_value(
        self,
        d: dict[str, Any],
        value: Any,
        resolved: ResolvedSet,
        guild: FakeGuild | None,
        channel: FakeChannel,
        member: FakeMember | None,
    ) -> Any:
        kind = d["type"]
        name = d["name"]
        if kind in (3, 4, 10):
            if kind == 3:
                value = str(value)
            elif kind == 4:
                if isinstance(value, bool) or int(value) != value:
                    raise TypeError(f"option {name!r} takes an integer")
                value = int(value)
            else:
                value = float(value)
            choices = d.get("choices")
            if choices:
                match = next(
                    (c["value"] for c in choices if value in (c["value"], c["name"])), None
                )
                if match is None:
                    raise ValueError(
                        f"{value!r} is not a choice of {name!r}: {[c['name'] for c in choices]}"
                    )
                value = match
            if kind == 3:
                low, high = d.get("min_length", 0), d.get("max_length", 6000)
                if not low <= len(value) <= high:
                    raise ValueError(f"option {name!r} takes {low}–{high} characters")
            else:
                low, high = d.get("min_value"), d.get("max_value")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise ValueError(f"option {name!r} must be between {low} and {high}")
            return value
        if kind == 5:
            return bool(value)
        if kind in (6, 9) and isinstance(value, FakeUser | FakeMember):
            self._resolve_user(value.user, resolved, guild, channel)
            return str(value.id)
        if kind in (8, 9) and isinstance(value, FakeRole):
            resolved.roles[str(value.id)] = value.payload()
            return str(value.id)
        if kind == 7 and isinstance(value, FakeChannel):
            allowed = d.get("channel_types")
            if allowed and value.type not in allowed:
                raise ValueError(f"option {name!r} takes channel types {allowed}")
            payload = value.payload(for_member=member if value.guild is not None else None)
            payload.setdefault("permissions", str(perm.DM_PERMISSIONS))
            resolved.channels[str(value.id)] = payload
            return str(value.id)
        if kind == 11:
            if isinstance(value, tuple):
                value = self.attachment(value[0], value[1])
            if isinstance(value, FakeAttachment):
                resolved.attachments[str(value.id)] = value.payload()
                return str(value.id)
        raise TypeError(f"option {name!r} (type {kind}) cannot take {value!r}")

    def _resolve_user(
        self, user: FakeUser, resolved: ResolvedSet, guild: FakeGuild | None, channel: FakeChannel
    ) -> None:
        resolved.users[str(user.id)] = user.payload()
        member = guild.members.get(user.id) if guild is not None else None
        if member is not None:
            resolved.members[str(user.id)] = member.payload(with_user=False, channel=channel)

    def _select_values(
        self,
        menu: dict[str, Any],
        values: list[Any],
        guild: FakeGuild | None,
        channel: FakeChannel,
    ) -> dict[str, Any]:
        low = menu.get("min_values", 1)
        high = menu.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"this select takes {low}–{high} values, got {len(values)}")
        kind = menu["type"]
        if kind == 3:
            options = menu.get("options") or []
            picked = []
            for v in values:
                match = next((o["value"] for o in options if v in (o["value"], o["label"])), None)
                if match is None:
                    raise ValueError(f"{v!r} is not an option: {[o['label'] for o in options]}")
                picked.append(match)
            return {"values": picked}
        resolved = ResolvedSet()
        ids = []
        for v in values:
            if isinstance(v, FakeUser | FakeMember) and kind in (5, 7):
                self._resolve_user(v.user, resolved, guild, channel)
            elif isinstance(v, FakeRole) and kind in (6, 7):
                resolved.roles[str(v.id)] = v.payload()
            elif isinstance(v, FakeChannel) and kind == 8:
                payload = v.payload()
                payload["permissions"] = str(perm.ALL)
                resolved.channels[str(v.id)] = payload
            else:
                raise TypeError(f"select type {kind} cannot take {v!r}")
            ids.append(str(v.id))
        return {"values": ids, "resolved": resolved.payload()}

    def _modal_component(self, f: TextInputField, value: Any) -> dict[str, Any]:
        if f.kind == 4:
            text = "" if value is None else str(value)
            if f.required and not text:
                raise ValueError(f"modal field {f.label or f.custom_id!r} is required")
            if text:
                if f.min_length is not None and len(text) < f.min_length:
                    raise ValueError(f"{f.label!r} needs at least {f.min_length} characters")
                if len(text) > (f.max_length or 4000):
                    raise ValueError(f"{f.label!r} takes at most {f.max_length or 4000} characters")
            return {"type": 4, "custom_id": f.custom_id, "value": text}
        picked = list(value or [])
        if f.kind == 3:
            picked = [
                next((o["value"] for o in f.options if v in (o["value"], o["label"])), v)
                for v in picked
            ]
        else:
            picked = [str(getattr(v, "id", v)) for v in picked]
        return {"type": f.kind, "custom_id": f.custom_id, "values": picked}

    async def _interact(
        self,
        itype: int,
        user: FakeUser,
        member: FakeMember | None,
        guild: FakeGuild | None,
        channel: FakeChannel,
        data: dict[str, Any],
        *,
        message: FakeMessage | None = None,
        name: str | None = None,
        command_type: int | None = None,
        opened_by: FakeInteraction | None = None,
        timeout: float | None = None,
        user_install: bool = False,
    ) -> InteractionResult:
        if guild is not None and not guild.bot_present and not user_install:
            raise NotPermitted(f"the bot is not in {guild.name}")
        if not self.gateway.live_sessions():
            raise RuntimeError("no bot is connected to the fake gateway")
        self._enter_thread(channel, member, speaking=False)
        loop = asyncio.get_running_loop()
        interaction = FakeInteraction(
            fake=self,
            id=self.ids.next(),
            token=new_token(),
            type=itype,
            data=data,
            user=user,
            member=member,
            guild=guild,
            channel=channel,
            created_at=self.clock.now(),
            created_real=loop.time(),
            message=message,
            name=name,
            command_type=command_type,
            opened_by=opened_by,
            user_install=user_install,
        )
        self.interactions[interaction.id] = interaction
        self.interactions_by_token[interaction.token] = interaction
        self._emit("INTERACTION_CREATE", self._interaction_payload(interaction))
        await self._await_response(interaction, timeout or self.response_timeout)
        return InteractionResult(interaction)

    async def _await_response(self, interaction: FakeInteraction, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not interaction.answered.is_set():
            remaining = end - loop.time()
            if remaining <= 0:
                return
            if interaction.rejections:
                # The bot's answer was refused; give it a moment to answer differently
                # (its error handler usually does), then report.
                remaining = min(remaining, self.rejection_grace)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(interaction.answered.wait(), timeout=remaining)
                return
            interaction.attempted.clear()
            waits = [
                asyncio.ensure_future(interaction.answered.wait()),
                asyncio.ensure_future(interaction.attempted.wait()),
            ]
            await asyncio.wait(waits, timeout=remaining, return_when="FIRST_COMPLETED")
            for w in waits:
                w.cancel()

    def _interaction_payload(self, i: FakeInteraction) -> dict[str, Any]:
        channel = i.channel
        data: dict[str, Any] = {
            "id": str(i.id),
            "application_id": str(self.app_id),
            "type": i.type,
            "data": i.data,
            "token": i.token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": channel.payload(for_member=i.member),
            "app_permissions": str(channel.bot_permissions()),
            "locale": i.user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": i.owners(),
            "context": 0 if i.guild is not None else 1,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if i.guild is not None:
            assert i.member is not None
            data["guild_id"] = str(i.guild.id)
            data["guild"] = {
                "id": str(i.guild.id),
                "locale": i.guild.preferred_locale,
                "features": [],
            }
            data["guild_locale"] = i.guild.preferred_locale
            data["member"] = i.member.payload(channel=channel)
        else:
            data["user"] = i.user.payload()
        if i.message is not None:
            data["message"] = i.message.payload()
        return data

    # ================================================================ people's acts

    def _user_message(
        self,
        user: FakeUser,
        channel: FakeChannel,
        content: str,
        *,
        reply_to: FakeMessage | None = None,
        embeds: list[dict[str, Any]] | None = None,
        attachments: list[FakeAttachment] | None = None,
    ) -> FakeMessage:
        if channel.deleted:
            raise NotPermitted(f"{channel!r} was deleted")
        guild = channel.guild
        member = guild.members.get(user.id) if guild is not None else None
        self._enter_thread(channel, member, speaking=True)
        msg = FakeMessage(
            id=self.ids.next(),
            channel=channel,
            author=user,
            content=content,
            embeds=list(embeds or []),
            attachments=list(attachments or []),
            type=19 if reply_to is not None else 0,
        )
        if reply_to is not None:
            msg.reference = _reference(reply_to)
            msg.referenced = reply_to
        msg.pinged = self._pings_for(msg, None, member)
        self._store(msg)
        self._emit("MESSAGE_CREATE", msg.payload(), guild=guild)
        return msg

    def _enter_thread(
        self, channel: FakeChannel, member: FakeMember | None, *, speaking: bool
    ) -> None:
        """A person acts in a thread: activity in an archived one unarchives it, unless it
        is locked and they can't manage threads; a locked thread takes messages only from
        moderators (buttons and commands still reach the bot, which answers by its rules)."""
        if not channel.is_thread or member is None:
            return
        moderator = bool(member.permissions_in(channel) & perm.MANAGE_THREADS)
        if channel.archived:
            if channel.locked and not moderator:
                raise NotPermitted(f"{channel!r} is archived and locked: only moderators reopen it")
            channel.unarchive()
        elif channel.locked and speaking and not moderator:
            raise NotPermitted(f"{channel!r} is locked: only moderators can talk in it")

    def _pings_for(
        self, msg: FakeMessage, allowed: dict[str, Any] | None, member: FakeMember | None
    ) -> Pings:
        channel = msg.channel
        guild = channel.guild
        if guild is None:
            everyone_ok = False
            known_users: set[int] | None = {
                self.bot_user.id,
                *([channel.recipient.id] if channel.recipient else []),
            }
            roles: set[int] | None = set()
            mentionable: set[int] = set()
        else:
            everyone_ok = bool(member and member.permissions_in(channel) & perm.MENTION_EVERYONE)
            known_users = set(guild.members)
            roles = {r.id for r in guild.roles[1:]}
            mentionable = {r.id for r in guild.roles if r.mentionable}
        replied = msg.referenced.author.id if msg.referenced is not None else None
        text = msg.content
        if msg.flags & IS_COMPONENTS_V2:  # mentions live in the text displays then
            text = "\n".join(
                c.get("content") or ""
                for c in walk_components(msg.components)
                if c.get("type") == 10
            )
        return compute(
            text,
            allowed,
            replied_user=replied,
            can_mention_everyone=everyone_ok,
            mentionable_roles=mentionable,
            known_users=known_users,
            known_roles=roles,
        )

    def _store(self, msg: FakeMessage) -> None:
        if msg.channel.is_thread and not msg.ephemeral:
            msg.channel.touch()
        msg.channel.messages.append(msg)
        self.messages[msg.id] = msg
        self._notify()

    def _user_reaction(self, user: FakeUser, message: FakeMessage, emoji: str) -> None:
        message.reactions.setdefault(emoji, set()).add(user.id)
        guild = message.channel.guild
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(message.channel.id),
            "message_id": str(message.id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
            "message_author_id": str(message.author.id),
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
            member = guild.members.get(user.id)
            if member is not None:
                data["member"] = member.payload()
        self._emit("MESSAGE_REACTION_ADD", data, guild=guild)

    def _delete_message(self, message: FakeMessage) -> None:
        message.deleted = True
        if message.ephemeral:
            self._notify()
            return
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel.id)}
        guild = message.channel.guild
        if guild is not None:
            data["guild_id"] = str(guild.id)
        self._emit("MESSAGE_DELETE", data, guild=guild)

    def _new_thread(
        self,
        parent: FakeChannel,
        name: str,
        *,
        kind: int,
        owner_id: int,
        starter: FakeMessage | None,
    ) -> FakeChannel:
        assert kind in THREAD_TYPES
        assert parent.guild is not None
        # A thread started from a message shares the message's id, as on Discord; so does
        # a forum post's first message (made after the thread, with that id).
        thread_id = starter.id if starter is not None else self.ids.next()
        thread = FakeChannel(self, thread_id, kind, name, guild=parent.guild, parent=parent)
        thread.owner_id = owner_id
        thread.starter_message = starter
        if starter is not None:
            starter.thread = thread
        parent.guild.channels.append(thread)
        self.channels[thread.id] = thread
        return thread


def _reference(message: FakeMessage) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "type": 0,
        "message_id": str(message.id),
        "channel_id": str(message.channel.id),
        "fail_if_not_exists": False,
    }
    if message.channel.guild is not None:
        ref["guild_id"] = str(message.channel.guild.id)
    return ref


def _make_token(bot_id: int) -> str:
    """Three base64url parts, like a real bot token (and bot.config's shape check)."""
    first = base64.urlsafe_b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{first}.{secrets.token_urlsafe(5)[:6]}.{secrets.token_urlsafe(27)}"


def _hears(client: discord.Client, guild_id: int) -> bool:
    """Whether the shards this client runs hear a guild (a plain client hears all)."""
    if not isinstance(client, discord.AutoShardedClient) or not client.shard_count:
        return True
    shard_id = (guild_id >> 22) % client.shard_count
    return shard_id in (client.shard_ids or range(client.shard_count))


def websockets_of(client: discord.Client) -> list[Any]:
    """The gateway connections of a client: one, or one per shard it runs."""
    if isinstance(client, discord.AutoShardedClient):
        found = []
        for shard_id in client.shards:
            # Private: a shard's websocket has no public accessor (ShardInfo hides it).
            with contextlib.suppress(KeyError):
                found.append(client._get_websocket(shard_id=shard_id))
        return found
    return [client.ws] if client.ws is not None else []


def fast_startup(client: discord.Client, guild_ready_timeout: float = 0.02) -> None:
    """No 5 s sleep before a re-IDENTIFY and a short wait for GUILD_CREATEs after READY."""

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = no_wait  # type: ignore[method-assign]
    client._connection.guild_ready_timeout = min(
        client._connection.guild_ready_timeout, guild_ready_timeout
    )


__all__ = ["DiscordError", "FakeDiscord", "Fault", "RequestRecord", "Stats", "fast_startup"]
