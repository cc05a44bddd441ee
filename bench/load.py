"""Interactions arriving at a stated rate for a stated time: the driver benchmarks 1–4 share.

A world of friend-group servers (20 people each) is set up through the bot, as people
would: `/hearth setup`, a weekly prompt posted now, a phones-down lobby open for 30
minutes, and some people with a DM check-in. Then **flows** start at fixed times, whether or
not earlier ones were answered (an open loop, as people arrive), each one person's short
visit; a flow's next step follows its previous answer after a second, as a person reads and
clicks (a second at full size):

- answer: "Answer privately" on the prompt → the private panel's first button (answer, or
  edit the answer) → the answer form submitted (3 interactions)
- share: `/share` in the group → the form submitted (2)
- boundaries: `/boundaries mine` → a new comfort depth picked on the panel (2)
- mood: a mood picked on their check-in DM (1)
- join: Join (or Leave) on the phones-down lobby (1)

Flows of the five kinds take turns, 1.8 interactions per flow on average; they start at
rate ÷ 1.8 a second, so interactions arrive at the stated rate. Everyone takes turns too
(`/share` allows six an hour per person: the world holds enough people for that).

Latency is stamped by the emulator: from the moment it dispatches INTERACTION_CREATE to the
moment the bot's first response (its interaction callback) reaches it. The emulator runs
without checking each request against Discord's spec (`FakeDiscord(spec=False)`; the tests
keep that check), and its CPU is reported beside the bot's. Records the emulator no longer
needs (answered interactions, old ephemeral messages, request logs) are dropped as the run
goes, so a long run doesn't slow the emulator down.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ShiftedClock, Size, percentile
from bench.populate import data_key, members_seen, open_database, register_servers
from bench.process import BotProcess, new_data_key
from bench.world import BASE, LATE, Server, build_servers, emulator, fresh, too_late, unexpected

KINDS = ("answer", "share", "boundaries", "mood", "join")
STEPS = {"answer": 3, "share": 2, "boundaries": 2, "mood": 1, "join": 1}
MEAN_STEPS = sum(STEPS.values()) / len(STEPS)
DEADLINE_MS = 3000.0  # Discord's 3 s for the first response
ANSWER_TEXT = "Honestly? A long walk with my sister on Sunday. We talked the whole way."
SHARE_TEXT = "I finally told my boss I need a lighter month. It went better than I feared."
SHARES_PER_HOUR = 6  # cogs/sharing: SHARE_RATE per SHARE_PER
PER_SERVER = 20


# --------------------------------------------------------------------------- the world


@dataclass
class Person:
    server: Server
    member: Any
    busy: bool = False
    joined: bool = False
    checkin: Any = None  # their check-in DM (mood people)
    mood_button: str = ""
    turn: int = 0


@dataclass
class World:
    servers: list[Server]
    people: list[Person]
    moody: list[Person]
    prompts: dict[int, tuple[Any, str]]  # guild id → (the prompt's post, its answer button)
    lobbies: dict[int, tuple[Any, str]]  # guild id → (the lobby, its join button)


def guilds_for(rate: float, seconds: float, least: int) -> int:
    """Servers enough that nobody shares more than `/share` allows in the run."""
    shares = rate / MEAN_STEPS / len(KINDS) * seconds
    people = shares / SHARES_PER_HOUR * 1.25
    return max(least, math.ceil(people / (PER_SERVER - 1)))


async def _gather(jobs: list[Callable[[], Awaitable[Any]]], limit: int = 25) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(j) for j in jobs))


def _button(message: Any, prefix: str) -> str:
    for b in message.buttons:
        if str(b.get("custom_id", "")).startswith(prefix):
            return str(b["custom_id"])
    raise LookupError(f"no button {prefix!r} on {message!r}")


async def build_world(fake: Any, servers: list[Server], mood_people: int) -> World:
    """Everything the flows need, done through the bot as people would."""
    fake.ratelimits.configure(enabled=False)  # the set-up is not what is measured
    prompts: dict[int, tuple[Any, str]] = {}
    lobbies: dict[int, tuple[Any, str]] = {}

    async def setup(s: Server) -> None:
        r = await s.owner.slash("hearth setup", {"channel": s.channel}, timezone="Europe/Berlin")
        assert r.responded, r
        r = await s.owner.slash("hearth prompt now", channel=s.channel)
        await r.wait_original(timeout=30)
        r = await s.owner.slash(
            "phonesdown start", duration="4h", join_window="30m", channel=s.channel
        )
        assert r.responded, r

    await _gather([lambda s=s: setup(s) for s in servers])  # type: ignore[misc]
    for s in servers:
        await fake.until(lambda s=s: len(s.channel.bot_messages) >= 2, timeout=60, what="posts")
        post = next(m for m in s.channel.bot_messages if _has(m, "hearth:prompt:answer:"))
        prompts[s.guild.id] = (post, _button(post, "hearth:prompt:answer:"))
        lobby = next(m for m in s.channel.bot_messages if _has(m, "hearth:pd:join:"))
        lobbies[s.guild.id] = (lobby, _button(lobby, "hearth:pd:join:"))

    people = [Person(s, m) for s in servers for m in s.members[1:]]
    # Mood people spread over the servers; everyone else's order is mixed the same way.
    people.sort(key=lambda p: (p.server.members.index(p.member), p.server.guild.id))
    moody = people[:mood_people]

    async def checkin(p: Person) -> None:
        r = await p.member.slash(
            "checkin start",
            frequency="Every day",
            timezone="Europe/Berlin",
            channel=p.server.channel,
        )
        assert r.responded, r
        r = await p.member.slash("checkin now", channel=p.server.channel)
        await r.wait_original(timeout=30)
        p.checkin = await fake.wait_for_message(p.member, timeout=30)
        p.mood_button = _button(p.checkin, "hearth:ci:mood:").rsplit(":", 1)[0]

    await _gather([lambda p=p: checkin(p) for p in moody])  # type: ignore[misc]
    fake.ratelimits.configure(enabled=True)
    return World(servers, people, moody, prompts, lobbies)


def _has(message: Any, prefix: str) -> bool:
    return any(str(b.get("custom_id", "")).startswith(prefix) for b in message.buttons)


# --------------------------------------------------------------------------- measuring


class Stamps:
    """When each interaction's first response reached the emulator (its loop's time)."""

    def __init__(self, fake: Any) -> None:
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

    def take(self, result: Any) -> float | None:
        """The interaction's latency in ms (None: no first response), forgotten after."""
        i = result.interaction
        arrived = self.arrived.pop(i.id, None)
        return None if arrived is None else (arrived - i.created_real) * 1000


