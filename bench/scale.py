"""Past one process, proven (`make scale-proof`, `python -m bench.scale`).

Two Hearths as an operator runs them — `python -m bot run`, each with two of four shards —
against one emulator and one PostgreSQL (pgserver's binaries in a temporary folder, or
`--postgres URL`), with Discord's limits on:

A. **Fan-out.** 4,000 servers whose weekly prompts fall due in the same minute, and 1,000
   people whose daily check-ins fall due then too (spread over their two minutes). Every
   prompt posted exactly once and every check-in sent exactly once (counted from the
   emulator's record of every post and DM), 0 × 429, each process's jobs only for its own
   shards (from what each logs: `prompt recorded guild=…`, `checkin queued user=…`), and
   the whole within 1.1 × the floor (requests ÷ Discord's 50 a second, both processes
   sharing the global limit: 24 a second each). Start-up and memory per process, per shard.
B. **kill -9 mid-fan-out.** The same again on a new database; once the second process has
   posted a third of its servers' prompts it is killed with SIGKILL, and a replacement with
   the same shards is started at once: it waits for the dead one's leases to run out,
   takes them over, and finishes. Nothing lost, nothing doubled.

    python -m bench.scale                 # full size (about six minutes)
    python -m bench.scale --tiny          # 40 servers, 12 people (the smoke test)
    python -m bench.scale --keep DIR      # keep the processes' logs
    python -m bench.scale --doc           # also rewrite its section of docs/performance.md

Figures go to bench/results/scale.md (untracked); the exit code is 1 if anything was lost,
doubled, refused or late beyond the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import Row, ShiftedClock, rss_mb
from bench.world import unexpected, workspace

if TYPE_CHECKING:
    from bot.db import Database
    from tests.fakediscord import FakeChannel, FakeDiscord, FakeUser

ROOT = Path(__file__).resolve().parent.parent
NAME = "7. two processes, one PostgreSQL"
KILLED = "8. kill -9 mid-fan-out"
SHARDS = 4
HALVES = ("0-1", "2-3")
GLOBAL_RATE = 50.0
# Wednesday 14 January 2026, 19:00 in Berlin: every prompt's and every check-in's minute.
DUE = datetime(2026, 1, 14, 18, 0, tzinfo=UTC)
ZONE = "Europe/Berlin"
PROMPT = "this week's prompt"
CHECKIN = "How are you, really?"


@dataclass(frozen=True)
class Size:
    name: str
    servers: int
    people: int
    lead: float  # seconds between starting the processes and the due minute
    lease_seconds: float  # HEARTH_LEASE_SECONDS (the replacement waits this long at most)
    max_concurrency: int  # the emulator's session_start_limit.max_concurrency
    dm_open_rate: float | None = None
    # Only people whose check-in spread (cogs.support JITTER, up to two minutes) is this
    # short: a tiny run doesn't wait two minutes for twelve DMs.
    max_spread: float | None = None


FULL = Size("full", servers=4000, people=1000, lead=45.0, lease_seconds=30.0, max_concurrency=1)
# Small enough for the test suite: shards IDENTIFY at once, a short lease, DMs opened fast.
TINY = Size(
    "tiny", servers=40, people=12, lead=12.0, lease_seconds=3.0, max_concurrency=4,
    dm_open_rate=50.0, max_spread=2.0,
)  # fmt: skip


# --------------------------------------------------------------------------- a process


class Hearth:
    """`python -m bot run` in its own process, its log read as it grows."""

    def __init__(self, name: str, shards: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.shards = shards
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned = 0.0
        self.lines: list[tuple[float, str]] = []  # (monotonic time first seen, line)
        self._read = 0
        self.ready_rss = 0.0

    @property
    def held(self) -> list[int]:
        start, _, end = self.shards.partition("-")
        return list(range(int(start), int(end or start) + 1))

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.spawned = time.monotonic()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                cwd=str(self.log.parent), env=self.env, stdout=out, stderr=out,
            )  # fmt: skip

    def poll(self) -> None:
        if not self.log.exists():
            return
        with self.log.open("rb") as f:
            f.seek(self._read)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1
        self._read += end
        now = time.monotonic()
        self.lines += [(now, line) for line in chunk[:end].decode("utf-8", "replace").splitlines()]

    def seen(self, pattern: str) -> list[tuple[float, re.Match[str]]]:
        self.poll()
        regex = re.compile(pattern)
        return [(t, m) for t, line in self.lines if (m := regex.search(line))]

    async def wait_for(self, pattern: str, timeout: float) -> float:
        """Until the log says `pattern`; seconds since the process was spawned."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.seen(pattern)
            if found:
                return found[0][0] - self.spawned
            if self.proc is not None and self.proc.returncode is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); see {self.log}")
            await asyncio.sleep(0.02)
        raise TimeoutError(f"{self.name} never logged {pattern!r}; see {self.log}")

    def rss(self) -> float:
        assert self.proc is not None
        return rss_mb(self.proc.pid)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def outside(self, count: int) -> list[str]:
        """Jobs this process ran for shards it doesn't run (from its log)."""
        from bot.shards import shard_of

        mine = set(self.held)
        wrong = [
            f"guild={m[1]}"
            for _, m in self.seen(r"prompt recorded guild=(\d+)")
            if shard_of(int(m[1]), count) not in mine
        ]
        wrong += [
            f"user={m[1]}"
            for _, m in self.seen(r"checkin queued user=(\d+)")
            if shard_of(int(m[1]), count) not in mine
        ]
        return wrong

    def _held_since(self) -> dict[int, float]:
        """When each shard's lease became this process's (from its log)."""
        from bot.config import parse_shard_ids

        found: dict[int, float] = {}
        for t, m in self.seen(r"shard leases held=(\S+) waiting="):
            if m[1] != "-":
                found.update(dict.fromkeys(parse_shard_ids(m[1]), t))
        for t, m in self.seen(r"shard lease taken over shard=(\d+)"):
            found.setdefault(int(m[1]), t)
        return found

    def holds_all(self) -> bool:
        return set(self._held_since()) >= set(self.held)

    def held_at(self) -> float:
        return max(self._held_since().values())

    def ran(self, pattern: str) -> int:
        return len(self.seen(pattern))


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    fake: FakeDiscord
    clock: ShiftedClock
    channels: dict[int, FakeChannel]  # guild id → Hearth's channel
    people: list[FakeUser]
    url: str
    key: str
    work: Path
    size: Size
    processes: list[Hearth] = field(default_factory=list)

    def env(self, shards: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "DISCORD_"))}
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "DISCORD_TOKEN": self.fake.token,
                "HEARTH_DATA_KEY": self.key,
                "HEARTH_DATABASE": self.url,
                "HEARTH_DISCORD_API": self.fake.api_url,
                "HEARTH_DISCORD_GATEWAY": self.fake.gateway_url,
                "HEARTH_LOG_LEVEL": "INFO",
                "HEARTH_SHARD_COUNT": str(SHARDS),
                "HEARTH_SHARD_IDS": shards,
                "HEARTH_LEASE_SECONDS": repr(self.size.lease_seconds),
                "HEARTH_CLOCK_OFFSET_SECONDS": repr(self.clock.offset.total_seconds()),
            }
        )
        if self.size.dm_open_rate is not None:
            env["HEARTH_DM_OPEN_RATE"] = repr(self.size.dm_open_rate)
        return env

    def process(self, name: str, shards: str) -> Hearth:
        found = Hearth(name, shards, self.env(shards), self.work / f"{name}.log")
        self.processes.append(found)
        return found

    def posts(self) -> dict[int, int]:
        return {g: sum(PROMPT in m.text for m in c.bot_messages) for g, c in self.channels.items()}

    def dms(self) -> dict[int, int]:
        return {p.id: sum(CHECKIN in m.text for m in p.dms()) for p in self.people}

    def done(self) -> bool:
        return all(self.posts().values()) and all(self.dms().values())

    def last_prompt(self) -> float:
        """Seconds from the due minute to the last prompt the emulator made."""
        made = [m.created_at for c in self.channels.values() for m in c.bot_messages]
        return (max(made) - DUE).total_seconds() if made else float("nan")

    def last_delivery(self) -> float:
        """Seconds from the due minute to the last prompt or check-in the emulator made."""
        made = [m.created_at for c in self.channels.values() for m in c.bot_messages]
        made += [m.created_at for p in self.people for m in p.dms() if CHECKIN in m.text]
        return (max(made) - DUE).total_seconds() if made else float("nan")

    def exactly_once(self) -> tuple[int, int, int, int]:
        """(prompts missing, doubled, check-ins missing, doubled)."""
        posts, dms = self.posts().values(), self.dms().values()
        return (
            sum(n == 0 for n in posts),
            sum(n > 1 for n in posts),
            sum(n == 0 for n in dms),
            sum(n > 1 for n in dms),
        )


