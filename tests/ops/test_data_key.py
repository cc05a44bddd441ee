"""The data key, as the operator meets it: re-running Quickstart step 3 never replaces it,
`ensure-data-key` checks what it finds and says so, `.env` is kept private."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from bot import crypto
from bot.db import Database, discover_migrations
from bot.privacy import check_data_key
from tests.ops.helpers import (
    TOKEN,
    checkout,
    env_key,
    hearth,
    make,
    quickstart_env,
    running,
)


def first_start(database: Path, key: str) -> None:
    """What Hearth's first start leaves behind: the schema, the key check, sealed words."""

    async def go() -> None:
        db = Database(database)
        await db.connect()
        await db.migrate(discover_migrations())
        cipher = crypto.DataCipher(key)
        await check_data_key(db, cipher)
        await db.execute(
            "INSERT INTO support_resources (guild_id, text, updated_at) VALUES (1, ?, '')",
            (cipher.seal("Call Sam on 0123 if it's a hard night"),),
        )
        await db.close()

    asyncio.run(go())


def started_once(tmp_path: Path) -> tuple[Path, str]:
    """A checkout where `make run` made a key and Hearth ran once."""
    here = checkout(tmp_path)
    env = quickstart_env(here)
    assert hearth("ensure-data-key", cwd=here).clean().code == 0  # as `make run` does
    key = env_key(env)
    assert crypto.key_is_valid(key)
    first_start(here / "data" / "hearth.sqlite3", key)
    return here, key


def test_rerunning_quickstart_step_3_never_makes_a_new_key(tmp_path: Path) -> None:
    here, key = started_once(tmp_path)
    database = here / "data" / "hearth.sqlite3"
    before = database.read_bytes()

    env = quickstart_env(here)  # `cp .env.example .env` again: the key line is empty
    ran = make("run", cwd=here, timeout=30).clean()

    assert ran.code != 0
    assert (
        "HEARTH_DATA_KEY is empty in .env, but the database data/hearth.sqlite3 was set up "
        "with a data key" in ran.err
    )
    assert "Hearth didn't make a new key" in ran.err
    assert "copy the HEARTH_DATA_KEY=… line from your backup of .env" in ran.err
    assert env_key(env) == ""  # nothing was written into .env …
    assert database.read_bytes() == before  # … nor into the database
    assert "bot run" not in ran.out  # and Hearth never started

    # Putting the key back is all it takes.
    env.write_text(env.read_text().replace("HEARTH_DATA_KEY=\n", f"HEARTH_DATA_KEY={key}\n"))
    ok = hearth("ensure-data-key", cwd=here).clean()
    assert ok.code == 0
    assert "is a valid key and opens data/hearth.sqlite3" in ok.out


def test_run_without_a_key_on_a_sealed_database_says_how_to_restore_it(tmp_path: Path) -> None:
    here, _ = started_once(tmp_path)
    quickstart_env(here)
    ran = hearth("run", cwd=here).clean()
    assert ran.code == 2
    assert "Hearth didn't make a new key" in ran.err
    assert "make run` creates one" not in ran.err  # not the first-start advice


def test_a_malformed_key_is_named_and_left_alone(tmp_path: Path) -> None:
    here, key = started_once(tmp_path)
    env = here / ".env"
    broken = env.read_text().replace(key, key[:-3])  # a few characters lost in copying
    env.write_text(broken)

    ran = hearth("ensure-data-key", cwd=here).clean()
    assert ran.code == 1
    assert "HEARTH_DATA_KEY in .env isn't a valid key" in ran.err
    assert "copy that key again, whole, from your backup of .env" in ran.err
    assert env.read_text() == broken
    assert key[:-3] not in ran.said  # never printed

    # With no database yet there is nothing to lose: it says the line can be emptied.
    (here / "data" / "hearth.sqlite3").unlink()
    ran = hearth("ensure-data-key", cwd=here).clean()
    assert ran.code == 1
    assert "empty the line (HEARTH_DATA_KEY=)" in ran.err


def test_a_key_from_another_install_is_refused_before_anything_runs(tmp_path: Path) -> None:
    here, key = started_once(tmp_path)
    env = here / ".env"
    env.write_text(env.read_text().replace(key, crypto.new_key()))
    ran = make("run", cwd=here).clean()
    assert ran.code != 0
    assert "HEARTH_DATA_KEY doesn't open this database" in ran.err


def test_a_world_readable_env_is_made_private_and_said(tmp_path: Path) -> None:
    here = checkout(tmp_path)
    env = quickstart_env(here)
    env.chmod(0o644)  # as `cp` leaves it with a usual umask
    ran = hearth("check-config", cwd=here).clean()
    assert "Made .env private (readable by you only)" in ran.said
    assert stat.S_IMODE(env.stat().st_mode) == 0o600

    env.chmod(0o644)
    with running(["make", "run"], cwd=here) as run:
        run.wait_for(lambda lines: any("can't reach Discord" in line for line in lines))
    assert "Made .env private" in run.out
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_a_bot_prefix_on_the_token_gets_a_hint(tmp_path: Path) -> None:
    here = checkout(tmp_path)
    quickstart_env(here, token=f"Bot {TOKEN}")
    ran = hearth("run", cwd=here).clean()
    assert ran.code == 2
    assert "DISCORD_TOKEN starts with “Bot”: put only the token itself" in ran.err
    assert TOKEN not in ran.said
