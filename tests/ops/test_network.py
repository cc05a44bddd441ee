"""No network: one line saying Hearth can't reach Discord; `run` keeps trying with backoff
(as discord.py's reconnect does) and stops cleanly when asked; `sync-commands` says it and
exits."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from bot import crypto
from tests.ops.helpers import PYTHON, TOKEN, checkout, hearth, no_network, running

LINE = re.compile(
    r"WARNING bot\.connection: Hearth can't reach Discord \(connection refused at "
    r"127\.0\.0\.1:(\d+)\); trying again in \d+ s\.$"
)


@pytest.fixture
def here(tmp_path: Path) -> Path:
    here = checkout(tmp_path, f"DISCORD_TOKEN={TOKEN}\nHEARTH_DATA_KEY={crypto.new_key()}\n")
    (here / ".env").chmod(0o600)
    return here


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_without_network_keeps_trying_and_stops_cleanly(here: Path, sig: int) -> None:
    env, port = no_network()
    with running([PYTHON, "-m", "bot", "run"], cwd=here, env=env) as run:
        # Two attempts: the first fails at once, the next after the backoff's first delay.
        run.wait_for(lambda lines: sum(bool(LINE.search(x)) for x in lines) >= 2)
        code = run.stop(sig)  # bounded: a hang fails here
    assert code == 0
    assert "Traceback" not in run.out
    failures = [line for line in run.lines if LINE.search(line)]
    assert all(LINE.search(line).group(1) == str(port) for line in failures)  # type: ignore[union-attr]
    # Each attempt is this one line (and discord.py's "logging in"), nothing more.
    expected = ("logging in using static token", "migration applied")
    others = [
        line for line in run.lines if not LINE.search(line) and not any(e in line for e in expected)
    ]
    assert others == [], others


def test_sync_commands_without_network_says_so_in_one_line(here: Path) -> None:
    env, port = no_network()
    ran = hearth("sync-commands", cwd=here, env=env, timeout=30).clean()
    assert ran.code == 1
    lines = [line for line in ran.err.splitlines() if "logging in" not in line]
    assert lines == [
        f"Hearth can't reach Discord (connection refused at 127.0.0.1:{port}). Check this "
        "machine's connection and try again; nothing was synced."
    ]
