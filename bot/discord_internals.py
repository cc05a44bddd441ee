"""discord.py's private API: the only module in `bot/` and `cogs/` that touches it.

discord.py has no public way to do what these do. Each patch says what it touches and why
it's needed. They were checked against discord.py `CHECKED_VERSION`'s source;
`tests/unit/test_discord_internals.py` fails loudly when the installed discord.py is any
other version, or a private name a patch relies on is gone. Then reread each patch against
the new source before moving `CHECKED_VERSION`.

1. `GatewayState` — the connection state (discord.py's sharded one, subclassed) reading
   every shard's gateway in turns, so thousands of servers arriving at once never stall
   the loop, and remembering what each shard's READY listed.
2. `StateClient._get_state` — the only way to give the client that state;
   `StateClient.shard_websocket` — a shard's connection, for its session's health.
3. `has_handler` — whether a click or modal will reach anything (the view store);
   `HearthViewStore` — a click on a dynamic item routed without rebuilding the message's
   whole view first; `LeanInteraction` — a click's message built only if something reads
   it.
4. `cog_app_commands` — a cog's own app commands, before the cog is added.
5. `StandInResponse` / `watch_answer` — an interaction's first answer given by Hearth
   when its handler is still working near Discord's 3 s deadline; `NoEchoAdapter` — that
   answer sent without asking Discord to send the message straight back.

Not here because it's public: Discord's global limit rides on discord.py's `http_trace`
option (`bot.app.rest_trace`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord.state import AutoShardedConnectionState, ConnectionState
from discord.ui.view import ViewStore
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

CHECKED_VERSION = "2.7.1"

_log = logging.getLogger(__name__)

# What the patches below rely on, for the version test: (owner, private name). Instance
# attributes (`_get_websocket`, `_handlers`, `_hooks`, `_connection`, the view store's
# dicts) are checked on a real bot there.
RELIED_ON: tuple[tuple[type[Any], str], ...] = (
    (ConnectionState, "parse_ready"),
    (ConnectionState, "parse_resumed"),
    (ConnectionState, "parse_guild_create"),
    (ConnectionState, "parse_guild_delete"),
    (ConnectionState, "_delay_ready"),
    (ConnectionState, "_get_guild"),
    (ConnectionState, "_add_guild_from_data"),
    (AutoShardedConnectionState, "_delay_shard_ready"),
    (DiscordWebSocket, "poll_event"),
    (discord.Client, "_get_state"),
    (discord.AutoShardedClient, "_get_websocket"),
    (discord.Interaction, "_cs_response"),
    (discord.InteractionResponse, "_parent"),
    (discord.InteractionResponse, "_response_type"),
    (ConnectionState, "clear"),
    (ViewStore, "schedule_dynamic_item_call"),
    (discord.ui.Item, "_refresh_state"),
    (ConnectionState, "parse_interaction_create"),
    (ConnectionState, "_get_or_create_unavailable_guild"),
    (discord.Interaction, "_from_data"),
    (ViewStore, "dispatch_view"),
    (ViewStore, "dispatch_dynamic_items"),
    (AsyncWebhookAdapter, "create_interaction_response"),
    (AsyncWebhookAdapter, "request"),
)


# --------------------------------------------------------------------------- 1. the state

# Seconds of gateway reading before the loop gets a turn. Benchmark 4's longest stall
# while 5,000 servers arrive: 44 ms at 15 ms slices, 22 ms at 8 (the target is 50).
SLICE = 0.008


class GatewayState(AutoShardedConnectionState[Any]):
    """discord.py's (sharded) connection state, kept responsive when thousands of servers
    arrive at once. discord.py reads each shard's gateway events in a loop that only hands
    the event loop back when the socket's buffer is empty; right after connecting, that
    buffer holds the GUILD_CREATE of every server, and heartbeats, timers and interactions
    wait behind all of them. Three changes keep every stretch short (benchmark 4: the
    longest stall from 120 ms to about 22):

    - READY's list of servers is not turned into a stub `Guild` each (5,000 in one
      callback at 5,000 servers); each server is built from its own GUILD_CREATE moments
      later, and its `guild_available` event is the same as before (`parse_ready`).
    - Reading takes turns: once `SLICE` seconds have gone on gateway events without the
      loop getting a turn, the reader yields before the next event (`_take_turns`).
    - With `freeze_every` set (`python -m bot run`), while the servers arrive after READY
      the objects of every `freeze_every` of them are frozen out of the garbage
      collector's sight, so a full collection never walks thousands of servers in one go
      (`parse_guild_create`).

    Each shard's READY lists only its own servers: they are kept per shard
    (`ready_guild_ids[shard_id]`), so whatever is reconciled against READY is reconciled
    shard by shard.

    Private API: the class itself (`discord.state` isn't documented), its `parse_*`
    handlers and `_delay_ready` (overridden: discord.py has no hook inside them), and
    `_get_websocket`, `_get_guild`, `_add_guild_from_data` (called).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._turn_started: float | None = None
        self.now: Callable[[], float] = time.perf_counter  # tests inject their own
        # The websockets whose readers take turns (one per shard; a reconnect brings a
        # new one, and the old one is dropped with its shard's next READY or RESUMED).
        self._readers: dict[int, object] = {}
        self.freeze_every = 0
        # Every server each shard's last READY listed, available or not.
        self.ready_guild_ids: dict[int, frozenset[int]] = {}
        self._new_servers = 0
        self._arriving = False  # from READY until discord.py dispatches ready
        super().__init__(*args, **kwargs)

    def clear(self, *, views: bool = True) -> None:
        # Private: discord.py makes its view store here; ours routes dynamic items leaner.
        super().clear(views=views)
        if views:
            self._view_store = HearthViewStore(self)

    def parse_ready(self, data: Any) -> None:
        # Private: overridden to drop the stub per server (see the class docstring).
        shard_id = int((data.get("shard") or [0, 1])[0])
        self._take_turns(shard_id)
        listed = data.get("guilds", ())
        self.ready_guild_ids[shard_id] = frozenset(int(g["id"]) for g in listed)
        # Unavailable stubs are skipped; the real server follows in its GUILD_CREATE.
        servers = [g for g in listed if g.get("unavailable") is not True]
        ready: Any = {**data, "guilds": servers}
        self._arriving = True
        self._new_servers = 0
        super().parse_ready(ready)

    def all_ready_guild_ids(self) -> frozenset[int]:
        return frozenset().union(*self.ready_guild_ids.values())

    async def _delay_ready(self) -> None:
        # Private: the only place that knows when the start-up flood of servers is over.
        try:
            await super()._delay_ready()
        finally:
            self._arriving = False

    def parse_resumed(self, data: Any) -> None:
        # A resumed session replays what it missed, all at once.
        self._take_turns(int(data.get("__shard_id__") or 0))
        super().parse_resumed(data)

    def parse_guild_delete(self, data: Any) -> None:
        guild_id = int(data["id"])
        listed = self.all_ready_guild_ids()
        if not data.get("unavailable") and guild_id in listed and self._get_guild(guild_id) is None:
            # Removed from a server READY listed but that never became available: without
            # the stub READY would have made, discord.py would drop this and nobody would
            # hear that Hearth left. A stub lets it go the usual way (guild_remove).
            stub: Any = {"id": str(guild_id), "unavailable": True}
            self._add_guild_from_data(stub)
        super().parse_guild_delete(data)

    def parse_interaction_create(self, data: Any) -> None:
        # Private: overridden only to make a `LeanInteraction`; the routing below is
        # discord.py's own, unchanged.
        interaction = LeanInteraction(data=data, state=self)
        kind = data["type"]
        if kind in (2, 4) and self._command_tree:  # a command, or its autocomplete
            self._command_tree._from_interaction(interaction)
        elif kind == 3:  # a click
            inner = data["data"]
            self._view_store.dispatch_view(inner["component_type"], inner["custom_id"], interaction)
        elif kind == 5:  # a form
            inner = data["data"]
            self._view_store.dispatch_modal(
                inner["custom_id"], interaction, inner["components"], inner.get("resolved", {})
            )
        self.dispatch("interaction", interaction)

    def parse_guild_create(self, data: Any) -> None:
        super().parse_guild_create(data)
        # Only in the start-up flood: freezing later would also freeze short-lived objects
        # of the moment (panels, interactions), and any cycle among them would never go.
        if self.freeze_every and self._arriving:
            self._new_servers += 1
            if self._new_servers % self.freeze_every == 0:
                gc.freeze()

    # ------------------------------------------------------------------ turns

    def _take_turns(self, shard_id: int) -> None:
        """Make a shard's current websocket's reader yield between slices (once per
        connection). All shards share one turn: they read on the same loop.

        Private: discord.py's shard loop calls `ws.poll_event()` for each event and never
        yields while the socket's buffer has more; wrapping that bound method on the
        websocket instance is the one place a turn can be taken between events."""
        try:
            ws = self._get_websocket(shard_id=shard_id)
        except KeyError:
            return  # not launched through this client (a unit test's bare state)
        if ws is None or self._readers.get(shard_id) is ws:
            return
        self._readers[shard_id] = ws
        read_one = ws.poll_event

        async def poll_event() -> None:
            self._turn_used_up()  # starts the turn's clock if the loop just had a turn
            await read_one()
            if self._turn_used_up():
                await asyncio.sleep(0)

        # discord.py's shard loop calls `self.ws.poll_event()` for every event.
        setattr(ws, "poll_event", poll_event)  # noqa: B010 (assigning a method for mypy)

    def _turn_used_up(self) -> bool:
        now = self.now()
        if self._turn_started is None:
            self._turn_started = now
            # Runs at the loop's next turn, i.e. once it has had control back.
            asyncio.get_running_loop().call_soon(self._end_turn)
            return False
        return now - self._turn_started >= SLICE

    def _end_turn(self) -> None:
        self._turn_started = None


# A select's kind by its component type (a button otherwise).
_SELECTS: dict[int, type[discord.ui.Item[Any]]] = {
    discord.ComponentType.string_select.value: discord.ui.Select,
    discord.ComponentType.user_select.value: discord.ui.UserSelect,
    discord.ComponentType.role_select.value: discord.ui.RoleSelect,
    discord.ComponentType.mentionable_select.value: discord.ui.MentionableSelect,
    discord.ComponentType.channel_select.value: discord.ui.ChannelSelect,
}


class HearthViewStore(ViewStore):
    """discord.py's view store, routing a click on a dynamic item (every `IdItem`) without
    rebuilding a view of the whole message first: discord.py turns each of the message's
    components into an item for every click (~0.5 ms for a panel of a dozen controls),
    only to find the clicked one and set its view, which Hearth's items never read. Here
    the clicked item is made from its own id, given the click's values, checked and
    called, as discord.py does after that. (A message in components v2 goes discord.py's
    way.)

    Private API: `ViewStore` (`discord.ui.view`, undocumented) and its
    `schedule_dynamic_item_call`, `Item._refresh_state`."""

    def dispatch_view(
        self, component_type: int, custom_id: str, interaction: discord.Interaction[Any]
    ) -> None:
        key = (component_type, custom_id)
        if any(key in items for items in self._views.values()):
            super().dispatch_view(component_type, custom_id, interaction)
        else:
            # No live view has this control: discord.py would read the message (and so
            # build it) only to look for one.
            self.dispatch_dynamic_items(component_type, custom_id, interaction)

    async def schedule_dynamic_item_call(
        self,
        component_type: int,
        factory: type[discord.ui.DynamicItem[discord.ui.Item[Any]]],
        interaction: discord.Interaction[Any],
        custom_id: str,
        match: re.Match[str],
    ) -> None:
        flags = message_flags(interaction)
        if flags is None or flags.components_v2:
            await super().schedule_dynamic_item_call(
                component_type, factory, interaction, custom_id, match
            )
            return
        kind = _SELECTS.get(component_type, discord.ui.Button)
        clicked = kind(custom_id=custom_id)  # type: ignore[call-arg]
        try:
            item = await factory.from_custom_id(interaction, clicked, match)
        except Exception:
            _log.exception("Ignoring exception in dynamic item creation for %r", factory)
            return
        item._refresh_state(interaction, interaction.data)  # type: ignore[arg-type]
        try:
            allow = await item.interaction_check(interaction)
        except Exception:
            allow = False
        if not allow:
            return
        try:
            await item.callback(interaction)
        except Exception:
            _log.exception("Ignoring exception in dynamic item callback for %r", item)


# --------------------------------------------------------------------------- 2. the client


class StateClient(commands.AutoShardedBot):
    """A `commands.AutoShardedBot` whose connection state is a `GatewayState`."""

    def _get_state(self, **options: Any) -> GatewayState:
        # Private: discord.py builds its state here (from the client's private `_handlers`
        # and `_hooks`), in `Client.__init__`; no option chooses the class.
        return GatewayState(
            dispatch=self.dispatch,
            handlers=self._handlers,
            hooks=self._hooks,
            http=self.http,
            **options,
        )

    async def close(self) -> None:
        # Private: AutoShardedClient.close() wakes its connect loop through a queue that
        # only login makes (`__queue`); a bot closed before it ever logged in (Discord
        # unreachable, a full disk at start) must still close.
        if not hasattr(self, "_AutoShardedClient__queue"):
            setattr(self, "_AutoShardedClient__queue", asyncio.PriorityQueue())  # noqa: B010
        await super().close()

    def shard_websocket(self, shard_id: int) -> DiscordWebSocket | None:
        """A shard's gateway connection (None before it is launched).

        Private: `AutoShardedClient._get_websocket`; `ShardInfo` exposes no websocket."""
        try:
            return self._get_websocket(shard_id=shard_id)
        except KeyError:
            return None

    @property
    def gateway_state(self) -> GatewayState | None:
        # Private: the client's state lives in `_connection`, with no public accessor.
        state = self._connection
        return state if isinstance(state, GatewayState) else None


# --------------------------------------------------------------------------- 3. handlers


def has_handler(client: discord.Client, interaction: discord.Interaction[Any]) -> bool:
    """Whether discord.py will route this click or modal to a view, modal or dynamic item
    that still listens (a stopped view or finished modal drops it without a word).

    Private: discord.py keeps no public "is this routed?" API; this reads its view store
    (`_connection._view_store` and its `_modals`, `_dynamic_items`, `_views`)."""
    store = client._connection._view_store
    data: Any = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if interaction.type == discord.InteractionType.modal_submit:
        modal = store._modals.get(custom_id)
        return modal is not None and not modal.is_finished()
    if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
        return True
    key = (data.get("component_type"), custom_id)
    message_id = message_id_of(interaction)
    item = store._views.get(message_id, {}).get(key) or store._views.get(None, {}).get(key)
    return item is not None and item.view is not None and not item.view.is_finished()


class LeanInteraction(discord.Interaction[Any]):
    """An interaction whose message (a click's, or a form's opened from one) is built only
    when something reads `message`. discord.py builds it at once, with every component on
    it (~0.1 ms for a panel); most clicks are answered without reading it.

    Private API: `Interaction._from_data` (overridden: the message is built inside it),
    the `message` slot it shadows, `ConnectionState._get_or_create_unavailable_guild`
    (what discord.py gives the message as its server)."""

    __slots__ = ("_lean_message", "_lean_raw")

    def _from_data(self, data: Any) -> None:
        raw = data.get("message")
        self._lean_message: discord.Message | None = None
        self._lean_raw: dict[str, Any] | None = None
        if raw is None:
            super()._from_data(data)
            return
        without: Any = {k: v for k, v in data.items() if k != "message"}
        super()._from_data(without)
        self._lean_raw = raw

    @property
    def message(self) -> discord.Message | None:
        raw = self._lean_raw
        if raw is not None:
            self._lean_raw = None
            message = discord.Message(state=self._state, channel=self.channel, data=raw)  # type: ignore[arg-type]
            if message.guild is None and self.guild_id is not None:
                # As discord.py does: the server, even one it knows only by id.
                message.guild = self._state._get_or_create_unavailable_guild(self.guild_id)
            self._lean_message = message
        return self._lean_message

    @message.setter
    def message(self, value: discord.Message | None) -> None:
        self._lean_raw = None
        self._lean_message = value


def message_id_of(interaction: discord.Interaction[Any]) -> int | None:
    """The id of the message a click or form came from, without building the message."""
    raw = getattr(interaction, "_lean_raw", None)
    if raw is not None:
        return int(raw["id"])
    return interaction.message.id if interaction.message is not None else None


def message_flags(interaction: discord.Interaction[Any]) -> discord.MessageFlags | None:
    """That message's flags (None without a message), without building the message."""
    raw = getattr(interaction, "_lean_raw", None)
    if raw is not None:
        return discord.MessageFlags._from_value(int(raw.get("flags") or 0))
    return interaction.message.flags if interaction.message is not None else None


# --------------------------------------------------------------------------- 4. commands

AppCommand = app_commands.Command[Any, ..., Any] | app_commands.Group


def cog_app_commands(cog: commands.Cog) -> list[AppCommand]:
    """The list of app commands the cog will add to the tree when it's added, to edit in
    place (e.g. moving `/hearth …` subcommands into the core's shared group).

    Private: discord.py keeps them in `__cog_app_commands__`; the public
    `Cog.get_app_commands()` returns a copy, and editing it changes nothing."""
    found: list[AppCommand] = cog.__cog_app_commands__
    return found


# --------------------------------------------------------------------------- 5. answers

# Discord drops an interaction that has no first answer within 3 s of sending it (10062),
# and the person is told it failed — even when what they asked for was done. A handler
# still working at this point gets its first answer from Hearth instead: "thinking…" for
# a command or form, a silent acknowledgement for a click. What the handler says next
# reaches the person as a follow-up, without the handler knowing.
ANSWER_FOR_IT_AFTER = 2.0

TOO_LATE_FOR_A_FORM = (
    "That took me a moment too long, so I couldn't open the form. Please try once more."
)


class StandInResponse(discord.InteractionResponse[Any]):
    """An interaction's first answer, which Hearth gives itself when the handler is slow
    (`answer_if_slow`); then the handler's own answer becomes a follow-up.

    Private: `Interaction.response` is a cached property over the `_cs_response` slot;
    `watch_answer` fills the slot before any handler runs. The two sides never race: the
    first to start answering claims the answer before its request leaves, and a handler
    that starts while the stand-in's request is on its way waits for it."""

    __slots__ = ("__weakref__", "_answer_type", "_claimed", "_stand_in", "_watch")

    def __init__(self, parent: discord.Interaction[Any], watch: AnswerWatch) -> None:
        self._watch = watch
        super().__init__(parent)
        self._claimed = False
        self._stand_in: asyncio.Future[None] | None = None

    # discord.py records the first answer in `_response_type`: read through here, so the
    # watch learns it without holding the interaction.
    @property
    def _response_type(self) -> Any:
        return self._answer_type

    @_response_type.setter
    def _response_type(self, value: Any) -> None:
        self._answer_type = value
        if value is not None:
            self._watch.answered = True

    async def _stood_in(self) -> bool:
        """Claims the first answer for the handler, or says Hearth already gave it."""
        if self._stand_in is None:
            self._claimed = True
            return False
        await asyncio.shield(self._stand_in)
        return True

    async def answer_if_slow(self) -> None:
        if self._claimed or self.is_done():
            return
        self._stand_in = asyncio.get_running_loop().create_future()
        try:
            with _no_echo():
                if message_id_of(self._parent) is not None:
                    # A click, or a form opened from one: the message stays as it is until
                    # the handler edits it (or says something new).
                    await super().defer()
                else:
                    await super().defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:
            _log.warning(
                "interaction stand-in answer refused id=%s status=%s code=%s",
                self._parent.id,
                exc.status,
                exc.code,
            )
        finally:
            self._stand_in.set_result(None)

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> Any:
        if await self._stood_in():
            return None
        with _no_echo():
            return await super().defer(ephemeral=ephemeral, thinking=thinking)

    async def send_message(self, content: Any = None, **kwargs: Any) -> Any:
        if not await self._stood_in():
            view = kwargs.get("view")
            if view is not None and not view.is_finished():
                # A live view is stored under the message id the echo carries.
                return await super().send_message(content, **kwargs)
            with _no_echo():
                return await super().send_message(content, **kwargs)
        delete_after = kwargs.pop("delete_after", None)
        given = {
            k: v for k, v in kwargs.items() if v is not None and v is not discord.utils.MISSING
        }
        if content is not None:
            given["content"] = content
        sent = await self._parent.followup.send(wait=True, **given)
        if delete_after is not None:
            await sent.delete(delay=delete_after)
        return None

    async def edit_message(self, **kwargs: Any) -> Any:
        if not await self._stood_in():
            # The edited message's id is the click's own: the echo isn't needed.
            with _no_echo():
                return await super().edit_message(**kwargs)
        delete_after = kwargs.pop("delete_after", None)
        kwargs.pop("suppress_embeds", None)
        edited = await self._parent.edit_original_response(**kwargs)
        if delete_after is not None:
            await edited.delete(delay=delete_after)
        return None

    async def send_modal(self, modal: discord.ui.Modal, /) -> Any:
        if not await self._stood_in():
            with _no_echo():
                return await super().send_modal(modal)
        # A form can only be the first answer, and that has been given.
        await self._parent.followup.send(TOO_LATE_FOR_A_FORM, ephemeral=True)
        return None


def _no_response() -> None:
    return None


class NoEchoAdapter(AsyncWebhookAdapter):
    """discord.py asks Discord to send every interaction answer straight back
    (`with_response`), then builds a whole `Message` from it: a quarter of a millisecond
    per answer that Hearth never reads (it returns nothing from its answers). This one asks
    for no echo (Discord then answers 204) and gives discord.py the one field it reads.

    Private API: `AsyncWebhookAdapter` (`discord.webhook.async_`), its
    `create_interaction_response` (overridden: the query is built inside it) and
    `request`; the adapter is chosen through the `async_context` variable."""

    async def create_interaction_response(  # type: ignore[override]
        self,
        interaction_id: int,
        token: str,
        *,
        session: Any,
        proxy: str | None = None,
        proxy_auth: Any = None,
        params: Any,
    ) -> dict[str, Any]:
        route = Route(
            "POST",
            "/interactions/{webhook_id}/{webhook_token}/callback",
            webhook_id=interaction_id,
            webhook_token=token,
        )
        if params.files:
            await self.request(
                route,
                session=session,
                proxy=proxy,
                proxy_auth=proxy_auth,
                files=params.files,
                multipart=params.multipart,
            )
        else:
            await self.request(
                route, session=session, proxy=proxy, proxy_auth=proxy_auth, payload=params.payload
            )
        return {"interaction": {"id": str(interaction_id)}}  # all that discord.py reads


_NO_ECHO = NoEchoAdapter()  # type: ignore[no-untyped-call]  # discord.py's untyped __init__


@contextlib.contextmanager
def _no_echo() -> Iterator[None]:
    """discord.py's answer methods use `NoEchoAdapter` inside this block (the variable is
    the running task's own, so nothing else is affected)."""
    token = async_context.set(_NO_ECHO)
    try:
        yield
    finally:
        async_context.reset(token)


class AnswerWatch:
    """What Hearth keeps about an interaction until its deadlines (`HearthBot._sweep`):
    whether it has its first answer, the ids to log if not, and the response only weakly.
    Holding the interaction itself for three seconds made every one outlive a few young
    collections and die in the oldest generation, so full collections freed thousands of
    them at once."""

    __slots__ = ("answered", "guild_id", "held", "id", "kind", "response", "what")

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self.answered = False
        self.response: Callable[[], StandInResponse | None] = _no_response
        self.held: discord.Interaction[Any] | None = None
        self.id = interaction.id
        self.kind = interaction.type.name
        data: Any = interaction.data or {}
        # A command's name, or a component's kind (`hearth:ci:mood`): never an object's id.
        self.what = (
            data.get("name") or ":".join(str(data.get("custom_id", "")).split(":")[:3]) or "?"
        )
        self.guild_id = interaction.guild_id

    def is_answered(self) -> bool:
        return self.answered or (self.held is not None and self.held.response.is_done())

    def stand_in(self, tasks: set[asyncio.Task[None]]) -> None:
        """Its stand-in time: answer for a handler still working (one that has finished
        holds nothing, and its interaction is gone)."""
        response = self.response()
        if response is None or response.is_done() or response._claimed:
            return
        task = asyncio.get_running_loop().create_task(
            response.answer_if_slow(), name="interaction:stand-in"
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)


def watch_answer(interaction: discord.Interaction[Any]) -> AnswerWatch | None:
    """Watches an interaction that has just arrived (before any handler has run): its
    stand-in answer is armed, and the watch says later whether it was answered. None for
    autocomplete (answered with choices or not at all)."""
    if interaction.type == discord.InteractionType.autocomplete:
        return None
    watch = AnswerWatch(interaction)
    if hasattr(interaction, "_cs_response"):
        # Something read the response already: leave it as discord.py made it (no stand-in)
        # and keep the interaction to ask it at the deadline.
        watch.held = interaction
        return watch
    response = StandInResponse(interaction, watch)
    interaction._cs_response = response  # type: ignore[attr-defined]
    watch.response = weakref.ref(response)
    return watch
