"""End to end through the emulator: practice 3, curious not critical — `/curious rephrase` and
"Rephrase with curiosity", "Send as a question" (once, pinging nobody), curious replies and
tallies under group shares and revealed answers (an anonymous writer hears privately and is
never revealed), `/curious card` at the group's depth and skips, and all of it across a
restart."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import pytest

from bot import retention
from bot.post_actions import ANSWER, SHARE
from tests.e2e.conftest import Friends, make_friends
from tests.e2e.test_prompts_week import make_world
from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

SHARE_BODY = "What would you like to share?"
REPLY_BOXES = ["Tell me more", "Help me understand", "Same here", "I hear you"]


@dataclass
class World(Friends):
    """The friends' server (tests/e2e/conftest.py): Ana, Ben and Cat, and /share."""

    async def share(self, who: FakeMember, text: str, how: str = "named") -> FakeMessage:
        opened = await who.slash("share", {"how": how, "wants": "listening"})
        assert opened.modal is not None
        await (await who.submit_modal(opened, {SHARE_BODY: text})).wait_original()
        return await self.fake.wait_for_message(self.channel, lambda m: text in m.text)


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    return World(**vars(await make_friends(fake_discord, hearth_unstarted, ("Ana", "Ben", "Cat"))))


def labels(message: FakeMessage) -> list[str]:
    return [b["label"] for b in message.buttons]


def bodies(fake: FakeDiscord) -> list[tuple[str, str]]:
    return [(r.route, json.dumps(r.body, ensure_ascii=False, default=str)) for r in fake.requests]


# --------------------------------------------------------------------------- rephrasing


async def test_rephrase_notices_offers_rewrites_and_sends_one_question_once(
    world: World,
) -> None:
    ana = world.ana
    spam = f"@everyone <@{world.ben.id}>"
    panel = await ana.slash(
        "curious rephrase", text=f"Why would you tell everyone about my job? {spam}"
    )
    assert panel.ephemeral
    assert "What I noticed" in panel.text
    assert "Why would you" in panel.text
    assert "Help me understand what led you to tell everyone about my job" in panel.text
    assert labels(panel.message) == [  # type: ignore[arg-type]
        "Send 1 as a question",
        "Send 2 as a question",
        "Send 3 as a question",
    ]
    assert not any("asks" in m.text for m in world.channel.bot_messages)  # nothing said yet

    # Two quick clicks on the same panel: one question goes out, and only one.
    first, second = await asyncio.gather(
        ana.click(panel, "Send 1 as a question"), ana.click(panel, "Send 2 as a question")
    )
    post = await world.fake.wait_for_message(world.channel, lambda m: "asks, curiously" in m.text)
    assert post.content.startswith(f"<@{ana.id}> asks, curiously: ")
    assert "tell everyone about my job" in post.content
    await world.hearth.deliver()
    asked = [m for m in world.channel.bot_messages if "asks, curiously" in m.text]
    assert len(asked) == 1
    # The panel now says where it went; the other click heard, privately, that it had.
    await world.fake.until(lambda: "Sent in" in first.text, what="the panel to say so")
    await world.fake.until(
        lambda: sum("already gone out" in r.text for r in (first, second)) == 1,
        what="the second click's answer",
    )
    assert world.fake.pings() == []  # the mention spam in it pinged nobody
    assert post.allowed_mentions == {"parse": []}
    # The question carries Ana's words: /privacy delete can find it.
    rows = await world.hearth.bot.db.fetchall(
        "SELECT user_id FROM posted_words WHERE message_id = ?", (post.id,)
    )
    assert [r[0] for r in rows] == [ana.id]


async def test_nothing_critical_gets_a_warm_word(world: World) -> None:
    warm = await world.ana.slash("curious rephrase", text="How did the move go for you?")
    assert warm.ephemeral
    assert "already" in warm.text
    assert "deeper" in warm.text
    assert warm.buttons == []


