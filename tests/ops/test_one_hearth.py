"""Two `make run` at once: the second is refused in plain words, and the first keeps the
database to itself. A crash never leaves a stale lock."""

from __future__ import annotations

import signal
from pathlib import Path

from bot import crypto
from tests.ops.helpers import PYTHON, TOKEN, checkout, hearth, make, running

TRYING = "can't reach Discord"


def test_a_second_hearth_on_the_same_database_is_refused(tmp_path: Path) -> None:
    here = checkout(tmp_path, f"DISCORD_TOKEN={TOKEN}\nHEARTH_DATA_KEY={crypto.new_key()}\n")
    (here / ".env").chmod(0o600)
    # The first one holds the database while it waits for Discord (no network here).
    with running([PYTHON, "-m", "bot", "run"], cwd=here) as first:
        first.wait_for(lambda lines: any(TRYING in line for line in lines))
        pid = first.proc.pid

        second = make("run", cwd=here, timeout=30).clean()
        assert second.code != 0
        assert (
            f"Hearth is already running on data/hearth.sqlite3 (process {pid}), so this run "
            "stopped before touching it. One Hearth per database: a second one would answer "
            "every interaction twice. Stop the other one first (Ctrl-C in its terminal, or "
            f"`kill {pid}`), or point HEARTH_DATABASE at another file."
        ) in second.err
        assert TRYING not in second.said  # it never went near Discord

        # Anything that writes the database waits its turn the same way.
        migrate = hearth("migrate", cwd=here).clean()
        assert migrate.code == 1
        assert "so this migrate stopped before touching it" in migrate.err
        # A backup is safe while Hearth runs.
        assert hearth("backup", "copy.sqlite3", cwd=here).clean().code == 0

        assert first.proc.poll() is None  # the first one carries on
        first.proc.send_signal(signal.SIGKILL)  # and dies the hard way
        first.proc.wait(10)

    # Its lock went with it: the next start goes ahead.
    with running([PYTHON, "-m", "bot", "run"], cwd=here) as third:
        third.wait_for(lambda lines: any(TRYING in line for line in lines))
        assert "already running" not in third.out