@contextlib.asynccontextmanager
async def postgres(given: str | None) -> AsyncIterator[Callable[[str], Any]]:
    """A function making a new, empty database (its URL) on the given server, or on one
    started from pgserver's binaries for the run."""
    import asyncpg

    server: Any = None
    admin = given
    if admin is None:
        from tests.pg import _bin_dir, _Server

        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError("pgserver isn't installed (the dev extra): pass --postgres URL")
        server = _Server(bin_dir)
        server.start()
        admin = server.url()

    async def new(name: str) -> str:
        assert admin is not None
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return admin.rsplit("/", 1)[0] + "/" + name

    try:
        yield new
    finally:
        if server is not None:
            server.stop()


async def build(fake: FakeDiscord, size: Size) -> tuple[dict[int, Any], list[Any]]:
    """Servers spread evenly over the four shards, each with Hearth's channel; people
    spread evenly too, each a member of a server on another shard than their own."""
    channels: dict[int, Any] = {}
    guilds = []
    for i in range(size.servers):
        guild = fake.add_guild(f"s{i}", shard=(i % SHARDS, SHARDS))
        channels[guild.id] = guild.add_text_channel("hearth")
        guilds.append(guild)
    from cogs.support.logic import jitter

    people = []
    while len(people) < size.people:
        i = len(people)
        person = fake.add_user(f"p{i}", shard=((i + 1) % SHARDS, SHARDS))
        if size.max_spread is not None and jitter(person.id).total_seconds() >= size.max_spread:
            del fake.users[person.id]
            continue
        guilds[i % len(guilds)].add_member(person)
        people.append(person)
    return channels, people


