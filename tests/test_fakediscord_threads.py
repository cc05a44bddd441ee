"""The emulator's own tests: threads the way Discord keeps them — archived after their
inactivity on the emulator's clock, reopened by a message, closed to edits while archived
(50083), and closed to everyone but moderators while locked (160005)."""

from __future__ import annotations

import discord
import pytest

from tests.fakediscord import FakeChannel, FakeDiscord, NotPermitted
from tests.fakediscord.example_bot import ExampleBot
from tests.fakediscord.example_world import World, bot, world

__all__ = ["bot", "world"]  # fixtures shared by the emulator's tests


async def bot_thread(
    fake: FakeDiscord, bot: ExampleBot, chan: FakeChannel, minutes: int = 60
) -> tuple[discord.Thread, FakeChannel, discord.Message]:
    """A thread the bot starts from its own message, with one message of its own inside."""
    channel = bot.get_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    starter = await channel.send("let's talk")
    thread = await starter.create_thread(name="talk", auto_archive_duration=minutes)  # type: ignore[arg-type]
    inside = await thread.send("welcome")
    return thread, fake.channels[thread.id], inside


async def test_threads_archive_after_their_inactivity_on_the_emulator_clock(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    thread, fake_thread, _ = await bot_thread(fake_discord, bot, world[1], minutes=60)
    fake_discord.advance(minutes=59)
    assert not fake_thread.archived
    await thread.send("still here")  # activity: the hour starts again
    fake_discord.advance(minutes=59)
    await fake_discord.sync()
    assert not fake_thread.archived
    assert not bot.get_channel(thread.id).archived  # type: ignore[union-attr]

    fake_discord.advance(minutes=2)
    await fake_discord.sync()
    assert fake_thread.archived
    # The bot was told (THREAD_UPDATE): discord.py drops archived threads from its cache.
    assert bot.get_channel(thread.id) is None
    guild = bot.get_guild(world[0].id)
    assert guild is not None
    assert thread.id not in {t.id for t in await guild.active_threads()}


async def test_a_switch_keeps_threads_open_for_tests_about_something_else(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.auto_archive = False
    _, fake_thread, _ = await bot_thread(fake_discord, bot, world[1], minutes=60)
    fake_discord.advance(days=30)
    assert not fake_thread.archived


async def test_a_members_message_reopens_an_archived_thread(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, _, _, bob = world
    thread, fake_thread, _ = await bot_thread(fake_discord, bot, world[1])
    fake_discord.advance(hours=2)
    assert fake_thread.archived
    await bob.say(fake_thread, "anyone?")
    assert not fake_thread.archived
    assert not bot.get_channel(thread.id).archived  # type: ignore[union-attr]
    fake_discord.advance(minutes=59)
    assert not fake_thread.archived  # the message counted as activity


async def test_in_an_archived_thread_nothing_is_edited_until_it_is_reopened(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    thread, fake_thread, inside = await bot_thread(fake_discord, bot, world[1])
    fake_discord.advance(hours=2)
    fake_discord.expect_errors(50083)
    for attempt in (
        inside.edit(content="edited"),
        inside.add_reaction("👍"),
        thread.edit(name="renamed"),
        thread.leave(),
        thread.join(),
    ):
        with pytest.raises(discord.HTTPException) as refused:
            await attempt
        assert (refused.value.status, refused.value.code) == (400, 50083)
    assert fake_thread.archived
    assert fake_thread.name == "talk"
    world[0].bot_role.grant(manage_threads=True)  # type: ignore[union-attr]
    with pytest.raises(discord.HTTPException) as refused:
        await thread.edit(locked=True)  # even a moderator reopens it first
    assert refused.value.code == 50083

    await inside.delete()  # the one thing Discord allows in an archived thread
    assert fake_thread.archived
    await thread.edit(archived=False, name="reopened")  # reopen and rename at once
    assert (fake_thread.archived, fake_thread.name) == (False, "reopened")
    fake_discord.advance(hours=2)
    await thread.send("back again")  # a message reopens it too
    assert not fake_thread.archived
    assert fake_thread.last_message is not None
    assert fake_thread.last_message.content == "back again"


async def test_a_locked_thread_refuses_everyone_but_moderators(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    guild, _, alice, bob = world
    thread, fake_thread, inside = await bot_thread(fake_discord, bot, world[1])
    fake_thread.lock()
    fake_discord.expect_errors(160005)
    for attempt in (thread.send("hello"), inside.edit(content="edited"), thread.edit(name="x")):
        with pytest.raises(discord.HTTPException) as refused:
            await attempt
        assert (refused.value.status, refused.value.code) == (400, 160005)
    await inside.add_reaction("👍")  # reactions and deletes still work while it is open
    with pytest.raises(NotPermitted, match="locked"):
        await bob.say(fake_thread, "hello?")
    await alice.say(fake_thread, "moderator here")

    guild.bot_role.grant(manage_threads=True)  # type: ignore[union-attr]
    await thread.send("now I may")
    await inside.edit(content="and edit")
    assert [m.content for m in fake_thread.bot_messages][-1] == "now I may"


async def test_an_archived_locked_thread_stays_shut_but_for_moderators(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, _, alice, bob = world
    thread, fake_thread, inside = await bot_thread(fake_discord, bot, world[1])
    fake_thread.archive(locked=True)
    fake_discord.expect_errors(50083, 160005)
    with pytest.raises(discord.HTTPException) as refused:
        await thread.send("hello")
    assert refused.value.code == 50083
    with pytest.raises(discord.HTTPException) as refused:
        await inside.delete()
    assert refused.value.code == 50083
    with pytest.raises(discord.HTTPException) as refused:
        await thread.edit(archived=False)
    assert refused.value.code == 160005
    with pytest.raises(NotPermitted, match="locked"):
        await bob.say(fake_thread, "hello?")
    with pytest.raises(NotPermitted, match="locked"):
        await bob.slash("hi", name="x", channel=fake_thread)
    assert fake_thread.archived

    await alice.say(fake_thread, "reopening")  # a moderator may
    assert not fake_thread.archived
    assert fake_thread.locked


async def test_people_acting_in_an_archived_thread_reopen_it_first(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, _, bob = world
    r = await bob.slash("hi", name="x", channel=chan)
    message = r.message
    assert message is not None
    thread = await bot.get_channel(chan.id).get_partial_message(message.id).create_thread(name="t")  # type: ignore[union-attr]
    fake_thread = fake_discord.channels[thread.id]
    fake_discord.advance(days=2)
    assert fake_thread.archived
    answer = await bob.slash("hi", name="in the thread", channel=fake_thread)
    assert answer.content == "hi in the thread"
    assert not fake_thread.archived


async def test_no_thread_from_a_message_inside_a_thread(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, _, inside = await bot_thread(fake_discord, bot, world[1])
    fake_discord.expect_errors(50024)
    with pytest.raises(discord.HTTPException) as refused:
        await inside.create_thread(name="nested")
    assert refused.value.code == 50024


async def test_a_forum_takes_posts_only_as_threads_with_a_first_message(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    guild, _, _, bob = world
    forum = guild.add_forum("ideas")
    await fake_discord.sync()
    channel = bot.get_channel(forum.id)
    assert isinstance(channel, discord.ForumChannel)
    post = await channel.create_thread(name="Tea rota", content="Who brings the tea?")
    fake_post = fake_discord.channels[post.thread.id]
    assert fake_post.parent is forum
    assert post.message.id == post.thread.id  # the first message shares the thread's id
    assert [m.content for m in fake_post.bot_messages] == ["Who brings the tea?"]
    await bob.say(fake_post, "me!")

    fake_discord.expect_errors(50035, 40058)
    route = discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=forum.id)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, json={"name": "no first message"})
    assert (refused.value.status, refused.value.code) == (400, 50035)
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=forum.id)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, json={"content": "straight into the forum"})
    assert (refused.value.status, refused.value.code) == (400, 40058)
