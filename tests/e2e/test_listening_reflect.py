""" "Reflect back" end to end: the context menu, the modal, the reply that links (never
copies) the message, the writer's two buttons, kind refusals, and threads — a plain one,
a weekly prompt's reveal thread and a phones-down debrief thread."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import guilds
from tests.e2e.conftest import Friends, make_friends
from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

HEARD = "You're worn out from carrying the move on your own"
QUESTION = "What would help most this week?"


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Friends:
    """The friends' server (tests/e2e/conftest.py), Hearth in it but not set up."""
    return await make_friends(fake_discord, hearth_unstarted, set_up=False)


@pytest.fixture
def hearth(world: Friends) -> HearthHarness:
    return world.hearth


async def reflect(
    fake: FakeDiscord, who: FakeMember, message: FakeMessage, heard: str = HEARD, question: str = ""
) -> FakeMessage:
    """Right-click → Apps → Reflect back, fill the modal; the reply Hearth posts."""
    opened = await who.message_command("Reflect back", message)
    assert opened.modal is not None, opened.text
    values = {"What I heard": heard}
    if question:
        values["A question to understand more"] = question
    done = await who.submit_modal(opened, values)
    await done.wait_original()
    assert done.ephemeral
    assert "reply to their message" in done.text, done.text
    return await fake.wait_for_message(message.channel, lambda m: "reflects back" in m.content)


