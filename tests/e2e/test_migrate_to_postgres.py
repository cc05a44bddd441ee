"""Moving from SQLite to PostgreSQL (`python -m bot migrate-to-postgres`): a group that used
every practice on SQLite keeps everything — every row of every table, the words they wrote
still readable with the data key — and Hearth carries on with it on PostgreSQL; a target
that already holds data is refused, and every mistake is one plain paragraph."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot import crypto
from bot.db import Database
from bot.db.to_postgres import MoveError, move
from tests.e2e.test_privacy import (
    ANA_ANSWER,
    ANA_NOTE,
    ANA_PRIVATE_SHARE,
    ANA_SHARE,
    ANA_TITLE,
    Story,
    make_story,
    texts,
)
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import TEST_DATA_KEY, HearthHarness
from tests.ops.helpers import TOKEN, checkout, hearth
from tests.writes import write

REFLECTED = "you're carrying the move on your own and it's wearing you out"
APOLOGY = {
    "What happened, from my side": "I laughed when you told the story about your dad.",
    "How it may have felt for you": "Like I didn't take you seriously. I'm sorry.",
    "What I'll do differently": "I'll listen first and ask before I joke.",
}


async def more_practices(story: Story) -> None:
    """What `Story.everything` leaves out: listening (a reflection, a circle, pairs),
    repair, a weekly phones-down time, the server's own help text."""
    fake, ana, ben, olwen, chan = story.fake, story.ana, story.ben, story.olwen, story.chan
    said = await ben.say(chan, "Moving house alone has flattened me, honestly")
    opened = await ana.message_command("Reflect back", said)
    assert opened.modal is not None, opened.text
    await (await ana.submit_modal(opened, {"What I heard": REFLECTED})).wait_original()
    await fake.wait_for_message(chan, lambda m: "reflects back" in m.content)

    started = await ana.slash("listen circle", topic="What kept you going this month?")
    await started.wait_followup()
    card = await fake.wait_for_message(chan, lambda m: "Listening circle" in m.text)
    await ben.click(card, "Join")
    await ana.click(card, "Begin")
    await fake.until(lambda: card.thread is not None, what="the circle's thread")

    [shared] = [m for m in chan.bot_messages if ANA_SHARE in m.text]
    await story.cat.click(shared, "I hear you")
    await story.cat.slash("curious rephrase", text="You never call me back.")

    scheduled = await olwen.slash(
        "listen pairs schedule", every="weekly", weekday=2, time="19:00", channel=chan
    )
    assert "Listening pairs are set" in scheduled.text, scheduled.text
    for who in (ana, ben, story.cat):
        await who.slash("listen pairs join", channel=chan)
    await ana.slash("listen pairs avoid", member=story.cat)

    bot = story.hearth.bot
    await write(bot.db, bot.boundaries.set_dms_allowed, ben.id, True)
    opened = await ana.slash("repair apologize", friend=ben)
    assert opened.modal is not None, opened.text
    preview = await ana.submit_modal(opened, APOLOGY)
    await ana.click(preview, "Send")
    await fake.wait_for_message(ben, lambda m: "An apology for you" in m.text)

    weekly = await olwen.slash("phonesdown schedule", weekday=6, time="19:00", duration="45m")
    assert "Weekly phones-down time is set" in weekly.text, weekly.text
    opened = await olwen.slash("hearth resources")
    assert opened.modal is not None
    await olwen.submit_modal(
        opened, {"Shown privately at the lowest mood": "Ring our crisis line: 0800 111 0 111."}
    )


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
            )
        ]
        return {n: int(conn.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0]) for n in names}


