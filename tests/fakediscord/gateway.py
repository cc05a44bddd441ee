"""The gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME with replay,
op 7 reconnect, op 9 invalid session, and every dispatch filtered by the session's intents.

Each session keeps its whole event log, so a RESUME replays whatever the client missed.
Frames go out as uncompressed text; discord.py accepts that even when it asked for
zlib/zstd transport compression.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from ._util import dumps

if TYPE_CHECKING:
    from .models import FakeGuild
    from .server import FakeDiscord

HEARTBEAT_INTERVAL_MS = 41250

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = {
    "members": GUILD_MEMBERS,
    "presences": GUILD_PRESENCES,
    "message_content": MESSAGE_CONTENT,
}

_GUILD_EVENTS = {
    "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE",
    "GUILD_ROLE_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE",
    "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC",
    "THREAD_MEMBER_UPDATE", "CHANNEL_PINS_UPDATE",
}  # fmt: skip
_MEMBER_EVENTS = {
    "GUILD_MEMBER_ADD",
    "GUILD_MEMBER_UPDATE",
    "GUILD_MEMBER_REMOVE",
    "THREAD_MEMBERS_UPDATE",
}
_MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
_REACTION_EVENTS = {"MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"}
# Events whose own `id` is the guild's (the rest name it as `guild_id`).
_GUILD_ITSELF = {"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"}

# Discord closes a connection that would hold more servers than this (4011, "Sharding
# required"); it recommends a shard per 1,000 servers in GET /gateway/bot.
MAX_GUILDS_PER_SHARD = 2500
GUILDS_PER_RECOMMENDED_SHARD = 1000


def shard_of(guild_id: int, count: int) -> int:
    """Discord's rule: which shard hears a guild."""
    return (guild_id >> 22) % count


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    shard: list[int] | None
    log: list[str] = field(default_factory=list)  # frame n has sequence n + 1
    conn: Connection | None = None
    valid: bool = True

    @property
    def seq(self) -> int:
        return len(self.log)

    def hears(self, guild_id: int | None) -> bool:
        """Whether this session gets a guild's events (DMs: shard 0 only)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, count) == shard_id


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    session: Session | None = None
    sent: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.Task[None] | None = None
    heartbeat_waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    ping_outstanding: bool = False
    dead: bool = False
    closed_by_server: bool = False


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identifies = 0
        self.identified_shards: list[list[int] | None] = []  # as each IDENTIFY asked
        self.identified_at: list[float] = []  # when each arrived (time.monotonic())
        self.resumes = 0
        self.readies = 0
        self.commands_received: list[dict[str, Any]] = []
        self._hold: asyncio.Event = asyncio.Event()
        self._hold.set()
        self._changed = asyncio.Event()

    # -- state for tests -----------------------------------------------------------------

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.valid]

    def connected(self) -> bool:
        return any(c.session is not None and not c.dead for c in self.connections)

    def held(self) -> bool:
        return not self._hold.is_set()

    async def wait_for(self, predicate: Any, timeout: float, what: str) -> None:
        await self.fake.until(predicate, timeout=timeout, what=what)

    # -- dispatching ---------------------------------------------------------------------

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild: FakeGuild | None = None,
        about_bot: bool = False,
        sessions: list[Session] | None = None,
    ) -> None:
        for session in sessions if sessions is not None else self.live_sessions():
            payload = self._filter(session, event, data, guild=guild, about_bot=about_bot)
            if payload is None:
                continue
            self._append(session, event, payload)

    def _append(self, session: Session, event: str, payload: dict[str, Any]) -> None:
        seq = session.seq + 1
        session.log.append(dumps({"op": 0, "t": event, "s": seq, "d": payload}))
        if session.conn is not None:
            session.conn.wake.set()

    def _filter(
        self,
        session: Session,
        event: str,
        data: dict[str, Any],
        *,
        guild: FakeGuild | None,
        about_bot: bool,
    ) -> dict[str, Any] | None:
        if not session.hears(self._guild_id(event, data, guild)):
            return None  # another shard's guild (or a DM, which only shard 0 hears)
        intents = session.intents
        if event in _GUILD_EVENTS and not intents & GUILDS:
            return None
        if event in _MEMBER_EVENTS and not (intents & GUILD_MEMBERS or about_bot):
            return None
        in_guild = guild is not None or "guild_id" in data
        if event in _MESSAGE_EVENTS:
            if not intents & (GUILD_MESSAGES if in_guild else DIRECT_MESSAGES):
                return None
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and in_guild:
                return self._without_content(session, data)
        if event in _REACTION_EVENTS and not intents & (
            GUILD_MESSAGE_REACTIONS if in_guild else DIRECT_MESSAGE_REACTIONS
        ):
            return None
        return data

    @staticmethod
    def _guild_id(event: str, data: dict[str, Any], guild: FakeGuild | None) -> int | None:
        if guild is not None:
            return guild.id
        raw = data.get("id") if event in _GUILD_ITSELF else data.get("guild_id")
        return int(raw) if raw is not None else None

    def _without_content(self, session: Session, data: dict[str, Any]) -> dict[str, Any]:
        """Without the message-content intent, guild messages arrive empty unless they
        are the bot's own or mention it."""
        if session.intents & MESSAGE_CONTENT:
            return data
        bot_id = str(self.fake.bot_user.id)
        author = (data.get("author") or {}).get("id")
        mentioned = any(m.get("id") == bot_id for m in data.get("mentions") or [])
        if author == bot_id or mentioned:
            return data
        stripped = copy.copy(data)
        stripped.update(content="", embeds=[], attachments=[], components=[])
        stripped.pop("poll", None)
        return stripped

    # -- sync ----------------------------------------------------------------------------

    async def sync(self, timeout: float = 2.0) -> None:
        """Wait until every connected client has read every event queued so far.

        For clients started with `fake.start_bot` we watch their sequence number (discord.py
        sets it and parses the event without yielding in between). For any other client we
        ask for a heartbeat behind the last frame; discord.py answers in order — but those
        answers count toward its 120-per-minute gateway send limit."""
        waits: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()
        for conn in list(self.connections):
            session = conn.session
            if session is None or conn.dead:
                continue
            target = session.seq
            client = self.fake._client_for(session.id)
            if client is not None:
                waits.append(asyncio.ensure_future(self._read_up_to(client, session, target)))
                continue
            fut: asyncio.Future[None] = loop.create_future()
            conn.heartbeat_waiters.append((target, fut))
            waits.append(fut)
            conn.wake.set()  # the writer sends op 1 once the log is flushed
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=timeout)
            for f in pending:
                f.cancel()
        # Let listener tasks that the dispatch created take their first steps.
        for _ in range(3):
            await asyncio.sleep(0)

    @staticmethod
    async def _read_up_to(client: Any, session: Session, target: int) -> None:
        from .server import websockets_of

        spins = 0
        while session.conn is not None:  # disconnected: it gets them on RESUME instead
            for ws in websockets_of(client):
                if ws.session_id == session.id and (ws.sequence or 0) >= target:
                    return
            spins += 1
            await asyncio.sleep(0 if spins < 50 else 0.001)

    # -- faults --------------------------------------------------------------------------

    async def drop(self, code: int = 4000) -> None:
        """Close every connection as a network drop would; sessions stay resumable."""
        for conn in list(self.connections):
            await self._close(conn, code)

    def hold(self) -> None:
        self._hold.clear()

    def release(self) -> None:
        self._hold.set()

    async def send_op(self, op: int, d: Any = None) -> None:
        for conn in list(self.connections):
            if conn.session is not None and not conn.dead:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await conn.ws.send_str(dumps({"op": op, "d": d}))

    def invalidate(self) -> None:
        for session in self.sessions.values():
            session.valid = False

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await self._close(conn, 1001)

    async def _close(self, conn: Connection, code: int) -> None:
        conn.dead = True
        conn.closed_by_server = True
        if conn.session is not None and conn.session.conn is conn:
            conn.session.conn = None
        if conn.writer is not None:
            conn.writer.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.ws.close(code=code), timeout=0.5)

    # -- the websocket -------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await self._hold.wait()
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws)
        self.connections.add(conn)
        try:
            await ws.send_str(dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                await self._on_frame(conn, json.loads(msg.data))
                if conn.dead:
                    break
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            conn.dead = True
            self.connections.discard(conn)
            if conn.writer is not None:
                conn.writer.cancel()
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                # A client that closes normally (1000/1001) ends its session, as on Discord.
                if ws.close_code in (1000, 1001) and not conn.closed_by_server:
                    session.valid = False
            for _, fut in conn.heartbeat_waiters:
                if not fut.done():
                    fut.cancel()
            self.fake._notify()
        return ws

    async def _on_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        d = frame.get("d")
        if op == 1:
            await conn.ws.send_str(dumps({"op": 11}))
            conn.ping_outstanding = False
            seq = d if isinstance(d, int) else 0
            for target, fut in list(conn.heartbeat_waiters):
                if seq >= target or fut.done():
                    if not fut.done():
                        fut.set_result(None)
                    conn.heartbeat_waiters.remove((target, fut))
            if conn.heartbeat_waiters:
                conn.wake.set()  # newer events arrived since that ping; ask again
        elif op == 2:
            await self._identify(conn, d or {})
        elif op == 6:
            await self._resume(conn, d or {})
        elif op == 8:
            self._request_members(conn, d or {})
        else:
            self.commands_received.append(frame)

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        self.identifies += 1
        if d.get("token") != self.fake.token:
            await self._close(conn, 4004)  # Authentication failed
            return
        intents = int(d.get("intents") or 0)
        for name, bit in PRIVILEGED.items():
            if intents & bit and name not in self.fake.privileged_intents:
                await self._close(conn, 4014)  # Disallowed intent(s)
                return
        shard = d.get("shard")
        self.identified_shards.append(shard)
        self.identified_at.append(time.monotonic())
        if shard is not None and not _valid_shard(shard):
            await self._close(conn, 4010)  # Invalid shard
            return
        fake = self.fake
        session = Session(secrets.token_hex(16), intents, shard)
        guilds = [g for g in fake.guilds.values() if g.bot_present and session.hears(g.id)]
        if len(guilds) > MAX_GUILDS_PER_SHARD:
            await self._close(conn, 4011)  # Sharding required
            return
        fake.session_starts_used += 1
        self.sessions[session.id] = session
        self._attach(conn, session, sent=0)
        ready: dict[str, Any] = {
            "v": 10,
            "user": {
                **fake.bot_user.payload(),
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
                "email": None,
            },
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.app_id), "flags": fake.app_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth": {},
            "_trace": ["fakediscord"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        self._append(session, "READY", ready)
        self.readies += 1
        members = bool(intents & GUILD_MEMBERS)
        for g in guilds:
            if intents & GUILDS:
                self._append(
                    session, "GUILD_CREATE", g.create_payload(members_intent=members, joining=False)
                )
        fake._notify()

    def shards_connected(self) -> list[list[int] | None]:
        """The shard of every live, connected session (None: unsharded), in order."""
        found = [s.shard for s in self.live_sessions() if s.conn is not None and not s.conn.dead]
        return sorted(found, key=lambda shard: shard or [0, 1])

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> None:
        session = self.sessions.get(str(d.get("session_id")))
        if session is None or not session.valid or d.get("token") != self.fake.token:
            await conn.ws.send_str(dumps({"op": 9, "d": False}))
            return
        old = session.conn
        if old is not None and old is not conn:
            await self._close(old, 4000)
        seq = d.get("seq")
        sent = min(int(seq), session.seq) if isinstance(seq, int) else 0
        self._attach(conn, session, sent=sent)
        self._append(session, "RESUMED", {"_trace": ["fakediscord"]})
        self.resumes += 1
        self.fake._notify()

    def _request_members(self, conn: Connection, d: dict[str, Any]) -> None:
        session = conn.session
        guild = self.fake.guilds.get(int(d.get("guild_id") or 0))
        if session is None or guild is None:
            return
        members = [m.payload() for m in guild.members.values()]
        self._append(
            session,
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "nonce": d.get("nonce"),
            },
        )

    def _attach(self, conn: Connection, session: Session, *, sent: int) -> None:
        conn.session = session
        conn.sent = sent
        session.conn = conn
        conn.writer = asyncio.create_task(self._writer(conn))
        conn.wake.set()

    async def _writer(self, conn: Connection) -> None:
        session = conn.session
        assert session is not None
        try:
            while not conn.dead:
                await conn.wake.wait()
                conn.wake.clear()
                while conn.sent < session.seq and not conn.dead:
                    frame = session.log[conn.sent]
                    await conn.ws.send_str(frame)
                    conn.sent += 1
                if conn.heartbeat_waiters and not conn.ping_outstanding and not conn.dead:
                    # Everything queued is on the wire; ask for a heartbeat behind it.
                    conn.ping_outstanding = True
                    await conn.ws.send_str(dumps({"op": 1, "d": None}))
                self.fake._notify()
        except (ConnectionError, RuntimeError):
            conn.dead = True


def _valid_shard(shard: Any) -> bool:
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(n, int) for n in shard)
        and shard[1] >= 1
        and 0 <= shard[0] < shard[1]
    )