@dataclass
class Tally:
    """What the measured interactions did: latencies (ms) by kind and by window."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    windows: list[list[float]] = field(default_factory=list)
    late: int = 0  # answered after Discord's 3 s, or not at all
    refused: int = 0  # a response the emulator refused (not for lateness)
    broken: list[str] = field(default_factory=list)  # a flow that couldn't go on
    skipped: int = 0  # a flow with nobody free to do it

    late_unmeasured: int = 0  # no first response at all (no latency to list)

    @property
    def every(self) -> list[float]:
        return [ms for values in self.latencies.values() for ms in values]

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + self.late_unmeasured


class Trim:
    """Drops what the emulator no longer needs, so hours of load keep it as fast as at the
    start: interactions over two minutes old, ephemeral messages too, and request records
    (errors are kept: the run's problems are read from them)."""

    def __init__(self, fake: Any, keep_seconds: float = 120.0) -> None:
        self.fake = fake
        self.keep = keep_seconds

    def __call__(self) -> None:
        fake = self.fake
        now = asyncio.get_running_loop().time()
        for iid, i in list(fake.interactions.items()):  # in creation order
            if now - i.created_real < self.keep:
                break
            del fake.interactions[iid]
            fake.interactions_by_token.pop(i.token, None)
        cutoff = fake.clock.now().timestamp() - self.keep
        gone: set[int] = set()
        for channel in list(fake.channels.values()) + list(fake._dm_channels.values()):
            old = [
                m.id
                for m in channel.messages
                if m.ephemeral_for is not None and m.created_at.timestamp() < cutoff
            ]
            if old:
                gone.update(old)
                channel.messages[:] = [m for m in channel.messages if m.id not in gone]
        for mid in gone:
            fake.messages.pop(mid, None)
        if len(fake.requests) > 2000:
            recent = fake.requests[-1000:]
            errors = [r for r in fake.requests[:-1000] if r.status >= 400]
            fake.requests[:] = errors + recent


class Load:
    """Flows started at a steady rate; every interaction's latency recorded while
    `recording`, in the window it started in."""

    def __init__(
        self, world: World, stamps: Stamps, *, kinds: tuple[str, ...] = KINDS, think: float = 1.0
    ) -> None:
        self.world = world
        self.think = think
        self.stamps = stamps
        self.kinds = kinds
        self.tally = Tally(latencies={k: [] for k in kinds})
        self.recording = False
        self.window = 0
        # Everyone takes turns at each kind: one queue per kind (with one queue for all,
        # a world of 1,900 people and five kinds gave each person the same kind every time,
        # and a fifth of them all the shares: more than `/share` allows in 15 minutes).
        self._next = {
            k: itertools.cycle(world.moody if k == "mood" else world.people) for k in kinds
        }
        self._tasks: set[asyncio.Task[None]] = set()
        self.flows: Callable[[str, Person], Awaitable[None]] = self._flow

    def _free(self, kind: str) -> Person | None:
        pool = self.world.moody if kind == "mood" else self.world.people
        cycle = self._next[kind]
        for _ in range(len(pool)):
            p = next(cycle)
            if not p.busy:
                return p
        return None

    async def run(self, rate: float, seconds: float) -> None:
        """Start flows for `seconds` so that interactions arrive at `rate` a second, then
        wait for the last ones to finish."""
        loop = asyncio.get_running_loop()
        mean = sum(STEPS.get(k, 1) for k in self.kinds) / len(self.kinds)
        flow_rate = rate / mean
        start = loop.time()
        for i in itertools.count():
            due = start + i / flow_rate
            if due - start >= seconds:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            kind = self.kinds[i % len(self.kinds)]
            person = self._free(kind)
            if person is None:
                self.tally.skipped += self.recording
                continue
            person.busy = True
            task = asyncio.create_task(self._run_flow(kind, person))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if self._tasks:
            await asyncio.gather(*self._tasks)

    async def _run_flow(self, kind: str, person: Person) -> None:
        try:
            await self.flows(kind, person)
        except Exception as exc:  # a broken flow is a problem to report, not a crash
            if self.recording:
                self.tally.broken.append(f"{kind}: {type(exc).__name__}: {exc}")
        finally:
            person.busy = False

    async def step(self, kind: str, go: Callable[[], Awaitable[Any]]) -> Any:
        """One interaction: measured, and its result (None if the flow can't go on)."""
        recording, window = self.recording, self.window
        result = await go()
        ms = self.stamps.take(result)
        tally = self.tally
        if recording:
            if ms is None:
                tally.late += 1
                tally.late_unmeasured += 1
            else:
                tally.latencies[kind].append(ms)
                while len(tally.windows) <= window:
                    tally.windows.append([])
                tally.windows[window].append(ms)
                tally.late += ms > DEADLINE_MS
            if any(e.code != LATE for e in result.rejections):
                tally.refused += 1
        return result if result.responded else None

    async def _flow(self, kind: str, p: Person) -> None:
        w = self.world
        guild_id = p.server.guild.id
        m = p.member
        if kind == "answer":
            post, answer_id = w.prompts[guild_id]
            r = await self.step(kind, lambda: m.click(post, answer_id))
            if r is None:
                return
            await asyncio.sleep(self.think)
            first = r.message.buttons[0]["custom_id"]  # "Answer with my name" / "Edit my answer"
            r = await self.step(kind, lambda: m.click(r, first))
            if r is None:
                return
            modal = r.modal
            if modal is None:
                raise LookupError(f"no answer form: {r.text[:80]!r}")
            await asyncio.sleep(self.think)
            await self.step(kind, lambda: m.submit_modal(modal, {"Your answer": ANSWER_TEXT}))
        elif kind == "share":
            r = await self.step(
                kind,
                lambda: m.slash("share", how="named", wants="listening", channel=p.server.channel),
            )
            if r is None:
                return
            modal = r.modal
            if modal is None:
                raise LookupError(f"no share form: {r.text[:80]!r}")
            box = next(f for f in modal.fields if not f.value)
            await asyncio.sleep(self.think)
            await self.step(kind, lambda: m.submit_modal(modal, {box.custom_id: SHARE_TEXT}))
        elif kind == "boundaries":
            r = await self.step(kind, lambda: m.slash("boundaries mine", channel=p.server.channel))
            if r is None:
                return
            p.turn += 1
            depth = ("follow", "1", "2")[p.turn % 3]
            await asyncio.sleep(self.think)
            await self.step(kind, lambda: m.select(r, "Your comfort depth here", [depth]))
        elif kind == "mood":
            p.turn += 1
            mood = f"{p.mood_button}:{3 + p.turn % 3}"  # 3–5: no help offered, no circle
            await self.step(kind, lambda: m.click(p.checkin, mood))
        elif kind == "join":
            lobby, join_id = w.lobbies[guild_id]
            target = join_id if not p.joined else join_id.replace(":join:", ":leave:")
            p.joined = not p.joined
            await self.step(kind, lambda: m.click(lobby, target))
        elif kind == "ping":
            await self.step(kind, lambda: m.slash("ping", channel=p.server.channel))


# --------------------------------------------------------------------------- one run


def _window(load: Load, reading: dict[str, Any], at: float, last_cpu: float) -> Window:
    done = load.tally.windows[load.window] if load.window < len(load.tally.windows) else []
    gcs = reading["gc"]
    return Window(
        seconds=at,
        rss_mb=reading["rss"],
        gc_longest_ms=gcs["longest_ms"],
        gc_total_ms=gcs["total_ms"],
        stall_ms=reading["stall_max_ms"],
        cpu_s=reading["cpu"] - last_cpu,
        interactions=len(done),
        p99_ms=percentile(done, 99),
    )


@dataclass
class Window:
    """One stretch of the measured run, from the bot's side."""

    seconds: float
    rss_mb: float
    gc_longest_ms: float
    gc_total_ms: float
    stall_ms: float
    cpu_s: float
    interactions: int
    p99_ms: float


@dataclass
class Run:
    """What one load run measured."""

    kind: str  # "hearth" or "plain"
    rate: float
    seconds: float
    tally: Tally
    windows: list[Window]
    ready: dict[str, Any]  # the bot's figures at ready (after a collection)
    warmed: dict[str, Any]  # after the warm-up (after a collection)
    before: dict[str, Any]  # at the start of the measured run
    after: dict[str, Any]  # at its end
    end: dict[str, Any]  # after a collection, once the run is over
    wall: float
    emulator_cpu: float
    guilds: int
    people: int
    set_up: float
    problems: list[str]
    timing: list[str]

    @property
    def interactions(self) -> int:
        return self.tally.count

    @property
    def achieved(self) -> float:
        return self.interactions / self.wall if self.wall else 0.0

    def bot_cpu_ms(self) -> float:
        """The bot's CPU per measured interaction (ms)."""
        cpu = float(self.after["cpu"]) - float(self.before["cpu"])
        return cpu / max(self.interactions, 1) * 1000

    def loop_share(self) -> float:
        """How much of the bot's CPU its event loop's thread used (the rest: SQLite's)."""
        total = float(self.after["cpu"]) - float(self.before["cpu"])
        loop = float(self.after["loop_cpu"]) - float(self.before["loop_cpu"])
        return loop / total if total else float("nan")

    def emulator_cpu_ms(self) -> float:
        return self.emulator_cpu / max(self.interactions, 1) * 1000

    def percentile(self, q: float) -> float:
        return percentile(self.tally.every, q)

    def by_kind(self) -> str:
        lat = self.tally.latencies
        return ", ".join(
            f"{k} {percentile(lat[k], 50):.1f}/{percentile(lat[k], 99):.1f}" for k in lat if lat[k]
        )

    def gc_longest(self) -> float:
        return max((w.gc_longest_ms for w in self.windows), default=math.nan)

    def stall_longest(self) -> float:
        return max((w.stall_ms for w in self.windows), default=math.nan)

    def cpu_note(self) -> str:
        return (
            f"CPU per interaction: bot {self.bot_cpu_ms():.2f} ms ({self.loop_share():.0%} in "
            f"its event loop's thread), emulator {self.emulator_cpu_ms():.2f} ms (no spec check)"
        )

    def trend(self) -> str:
        """First and last window: what grows with uptime shows here."""
        if not self.windows:
            return ""
        a, b = self.windows[0], self.windows[-1]
        return (
            f"first/last {a.seconds:.0f} s: p99 {a.p99_ms:.1f}/{b.p99_ms:.1f} ms, longest "
            f"collection {a.gc_longest_ms:.0f}/{b.gc_longest_ms:.0f} ms, RSS "
            f"{a.rss_mb:.1f}/{b.rss_mb:.1f} MB"
        )


async def run_load(
    size: Size,
    work: Path,
    *,
    name: str,
    rate: float,
    seconds: float,
    kind: str = "hearth",
    cpus: set[int] | None = None,
    emulator_cpus: set[int] | None = None,
    count_writes: bool = False,
    kinds: tuple[str, ...] = KINDS,
) -> Run:
    """A fresh bot process, a world set up through it, a warm-up, then `seconds` of
    interactions arriving at `rate` a second, read in windows."""
    import os

    warm = size.load_warmup
    guilds = guilds_for(rate, seconds + warm, size.load_guilds)
    clock = ShiftedClock.at(BASE)
    mask = os.sched_getaffinity(0)
    if emulator_cpus:
        os.sched_setaffinity(0, emulator_cpus)
    try:
        async with emulator(spec=False, clock=clock) as fake:
            fake.response_timeout = DEADLINE_MS / 1000
            servers = build_servers(fake, guilds, PER_SERVER, prefix=name[:1])
            key = new_data_key()
            database = None
            if kind == "hearth":
                database = fresh(work / f"{name}.sqlite3")
                with data_key(key):
                    db = await open_database(database)
                    try:
                        await register_servers(db, [s.guild.id for s in servers], BASE)
                        # Regulars of their groups: their first visit today writes nothing.
                        pairs = [(s.guild.id, m.id) for s in servers for m in s.members]
                        await members_seen(db, pairs, BASE)
                    finally:
                        await db.close()
            bot = BotProcess(
                fake,
                kind=kind,
                offset=clock.offset.total_seconds(),
                database=database,
                data_key=key,
                expect_guilds=guilds,
                dm_open_rate=1000.0,  # the set-up opens hundreds of DMs; not what is measured
                dm_open_burst=1000,
                log_path=work / f"{name}-{kind}.log",
                count_writes=count_writes,
                intents="hearth",
                guild_ready_timeout=size.guild_ready_timeout,
                cpus=cpus,
            )
            try:
                await bot.start(timeout=120)
                ready = await bot.stats(gc=True)
                t = time.perf_counter()
                if kind == "hearth":
                    world = await build_world(fake, servers, min(size.load_mood_people, guilds * 5))
                else:
                    people = [Person(s, m) for s in servers for m in s.members[1:]]
                    world = World(servers, people, people, {}, {})
                    kinds = ("ping",)
                set_up = time.perf_counter() - t
                stamps = Stamps(fake)
                trim = Trim(fake)
                load = Load(world, stamps, kinds=kinds, think=size.load_think)
                # The emulator's world is built: keep its own collections out of the way.
                gc.collect()
                gc.freeze()
                await load.run(rate, warm)
                warmed = await bot.stats(gc=True, reset=True)
                if os.environ.get("HEARTH_BENCH_TRACEMALLOC"):  # diagnosis: bench/worker.py
                    await bot.request("trace_start")
                trim()
                windows: list[Window] = []
                loop = asyncio.get_running_loop()
                load.recording = True
                profile = os.environ.get("HEARTH_BENCH_LOAD_PROFILE")  # diagnosis
                if profile:
                    await bot.request("profile_start")
                before = await bot.stats(reset=True)
                t0, cpu0 = loop.time(), time.process_time()
                run_task = asyncio.create_task(load.run(rate, seconds))
                window_s = min(size.load_window, seconds)
                tick, last_cpu = t0 + window_s, before["cpu"]
                while True:
                    await asyncio.wait({run_task}, timeout=max(0.0, tick - loop.time()))
                    if run_task.done():
                        break
                    reading = await bot.stats(reset=True)
                    windows.append(_window(load, reading, loop.time() - t0, last_cpu))
                    load.window += 1
                    tick, last_cpu = tick + window_s, reading["cpu"]
                    trim()
                    # What the emulator keeps of the run so far, out of its collector's
                    # sight: walking it made this process's full collections longer and
                    # longer, and each one held the interactions it was about to send,
                    # which then reached the bot in a burst (at 200/s, p99 37 → 247 ms
                    # over 15 minutes, none of it the bot's doing).
                    gc.freeze()
                await run_task
                wall = loop.time() - t0
                if wall - (tick - window_s) >= window_s / 2:  # a last stretch of its own
                    reading = await bot.stats(reset=True)
                    windows.append(_window(load, reading, wall, last_cpu))
                emulator_cpu = time.process_time() - cpu0
                after = await bot.stats()
                if profile:
                    await bot.request("profile_stop", path=f"{profile}.{kind}", all=False)
                load.recording = False
                end = await bot.stats(gc=True)
            finally:
                gc.unfreeze()
                await bot.stop()
            problems = unexpected(fake, late_is_timing=True)
            timing = too_late(fake)
    finally:
        if emulator_cpus:
            os.sched_setaffinity(0, mask)
    tally = load.tally
    if tally.refused:
        problems.append(f"{tally.refused} interactions had a response refused")
    if tally.broken:
        problems.append(f"{len(tally.broken)} flows broke, e.g. {tally.broken[0]}")
    if tally.skipped:
        problems.append(f"{tally.skipped} flows found nobody free to do them")
    return Run(
        kind=kind,
        rate=rate,
        seconds=seconds,
        tally=tally,
        windows=windows,
        ready=ready,
        warmed=warmed,
        before=before,
        after=after,
        end=end,
        wall=wall,
        emulator_cpu=emulator_cpu,
        guilds=guilds,
        people=len(world.people),
        set_up=set_up,
        problems=problems,
        timing=timing,
    )
