"""Text shaped like a sealed value is still just text.

A member who starts an answer, a title or a note with `enc:v1:` must not jam anything:
whatever a person types is sealed, and whether a stored value is sealed is decided by
opening it, never by its prefix. Also: a database that holds such raw lookalikes (stored
by a Hearth that trusted the prefix) is repaired at start.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from bot import crypto
from bot.db import Database, discover_migrations
from cogs.support import store as support_store
from tests.e2e.test_abuse_helpers import admin_paths, destructive, fill, follow, walk
from tests.e2e.test_privacy import AFTERNOON, make_story
from tests.e2e.test_prompts_week import World, make_world
from tests.fakediscord import FakeDiscord
from tests.fakediscord.actors import NotPermitted
from tests.fakediscord.harness import TEST_DATA_KEY, HearthHarness

INCIDENT = "Something went wrong on my side"


def lookalikes() -> list[str]:
    """Values a person could type that start like sealed ones: a bare prefix, a made-up
    token, and a real token sealed under somebody else's key."""
    other = crypto.DataCipher(crypto.new_key()).seal("someone else's secret")
    assert other is not None
    return [
        crypto.PREFIX,
        crypto.PREFIX + "gAAAAABnot-a-token",
        other,
        crypto.PREFIX + crypto.PREFIX + "twice",
    ]


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    return await make_world(fake_discord, hearth_unstarted)


async def test_an_answer_that_looks_sealed_reveals_like_any_other(world: World) -> None:
    ana, ben, cat, dan, eve = (world[n] for n in "ABCDE")
    odd = lookalikes()[2]
    post = await world.post()
    await world.answer(ana, post, odd)
    await world.answer(ben, post, "Our first camping trip.")
    await world.answer(cat, post, crypto.PREFIX + "my plan, in code", anonymous=True)
    panel = await ana.click(post, "Answer privately")
    assert odd in panel.text  # her panel reads it back as she typed it
    for who in (dan, eve):
        await who.click(post, "Skip this one")

    world.hearth.advance(hours=48)  # the group's first prompt reveals at its deadline
    await world.hearth.bot.scheduler.run_due()
    messages = await world.thread_messages(post)
    shown = sorted(e["description"] for m in messages for e in m.embeds)
    assert shown == sorted(
        [
            f"{odd}\n\n— <@{ana.id}>",
            f"Our first camping trip.\n\n— <@{ben.id}>",
            f"{crypto.PREFIX}my plan, in code\n\n— shared anonymously",
        ]
    )
    # The week goes on: the next weekly prompt is armed.
    assert world.hearth.bot.scheduler.due(world.job) is not None
    # In the file, her words are sealed like everyone's (opened by the key, not the prefix).
    stored = await world.hearth.bot.db.fetchall(
        "SELECT body FROM prompt_answers WHERE body IS NOT NULL"
    )
    cipher = crypto.DataCipher(TEST_DATA_KEY)
    assert sorted(cipher.try_open(str(r[0])) or "" for r in stored) == sorted(
        [odd, "Our first camping trip.", crypto.PREFIX + "my plan, in code"]
    )


async def test_every_form_and_option_takes_sealed_looking_words(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    fake_discord.ratelimits.configure(message_window=0.05)
    story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()
    await story.circles()
    admin = admin_paths(story.hearth.bot)
    # A real token sealed under somebody else's key: the hardest one to tell apart.
    words = lookalikes()[2]
    crew = story.guild.add_role("crew")
    made = []
    for command in walk(story.fake, admin):
        if destructive(command.path):
            continue  # what was typed must stay, to be read back below
        who = story.olwen if command.admin else story.ana
        values = await fill(
            who,
            command,
            words=words,
            structured=False,
            friend=story.ben,
            role=crew,
            fake=story.fake,
        )
        try:
            r = await who.slash(command.path, values)
        except NotPermitted:
            continue
        made += await follow(who, r, words)
    assert made
    for result in made:
        if result.responded:
            assert INCIDENT not in result.text
    # Everything they stored reads back through Hearth.
    everything = ""
    for who in (story.ana, story.olwen):
        exported = await story.export(who)
        assert exported["user_id"] == who.id
        everything += json.dumps(exported, ensure_ascii=False)
    assert words in everything
    shown = await story.ana.slash("privacy show")
    assert INCIDENT not in shown.text


async def test_raw_lookalikes_from_an_older_hearth_are_sealed_at_start(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    path = hearth_unstarted.database
    old = Database(path)
    await old.connect()
    await old.migrate(discover_migrations())
    raw = crypto.PREFIX + "typed, not sealed"
    await old.execute(
        "INSERT INTO checkins (user_id, slot, sent_at, status, mood, note)"
        " VALUES (7, 's', ?, 'answered', 4, ?)",
        (AFTERNOON.isoformat(), raw),
    )
    await old.close()

    hearth_unstarted.clock.set(AFTERNOON)
    await hearth_unstarted.start()
    bot = hearth_unstarted.bot
    [row] = await support_store.history(bot.db, 7, 10)
    assert row.note == raw
    with sqlite3.connect(path) as conn:
        [stored] = [r[0] for r in conn.execute("SELECT note FROM checkins")]
    assert stored != raw
    assert crypto.DataCipher(TEST_DATA_KEY).try_open(stored) == raw


async def test_a_phones_down_title_that_looks_sealed_makes_a_working_lobby(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    title = lookalikes()[1]
    r = await story.ana.slash("phonesdown start", duration="30m", title=title)
    assert INCIDENT not in (await r.wait_followup()).text
    card = await story.fake.wait_for_message(story.chan, lambda m: title in m.text)
    joined = await story.ben.click(card, "Join")
    assert INCIDENT not in joined.text
    assert "isn't around" not in joined.text
