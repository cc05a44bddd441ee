"""The schema, after every migration, against what the cogs declare about personal data.

Any table a later practice adds must be declared (which columns name people, how each is
exported and forgotten, which hold words, which tie it to a server) or this fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import HearthBot
from bot.cog import HearthCog
from bot.config import Settings
from bot.privacy import PersonalData, Registry, coverage_problems, is_person_column
from bot.timeutil import UTC, FakeClock
from tests.fakediscord.harness import TEST_DATA_KEY
from tests.writes import write


@pytest.fixture
async def bot(database_at: Path | str) -> AsyncIterator[HearthBot]:
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    hearth = HearthBot(
        Settings(database=database_at, data_key=TEST_DATA_KEY),
        clock=clock,
        auto_sync=False,
    )
    await hearth.setup_hook()  # migrations, cogs, the registry — no Discord needed
    yield hearth
    await hearth.close()


async def test_every_table_and_person_column_is_covered(bot: HearthBot) -> None:
    problems = await coverage_problems(bot.db, bot.personal_data)
    assert problems == [], "\n".join(problems)


async def test_every_cog_that_keeps_data_declares_it(bot: HearthBot) -> None:
    declared = {d.key for d in bot.personal_data.declarations}
    for name, cog in bot.cogs.items():
        if not isinstance(cog, HearthCog):
            continue
        decl = getattr(cog, "personal_data", None)
        if decl is None:
            continue  # keeps nothing (setup, privacy): their tables are the core's
        assert isinstance(decl, PersonalData), f"{name}.personal_data must be a PersonalData"
        assert decl.key in declared
        # A short statement in plain words, and how long, for /privacy show and PRIVACY.md.
        assert 80 <= len(decl.statement) <= 900, name
        assert 10 <= len(decl.kept) <= 200, name
        assert "TODO" not in decl.statement


async def test_person_columns_follow_the_naming_convention(bot: HearthBot) -> None:
    """Ids of people live only in `user_id` / `…_user_id` (what the sweep looks for)."""
    suspicious = ("member_id", "author_id", "owner_id", "sender_id", "recipient_id", "friend_id")
    for table in await bot.db.tables():
        for column, kind in await bot.db.columns(table):
            assert column not in suspicious, f"{table}.{column}: name it …_user_id"
            if is_person_column(column):
                assert kind == "INTEGER", f"{table}.{column} holds a snowflake"


async def test_export_forget_and_server_purge_run_on_every_declared_table(
    bot: HearthBot,
) -> None:
    """Each declaration's SQL is valid against the real schema (empty tables)."""
    registry = bot.personal_data
    now = bot.clock.now()
    assert (await registry.export(bot.db, 42, now))["parts"] == {}
    assert (await write(bot.db, registry.forget, 42, now)).rows == 0
    rows, unsaid = await write(bot.db, registry.forget_server, 7, now, delete_messages=True)
    assert (rows, unsaid.intents, unsaid.stopped) == (0, [], 0)
    assert await registry.summary(bot.db, 42) == []


async def test_a_new_undeclared_table_fails_the_check(bot: HearthBot) -> None:
    await bot.db.execute(
        "CREATE TABLE hugs (hug_id INTEGER PRIMARY KEY, giver_user_id INTEGER, guild_id INTEGER)"
    )
    problems = await coverage_problems(bot.db, bot.personal_data)
    assert any("hugs" in p and "giver_user_id" in p for p in problems)


async def test_a_forgotten_person_column_fails_the_check(bot: HearthBot) -> None:
    """Declaring a table but leaving out one of its person columns is caught too."""
    decls = []
    for decl in bot.personal_data.declarations:
        tables = tuple(
            replace(t, people={k: v for k, v in t.people.items() if k != "member_user_id"})
            if t.name == "support_circle"
            else t
            for t in decl.tables
        )
        decls.append(replace(decl, tables=tables))
    problems = await coverage_problems(bot.db, Registry(decls))
    assert problems == [
        "support: support_circle.member_user_id names a person but isn't exported/forgotten"
    ]


def test_a_table_declared_twice_is_refused() -> None:
    from bot.privacy import CORE

    with pytest.raises(ValueError, match="declared by both"):
        Registry([CORE, CORE])