async def test_a_reflection_replies_to_the_message_and_only_its_writer_can_answer(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    said = await world["B"].say(world.channel, "Moving house alone has flattened me, honestly")
    reply = await reflect(fake_discord, world["A"], said, question=QUESTION)

    # A reply linking bob's message, in alice's words; bob's own words are never copied.
    assert reply.reference is not None
    assert reply.reference["message_id"] == str(said.id)
    assert HEARD in reply.content
    assert QUESTION in reply.content
    assert f"<@{world.ana.id}>" in reply.content
    assert "flattened" not in reply.text
    assert [b["label"] for b in reply.buttons] == ["Yes, that's it", "Not quite"]
    # Bob hears about it (the reply pings him); nobody else does.
    assert reply.pings(world["B"])
    assert not reply.pings(world["A"])
    assert not reply.pings(world["C"])

    # A friend passing by can't answer for him.
    stranger = await world["C"].click(reply, "Yes, that's it")
    assert stranger.ephemeral
    assert "Only the person whose words were reflected" in stranger.text
    assert reply.buttons, "a stranger's click changed nothing"

    mine = await world["B"].click(reply, "Yes, that's it")
    assert mine.ephemeral
    assert "heard you right" in mine.text
    await fake_discord.until(lambda: not reply.buttons, what="the answer on the reflection")
    assert "That's it" in reply.text
    assert HEARD in reply.content  # alice's words stay
    assert fake_discord.unexpected_errors() == []


async def test_not_quite_opens_a_modal_and_the_clarification_is_a_reply(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    said = await world["B"].say(world.channel, "I think I need a break from the group chat")
    reply = await reflect(fake_discord, world["A"], said)
    opened = await world["B"].click(reply, "Not quite")
    assert opened.modal is not None
    done = await world["B"].submit_modal(
        opened, {"What I meant": "Just a few quiet days, not a break from you"}
    )
    await done.wait_original()
    assert done.ephemeral
    assert "Posted" in done.text
    clarified = await fake_discord.wait_for_message(
        world.channel, lambda m: "not quite" in m.content
    )
    assert clarified.reference is not None
    assert clarified.reference["message_id"] == str(reply.id)
    assert "> Just a few quiet days" in clarified.content
    assert f"<@{world.ben.id}>" in clarified.content  # his own message: he is named
    assert clarified.pings(world["A"])  # the reflector hears back
    await fake_discord.until(lambda: not reply.buttons, what="the reflection's buttons to go")
    assert "Not quite" in reply.text


async def test_kind_refusals_hearth_bots_yourself_paused_and_switched_off(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    async def refused(message: FakeMessage, who: FakeMember, needle: str) -> None:
        r = await who.message_command("Reflect back", message)
        assert r.modal is None
        assert r.ephemeral
        assert needle in r.text, r.text

    # Hearth's own message that carries nobody's words (a phones-down card keeps its
    # starter's title only as a redactable part, so it's Hearth's, not theirs).
    started = await world["C"].slash("phonesdown start", duration="30m", title="tea")
    await started.wait_followup()
    card = await fake_discord.wait_for_message(world.channel, lambda m: bool(m.buttons))
    await refused(card, world["A"], "one of my own messages")

    robot = world.guild.add_member(fake_discord.add_user("robot", bot=True))
    beep = await robot.say(world.channel, "beep")
    await refused(beep, world["A"], "from a bot")

    mine = await world["A"].say(world.channel, "my own words")
    await refused(mine, world["A"], "That one's yours")

    said = await world["B"].say(world.channel, "a hard day")
    await write(hearth.bot.db, hearth.bot.boundaries.pause, world["B"].id, None)
    await refused(said, world["A"], "paused Hearth")
    await write(hearth.bot.db, hearth.bot.boundaries.resume, world["B"].id)

    await write(hearth.bot.db, guilds.set_practices, world.guild.id, {"sharing"})
    await refused(said, world["A"], "switched off")
    assert not [m for m in world.channel.bot_messages if "reflects back" in m.content]


async def test_in_a_thread_the_reply_stays_in_the_thread(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    thread = world.channel.add_thread(
        "weekend", owner=world["B"], members=[world["A"], fake_discord.bot_user]
    )
    await fake_discord.sync()
    said = await world["B"].say(thread, "I finally said no to the extra shift")
    reply = await reflect(fake_discord, world["A"], said)
    assert reply.channel is thread
    assert not [m for m in world.channel.bot_messages if "reflects back" in m.content]
    await world["B"].click(reply, "Yes, that's it")
    await fake_discord.until(lambda: not reply.buttons, what="the answer in the thread")


async def test_a_revealed_answer_can_be_reflected_and_only_its_anonymous_writer_answers(
    hearth_unstarted: HearthHarness, fake_discord: FakeDiscord
) -> None:
    from tests.e2e.test_prompts_week import make_world

    w = await make_world(fake_discord, hearth_unstarted)
    post = await w.post()
    writer, reader, other = w["A"], w["B"], w["C"]
    await w.answer(writer, post, "I miss the sea more than I admit", anonymous=True)
    await w.answer(reader, post, "Mornings are my favourite", anonymous=False)
    hearth_unstarted.advance(hours=49)
    await hearth_unstarted.run_due()
    answers = [m for m in await w.thread_messages(post) if "sea" in m.text]
    assert len(answers) == 1
    answer = answers[0]
    assert answer.channel.is_thread

    reply = await reflect(fake_discord, reader, answer, heard="You long for the sea")
    assert reply.channel is answer.channel
    assert reply.reference is not None
    assert reply.reference["message_id"] == str(answer.id)
    # Nobody is pinged and nothing names the anonymous writer.
    assert not reply.pings(writer)
    assert f"<@{writer.id}>" not in reply.text
    assert str(writer.id) not in str(reply.components)

    refused = await other.click(reply, "Yes, that's it")
    assert "Only the person whose words were reflected" in refused.text
    done = await writer.click(reply, "Yes, that's it")
    assert "heard you right" in done.text
    await fake_discord.until(lambda: not reply.buttons, what="the anonymous writer's answer")
    assert f"<@{writer.id}>" not in reply.text


async def test_a_phones_down_debrief_answer_can_be_reflected(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    from tests.e2e.test_phones_down import challenge_id, lobby_card

    lobby = await world["A"].slash("phonesdown start", duration="30m")
    await lobby.wait_followup()
    card = await lobby_card(lobby)
    cid = challenge_id(card)
    await world["B"].click(card, "Join")
    hearth.advance(minutes=2)
    assert await hearth.fire(f"phonesdown:start:{cid}")
    hearth.advance(minutes=30)
    assert await hearth.fire(f"phonesdown:end:{cid}")
    results = [m for m in world.channel.bot_messages if "done!" in m.text][-1]
    opened = await world["B"].click(results, "Answer")
    assert opened.modal is not None
    posted = await world["B"].submit_modal(opened.modal, {"Your answer": "It felt like a holiday"})
    await posted.wait_original()
    answer = await fake_discord.wait_for_message(
        results.thread or world.channel, lambda m: "answered:" in m.content
    )
    assert answer.channel.is_thread

    reply = await reflect(fake_discord, world["C"], answer, heard="It felt restful")
    assert reply.channel is answer.channel
    not_mine = await world["A"].click(reply, "Yes, that's it")
    assert "Only the person" in not_mine.text
    ok = await world["B"].click(reply, "Yes, that's it")
    assert "heard you right" in ok.text


async def test_help_lists_listening_and_setup_checks_the_quiet_mark_permission(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    admin = world.admin
    shown = await world["A"].slash("hearth help")
    for command in (
        "/listen circle",
        "/listen pairs join",
        "/listen pairs schedule",
        "Reflect back",
    ):
        assert command in shown.text, command
    world.channel.deny_bot(add_reactions=True)
    await fake_discord.sync()
    done = await admin.slash("hearth setup", {"channel": world.channel}, timezone="Europe/Berlin")
    assert "missing some permissions" in done.text
    assert "Add Reactions" in done.text
    assert "out of turn in a listening circle" in done.text


async def test_pings_on_someones_behalf_keep_to_the_shared_reach_limit(
    hearth: HearthHarness, fake_discord: FakeDiscord, world: Friends
) -> None:
    from bot.limits import REACH_PER_PAIR

    replies = []
    for n in range(REACH_PER_PAIR + 1):
        said = await world["B"].say(world.channel, f"thought number {n}")
        replies.append(await reflect(fake_discord, world["A"], said, heard=f"heard {n}"))
    assert [r.pings(world["B"]) for r in replies] == [True] * REACH_PER_PAIR + [False]
    # Past the limit the reflection still goes up, quietly: reflecting is never refused.
    assert [b["label"] for b in replies[-1].buttons] == ["Yes, that's it", "Not quite"]
    # Quiet hours: no ping either.
    b = hearth.bot.boundaries
    await write(hearth.bot.db, b.set_timezone, world["C"].id, "UTC")
    now = hearth.clock.now()
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    await write(hearth.bot.db, b.set_quiet_hours, world["C"].id, start, end)
    said = await world["C"].say(world.channel, "late one")
    quiet = await reflect(fake_discord, world["B"], said)
    assert not quiet.pings(world["C"])
