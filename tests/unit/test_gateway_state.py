"""`bot.discord_internals.GatewayState`: the gateway reader hands the loop back while
thousands of servers arrive."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot import discord_internals
from bot.app import FREEZE_EVERY, HearthBot
from bot.config import Settings
from bot.discord_internals import GatewayState
from tests.fakediscord.harness import TEST_DATA_KEY


def _state(tmp_path: Path, *, freeze_gc: bool = False) -> GatewayState:
    bot = HearthBot(
        Settings(database=tmp_path / "h.sqlite3", data_key=TEST_DATA_KEY),
        auto_sync=False,
        freeze_gc=freeze_gc,
    )
    state = bot._connection
    assert isinstance(state, GatewayState)
    return state


class BufferedSocket:
    """Stands in for discord.py's websocket with events already in its buffer: reading one
    never suspends, and each takes `cost` seconds on the injected clock."""

    def __init__(self, clock: list[float], log: list[str], cost: float) -> None:
        self.clock, self.log, self.cost = clock, log, cost

    async def poll_event(self) -> None:
        self.clock[0] += self.cost
        self.log.append("event")


async def _read_with_a_ticker(state: GatewayState, socket: BufferedSocket, events: int) -> None:
    """discord.py's connect loop reading `events` events while another task wants turns."""

    async def ticker() -> None:
        while True:
            socket.log.append("tick")
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        for _ in range(events):
            await socket.poll_event()  # looked up each time, as discord.py does
    finally:
        ticking.cancel()


def _longest_run(log: list[str]) -> int:
    longest = run = 0
    for entry in log:
        run = run + 1 if entry == "event" else 0
        longest = max(longest, run)
    return longest


async def test_a_full_buffer_of_events_still_lets_the_loop_run_between_slices(
    tmp_path: Path,
) -> None:
    state = _state(tmp_path)
    clock = [0.0]
    state.now = lambda: clock[0]
    log: list[str] = []
    socket = BufferedSocket(clock, log, cost=discord_internals.SLICE / 3)
    state._get_websocket = lambda *a, **k: socket
    state._take_turns(0)

    await _read_with_a_ticker(state, socket, events=30)

    assert log.count("event") == 30
    # Three events fill a slice; the ticker gets a turn at least every fourth.
    assert _longest_run(log) <= 4
    assert log.count("tick") >= 30 // 4


async def test_without_taking_turns_the_same_buffer_holds_the_loop(tmp_path: Path) -> None:
    # The measure above can fail: discord.py's own reader runs the whole buffer in one go.
    clock = [0.0]
    log: list[str] = []
    socket = BufferedSocket(clock, log, cost=discord_internals.SLICE / 3)
    await _read_with_a_ticker(_state(tmp_path), socket, events=30)
    assert _longest_run(log) == 30


def _ready(guilds: list[dict[str, Any]]) -> dict[str, Any]:
    user = {"id": "9", "username": "Hearth", "discriminator": "0", "avatar": None, "bot": True}
    return {"v": 10, "user": user, "guilds": guilds, "session_id": "s", "shard": [0, 1]}


async def test_ready_builds_no_stub_per_unavailable_server(tmp_path: Path) -> None:
    state = _state(tmp_path)
    state.parse_ready(_ready([{"id": str(i), "unavailable": True} for i in range(1, 2001)]))
    try:
        # Each server is built from its own GUILD_CREATE, not 2,000 stubs in one callback.
        assert list(state.guilds) == []
        assert state.user is not None
        assert state.user.id == 9
    finally:
        if state._ready_task is not None:
            state._ready_task.cancel()


def _guild_create(guild_id: int) -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": f"friends {guild_id}",
        "owner_id": "1",
        "unavailable": False,
        "roles": [],
        "channels": [],
        "members": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
    }


async def test_servers_arriving_after_ready_are_frozen_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    freezes: list[int] = []
    state = _state(tmp_path, freeze_gc=True)
    monkeypatch.setattr(discord_internals.gc, "freeze", lambda: freezes.append(len(state.guilds)))
    state.parse_ready(_ready([]))
    try:
        for guild_id in range(1, FREEZE_EVERY * 2 + 2):
            state.parse_guild_create(_guild_create(guild_id))
        assert len(state.guilds) == FREEZE_EVERY * 2 + 1
        assert freezes == [FREEZE_EVERY, FREEZE_EVERY * 2]
        # Once ready, servers joining live freeze nothing (what lives then may be garbage).
        state._arriving = False  # as when discord.py's wait for GUILD_CREATEs ends
        for guild_id in range(10_000, 10_000 + FREEZE_EVERY * 2):
            state.parse_guild_create(_guild_create(guild_id))
        assert freezes == [FREEZE_EVERY, FREEZE_EVERY * 2]
    finally:
        if state._ready_task is not None:
            state._ready_task.cancel()


async def test_leaving_a_server_that_never_became_available_is_still_heard(
    tmp_path: Path,
) -> None:
    state = _state(tmp_path)
    heard: list[tuple[str, int]] = []
    state.dispatch = lambda event, *args: heard.append(  # type: ignore[method-assign]
        (event, args[0].id if args and hasattr(args[0], "id") else 0)
    )
    state.parse_ready(_ready([{"id": "7", "unavailable": True}, {"id": "8", "unavailable": True}]))
    try:
        state.parse_guild_delete({"id": "8", "unavailable": True})  # an outage: not a removal
        state.parse_guild_delete({"id": "7"})  # removed while still unavailable
        state.parse_guild_delete({"id": "9"})  # a server READY never listed: nothing to say
        assert [h for h in heard if h[0] not in ("connect", "shard_connect")] == [
            ("guild_remove", 7)
        ]
        assert list(state.guilds) == []
    finally:
        if state._ready_task is not None:
            state._ready_task.cancel()


async def test_shards_identify_by_discords_concurrency_buckets() -> None:
    from bot.shards import IdentifyGate

    clock = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    gate = IdentifyGate(concurrency=2, spacing=5.0, now=lambda: clock[0], sleep=sleep)
    went: dict[int, float] = {}
    for shard_id in range(4):  # discord.py launches shards one after another
        await gate.wait(shard_id)
        went[shard_id] = clock[0]
        clock[0] += 0.1  # connecting takes a moment
    # Shards 0 and 1 are in different buckets: both at once. Shard 2 shares 0's bucket,
    # shard 3 shares 1's: each waits until 5 s after its bucket's last IDENTIFY.
    assert went == {0: 0.0, 1: 0.1, 2: 5.0, 3: 5.1}
    assert gate.concurrency == 2
    one = IdentifyGate(concurrency=1, now=lambda: clock[0], sleep=sleep)
    await one.wait(0)
    await one.wait(1)
    assert slept[-1] == 5.0  # one bucket: every IDENTIFY 5 s after the last
