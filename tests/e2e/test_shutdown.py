"""`python -m bot run`'s loop: SIGTERM shuts Hearth down cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.__main__ import _run
from bot.config import Settings
from tests.fakediscord.harness import TEST_DATA_KEY


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_closes_scheduler_gateway_and_database(
    fake_discord: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    fake_discord.add_guild("Friends").add_text_channel("general")
    started: list[bot.app.HearthBot] = []

    class Recorded(bot.app.HearthBot):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._connection.guild_ready_timeout = 0.02
            started.append(self)

    monkeypatch.setattr(bot.app, "HearthBot", Recorded)
    settings = Settings(
        discord_token=fake_discord.token,
        database=tmp_path / "h.sqlite3",
        data_key=TEST_DATA_KEY,
    )
    run = asyncio.create_task(_run(settings, fake_discord.token))
    await fake_discord.until(lambda: bool(started) and started[0].is_ready(), timeout=5)
    hearth = started[0]

    os.kill(os.getpid(), sig)
    await asyncio.wait_for(run, timeout=5)  # returns: no exception, no hang

    assert hearth.is_closed()
    assert not hearth.scheduler._aps.running
    assert hearth.db._conn is None
    assert not fake_discord.gateway.connected()
    # The file is whole and readable by anyone after the shutdown.
    with sqlite3.connect(tmp_path / "h.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM guilds").fetchone()[0] == 1
