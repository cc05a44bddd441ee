"""At HEARTH_LOG_LEVEL=DEBUG Hearth's log still holds ids and events only: no library may
print SQL parameters (people's moods and words) or payloads; a dropped network is one line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from bot.db import Database
from bot.logs import setup_logging
from tests.ops.helpers import checkout, hearth

WORDS = "I felt awful at work today and nobody noticed"
LIBRARIES = ("discord", "aiosqlite", "asyncio", "aiohttp", "apscheduler")


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


async def test_debug_logging_never_shows_sql_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("DEBUG")
    db = Database(tmp_path / "h.sqlite3")
    await db.connect()
    await db.execute("CREATE TABLE notes (user_id INTEGER, note TEXT)")
    await db.execute("INSERT INTO notes VALUES (?, ?)", (42, WORDS))
    assert await db.fetchval("SELECT note FROM notes WHERE user_id = ?", (42,)) == WORDS
    await db.close()
    logging.getLogger("bot.test").debug("hearth's own debug line user=%s", 42)
    # Even a library logger someone turns up again stays quiet below INFO.
    logging.getLogger("aiosqlite").setLevel(logging.DEBUG)
    logging.getLogger("aiosqlite").debug("executing %s", ("INSERT", WORDS))

    err = capsys.readouterr().err
    assert WORDS not in err
    assert "INSERT INTO" not in err
    assert "hearth's own debug line user=42" in err  # DEBUG itself still works


def test_migrate_at_debug_prints_no_statement(tmp_path: Path) -> None:
    here = checkout(tmp_path, "HEARTH_LOG_LEVEL=DEBUG\n")
    ran = hearth("migrate", cwd=here).clean()
    assert ran.code == 0
    assert "INSERT INTO" not in ran.said
    assert "executing" not in ran.said


def test_a_dropped_connection_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO")
    key = ConnectionKey("gateway.discord.gg", 443, True, True, None, None, None)
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))
    try:
        raise refused
    except aiohttp.ClientConnectorError:
        # Exactly as discord.py's Client.connect logs a reconnect.
        logging.getLogger("discord.client").exception("Attempting a reconnect in %.2fs", 3.7)
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert (
        "WARNING discord.client: Hearth can't reach Discord (connection refused at "
        "gateway.discord.gg:443); trying again in 4 s." in err
    )
    assert "Traceback" not in err


def test_other_errors_keep_their_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO")
    try:
        raise ValueError("a bug")
    except ValueError:
        logging.getLogger("discord.client").exception("Attempting a reconnect in %.2fs", 1.0)
    assert "Traceback" in capsys.readouterr().err  # a bug stays visible