async def test_a_group_moves_to_postgres_with_everything_and_carries_on(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, postgres_url: str, tmp_path: Path
) -> None:
    story = await make_story(fake_discord, hearth_unstarted)
    await story.everything()
    await more_practices(story)
    # What Hearth still has to say is delivered first: a delivery deletes its outbox rows,
    # and one landing between this count and the copy would make them disagree.
    assert await story.hearth.bot.outbox.idle(), "the outbox didn't settle"
    sqlite_path = story.hearth.database
    before = counts(sqlite_path)
    filled = sorted(t for t, n in before.items() if n)
    # Every practice's tables are in it: the copy is tried on nearly the whole schema.
    assert len(filled) >= 30, [t for t, n in before.items() if not n]
    cipher = crypto.DataCipher(TEST_DATA_KEY)

    # Copied while Hearth still runs on the file (SQLite's online backup), then stopped.
    work = tmp_path / "move"
    work.mkdir()
    moved = await move(sqlite_path, postgres_url, cipher, work)
    await story.hearth.stop()

    assert {t: n for t, n in moved.rows.items() if n} == {t: before[t] for t in filled}
    assert moved.sealed >= 10
    db = Database(postgres_url)
    await db.connect()
    try:
        for table in filled:
            assert await db.fetchval(f"SELECT COUNT(*) FROM {table}") == before[table], table
        sealed_note = await db.fetchval(
            "SELECT note FROM checkins WHERE user_id = ?", (story.ana.id,)
        )
        assert cipher.try_open(sealed_note) == ANA_NOTE
    finally:
        await db.close()

    # Hearth on PostgreSQL: her words are all there, and new rows get new ids.
    story.hearth.database = postgres_url  # type: ignore[assignment]
    await story.hearth.start()
    r = await story.ana.slash("privacy export")
    [file] = (await r.wait_followup()).attachments
    exported = texts(json.loads(file.data))
    for words in (
        ANA_NOTE,
        ANA_TITLE,
        ANA_ANSWER,
        ANA_SHARE,
        ANA_PRIVATE_SHARE,
        APOLOGY["What happened, from my side"],
    ):
        assert words in exported, words
    opened = await story.ana.slash("share", {"how": "named", "wants": "listening"})
    done = await story.ana.submit_modal(
        opened, {"What would you like to share?": "the garden survived the frost"}
    )
    assert "Shared in" in (await done.wait_original()).text
    assert await story.hearth.bot.db.fetchval("SELECT COUNT(*) FROM shares") == before["shares"] + 1

    # Once more into the same database: refused, and nothing changes.
    again = tmp_path / "again"
    again.mkdir()
    with pytest.raises(MoveError, match="isn't empty"):
        await move(sqlite_path, postgres_url, cipher, again)
    assert await story.hearth.bot.db.fetchval("SELECT COUNT(*) FROM shares") == before["shares"] + 1


def test_the_command_copies_refuses_a_full_target_and_never_shows_a_traceback(
    tmp_path: Path, postgres_url: str
) -> None:
    key = crypto.new_key()
    here = checkout(tmp_path, f"DISCORD_TOKEN={TOKEN}\nHEARTH_DATA_KEY={key}\n")
    (here / ".env").chmod(0o600)
    sqlite_path = here / "hearth.sqlite3"
    note = "a long week, and a good talk at the end of it"
    ran = hearth("migrate", cwd=here, env={"HEARTH_DATABASE": str(sqlite_path)}).clean()
    assert ran.code == 0, ran.said
    cipher = crypto.DataCipher(key)
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            (crypto.KEY_CHECK_META, cipher.key_check()),
        )
        conn.execute(
            "INSERT INTO checkins (user_id, slot, sent_at, status, mood, note)"
            " VALUES (7, 's', '2026-01-01T09:00:00+00:00', 'answered', 3, ?)",
            (cipher.seal(note),),
        )

    done = hearth("migrate-to-postgres", str(sqlite_path), postgres_url, cwd=here).clean()
    assert done.code == 0, done.said
    assert "2 rows in 2 tables, checked" in done.out
    assert "the 2 sealed values open with HEARTH_DATA_KEY" in done.out

    full = hearth("migrate-to-postgres", str(sqlite_path), postgres_url, cwd=here).clean()
    assert full.code == 1
    assert "isn't empty (rows in checkins 1, meta 1)" in full.err
    assert "Nothing was changed." in full.err

    missing = hearth("migrate-to-postgres", str(here / "nope.db"), postgres_url, cwd=here).clean()
    assert missing.code == 1
    assert f"There is no SQLite database at {here / 'nope.db'}" in missing.err

    wrong = hearth(
        "migrate-to-postgres", str(sqlite_path), postgres_url, cwd=here,
        env={"HEARTH_DATA_KEY": crypto.new_key()},
    ).clean()  # fmt: skip
    assert wrong.code == 1
    assert "HEARTH_DATA_KEY doesn't open" in wrong.err

    closed = postgres_url.rsplit("/", 1)[0].rsplit(":", 1)[0] + ":1/hearth"
    away = hearth("migrate-to-postgres", str(sqlite_path), closed, cwd=here).clean()
    assert away.code == 1
    assert "Hearth can't reach the PostgreSQL database" in away.err
    assert len(away.err.strip().splitlines()) == 1  # one paragraph
