"""Benchmark 1 — interaction latency.

100 servers of 20 friends. Hearth runs in its own process; the emulator (this process)
acts as the friends. 2,000 measured interactions, 400 of each kind, in random order with
50 in flight at a time (each of 50 friends-at-once sends the next as soon as theirs is
answered):

- weekly-answer modal submits (the prompt's "Answer privately" → "Answer with my name"
  → the modal was opened beforehand; the submit is measured),
- check-in mood clicks on the DM check-in,
- phones-down joins on a lobby,
- `/boundaries mine` panel opens,
- `/share` modal submits (in the group, named).

Latency is measured at the emulator: from the moment it dispatches INTERACTION_CREATE to
the moment the bot's first response (the interaction callback) reaches it. Discord's
deadline is 3 s; targets: p99 ≤ 25 ms, p50 ≤ 5 ms, and at most one write transaction per
interaction (the bot counts its commits per interaction handler).

A second, paced run sends the same mix one at a time (nothing queued behind anything
else), which shows each interaction's own cost; the 50-in-flight figures add the
queueing of 50 people answered by one process. A third sends 500 more at a steady
100 a second, whether or not the last was answered (an open loop, as people arrive):
far beyond a friend group's busiest minute, it shows what latency looks like at a rate
one process sustains, rather than in a rush of 50 at once (no target of its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Outcome, Row, ShiftedClock, Size, gc_note, percentile
from bench.populate import data_key, open_database, register_servers
from bench.process import BotProcess, new_data_key
from bench.world import (
    BASE,
    LATE,
    Server,
    build_servers,
    emulator,
    fresh,
    too_late,
    unexpected,
)

NAME = "1. interaction latency"
KINDS = ("answer", "mood", "join", "boundaries", "share")
ANSWER_TEXT = "Honestly? A long walk with my sister on Sunday. We talked the whole way."
SHARE_TEXT = "I finally told my boss I need a lighter month. It went better than I feared."


@dataclass
class Action:
    kind: str
    go: Callable[[], Awaitable[Any]]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    unanswered: int = 0
    refused: int = 0


class Stamps:
    """When each interaction's first response reached the emulator (its loop's time)."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.arrived: dict[int, float] = {}
        rest = fake.rest
        original = rest._run
        loop = asyncio.get_running_loop()

        async def stamped(
            request: Any, method: str, template: str, route: str, handler: Any
        ) -> Any:
            if template.startswith("/interactions/{interaction_id}"):
                with contextlib.suppress(ValueError):
                    self.arrived.setdefault(int(request.match_info["interaction_id"]), loop.time())
            return await original(request, method, template, route, handler)

        rest._run = stamped

    def latency(self, result: Any) -> float | None:
        i = result.interaction
        arrived = self.arrived.get(i.id)
        return None if arrived is None else (arrived - i.created_real) * 1000


async def _gather(jobs: list[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs))


def _button(message: Any, prefix: str) -> str:
    for b in message.buttons:
        if str(b.get("custom_id", "")).startswith(prefix):
            return str(b["custom_id"])
    raise LookupError(f"no button {prefix!r} on {message!r}")


