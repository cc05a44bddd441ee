"""Sharding, end to end: the emulator holds Discord's rules (4010 for a shard that can't
be, 4011 for one connection past 2,500 servers, events only to the shard that hears their
server, DMs to shard 0), and Hearth shards itself by Discord's recommendation, answers on
every shard, and reconciles each shard against its own READY."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp

from bot import guilds
from bot.shards import shard_of
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def _identify(fake: FakeDiscord, shard: list[int] | None) -> tuple[str, int | None]:
    """A bare client's IDENTIFY: ("READY", None), or ("closed", the close code)."""
    d: dict[str, Any] = {"token": fake.token, "intents": 1, "properties": {}}
    if shard is not None:
        d["shard"] = shard
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        hello = await ws.receive_json(timeout=2)
        assert hello["op"] == 10
        await ws.send_str(json.dumps({"op": 2, "d": d}))
        msg = await ws.receive(timeout=2)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return str(json.loads(msg.data)["t"]), None
        return "closed", ws.close_code


async def test_one_connection_past_2500_servers_is_refused_and_shards_are_checked(
    fake_discord: FakeDiscord,
) -> None:
    for i in range(2501):
        fake_discord.add_guild(f"g{i}", shard=(i % 12, 12))

    assert await _identify(fake_discord, None) == ("closed", 4011)  # Sharding required
    assert await _identify(fake_discord, [0, 1]) == ("closed", 4011)
    assert await _identify(fake_discord, [2, 2]) == ("closed", 4010)  # Invalid shard
    assert await _identify(fake_discord, [0, 0]) == ("closed", 4010)
    assert await _identify(fake_discord, [1, 2]) == ("READY", None)  # 1,250 or so each


async def test_hearth_shards_itself_past_what_one_connection_may_hold(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    for i in range(3000):
        fake_discord.add_guild(f"g{i}", shard=(i % 12, 12))

    bot = await hearth_unstarted.start()  # default settings: no shard count given

    assert len(bot.guilds) == 3000
    # Discord recommends a shard per 1,000 servers; each connection holds its own.
    assert fake_discord.gateway.shards_connected() == [[0, 3], [1, 3], [2, 3]]
    assert fake_discord.gateway.identified_shards == [[0, 3], [1, 3], [2, 3]]
    assert {g.shard_id for g in bot.guilds} == {0, 1, 2}
    assert all(g.shard_id == shard_of(g.id, 3) for g in bot.guilds)


async def test_a_small_bot_keeps_one_shard(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    fake_discord.add_guild("Friends").add_text_channel("general")
    await hearth_unstarted.start()
    assert fake_discord.gateway.shards_connected() == [[0, 1]]
    assert hearth_unstarted.bot.shard_plan.everything


async def test_every_shard_answers_its_own_servers_and_dms_go_to_shard_zero(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    fake = fake_discord
    first = fake.add_guild("Friends", shard=(0, 2))
    second = fake.add_guild("Climbers", shard=(1, 2))
    for guild in (first, second):
        guild.add_text_channel("general")
    ana = first.add_member("ana", admin=True)
    ben = second.add_member("ben", admin=True)
    hearth_unstarted.overrides["shard_count"] = 2
    await hearth_unstarted.start()
    assert fake.gateway.shards_connected() == [[0, 2], [1, 2]]

    for who in (ana, ben):
        r = await who.slash("hearth help")
        assert r.ephemeral
        assert "Active listening" in r.text
    # A DM's interaction reaches Hearth through shard 0 (its only way in).
    r = await ben.slash("privacy show", channel=ben.dm_channel)
    assert r.ephemeral


async def test_each_shard_is_reconciled_against_its_own_ready(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    fake, hearth = fake_discord, hearth_unstarted
    on_zero = fake.add_guild("Friends", shard=(0, 2))
    on_one = fake.add_guild("Climbers", shard=(1, 2))
    gone_from_one = fake.add_guild("Book club", shard=(1, 2))
    hearth.overrides["shard_count"] = 2
    await hearth.start()
    everyone = {on_zero.id, on_one.id, gone_from_one.id}
    await _until_known(hearth, lambda known: everyone <= known)

    # Removed while no process runs shard 1; then a process comes back with shard 0 only:
    # shard 0's READY says nothing about shard 1's servers, so nothing is decided for them.
    await hearth.stop()
    await gone_from_one.remove_bot()
    hearth.overrides["shard_ids"] = "0"
    await hearth.start()
    assert fake.gateway.shards_connected() == [[0, 2]]
    await asyncio.sleep(0.1)  # the shard's reconciliation runs as its own task
    assert gone_from_one.id in await guilds.known_ids(hearth.bot.db)

    # Shard 1's own READY, once it runs again, lists it no more: it is left.
    await hearth.stop()
    hearth.overrides["shard_ids"] = "0-1"
    await hearth.start()
    await _until_known(hearth, lambda known: gone_from_one.id not in known)
    assert {on_zero.id, on_one.id} <= await guilds.known_ids(hearth.bot.db)


async def _until_known(hearth: HearthHarness, check: Callable[[set[int]], bool]) -> None:
    """Until the servers Hearth knows it is in pass `check` (start-up's reconciliation
    runs as a task of its own after READY)."""

    async def known() -> bool:
        return check(await guilds.known_ids(hearth.bot.db))

    await hearth.fake.until(known, what="the servers Hearth knows it is in")
