"""Runs one bot in its own process against the emulator: the real HearthBot, or a plain
discord.py bot with the library's default settings.

Its own process so that resident memory, event-loop stalls and CPU belong to the bot
alone (the emulator runs in the benchmark's process). It starts Hearth as `python -m bot
run` does (`HearthBot(settings, freeze_gc=True)`, discord.py's own 2 s
`guild_ready_timeout` unless told otherwise), on the benchmark's clock, then speaks JSON
lines:

- stdout: {"ev": "logged_in" | "ready" | "stats" | "closed", ...}
- stdin: {"cmd": "stats", "gc": bool, "reset": bool} · {"cmd": "probe_reset"} ·
  {"cmd": "quit"}

The plain bot (`--kind plain`) is a minimal discord.py bot as its documentation starts
one, with one slash command, `/ping`, answered with "pong" (benchmark 3's yardstick).

Nothing from tests/ is imported here: it would be counted in the bot's memory.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import GcWatch, LoopProbe, ShiftedClock, rss_mb

SPAWNED = time.monotonic()
GC = GcWatch()


def emit(event: str, **data: Any) -> None:
    sys.stdout.write(json.dumps({"ev": event, **data}) + "\n")
    sys.stdout.flush()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.worker")
    p.add_argument("--kind", choices=("hearth", "plain"), default="hearth")
    p.add_argument("--api", required=True)
    p.add_argument("--gateway", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--database", default=":memory:")
    p.add_argument("--offset", type=float, default=None, help="clock offset in seconds")
    p.add_argument("--expect-guilds", type=int, default=0)
    p.add_argument("--dm-open-rate", type=float, default=None)
    p.add_argument("--dm-open-burst", type=int, default=None)
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--count-writes", action="store_true")
    p.add_argument(
        "--intents",
        choices=("default", "hearth"),
        default="default",
        help="the plain bot's intents: the library's defaults, or exactly Hearth's",
    )
    p.add_argument(
        "--guild-ready-timeout",
        type=float,
        default=2.0,
        help="seconds discord.py waits for GUILD_CREATEs after READY (its default: 2)",
    )
    return p.parse_args(argv)


def build(args: argparse.Namespace) -> Any:
    if args.kind == "plain":
        return plain_bot(args)
    keep = os.environ.get("HEARTH_BENCH_KEEP_PANELS")
    if keep:  # diagnosis: panels as before issue 21, a view kept per panel for `keep` s
        keep_panels(float(keep))

    import importlib
    import pkgutil

    from bot.app import HearthBot, discover_cogs
    from bot.config import Settings
    from bot.logs import setup_logging

    # Import every cog's modules now, as the bot's own import would, so that module
    # loading isn't counted as an event-loop stall inside setup_hook.
    for name in discover_cogs():
        package = importlib.import_module(name)
        for sub in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{name}.{sub.name}")

    setup_logging(args.log_level)  # to stderr, which the benchmark sends to a file
    values: dict[str, Any] = {
        "discord_token": args.token,
        "database": args.database,
        "dev_guild_id": None,
        "log_level": args.log_level,
    }
    if args.dm_open_rate is not None:
        values["dm_open_rate"] = args.dm_open_rate
    if args.dm_open_burst is not None:
        values["dm_open_burst"] = args.dm_open_burst
    clock = ShiftedClock(timedelta(seconds=args.offset)) if args.offset is not None else None
    # As `python -m bot run` starts it (bot/__main__.py).
    return HearthBot(
        Settings(**values),
        clock=clock,
        freeze_gc=True,
        guild_ready_timeout=args.guild_ready_timeout,
    )


def keep_panels(timeout: float) -> None:
    """Per-person panels sent as live ephemeral views again (discord.py holds each, with
    all it refers to, until `timeout`): to measure what a kept panel costs."""
    import discord

    from bot import ui

    def kept(*items: discord.ui.Item[Any]) -> discord.ui.View:
        view = discord.ui.View(timeout=timeout)
        for item in items:
            view.add_item(item)
        return view

    ui.stateless_view = kept


def plain_bot(args: argparse.Namespace) -> Any:
    """A minimal bot as the library's documentation starts one: default caches (1,000
    messages, members as the intents allow), the library's default intents or Hearth's,
    and `/ping`, synced at start — sharded by Discord's recommendation, as any bot past
    2,500 servers must be (and Hearth is)."""
    import discord
    from discord.ext import commands

    if args.intents == "hearth":
        from bot.app import intents

        chosen = intents()
    else:
        chosen = discord.Intents.default()

    class Plain(commands.AutoShardedBot):
        async def setup_hook(self) -> None:
            await self.tree.sync()

    bot = Plain(command_prefix="!", intents=chosen, guild_ready_timeout=args.guild_ready_timeout)

    @bot.tree.command(name="ping", description="Is the bot there?")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    return bot


class WriteCounter:
    """Commits per interaction: wraps the bot's `db.transaction` and charges each commit to
    the task that made it. discord.py runs every interaction's handler in a task of its own
    (named "CommandTree-invoker" or "discord-ui-…"), so a task is an interaction."""

    PREFIXES = ("CommandTree", "discord-ui")

    def __init__(self, db: Any) -> None:
        self.db = db
        self.live: dict[asyncio.Task[Any], int] = {}
        self.finished: list[tuple[str, int]] = []
        original = db.transaction

        @asynccontextmanager
        async def counted(**kwargs: Any) -> AsyncIterator[Any]:
            async with original(**kwargs) as conn:
                start = db.transactions  # the lock is held: only this task commits now
                yield conn
            task = asyncio.current_task()
            # Read after the block: the commit happened on leaving `original()`.
            if task is not None and task.get_name().startswith(self.PREFIXES):
                if task not in self.live:
                    self.live[task] = 0
                    task.add_done_callback(self._done)
                self.live[task] += db.transactions - start

        db.transaction = counted

    def _done(self, task: asyncio.Task[Any]) -> None:
        count = self.live.pop(task, None)
        if count is not None:
            self.finished.append((task.get_name(), count))

    def reset(self) -> None:
        self.live.clear()
        self.finished.clear()

    def summary(self) -> dict[str, Any]:
        counts = [c for _, c in self.finished] + list(self.live.values())
        histogram: dict[str, int] = {}
        for count in counts:
            histogram[str(count)] = histogram.get(str(count), 0) + 1
        worst = max(counts, default=0)
        worst_names = sorted({_kind(n) for n, c in self.finished if c == worst and worst > 1})
        return {"histogram": histogram, "worst": worst, "tasks": len(counts), "who": worst_names}


def _kind(task_name: str) -> str:
    # "discord-ui-dynamic-item-MoodButton-hearth:ci:mood:1:4" → "MoodButton"
    parts = task_name.split("-")
    if task_name.startswith("discord-ui-dynamic-item-") and len(parts) > 4:
        return parts[4]
    return "-".join(p for p in parts[:3] if not p.isdigit())


def stats(client: Any, probe: LoopProbe, writes: WriteCounter | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "t": time.monotonic(),
        "rss": rss_mb(),
        "guilds": len(client.guilds),
        "stall_max_ms": probe.max_lag * 1000,
        "stalls": [(t, lag * 1000) for t, lag in probe.stalls[-200:]],
        "probe_samples": probe.samples,
        "cpu": time.process_time(),
        "loop_cpu": time.thread_time(),  # the event loop's thread alone
        "gc": GC.summary(),
    }
    db = getattr(client, "db", None)
    if db is not None:
        data["transactions"] = db.transactions
        data["jobs"] = len(client.scheduler.job_ids())
        data["aps_jobs"] = len(client.scheduler._aps.get_jobs())
    if writes is not None:
        data["interaction_writes"] = writes.summary()
    return data


def object_census(top: int = 60) -> str:
    """Objects the collector tracks (frozen ones too), by type: count and shallow bytes."""
    counts: dict[str, list[int]] = {}
    # What a full collection walks: the tracked objects that aren't frozen, by type.
    loose: dict[str, int] = {}
    for obj in gc.get_objects():
        name = f"{type(obj).__module__}.{type(obj).__qualname__}"
        loose[name] = loose.get(name, 0) + 1
    walked = "".join(
        f"{count:9,d}  {name}\n"
        for name, count in sorted(loose.items(), key=lambda kv: -kv[1])[:25]
    )
    walked = (
        f"{sum(loose.values()):,} objects not frozen (a full collection walks them)\n{walked}\n"
    )
    gc.unfreeze()  # frozen objects are out of get_objects()' sight
    everything = gc.get_objects()
    gc.freeze()
    for obj in everything:
        name = f"{type(obj).__module__}.{type(obj).__qualname__}"
        entry = counts.setdefault(name, [0, 0])
        entry[0] += 1
        entry[1] += sys.getsizeof(obj)
    rows = sorted(counts.items(), key=lambda kv: -kv[1][1])[:top]
    lines = [f"{size / 1e6:8.2f} MB {count:9,d}  {name}" for name, (count, size) in rows]
    total = sum(size for _, size in counts.values())
    return walked + f"{total / 1e6:.1f} MB in tracked objects (shallow)\n" + "\n".join(lines) + "\n"


def traced_growth(baseline: Any, top: int = 25) -> str:
    """Diagnosis (`HEARTH_BENCH_TRACEMALLOC`): the memory allocated since `baseline` that is
    still alive, grouped by the stack that allocated it, biggest first."""
    import tracemalloc

    gc.collect()
    import linecache

    snapshot = tracemalloc.take_snapshot().filter_traces(
        (
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, linecache.__file__),  # our own formatting, below
        )
    )
    stats = snapshot.compare_to(baseline, "traceback")
    lines = []
    for stat in stats[:top]:
        lines.append(f"{stat.size_diff / 1e3:10.1f} KB {stat.count_diff:+9,d} blocks")
        lines += [f"        {line}" for line in stat.traceback.format(most_recent_first=True)]
    total = sum(s.size_diff for s in stats)
    return f"{total / 1e6:.2f} MB more than after the warm-up\n" + "\n".join(lines) + "\n"


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, "utf-8")


async def commands_from_stdin() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def main(args: argparse.Namespace) -> None:
    import discord
    import yarl

    discord.http.Route.BASE = args.api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway)
    client = build(args)  # imports done before the probe starts: they aren't loop stalls
    if os.environ.get("HEARTH_BENCH_GC_THRESHOLD"):  # diagnosis: other collector thresholds
        gc.set_threshold(*(int(n) for n in os.environ["HEARTH_BENCH_GC_THRESHOLD"].split(",")))
    probe = LoopProbe()
    probe.start()
    GC.start()
    if os.environ.get("HEARTH_BENCH_STACKS"):
        probe.watch_stacks()
    if os.environ.get("HEARTH_BENCH_SLOW"):  # diagnosis only: name callbacks that stall
        asyncio.get_running_loop().slow_callback_duration = float(os.environ["HEARTH_BENCH_SLOW"])

    reader = await commands_from_stdin()
    writes = WriteCounter(client.db) if args.count_writes and args.kind == "hearth" else None

    try:
        await client.login(args.token)  # Hearth's setup_hook: database, cogs, every job rebuilt
    except BaseException:
        await client.close()  # the database thread would keep the process alive
        raise
    emit("logged_in", t=time.monotonic(), rss=rss_mb(), spawned=SPAWNED)
    shard_ready: dict[int, float] = {}

    async def ready_shard(shard_id: int) -> None:
        shard_ready.setdefault(shard_id, time.monotonic())

    client.add_listener(ready_shard, "on_shard_ready")
    connection = asyncio.create_task(client.connect(reconnect=True))
    await client.wait_until_ready()
    while len(client.guilds) < args.expect_guilds and not connection.done():  # noqa: ASYNC110
        await asyncio.sleep(0.001)  # GUILD_CREATEs still arriving after READY
    if connection.done():
        connection.result()
    emit("ready", shard_ready=shard_ready, **stats(client, probe, writes))

    # Diagnosis: where memory allocated since "trace_start" (after a load's warm-up) still
    # lives, by the code that made it.
    traced = os.environ.get("HEARTH_BENCH_TRACEMALLOC")
    baseline: Any = None
    census = 0
    profiler: Any = None
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        name = command.get("cmd")
        if name == "stats":
            if command.get("gc"):
                gc.collect()
            emit("stats", **stats(client, probe, writes))
            if command.get("reset"):  # the next reading covers only what comes after
                probe.reset()
                GC.reset()
            census += 1
            if os.environ.get("HEARTH_BENCH_OBJECTS"):  # diagnosis: what fills the memory
                where = f"{os.environ['HEARTH_BENCH_OBJECTS']}.{args.kind}-{len(client.guilds)}"
                _write(f"{where}.{census}", object_census())
            if baseline is not None:
                _write(f"{traced}.{census}", traced_growth(baseline))
        elif name == "trace_start":
            if traced:
                import tracemalloc

                tracemalloc.start(int(os.environ.get("HEARTH_BENCH_TRACEMALLOC_FRAMES", "8")))
                gc.collect()
                baseline = tracemalloc.take_snapshot()
            emit("trace_start")
        elif name == "probe_reset":
            probe.reset()
            GC.reset()
            if writes is not None:
                writes.reset()
            emit("probe_reset", t=time.monotonic())
        elif name == "profile_start":  # diagnosis: profile just one phase
            if os.environ.get("HEARTH_BENCH_CPROFILE"):  # per function, in CPU time
                import cProfile

                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
            else:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005, async_mode="disabled")
                profiler.start()
            emit("profile_start")
        elif name == "profile_stop":
            if os.environ.get("HEARTH_BENCH_CPROFILE"):
                profiler.disable()
                profiler.dump_stats(command["path"] + ".pstats")
            else:
                profiler.stop()
                everything = bool(command.get("all"))
                _write(command["path"], profiler.output_text(unicode=True, show_all=everything))
                # The whole session too, to render other ways (`pyinstrument --load`).
                profiler.last_session.save(command["path"] + ".pyisession")
            emit("profile_stop")
        elif name == "quit":
            break
    await probe.stop()
    await client.close()
    connection.cancel()
    emit("closed", t=time.monotonic())


def run(args: argparse.Namespace) -> None:
    """`HEARTH_BENCH_PROFILE=path.txt` writes a pyinstrument profile of the whole run."""
    target = os.environ.get("HEARTH_BENCH_PROFILE")
    if not target:
        asyncio.run(main(args))
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        asyncio.run(main(args))
    finally:
        profiler.stop()
        with open(target, "w", encoding="utf-8") as out:
            out.write(
                profiler.output_text(
                    unicode=True, show_all=bool(os.environ.get("HEARTH_BENCH_PROFILE_ALL"))
                )
            )


if __name__ == "__main__":
    run(parse())