async def test_rephrase_with_curiosity_only_on_your_own_message(world: World) -> None:
    said = await world.ben.say(world.channel, "You never listen to me.")
    refused = await world.ana.message_command("Rephrase with curiosity", said)
    assert refused.ephemeral
    assert "only rephrase your own messages" in refused.text
    assert refused.buttons == []
    mine = await world.ben.message_command("Rephrase with curiosity", said)
    assert mine.ephemeral
    assert "What I noticed" in mine.text
    assert "listen to me" in mine.text
    await world.ben.click(mine, "Send 2 as a question")
    post = await world.fake.wait_for_message(world.channel, lambda m: "asks, curiously" in m.text)
    assert post.content.startswith(f"<@{world.ben.id}> asks, curiously: ")
    assert world.fake.pings() == []


async def test_a_rephrasing_waits_a_quarter_of_an_hour_across_a_restart(world: World) -> None:
    panel = await world.ana.slash("curious rephrase", text="You always forget my birthday.")
    await world.hearth.restart()
    world.hearth.advance(minutes=10)
    sent = await world.ana.click(panel, "Send 1 as a question")
    await world.fake.until(lambda: "Sent in" in sent.text, what="the panel to say so")
    await world.fake.wait_for_message(world.channel, lambda m: "forget my birthday" in m.text)

    late = await world.ana.slash("curious rephrase", text="You never call me back.")
    world.hearth.advance(minutes=16)
    gone = await world.ana.click(late, "Send 1 as a question")
    assert "quarter of an hour" in gone.text
    assert not any("call me back" in m.text for m in world.channel.bot_messages)


# --------------------------------------------------------------------------- replies


async def test_curious_replies_under_a_share_thread_tallies_and_who(world: World) -> None:
    ana, ben, cat = world.ana, world.ben, world.cat
    bot = world.hearth.bot
    await write(bot.db, bot.boundaries.set_dms_allowed, ana.id, True)
    post = await world.share(ana, "I start the new job on Monday and I'm nervous.")
    assert labels(post) == REPLY_BOXES
    assert bot.post_actions.providers(SHARE) == ["curiosity"]

    opened = await ben.click(post, "Tell me more")
    assert opened.modal is not None
    starter = opened.modal.field("Your question").value
    assert starter
    assert "Tell me more" in starter
    done = await ben.submit_modal(opened, {"Your question": "What's the team like? @everyone"})
    assert "Posted in the thread" in (await done.wait_original()).text
    await world.fake.until(lambda: post.thread is not None, what="the replies thread")
    assert post.thread is not None
    assert post.thread.name == "Curious replies"
    reply = await world.fake.wait_for_message(post.thread, lambda m: "team like" in m.text)
    assert reply.content.startswith(f"💬 <@{ben.id}> would like to hear more:")
    # Ana hears privately, with a way back to her post.
    dm = await world.fake.wait_for_message(ana, lambda m: "team like" in m.text)
    assert f"/{post.id}" in dm.text
    assert "anonymously" not in dm.text

    # A second question goes to the same thread.
    opened = await cat.click(post, "Help me understand")
    await cat.submit_modal(opened, {"Your question": "What would make Monday easier?"})
    await world.fake.wait_for_message(post.thread, lambda m: "Monday easier" in m.text)
    assert len(world.channel.threads) == 1

    # Same here / I hear you: one click each, a small tally on the post, a second click
    # takes it back.
    added = await ben.click(post, "Same here")
    assert added.ephemeral
    await world.fake.until(lambda: "Same here · 1" in labels(post), what="the tally")
    await cat.click(post, "I hear you")
    await cat.click(post, "Same here · 1")
    await world.fake.until(
        lambda: labels(post)[2:] == ["Same here · 2", "I hear you · 1"], what="the tallies"
    )
    await ben.click(post, "Same here · 2")
    await world.fake.until(lambda: "Same here · 1" in labels(post), what="taken back")
    assert "nervous" in post.text  # the edits touched the buttons only
    assert post.embeds
    assert post.embeds[0]["title"].endswith("Something shared")

    # Only the writer sees who: clicking a tally on your own post shows it, privately.
    who = await ana.click(post, "I hear you · 1")
    assert who.ephemeral
    assert f"<@{cat.id}>" in who.text
    assert f"<@{ben.id}>" not in who.text
    assert labels(post)[3] == "I hear you · 1"  # nothing added
    own = await ana.click(post, "Tell me more")
    assert own.modal is None
    assert "This one is yours" in own.text
    assert world.fake.pings() == []
    # The replies carry their writers' words.
    rows = await bot.db.fetchall(
        "SELECT user_id FROM posted_words WHERE channel_id = ? ORDER BY posted_at",
        (post.thread.id,),
    )
    assert [r[0] for r in rows] == [ben.id, cat.id]