async def _prepare(fake: Any, servers: list[Server], per_kind: int) -> list[Action]:
    """Everything the measured interactions need, done through the bot as people would."""
    fake.ratelimits.configure(enabled=False)  # the set-up is not what is measured
    limit = 25

    async def setup(s: Server) -> None:
        r = await s.owner.slash("hearth setup", {"channel": s.channel}, timezone="Europe/Berlin")
        assert r.responded, r
        r = await s.owner.slash("hearth prompt now", channel=s.channel)
        await r.wait_original(timeout=10)
        r = await s.owner.slash(
            "phonesdown start", duration="45m", join_window="30m", channel=s.channel
        )
        assert r.responded, r

    await _gather([lambda s=s: setup(s) for s in servers], limit)  # type: ignore[misc]

    # Who does what: in each server, members take turns through the kinds.
    plan: dict[str, list[tuple[Server, Any]]] = {k: [] for k in KINDS}
    turn = 0
    for s in servers:
        for member in s.members[1:]:
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            if len(plan[kind]) < per_kind:
                plan[kind].append((s, member))
    for kind, people in plan.items():
        if len(people) < per_kind:
            raise RuntimeError(f"not enough members for {per_kind} {kind} interactions")

    actions: list[Action] = []

    async def answer(s: Server, member: Any) -> None:
        post = s.channel.bot_messages[0]  # the prompt, first thing Hearth posted there
        panel = await member.click(post, _button(post, "hearth:prompt:answer:"))
        # The panel's view is registered once the bot has read the reply to its callback;
        # a person can't click within that millisecond, a script can.
        await asyncio.sleep(0.3)
        opened = await member.click(panel, "Answer with my name")
        modal = opened.modal
        assert modal is not None, opened
        actions.append(
            Action("answer", lambda: member.submit_modal(modal, {"Your answer": ANSWER_TEXT}))
        )

    async def checkin(s: Server, member: Any) -> None:
        r = await member.slash("checkin start", frequency="Every day", timezone="Europe/Berlin")
        assert r.responded, r
        r = await member.slash("checkin now")
        await r.wait_original(timeout=10)
        dm = await fake.wait_for_message(member, timeout=10)
        mood = _button(dm, "hearth:ci:mood:")
        mood = mood.rsplit(":", 1)[0] + ":4"
        actions.append(Action("mood", lambda: member.click(dm, mood)))

    def join(s: Server, member: Any) -> None:
        lobby = next(m for m in s.channel.bot_messages if _has(m, "hearth:pd:join:"))
        custom_id = _button(lobby, "hearth:pd:join:")
        actions.append(Action("join", lambda: member.click(lobby, custom_id)))

    def boundaries(s: Server, member: Any) -> None:
        actions.append(
            Action("boundaries", lambda: member.slash("boundaries mine", channel=s.channel))
        )

    async def share(s: Server, member: Any) -> None:
        r = await member.slash("share", how="named", wants="listening", channel=s.channel)
        modal = r.modal
        assert modal is not None, r
        field = next(f for f in modal.fields if not f.value)
        actions.append(
            Action("share", lambda: member.submit_modal(modal, {field.custom_id: SHARE_TEXT}))
        )

    await _gather([lambda a=a: answer(*a) for a in plan["answer"]], limit)  # type: ignore[misc]
    await _gather([lambda a=a: checkin(*a) for a in plan["mood"]], limit)  # type: ignore[misc]
    await _gather([lambda a=a: share(*a) for a in plan["share"]], limit)  # type: ignore[misc]
    for s, member in plan["join"]:
        join(s, member)
    for s, member in plan["boundaries"]:
        boundaries(s, member)
    fake.ratelimits.configure(enabled=True)
    return actions


def _has(message: Any, prefix: str) -> bool:
    return any(str(b.get("custom_id", "")).startswith(prefix) for b in message.buttons)


async def _measure(actions: list[Action], stamps: Stamps, in_flight: int) -> Tally:
    tally = Tally()

    async def one(action: Action) -> None:
        result = await action.go()
        if not result.responded:
            tally.unanswered += 1
            return
        if any(e.code != LATE for e in result.rejections):  # late ones: `too_late`
            tally.refused += 1
        ms = stamps.latency(result)
        if ms is None:
            tally.unanswered += 1
        else:
            tally.latencies[action.kind].append(ms)

    await _gather([lambda a=a: one(a) for a in actions], in_flight)  # type: ignore[misc]
    return tally


def _split(actions: list[Action], *takes: int) -> list[list[Action]]:
    """The first `takes[0]` of each kind, then the next `takes[1]`…, then the rest."""
    groups: list[list[Action]] = [[] for _ in range(len(takes) + 1)]
    seen: dict[str, int] = {}
    for a in actions:
        n = seen.get(a.kind, 0)
        seen[a.kind] = n + 1
        group, bound = len(takes), 0
        for i, take in enumerate(takes):
            bound += take
            if n < bound:
                group = i
                break
        groups[group].append(a)
    return groups


