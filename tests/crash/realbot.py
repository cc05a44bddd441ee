"""Hearth as an operator runs it — `python -m bot run`, its own process — pointed at the
emulator, so a test can kill it (SIGKILL, or a deploy's SIGTERM) and start it again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tests.fakediscord.harness import TEST_DATA_KEY

if TYPE_CHECKING:
    from tests.fakediscord import FakeDiscord, FakeMember

ROOT = Path(__file__).resolve().parents[2]


class RealBot:
    def __init__(self, fake: FakeDiscord, workdir: Path) -> None:
        self.fake = fake
        self.workdir = workdir  # its own directory: no stray .env is read
        self.database = workdir / "hearth.sqlite3"
        self.log = workdir / "hearth.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.offset = 0.0  # seconds: Hearth runs "later" (HEARTH_CLOCK_OFFSET_SECONDS)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, *, crash_at: str | None = None) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("HEARTH_", "DISCORD_"))
        }
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "DISCORD_TOKEN": self.fake.token,
                "HEARTH_DATA_KEY": TEST_DATA_KEY,
                "HEARTH_DATABASE": str(self.database),
                "HEARTH_DISCORD_API": self.fake.api_url,
                "HEARTH_DISCORD_GATEWAY": self.fake.gateway_url,
                "HEARTH_LOG_LEVEL": "INFO",
            }
        )
        if crash_at:
            env["HEARTH_CRASH_AT"] = crash_at
        if self.offset:
            env["HEARTH_CLOCK_OFFSET_SECONDS"] = repr(self.offset)
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=str(self.workdir),
                env=env,
                stdout=log,
                stderr=log,
            )
        self.starts += 1

    async def ready(self, probe: FakeMember, timeout: float = 30.0) -> None:
        """Until Hearth answers a command (it has connected and sees its servers)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            if not self.alive:
                raise RuntimeError(f"Hearth exited while starting; see {self.log}")
            if self.fake.gateway.connected():
                r = await probe.slash("hearth help", timeout=1.0)
                if r.responded:
                    return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"Hearth didn't become ready; see {self.log}")

    async def exited(self, timeout: float) -> int | None:
        """Its exit code once it has stopped, or None if it is still running."""
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            return None

    async def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            if await self.exited(15.0) is None:
                self.proc.kill()
                await self.proc.wait()