async def populate(url: str, key: str, world: World, now: datetime) -> None:
    """As if each server's admins ran `/hearth setup` yesterday and each person
    `/checkin start` an hour ago (bench.populate, through the stores)."""
    from bench.populate import CheckinPerson, Setup, checkin_people, configure_servers, data_key
    from bot import crypto, timeutil
    from bot.db import Database, discover_migrations
    from bot.privacy import check_data_key

    local = timeutil.to_local(DUE, ZONE)
    at = local.time().replace(tzinfo=None)
    with data_key(key):
        db: Database = Database(url)
        await db.connect()
        try:
            await db.migrate(discover_migrations())
            await check_data_key(db, crypto.DataCipher(key))
            setups = [Setup(g, c.id, ZONE, local.weekday(), at) for g, c in world.channels.items()]
            await configure_servers(db, setups, now)
            members = {p.id: g.id for g in world.fake.guilds.values() for p in g.members.values()}
            await checkin_people(
                db, [CheckinPerson(p.id, members[p.id], ZONE, at) for p in world.people], now
            )
        finally:
            await db.close()


@contextlib.asynccontextmanager
async def a_world(
    size: Size, new_db: Callable[[str], Any], name: str, work: Path
) -> AsyncIterator[World]:
    from bot import crypto
    from tests.fakediscord import FakeDiscord

    clock = ShiftedClock.at(DUE - timedelta(hours=2))
    fake = FakeDiscord(spec=True, clock=clock)
    fake.max_concurrency = size.max_concurrency
    await fake.start()
    try:
        channels, people = await build(fake, size)
        key = crypto.new_key()
        url = await new_db(name)
        world = World(fake, clock, channels, people, url, key, work, size)
        await populate(url, key, world, clock.now())
        clock.set(DUE - timedelta(seconds=size.lead))  # the day begins: start the processes
        try:
            yield world
        finally:
            await asyncio.gather(*(p.stop() for p in world.processes))
    finally:
        await fake.stop()


