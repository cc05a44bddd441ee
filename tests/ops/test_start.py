"""A start as the operator watches it: `python -m bot run` against the local emulator ends
with one line, "ready in N servers", and nothing about voice libraries."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot import crypto
from tests.fakediscord import FakeDiscord
from tests.ops.helpers import PYTHON, checkout, discord_at, spawn


async def test_a_start_ends_with_ready_and_says_nothing_about_voice(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    for name in ("Friends", "Climbers"):
        fake_discord.add_guild(name).add_text_channel("general")
    here = checkout(
        tmp_path, f"DISCORD_TOKEN={fake_discord.token}\nHEARTH_DATA_KEY={crypto.new_key()}\n"
    )
    (here / ".env").chmod(0o600)
    env = discord_at(fake_discord.api_url, fake_discord.gateway_url)
    proc = await spawn([PYTHON, "-m", "bot", "run"], cwd=here, env=env)
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not lines or "ready in" not in lines[-1]:
                raw = await proc.stdout.readline()
                assert raw, "\n".join(lines)
                lines.append(raw.decode().rstrip("\n"))
            # Nothing more to say once ready: the next line would be news.
            try:
                async with asyncio.timeout(0.5):
                    extra = await proc.stdout.readline()
            except TimeoutError:
                extra = b""
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 15)

    assert lines[-1].endswith("INFO    bot.app: ready in 2 servers"), lines
    assert sum("ready in" in line for line in lines) == 1
    assert extra == b"", extra
    said = "\n".join(lines)
    assert "voice" not in said.lower()
    assert "Traceback" not in said
    assert code == 0
