"""discord.py's connection state, kept responsive when thousands of servers arrive at once.

discord.py reads gateway events in a loop that only hands the event loop back when the
socket's buffer is empty; right after connecting, that buffer holds the GUILD_CREATE of
every server, and heartbeats, timers and interactions wait behind all of them. Three
changes keep every stretch short (benchmark 4: the longest stall from 120 ms to about 22):

- READY's list of servers is not turned into a stub `Guild` each (5,000 in one callback at
  5,000 servers); each server is built from its own GUILD_CREATE moments later, and its
  `guild_available` event is the same as before.
- Reading takes turns: once `SLICE` seconds have gone on gateway events without the loop
  getting a turn, the reader yields before the next event.
- With `freeze_every` set (`python -m bot run`), while the servers arrive after READY
  the objects of every `freeze_every` of them are frozen out of the garbage collector's
  sight, so a full collection never walks thousands of servers in one go (as
  `gc.freeze()` at ready does for the rest).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

from discord.state import ConnectionState

# Seconds of gateway reading before the loop gets a turn. Benchmark 4's longest stall
# while 5,000 servers arrive: 44 ms at 15 ms slices, 22 ms at 8 (the target is 50).
SLICE = 0.008


class GatewayState(ConnectionState[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._turn_started: float | None = None
        self.now: Callable[[], float] = time.perf_counter  # tests inject their own
        self._reader: object = None  # the websocket whose reader takes turns
        self.freeze_every = 0
        # Every server READY listed, available or not: the servers Hearth is in.
        self.ready_guild_ids: frozenset[int] | None = None
        self._new_servers = 0
        self._arriving = False  # from READY until discord.py dispatches ready
        super().__init__(*args, **kwargs)

    def parse_ready(self, data: Any) -> None:
        self._take_turns()
        listed = data.get("guilds", ())
        self.ready_guild_ids = frozenset(int(g["id"]) for g in listed)
        # Unavailable stubs are skipped; the real server follows in its GUILD_CREATE.
        servers = [g for g in listed if g.get("unavailable") is not True]
        ready: Any = {**data, "guilds": servers}
        self._arriving = True
        self._new_servers = 0
        super().parse_ready(ready)

    async def _delay_ready(self) -> None:
        try:
            await super()._delay_ready()
        finally:
            self._arriving = False

    def parse_resumed(self, data: Any) -> None:
        self._take_turns()  # a resumed session replays what it missed, all at once
        super().parse_resumed(data)

    def parse_guild_delete(self, data: Any) -> None:
        guild_id = int(data["id"])
        listed = self.ready_guild_ids or frozenset()
        if not data.get("unavailable") and guild_id in listed and self._get_guild(guild_id) is None:
            # Removed from a server READY listed but that never became available: without
            # the stub READY would have made, discord.py would drop this and nobody would
            # hear that Hearth left. A stub lets it go the usual way (guild_remove).
            stub: Any = {"id": str(guild_id), "unavailable": True}
            self._add_guild_from_data(stub)
        super().parse_guild_delete(data)

    def parse_guild_create(self, data: Any) -> None:
        super().parse_guild_create(data)
        # Only in the start-up flood: freezing later would also freeze short-lived objects
        # of the moment (panels, interactions), and any cycle among them would never go.
        if self.freeze_every and self._arriving:
            self._new_servers += 1
            if self._new_servers % self.freeze_every == 0:
                gc.freeze()

    # ------------------------------------------------------------------ turns

    def _take_turns(self) -> None:
        """Make the current websocket's reader yield between slices (once per connection)."""
        ws = self._get_websocket()
        if ws is None or ws is self._reader:
            return
        self._reader = ws
        read_one = ws.poll_event

        async def poll_event() -> None:
            self._turn_used_up()  # starts the turn's clock if the loop just had a turn
            await read_one()
            if self._turn_used_up():
                await asyncio.sleep(0)

        # discord.py's connect loop calls `self.ws.poll_event()` for every event.
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