async def _at_a_rate(actions: list[Action], stamps: Stamps, rate: float) -> Tally:
    """Each action starts at its time (an open loop), answered or not the one before."""
    tally = Tally()
    loop = asyncio.get_running_loop()
    start = loop.time()
    running = []
    for i, action in enumerate(actions):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        running.append(asyncio.ensure_future(_measure([action], stamps, 1)))
    for one in await asyncio.gather(*running):
        tally.unanswered += one.unanswered
        tally.refused += one.refused
        for kind, ms in one.latencies.items():
            tally.latencies.setdefault(kind, []).extend(ms)
    return tally


async def _until_quiet(fake: Any, quiet: float = 1.0, limit: float = 120.0) -> None:
    """Wait until the bot has made no request for `quiet` seconds."""
    started = last_change = time.perf_counter()
    seen = fake.stats.requests
    while time.perf_counter() - started < limit:
        await asyncio.sleep(0.1)
        if fake.stats.requests != seen:
            seen, last_change = fake.stats.requests, time.perf_counter()
        elif time.perf_counter() - last_change >= quiet:
            return


async def run(size: Size, work: Path) -> Outcome:
    out = Outcome()
    started = time.perf_counter()
    rng = random.Random(1)
    per_kind = size.latency_interactions // len(KINDS)
    paced_per_kind = max(2, per_kind // 10)
    steady_per_kind = max(2, size.latency_steady // len(KINDS))
    # One member per measured interaction: enough servers of 20 for the three runs.
    need = (per_kind + paced_per_kind + steady_per_kind) * len(KINDS)
    guilds = max(size.latency_guilds, -(-need // 19))
    clock = ShiftedClock.at(BASE)
    async with emulator(clock=clock) as fake:
        fake.response_timeout = 3.0
        servers = build_servers(fake, guilds, 20)
        stamps = Stamps(fake)
        database = fresh(work / "latency.sqlite3")
        key = new_data_key()
        with data_key(key):
            db = await open_database(database)
            try:
                await register_servers(db, [s.guild.id for s in servers], BASE)
            finally:
                await db.close()
        bot = BotProcess(
            fake,
            offset=clock.offset.total_seconds(),
            database=database,
            data_key=key,
            expect_guilds=guilds,
            dm_open_rate=1000.0,  # the set-up opens hundreds of DMs; not what is measured
            dm_open_burst=1000,
            log_path=work / "latency-bot.log",
            count_writes=True,
        )
        try:
            await bot.start(timeout=120)
            t = time.perf_counter()
            actions = await _prepare(fake, servers, per_kind + paced_per_kind + steady_per_kind)
            prepared = time.perf_counter() - t
            rng.shuffle(actions)
            paced, steady, loaded = _split(actions, paced_per_kind, steady_per_kind)
            # The emulator's world is built: keep its own garbage collections (this
            # process) out of the bot's figures.
            gc.collect()
            gc.freeze()

            await bot.probe_reset()
            before = await bot.stats()
            limited0 = fake.stats.ratelimited
            profile = os.environ.get("HEARTH_BENCH_LATENCY_PROFILE")
            if profile:
                await bot.request("profile_start")
            t, cpu0 = time.perf_counter(), time.process_time()
            tally = await _measure(loaded, stamps, size.latency_in_flight)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu0
            if profile:
                await bot.request("profile_stop", path=profile, all=True)
            after = await bot.stats()
            limited = fake.stats.ratelimited - limited0

            # Let what the rush left behind (posts to the group, paced under Discord's
            # global limit) finish, so the paced run measures each interaction alone.
            await _until_quiet(fake)
            await bot.probe_reset()
            alone = await _measure(paced, stamps, 1)
            after_paced = await bot.stats()
            await _until_quiet(fake)
            await bot.probe_reset()
            at_rate = await _at_a_rate(steady, stamps, size.latency_rate)
            after_steady = await bot.stats()
        finally:
            gc.unfreeze()
            await bot.stop()
        out.problems += unexpected(fake, late_is_timing=True)
        out.timing += too_late(fake)

    every = [ms for kind in KINDS for ms in tally.latencies[kind]]
    one_by_one = [ms for kind in KINDS for ms in alone.latencies[kind]]
    steady_all = [ms for kind in KINDS for ms in at_rate.latencies[kind]]
    steady_by_kind = ", ".join(
        f"{k} {percentile(at_rate.latencies[k], 50):.1f}/{percentile(at_rate.latencies[k], 99):.1f}"
        for k in KINDS
    )
    writes = after["interaction_writes"]
    writes_paced = after_paced["interaction_writes"]
    worst_writes = max(writes["worst"], writes_paced["worst"])
    commits = after["transactions"] - before["transactions"]
    unanswered = tally.unanswered + alone.unanswered + at_rate.unanswered
    if unanswered:
        out.timing.append(f"{unanswered} interactions got no answer within 3 s")
    if tally.refused or at_rate.refused:
        refused = tally.refused + at_rate.refused
        out.problems.append(f"{refused} interactions had a response refused")
    by_kind = ", ".join(
        f"{k} {percentile(tally.latencies[k], 50):.0f}/{percentile(tally.latencies[k], 99):.0f}"
        for k in KINDS
    )
    alone_by_kind = ", ".join(
        f"{k} {percentile(alone.latencies[k], 50):.1f}/{percentile(alone.latencies[k], 99):.1f}"
        for k in KINDS
    )
    n = len(every)
    bot_cpu = (after["cpu"] - before["cpu"]) / max(n, 1) * 1000
    emulator_cpu = cpu / max(n, 1) * 1000
    out.rows += [
        Row(
            NAME,
            f"p50, {size.latency_in_flight} in flight",
            percentile(every, 50),
            "ms",
            5.0,
            note=f"{n:,} interactions in {wall:.1f} s ({n / wall:.0f}/s); p50/p99 ms by kind: "
            f"{by_kind}",
        ),
        Row(
            NAME,
            f"p99, {size.latency_in_flight} in flight",
            percentile(every, 99),
            "ms",
            25.0,
            note=f"max {max(every, default=float('nan')):.0f} ms; {limited} 429s on posts; CPU "
            f"per interaction: bot {bot_cpu:.1f} ms, emulator {emulator_cpu:.1f} ms",
        ),
        Row(
            NAME,
            "p50, one at a time",
            percentile(one_by_one, 50),
            "ms",
            5.0,
            note=f"{len(one_by_one)} interactions; p50/p99 ms by kind: {alone_by_kind}",
        ),
        Row(
            NAME,
            "p99, one at a time",
            percentile(one_by_one, 99),
            "ms",
            25.0,
            note=f"bot's longest loop stall meanwhile {after_paced['stall_max_ms']:.0f} ms; "
            f"{gc_note(after_paced)}",
        ),
        Row(
            NAME,
            f"p50, {size.latency_rate:.0f} a second",
            percentile(steady_all, 50),
            "ms",
            note=f"{len(steady_all)} interactions arriving at a steady {size.latency_rate:.0f} "
            f"a second (an open loop); p50/p99 ms by kind: {steady_by_kind}",
        ),
        Row(
            NAME,
            f"p99, {size.latency_rate:.0f} a second",
            percentile(steady_all, 99),
            "ms",
            note=f"no target of its own; bot's longest loop stall meanwhile "
            f"{after_steady['stall_max_ms']:.0f} ms; {gc_note(after_steady)}",
        ),
        Row(
            NAME,
            "write transactions per interaction (most)",
            worst_writes,
            "",
            1,
            digits=0,
            note=f"{commits / max(n, 1):.2f} commits per interaction on average; handlers by "
            f"commits: {writes['histogram']}"
            + (f"; more than one: {', '.join(writes['who'])}" if writes["who"] else ""),
        ),
    ]
    out.rows[0].note += f"; set-up took {prepared:.1f} s"
    out.stall_ms = None  # not one of benchmarks 2–4
    out.seconds = time.perf_counter() - started
    return out