# --------------------------------------------------------------------------- A: fan-out


@dataclass
class Outcome:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def ready(processes: Sequence[Hearth], timeout: float) -> list[float]:
    return list(
        await asyncio.gather(
            *(p.wait_for(r"ready in \d+ servers \(shards", timeout) for p in processes)
        )
    )


async def until(check: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        await asyncio.sleep(0.2)
    return check()


def per_shard(process: Hearth) -> str:
    found = process.seen(r"shard (\d+) of \d+ ready servers=(\d+)")
    return ", ".join(
        f"shard {m[1]} ({int(m[2]):,} servers) ready at {t - process.spawned:.1f} s"
        for t, m in found
    )


def counted(world: World, out: Outcome, bench: str, what: str) -> None:
    missing, doubled, unsent, twice = world.exactly_once()
    out.rows += [
        Row(
            bench,
            "prompts lost or doubled",
            missing + doubled,
            "",
            0,
            digits=0,
            note=f"{len(world.channels):,} servers: {missing} without a prompt, {doubled} with "
            f"two or more ({what})",
        ),
        Row(
            bench,
            "check-ins lost or doubled",
            unsent + twice,
            "",
            0,
            digits=0,
            note=f"{len(world.people):,} people: {unsent} without a check-in, {twice} with two "
            "or more",
        ),
    ]
    if missing or doubled or unsent or twice:
        out.problems.append(
            f"{bench}: {missing} prompts missing, {doubled} doubled; {unsent} check-ins "
            f"missing, {twice} doubled"
        )


def rest_rows(world: World, out: Outcome, bench: str) -> None:
    fake = world.fake
    out.rows += [
        Row(bench, "429 responses", fake.stats.ratelimited, "", 0, digits=0),
        Row(bench, "invalid requests (401/403/429)", fake.stats.invalid, "", 0, digits=0),
    ]
    if fake.stats.ratelimited or fake.stats.invalid:
        out.problems.append(
            f"{bench}: {fake.stats.ratelimited} × 429, {fake.stats.invalid} invalid requests"
            f" ({', '.join(f'{n} × {what}' for what, n in fake.stats.limited.most_common())})"
        )
    out.problems += [f"{bench}: {p}" for p in unexpected(fake)]


def owned_rows(processes: Sequence[Hearth], out: Outcome, bench: str) -> None:
    wrong = {p.name: p.outside(SHARDS) for p in processes}
    prompts = {p.name: p.ran(r"prompt recorded guild=") for p in processes}
    checkins = {p.name: p.ran(r"checkin queued user=") for p in processes}
    out.rows.append(
        Row(
            bench,
            "jobs run outside the process's shards",
            sum(len(w) for w in wrong.values()),
            "",
            0,
            digits=0,
            note="; ".join(
                f"{p.name} (shards {p.shards}): {prompts[p.name]:,} prompts, "
                f"{checkins[p.name]:,} check-ins"
                for p in processes
            ),
        )
    )
    for name, found in wrong.items():
        if found:
            out.problems.append(f"{bench}: {name} ran jobs of shards it doesn't run: {found[:5]}")


async def fan_out(size: Size, new_db: Callable[[str], Any], work: Path) -> Outcome:
    out = Outcome()
    async with a_world(size, new_db, "scale_fanout", work) as world:
        fake = world.fake
        one, two = world.process("hearth-a", HALVES[0]), world.process("hearth-b", HALVES[1])
        await asyncio.gather(one.start(), two.start())
        started = await ready((one, two), timeout=size.lead + 120)
        for p in (one, two):
            p.ready_rss = p.rss()
        wait = (DUE - world.clock.now()).total_seconds()
        if wait < 0:
            out.problems.append(f"{NAME}: the processes were ready {-wait:.1f} s after due")
        await asyncio.sleep(max(0.0, wait - 1.0))
        requests0 = fake.stats.requests
        floor_cap = (size.servers + 2 * size.people) / GLOBAL_RATE
        every_prompt = await until(
            lambda: all(world.posts().values()), max(wait, 0) + floor_cap * 2 + 120
        )
        by_then = fake.stats.requests - requests0  # prompts, and the check-ins sent so far
        finished = every_prompt and await until(world.done, floor_cap * 2 + 120)
        await asyncio.sleep(1.0)  # anything after the last delivery is counted too
        requests = fake.stats.requests - requests0
        prompts, total = world.last_prompt(), world.last_delivery()
        after = {p.name: p.rss() for p in (one, two)}
        counted(world, out, NAME, "each process posts its own servers' half")
        if not finished:
            out.problems.append(f"{NAME}: not everything was delivered in time")
        floor = by_then / GLOBAL_RATE
        out.rows += [
            Row(
                NAME,
                "prompt fan-out: all posted, after the due time",
                prompts,
                "s",
                note=f"{size.servers:,} prompts; {by_then:,} requests by then (check-ins "
                f"too), floor {floor:.1f} s at 50/s, shared by two processes (24/s each)",
            ),
            # Judged at full size only: a tiny run's floor is a second or two.
            Row(
                NAME,
                "prompt fan-out: time ÷ floor",
                prompts / floor if floor else None,
                "×",
                1.1 if size is FULL else None,
                digits=3,
            ),
            Row(
                NAME,
                "prompts and check-ins: all delivered, after the due time",
                total,
                "s",
                note=f"{size.people:,} check-ins due over their two minutes, each process "
                "opening at most 5 new DMs a second (HEARTH_DM_OPEN_RATE), behind the prompts "
                f"due before them; {requests:,} requests in all, {requests / GLOBAL_RATE:.1f} s "
                "at 50/s",
            ),
        ]
        rest_rows(world, out, NAME)
        owned_rows((one, two), out, NAME)
        for p, took in zip((one, two), started, strict=True):
            out.rows.append(
                Row(
                    NAME,
                    f"{p.name}: process start → ready",
                    took,
                    "s",
                    note=per_shard(p)
                    + f"; identify concurrency {size.max_concurrency} (a shard per 5 s)",
                )
            )
        for p in (one, two):
            held = len(p.held)
            out.rows.append(
                Row(
                    NAME,
                    f"{p.name}: resident memory after ready",
                    p.ready_rss,
                    "MB",
                    note=f"{p.ready_rss / held:.1f} MB per shard ({held} shards, "
                    f"{size.servers // SHARDS:,} servers each); {after[p.name]:.1f} MB after "
                    "the fan-out",
                )
            )
    return out


# --------------------------------------------------------------------------- B: kill -9


async def killed(size: Size, new_db: Callable[[str], Any], work: Path) -> Outcome:
    from bot.shards import shard_of

    out = Outcome()
    async with a_world(size, new_db, "scale_killed", work) as world:
        fake = world.fake
        one, two = world.process("survivor", HALVES[0]), world.process("killed", HALVES[1])
        await asyncio.gather(one.start(), two.start())
        await ready((one, two), timeout=size.lead + 120)
        theirs = [g for g in world.channels if shard_of(g, SHARDS) in two.held]

        def a_third_posted() -> bool:
            posts = world.posts()
            return sum(posts[g] > 0 for g in theirs) >= len(theirs) // 3

        wait = (DUE - world.clock.now()).total_seconds()
        if not await until(a_third_posted, max(wait, 0) + len(theirs) / 10 + 60):
            out.problems.append(f"{KILLED}: the second process never got a third through")
        two.kill()
        killed_at = time.monotonic()
        posted_then = sum(world.posts()[g] > 0 for g in theirs)
        three = world.process("replacement", HALVES[1])
        await three.start()
        # Its shards are its own once the dead one's leases ran out: at its start, or later
        # by taking each over.
        await three.wait_for(r"shard leases held=", 60)
        if not await until(three.holds_all, size.lease_seconds * 2 + 60):
            out.problems.append(f"{KILLED}: the replacement never held its shards")
        takeover = three.held_at() - killed_at
        floor_cap = (size.servers + 2 * size.people) / GLOBAL_RATE
        finished = await until(world.done, floor_cap * 3 + 120)
        await asyncio.sleep(1.0)
        if not finished:
            out.problems.append(f"{KILLED}: not everything was delivered in time")
        counted(world, out, KILLED, "with one process killed mid-way")
        repeats = three.ran(r"weekly prompt already posted") + three.ran(r"checkin already sent")
        resent = _nonce_hits(fake)
        out.rows += [
            Row(
                KILLED,
                "kill -9 → the replacement runs the shards",
                takeover,
                "s",
                note=f"killed after {posted_then:,} of its {len(theirs):,} servers' prompts; "
                f"HEARTH_LEASE_SECONDS {size.lease_seconds:.0f}; the replacement found "
                f"{repeats} jobs already done and resent {resent} posts Discord already had "
                "(same nonce: the emulator gave back the message it made)",
            ),
            Row(
                KILLED,
                "all posted and sent, after the due time",
                world.last_delivery(),
                "s",
            ),
        ]
        rest_rows(world, out, KILLED)
        owned_rows((one, two, three), out, KILLED)
    return out


def _nonce_hits(fake: FakeDiscord) -> int:
    """POSTs of a message that made none: a resend carrying a nonce Discord already had."""
    posts = sum(
        1
        for r in fake.requests
        if r.route == "POST /channels/{channel_id}/messages" and 200 <= r.status < 300
    )
    made = sum(len(c.bot_messages) for c in list(fake.channels.values()))
    return max(0, posts - made)


# --------------------------------------------------------------------------- the report

LATEST = ROOT / "bench" / "results" / "scale.md"
START, END = "<!-- bench:scale -->", "<!-- /bench:scale -->"


def section(rows: Sequence[Row], seconds: float, problems: Sequence[str], size: Size) -> str:
    from bench import report

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        START,
        f"Last run: {when} on {report.machine()}; `make scale-proof` ({size.name} size) took "
        f"{seconds / 60:.1f} minutes.",
        "",
        report.markdown(report.merge([rows])),  # one run: a figure per row
    ]
    if problems:
        parts += ["", "Problems seen during the run:", "", *[f"- {p}" for p in problems]]
    parts.append(END)
    return "\n".join(parts)


