"""The benchmark's side of `bench.worker`: spawn a bot in its own process, talk to it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakediscord import FakeDiscord

ROOT = Path(__file__).resolve().parent.parent


def new_data_key() -> str:
    """A fresh key for a benchmark's throw-away database."""
    from bot import crypto

    return crypto.new_key()


def _open_log(path: Path | None) -> Any:
    return open(path, "ab") if path is not None else asyncio.subprocess.DEVNULL


class BotProcess:
    """One bot (`kind` "hearth" or "plain") in a child process, connected to `fake`."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        kind: str = "hearth",
        database: Path | None = None,
        offset: float | None = None,
        expect_guilds: int = 0,
        dm_open_rate: float | None = None,
        dm_open_burst: int | None = None,
        log_path: Path | None = None,
        data_key: str | None = None,
        count_writes: bool = False,
        intents: str = "default",
        guild_ready_timeout: float = 2.0,
        cpus: set[int] | None = None,
    ) -> None:
        self.fake = fake
        self.kind = kind
        self.database = database
        self.offset = offset
        self.expect_guilds = expect_guilds
        self.dm_open_rate = dm_open_rate
        self.dm_open_burst = dm_open_burst
        self.log_path = log_path
        self.data_key = data_key or new_data_key()
        self.count_writes = count_writes
        self.intents = intents
        self.guild_ready_timeout = guild_ready_timeout
        self.cpus = cpus  # pinned to these cores (the bench's own process stays off them)
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned_at = 0.0
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.logged_in: dict[str, Any] = {}
        self.ready: dict[str, Any] = {}
        self._reader: asyncio.Task[None] | None = None
        self._log: Any = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _argv(self) -> list[str]:
        fake = self.fake
        argv = [
            sys.executable,
            "-m",
            "bench.worker",
            "--kind",
            self.kind,
            "--api",
            fake.api_url,
            "--gateway",
            fake.gateway_url,
            "--token",
            fake.token,
            "--expect-guilds",
            str(self.expect_guilds),
            "--intents",
            self.intents,
            "--guild-ready-timeout",
            repr(self.guild_ready_timeout),
        ]
        if self.database is not None:
            argv += ["--database", str(self.database)]
        if self.count_writes:
            argv.append("--count-writes")
        if self.offset is not None:
            argv += ["--offset", repr(self.offset)]
        if self.dm_open_rate is not None:
            argv += ["--dm-open-rate", repr(self.dm_open_rate)]
        if self.dm_open_burst is not None:
            argv += ["--dm-open-burst", str(self.dm_open_burst)]
        return argv

    async def start(self, timeout: float = 60.0) -> dict[str, Any]:
        """Spawn, wait until the bot is ready and sees every expected guild."""
        self._log = _open_log(self.log_path)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DISCORD_TOKEN", None)
        env["HEARTH_DATA_KEY"] = self.data_key  # by environment, never on a command line
        self.spawned_at = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            *self._argv(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            cwd=str(ROOT),
            env=env,
            limit=16 * 1024 * 1024,
        )
        if self.cpus:
            os.sched_setaffinity(self.proc.pid, self.cpus)
        self._reader = asyncio.create_task(self._read())
        self.logged_in = await self.wait_for("logged_in", timeout)
        self.ready = await self.wait_for("ready", timeout)
        return self.ready

    async def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                await self.events.put({"ev": "exited"})
                return
            try:
                await self.events.put(json.loads(line))
            except json.JSONDecodeError:
                continue

    async def wait_for(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the {self.kind} bot sent no {event!r} in {timeout}s")
            got = await asyncio.wait_for(self.events.get(), remaining)
            if got.get("ev") == event:
                return got
            if got.get("ev") == "exited":
                raise RuntimeError(
                    f"the {self.kind} bot exited before {event!r}"
                    + (f" (see {self.log_path})" if self.log_path else "")
                )

    async def request(self, cmd: str, reply: str | None = None, **data: Any) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"cmd": cmd, **data}) + "\n").encode())
        await self.proc.stdin.drain()
        return await self.wait_for(reply or cmd)

    async def stats(self, *, gc: bool = False, reset: bool = False) -> dict[str, Any]:
        """The bot's figures now; `reset` starts the next reading's stalls and collections
        afresh (per-window figures)."""
        return await self.request("stats", gc=gc, reset=reset)

    async def probe_reset(self) -> None:
        await self.request("probe_reset")

    async def stop(self) -> None:
        if self.proc is None:
            return
        try:
            if self.proc.returncode is None and self.proc.stdin is not None:
                self.proc.stdin.write(b'{"cmd": "quit"}\n')
                await self.proc.stdin.drain()
                await asyncio.wait_for(self.proc.wait(), 15)
        except (TimeoutError, ConnectionError, RuntimeError):
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
        finally:
            if self._reader is not None:
                self._reader.cancel()
            if self._log not in (None, asyncio.subprocess.DEVNULL):
                self._log.close()
            self.proc = None

    async def __aenter__(self) -> BotProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