async def test_reply_buttons_and_tallies_survive_a_restart(world: World) -> None:
    post = await world.share(world.ana, "Tiny win: I fixed the bike myself.")
    await world.ben.click(post, "Same here")
    await world.fake.until(lambda: "Same here · 1" in labels(post), what="the tally")
    await world.hearth.restart()
    await world.cat.click(post, "I hear you")
    await world.fake.until(
        lambda: labels(post)[2:] == ["Same here · 1", "I hear you · 1"], what="both tallies"
    )
    opened = await world.cat.click(post, "Tell me more")
    assert opened.modal is not None
    await world.cat.submit_modal(opened, {"Your question": "How did you know what to fix?"})
    await world.fake.until(lambda: post.thread is not None, what="the thread")
    assert post.thread is not None
    await world.fake.wait_for_message(post.thread, lambda m: "know what to fix" in m.text)


async def test_replies_close_with_the_servers_retention_period(world: World) -> None:
    """The core's daily sweep takes the post's tallies with the server's period (30 days
    here, as its admins chose), not a day before."""
    done = await world.admin.slash("hearth retention", days=30)
    assert "Curious replies" in done.text
    post = await world.share(world.ana, "First week of running done.")
    await world.ben.click(post, "Same here")
    await world.fake.until(lambda: "Same here · 1" in labels(post), what="the tally")
    world.hearth.advance(days=29)
    assert await world.hearth.fire(retention.JOB_ID)
    await world.cat.click(post, "I hear you")
    await world.fake.until(lambda: "I hear you · 1" in labels(post), what="still open")
    world.hearth.advance(days=2)
    assert await world.hearth.fire(retention.JOB_ID)
    closed = await world.cat.click(post, "Same here · 1")
    assert "replies to this one have closed" in closed.text
    assert await world.bot.db.fetchval("SELECT COUNT(*) FROM curiosity_reactions") == 0


