"""End to end through the emulator: a week of the group prompt — post, answer privately,
edit, withdraw, skip — and the reveal that shows exactly the answers, anonymous ones
unattributable in every payload the bot sent."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from bot.boundaries_rules import depth_label
from bot.timeutil import UTC
from cogs.prompts import store
from cogs.prompts.cog import PromptsCog
from tests.e2e.conftest import NAMES, NOON, Friends, make_friends
from tests.fakediscord import (
    FakeDiscord,
    FakeMember,
    FakeMessage,
    InteractionResult,
)
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

FIRST_SUNDAY = datetime(2026, 1, 18, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
WEEKLY = "this week's prompt"


@dataclass
class World(Friends):
    """The friends' server (tests/e2e/conftest.py), with the weekly prompt's helpers."""

    @property
    def cog(self) -> PromptsCog:
        return cast("PromptsCog", self.cog_named("PromptsCog"))

    @property
    def job(self) -> str:
        return f"prompt:{self.guild.id}"

    async def post(self, needle: str = WEEKLY) -> FakeMessage:
        """Run the weekly job (as if its time had come) and return its post."""
        assert await self.hearth.fire(self.job), "the weekly job is not armed"
        post = await self.fake.wait_for_message(self.channel, lambda m: needle in m.text)
        assert await self.hearth.bot.outbox.idle()  # …and recorded: the round is open
        return post

    async def answer(
        self, who: FakeMember, post: FakeMessage, text: str, *, anonymous: bool = False
    ) -> InteractionResult:
        panel = await who.click(post, "Answer privately")
        assert panel.ephemeral
        choice = "Answer anonymously" if anonymous else "Answer with my name"
        opened = await who.click(panel, choice)
        assert opened.modal is not None
        done = await who.submit_modal(opened, {"Your answer": text})
        assert done.ephemeral
        return done

    async def thread_messages(self, post: FakeMessage) -> list[FakeMessage]:
        """The reveal thread's messages, once the reveal is complete (the post is edited
        last, after every answer is in the thread)."""
        await self.fake.until(
            lambda: post.thread is not None and "Revealed" in post.text,
            what="the reveal thread",
        )
        assert post.thread is not None
        return post.thread.bot_messages

    async def closed(self, post: FakeMessage) -> None:
        await self.fake.until(lambda: not post.buttons, what="the prompt to close")


def round_id(post: FakeMessage) -> int:
    return int(post.buttons[0]["custom_id"].rsplit(":", 1)[1])


async def make_world(
    fake: FakeDiscord,
    hearth: HearthHarness,
    names: tuple[str, ...] = NAMES,
    *,
    start: datetime = NOON,
    timezone: str = "Europe/Berlin",
    **setup: Any,
) -> World:
    base = await make_friends(fake, hearth, names, start=start, timezone=timezone, **setup)
    world = World(**vars(base))
    await fake.until(
        lambda: world.bot.scheduler.due(f"prompt:{world.guild.id}") is not None,
        what="the weekly job",
    )
    return world


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    return await make_world(fake_discord, hearth_unstarted)


def everything_sent(fake: FakeDiscord, caplog: pytest.LogCaptureFixture | None = None) -> str:
    """Every payload the bot sent (request bodies, all its messages) and every log line."""
    said = [json.dumps(r.body, ensure_ascii=False, default=str) for r in fake.requests]
    for m in fake.messages.values():
        if m.author is fake.bot_user:
            said.append(json.dumps([m.content, m.embeds, m.components], ensure_ascii=False))
    if caplog is not None:
        said += [rec.getMessage() for rec in caplog.records]
    return "\n".join(said)


async def test_a_week_answer_edit_withdraw_skip_and_reveal(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ana, ben, cat, dan, eve = (world[n] for n in "ABCDE")
    shy = world.guild.add_role("shy", mentionable=True)
    post = await world.post()

    # The post: the first practice in turn, the group's depth, and the two buttons.
    assert "👂 Active listening: this week's prompt" in post.text
    assert f"Depth {depth_label(1)}" in post.text
    assert [b["label"] for b in post.buttons] == ["Answer privately", "Skip this one"]
    found = await store.get_round(world.hearth.bot.db, round_id(post))
    assert found is not None
    assert found.practice == "listening"
    assert found.depth == 1
    prompt = world.hearth.bot.decks.get(found.prompt_id)
    assert prompt is not None
    assert prompt.text in post.text

    spam = f"@everyone @here <@&{shy.id}> <@{cat.id}> hi!"
    commits = world.hearth.bot.db.transactions
    saved = await world.answer(ana, post, "A first draft " + spam)
    assert world.hearth.bot.db.transactions - commits == 1  # one write per interaction
    assert "Saved, privately" in saved.text
    assert "with your name" in saved.text
    # Editing: the panel shows the answer; "Edit" opens the modal with it filled in.
    panel = await ana.click(post, "Answer privately")
    assert "A first draft" in panel.text
    edit = await ana.click(panel, "Edit my answer")
    assert edit.modal is not None
    assert edit.modal.field("Your answer").value is not None
    await ana.submit_modal(edit, {"Your answer": "My sister, always. " + spam})

    anonymous_words = "The quiet neighbour downstairs remembers my birthday."
    saved = await world.answer(ben, post, anonymous_words, anonymous=True)
    assert "without your name" in saved.text

    # Eve answers, then takes it back (and gets her words back).
    await world.answer(eve, post, "Something I'd rather not share after all.")
    panel = await eve.click(post, "Answer privately")
    gone = await eve.click(panel, "Withdraw")
    assert gone.ephemeral
    assert "Something I'd rather not share after all." in gone.text

    await world.answer(cat, post, "My grandad and his notebook.")
    skipped = await dan.click(post, "Skip this one")
    assert skipped.ephemeral
    assert "No reason needed" in skipped.text
    late_panel = await dan.click(post, "Answer privately")  # opened now, used after the reveal
    assert world.hearth.bot.scheduler.due(f"prompt:reveal:{found.round_id}") is not None
    assert post.thread is None  # Eve hasn't answered or skipped yet
    await eve.click(post, "Skip this one")
    # Everyone is in, but a group's first prompt stays open until its deadline (nobody
    # took part in an earlier one, so nobody can say who the group is yet).
    world.hearth.advance(hours=47)
    await world.hearth.bot.scheduler.run_due()
    assert post.thread is None

    # The deadline: the reveal, in a thread on the post.
    world.hearth.advance(hours=1)
    assert f"prompt:reveal:{found.round_id}" in await world.hearth.bot.scheduler.run_due()
    messages = await world.thread_messages(post)
    await world.closed(post)
    assert post.thread is not None
    assert post.thread.name.startswith("Answers:")
    assert "3 of you shared" in messages[0].content
    assert [len(m.embeds) for m in messages] == [0, 1, 1, 1]  # one message per answer
    embeds = [e for m in messages for e in m.embeds]
    texts = sorted(e["description"] for e in embeds)
    assert len(texts) == 3
    assert any(t.startswith("My sister, always.") and f"— <@{ana.id}>" in t for t in texts)
    assert any(t.startswith("My grandad") and f"— <@{cat.id}>" in t for t in texts)
    assert f"{anonymous_words}\n\n— shared anonymously" in texts
    thread_text = "\n".join(m.text for m in messages)
    assert "A first draft" not in thread_text  # the edit replaced it
    assert "rather not share" not in thread_text  # withdrawn
    assert "Revealed" in post.text
    assert world.hearth.bot.scheduler.due(f"prompt:reveal:{found.round_id}") is None

    # The anonymous answer can't be traced: not in any payload, message or log line.
    sent = everything_sent(world.fake, caplog)
    assert str(ben.id) not in sent
    assert ben.name not in sent
    for embed in embeds:  # nothing but words: no author, avatar, thumbnail or timestamp
        assert set(embed) <= {"type", "description", "color", "flags"}, embed
    # Mention spam in answers pinged nobody.
    assert world.fake.pings() == []
    # Hearth remembers (privately) whose words each message carries, anonymous ones too,
    # so `/privacy delete` can remove exactly one person's answer from the thread.
    rows = await world.hearth.bot.db.fetchall(
        "SELECT user_id, message_id FROM posted_words WHERE channel_id = ?", (post.thread.id,)
    )
    assert sorted(r[0] for r in rows) == sorted([ana.id, ben.id, cat.id])
    assert {r[1] for r in rows} == {m.id for m in messages[1:]}

    # After the reveal the buttons are gone, and a panel opened before it refuses kindly.
    assert post.buttons == []
    late = await dan.click(late_panel, "Answer with my name")
    assert late.modal is not None
    refused = await dan.submit_modal(late, {"Your answer": "Too late?"})
    assert "revealed" in refused.text
    assert "Too late?" in refused.text  # their words come back to them


async def test_the_reveal_waits_for_the_deadline_across_a_restart(world: World) -> None:
    ana, ben = world["A"], world["B"]
    post = await world.post()
    rid = round_id(post)
    await world.answer(ana, post, "Sunday pancakes.")
    await world.answer(ben, post, "The long walk home.", anonymous=True)
    assert post.thread is None  # Cat, Dan and Eve haven't answered: no early reveal

    await world.hearth.restart()
    bot = world.hearth.bot
    due = bot.scheduler.due(f"prompt:reveal:{rid}")
    assert due == NOON + timedelta(hours=48)  # rebuilt from the database
    world.hearth.advance(hours=47)
    assert f"prompt:reveal:{rid}" not in await world.hearth.run_due()
    assert post.thread is None
    world.hearth.advance(hours=1)
    assert f"prompt:reveal:{rid}" in await world.hearth.run_due()
    messages = await world.thread_messages(post)
    descriptions = sorted(e["description"] for m in messages for e in m.embeds)
    assert descriptions == [
        f"Sunday pancakes.\n\n— <@{ana.id}>",
        "The long walk home.\n\n— shared anonymously",
    ]


async def test_a_single_answer_is_never_revealed(world: World) -> None:
    ana, ben, cat = world["A"], world["B"], world["C"]
    bot = world.hearth.bot
    await write(bot.boundaries.db, bot.boundaries.set_dms_allowed, ana.id, True)
    post = await world.post()
    await world.answer(ana, post, "Only me this time.")
    await cat.click(post, "Skip this one")
    world.hearth.advance(hours=48)
    await world.hearth.run_due()
    await world.fake.until(lambda: "Closed" in post.text, what="the prompt to close")
    assert post.thread is None
    assert "Not enough answers came in to share" in post.text
    assert all("Only me this time." not in m.text for m in world.channel.bot_messages)
    # Ana allowed DMs: she hears privately that nothing was shown.
    dm = await world.fake.wait_for_message(ana, lambda m: "kept it private" in m.text)
    assert "nothing was shown" in dm.text
    # The button left on the post tells anyone privately what became of their answer.
    mine = await ana.click(post, "What happened to my answer?")
    assert mine.ephemeral
    assert "Only your answer came in" in mine.text
    other = await cat.click(post, "What happened to my answer?")
    assert "has closed" in other.text

    # Next week only Ben answers, and Ben never allowed DMs: no DM, yet he can find out.
    post2 = await world.post()
    await world.answer(ben, post2, "Just me again.")
    world.hearth.advance(days=7)
    await world.hearth.run_due()
    await world.fake.until(lambda: "Closed" in post2.text, what="the second prompt to close")
    assert world.fake.dms_to(ben) == []
    assert all("Just me again." not in m.text for m in world.channel.bot_messages)
    assert (
        "Only your answer came in" in (await ben.click(post2, "What happened to my answer?")).text
    )