def write_doc(text: str, doc: Path) -> None:
    current = doc.read_text("utf-8")
    if START not in current or END not in current:
        raise RuntimeError(f"{doc} has no {START} … {END} section to rewrite")
    head, rest = current.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + text + tail, "utf-8")


async def run(size: Size, work: Path, postgres_url: str | None) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    problems: list[str] = []
    async with postgres(postgres_url) as new_db:
        for phase in (fan_out, killed):
            print(f"… {phase.__name__.replace('_', ' ')}", file=sys.stderr, flush=True)
            out = await phase(size, new_db, work)
            rows += out.rows
            problems += out.problems
    return rows, problems


def main(argv: Sequence[str] | None = None) -> int:
    from bench import report

    p = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--tiny", action="store_true", help="40 servers, 12 people")
    p.add_argument("--keep", type=Path, default=None, help="keep the processes' logs here")
    p.add_argument("--postgres", default=None, help="a server's URL (may CREATE DATABASE)")
    p.add_argument("--out", type=Path, default=LATEST, help="default: bench/results/scale.md")
    p.add_argument("--doc", action="store_true", help="also rewrite docs/performance.md's part")
    p.add_argument("--no-write", action="store_true", help="write no file")
    args = p.parse_args(argv)
    size = TINY if args.tiny else FULL
    started = time.perf_counter()
    with workspace(args.keep) as work:
        rows, problems = asyncio.run(run(size, work, args.postgres))
    seconds = time.perf_counter() - started
    print(f"\nHearth in two processes ({size.name} size) on {report.machine()}\n")
    print(report.text(report.merge([rows])))
    if problems:
        print("\nProblems:\n" + "\n".join(f"- {p}" for p in problems))
    print(f"\nTook {seconds / 60:.1f} minutes.")
    failed = bool(problems) or any(r.ok is False for r in rows)
    if not args.no_write:
        text = section(rows, seconds, problems, size)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Hearth in two processes ({size.name} size)\n\n{text}\n", "utf-8")
        print(f"Wrote {args.out}.")
        if args.doc and size is FULL:
            write_doc(text, report.DOC)
            print(f"Wrote {report.DOC}.")
        elif args.doc:
            print(f"Left {report.DOC} alone: it shows full runs only.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