async def test_an_anonymous_answer_gets_replies_and_its_writer_stays_unknown(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    week = await make_world(fake_discord, hearth_unstarted)
    ana, ben, cat = week["A"], week["B"], week["C"]
    bot = week.hearth.bot
    await write(bot.db, bot.boundaries.set_dms_allowed, ben.id, True)
    post = await week.post()
    await week.answer(ana, post, "Sunday pancakes with my flatmates.")
    secret = "Walking home alone at night, listening to old voicemails."
    await week.answer(ben, post, secret, anonymous=True)
    week.hearth.advance(hours=48)
    await week.hearth.run_due()
    messages = await week.thread_messages(post)
    answers = [m for m in messages if m.embeds]
    assert [labels(m) for m in answers] == [REPLY_BOXES, REPLY_BOXES]
    assert bot.post_actions.providers(ANSWER) == ["curiosity"]
    hidden = next(m for m in answers if secret in m.text)

    # Cat asks about the anonymous answer: the question lands beside it in the thread…
    opened = await cat.click(hidden, "Help me understand")
    assert opened.modal is not None
    await cat.submit_modal(opened, {"Your question": "What do the voicemails bring back?"})
    reply = await week.fake.wait_for_message(post.thread, lambda m: "voicemails bring" in m.text)
    assert reply.content.startswith(f"🔍 <@{cat.id}> asks, curiously:")
    assert reply.referenced is hidden  # a reply to that answer, in the reveal thread
    # …and its writer hears, privately.
    dm = await week.fake.wait_for_message(ben, lambda m: "voicemails bring" in m.text)
    assert "shared anonymously" in dm.text
    assert "Nobody knows it's yours" in dm.text

    await cat.click(hidden, "Same here")
    await week.fake.until(lambda: "Same here · 1" in labels(hidden), what="the tally")
    who = await ben.click(hidden, "Same here · 1")
    assert f"<@{cat.id}>" in who.text
    await week.hearth.deliver()

    # Nobody learns who wrote it: Ben's id is in no request Hearth made but the one that
    # opens his own DMs, in none of its messages, and in no log line.
    for route, body in bodies(week.fake):
        if str(ben.id) in body:
            assert route == "POST /users/@me/channels", (route, body)
    for message in week.fake.messages.values():
        if message.author is week.fake.bot_user and not message.channel.is_dm:
            shown = json.dumps([message.content, message.embeds, message.components])
            assert str(ben.id) not in shown
    assert all(str(ben.id) not in r.getMessage() for r in caplog.records)
    assert ben.name not in "\n".join(body for _, body in bodies(week.fake))


async def test_switched_off_no_buttons_and_a_kind_no(world: World) -> None:
    from bot import guilds

    await write(world.bot.db, guilds.set_practices, world.guild.id, {"sharing", "support"})
    post = await world.share(world.ana, "Switched-off test share.")
    assert post.buttons == []
    refused = await world.ana.slash("curious rephrase", text="Why would you do that?")
    assert "switched off" in refused.text


# --------------------------------------------------------------------------- cards


async def test_cards_follow_the_groups_depth_and_skipped_topics(world: World) -> None:
    bot = world.hearth.bot
    skipped = {"family", "romance", "money", "faith", "past_hurts", "body_health"}
    await write(bot.db, bot.boundaries.set_skipped_topics, world.guild.id, world.cat.id, skipped)
    await write(bot.db, bot.boundaries.raise_consented_depth, world.guild.id, 2)
    seen: list[str] = []
    for n in range(8):
        drawn = await world.ana.slash("curious card")
        assert "Drawn" in (await drawn.wait_original()).text
        card = await world.fake.wait_for_message(
            world.channel, lambda m: "curiosity card" in m.text
        )
        seen.append(card.text)
        world.hearth.advance(minutes=4)  # past the pause between cards
        assert n < 8
    prompts = {p.text: p for p in bot.decks.for_practice("curiosity")}
    found = [next(p for t, p in prompts.items() if t in text) for text in seen]
    assert len({p.id for p in found}) == len(found)  # no card twice before the deck goes round
    assert all(p.depth <= 2 for p in found)
    assert not any(p.tags & skipped for p in found)
    assert any(p.depth == 2 for p in found)  # the group agreed to go a little deeper
    assert world.fake.pings() == []

    # Without the agreement only light cards come.
    await write(bot.db, bot.boundaries.set_comfort_depth, world.guild.id, world.ben.id, 1)
    world.hearth.advance(minutes=4)
    await world.ana.slash("curious card")
    light = await world.fake.wait_for_message(world.channel, lambda m: "curiosity card" in m.text)
    assert next(p for t, p in prompts.items() if t in light.text).depth == 1


async def test_help_lists_the_practice(world: World) -> None:
    helped = await world.ana.slash("hearth help")
    assert "/curious rephrase" in helped.text
    assert "/curious card" in helped.text
    assert "Rephrase with curiosity" in helped.text


async def test_deleting_your_data_takes_your_replies_and_name_off_the_tally(
    world: World,
) -> None:
    bot = world.hearth.bot
    post = await world.share(world.ana, "I finally booked the trip to see my gran.")
    opened = await world.ben.click(post, "Tell me more")
    await world.ben.submit_modal(opened, {"Your question": "Where does your gran live?"})
    await world.fake.until(lambda: post.thread is not None, what="the thread")
    assert post.thread is not None
    reply = await world.fake.wait_for_message(post.thread, lambda m: "gran live" in m.text)
    await world.ben.click(post, "Same here")
    await world.fake.until(lambda: "Same here · 1" in labels(post), what="the tally")

    asked = await world.ben.slash("privacy delete")
    await world.ben.click(asked, "Delete everything")
    await world.fake.until(lambda: reply.deleted, what="Ben's reply to be deleted")
    assert (
        await bot.db.fetchval(
            "SELECT COUNT(*) FROM curiosity_reactions WHERE user_id = ?", (world.ben.id,)
        )
        == 0
    )
    # The group saw the tally: it still adds up, with nobody's name behind it.
    assert labels(post)[2] == "Same here · 1"
    who = await world.ana.click(post, "Same here · 1")
    assert f"<@{world.ben.id}>" not in who.text
    assert "1 friend" in who.text
