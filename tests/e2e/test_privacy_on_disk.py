"""End to end: what Hearth says it deleted is gone from the disk at once — the database file
*and* its write-ahead log — after `/privacy delete`, `/hearth forget-server` and the
retention sweeps. (Words are sealed at rest, so "gone" means the person's id and the very
ciphertexts that the server's key would open.)"""

from __future__ import annotations

from pathlib import Path

from bot import crypto
from bot.privacy import is_person_column
from tests.e2e.test_privacy import Story, make_story, until_done
from tests.e2e.test_privacy_encryption import raw_bytes
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


def sqlite_int(value: int) -> bytes:
    """An integer as SQLite writes it in a record: big-endian, in the smallest of its sizes."""
    for size in (1, 2, 3, 4, 6, 8):
        if -(2 ** (8 * size - 1)) <= value < 2 ** (8 * size - 1):
            return value.to_bytes(size, "big", signed=True)
    raise ValueError(value)


def on_disk(path: Path, needles: dict[str, bytes]) -> list[str]:
    """Which of these byte strings can still be read in the file or its log."""
    assert Path(f"{path}-wal").exists()  # the log is there to scan (WAL mode)
    raw = raw_bytes(path)
    return sorted(name for name, needle in needles.items() if needle in raw)


def sealed_needle(value: str) -> bytes:
    # The Fernet token without the shared prefix: unique to this one sealed value.
    return value.removeprefix(crypto.PREFIX)[:60].encode()


async def sealed_rows(story: Story, column: str, value: int, *, person: bool) -> dict[str, bytes]:
    """Every sealed value in rows where `column` (or, with `person`, any person column)
    holds `value`, across every table."""
    found: dict[str, bytes] = {}
    for table in await story.db.tables():
        columns = [row[1] for row in await story.db.fetchall(f"PRAGMA table_info({table})")]
        keys = list(filter(is_person_column, columns)) if person else [column]
        for key in (k for k in keys if k in columns):
            rows = await story.db.fetchall(f"SELECT * FROM {table} WHERE {key} = ?", (value,))
            for i, row in enumerate(rows):
                for name, cell in zip(columns, row, strict=True):
                    if isinstance(cell, str) and cell.startswith(crypto.PREFIX):
                        found[f"{table}.{name}#{key}={value}#{i}"] = sealed_needle(cell)
    return found


async def sealed_naming(story: Story, user_id: int) -> dict[str, bytes]:
    return await sealed_rows(story, "", user_id, person=True)


async def sealed_in_server(story: Story, guild_id: int) -> dict[str, bytes]:
    return await sealed_rows(story, "guild_id", guild_id, person=False)


async def test_privacy_delete_leaves_nothing_of_hers_in_the_file_or_its_log(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    story = await make_story(fake_discord, hearth_unstarted)
    await story.everything()
    ana = story.ana
    needles = await sealed_naming(story, ana.id)
    # Her note, debrief title, answer, two shares and the phones-down title, at least.
    assert len(needles) >= 5, needles
    needles["her id"] = sqlite_int(ana.id)
    path = story.hearth.database
    assert on_disk(path, needles) == sorted(needles)  # all there before, of course

    asked = await ana.slash("privacy delete")
    final = await until_done(await ana.click(asked, "Delete everything"))
    assert "Everything Hearth held about you is deleted" in final.text
    # The moment she reads that, nothing of hers is readable on disk: not her id, not one
    # of the sealed texts the server's key would open — in the file or in its log.
    assert on_disk(path, needles) == []
    # Ben's words stay, readable through Hearth.
    assert await sealed_naming(story, story.ben.id)


async def test_forget_server_and_the_retention_sweeps_leave_nothing_on_disk(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()
    await story.circles()
    await story.shares()
    await story.prompt_answer()
    hearth = story.hearth
    path = hearth.database
    bot = hearth.bot

    # The retention sweep: 91 days on, answers and shares (90 days here) go.
    sealed = await sealed_naming(story, story.ana.id) | await sealed_naming(story, story.ben.id)
    answers = {k: v for k, v in sealed.items() if k.startswith(("prompt_answers", "shares"))}
    notes = {k: v for k, v in sealed.items() if k.startswith("checkins")}
    assert any(k.startswith("prompt_answers") for k in answers)
    assert any(k.startswith("shares") for k in answers)
    assert len(notes) == 2
    hearth.advance(days=91)
    assert await hearth.fire("retention:daily")
    assert on_disk(path, answers) == []  # answers and shares, in the one sweep
    assert await bot.db.fetchval("SELECT COUNT(*) FROM shares") == 0
    assert await bot.db.fetchval("SELECT COUNT(*) FROM prompt_answers") == 0
    assert on_disk(path, notes) == sorted(notes)  # check-ins are kept for a year

    # Support's own year, in the same daily sweep: check-ins older than a year go, from the
    # disk too.
    hearth.advance(days=366 - 91)
    assert await hearth.fire("retention:daily")
    assert await bot.db.fetchval("SELECT COUNT(*) FROM checkins") == 0
    assert on_disk(path, notes) == []

    # /hearth forget-server: what is left of the server goes from the disk at once.
    await story.shares()
    server = await sealed_in_server(story, story.guild.id)
    assert any(k.startswith("shares") for k in server)
    asked = await story.olwen.slash("hearth forget-server")
    done = await until_done(await story.olwen.click(asked, "Delete this server's data"))
    assert "Everything Hearth kept about this server is deleted" in done.text
    assert on_disk(path, server) == []


async def test_a_servers_purge_14_days_after_leaving_leaves_nothing_on_disk(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()
    await story.circles()
    await story.shares()
    await story.prompt_answer()
    server = await sealed_in_server(story, story.guild.id)
    assert len(server) >= 2
    await story.guild.remove_bot()
    job = f"privacy:purge:{story.guild.id}"
    await story.fake.until(lambda: story.hearth.bot.scheduler.due(job) is not None)
    story.hearth.advance(days=14, seconds=1)
    assert await story.hearth.fire(job)
    assert on_disk(story.hearth.database, server) == []
