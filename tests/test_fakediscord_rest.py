"""The emulator's own tests: the rest of the REST surface discord.py uses, intents and
entity selects, through a plain discord.py bot."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.fakediscord import (
    FakeDiscord,
    NotPermitted,
    fast_startup,
)
from tests.fakediscord.example_bot import ExampleBot
from tests.fakediscord.example_world import World, bot, world

__all__ = ["bot", "world"]  # fixtures shared by the emulator's tests


async def test_fetching_editing_reacting_and_history(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    guild, chan, alice, _ = world
    channel = await bot.fetch_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    assert channel.name == "hearth"
    fetched_guild = await bot.fetch_guild(guild.id)
    assert {c.name for c in await fetched_guild.fetch_channels()} == {"hearth"}
    assert {r.name for r in await fetched_guild.fetch_roles()} >= {"@everyone", "Admin"}
    member = await fetched_guild.fetch_member(alice.id)
    assert member.name == "alice"
    assert (await bot.fetch_user(alice.id)).name == "alice"

    said = await alice.say(chan, "first!")
    sent = await channel.send("hello")
    await sent.edit(content="hello again")
    await sent.add_reaction("👋")
    async with channel.typing():
        pass
    history = [m.content async for m in channel.history(limit=5)]
    assert history == ["hello again", "first!"]
    assert (await channel.fetch_message(said.id)).author.id == alice.id
    fake_sent = fake_discord.messages[sent.id]
    assert fake_sent.history[0].content == "hello"
    assert fake_sent.reactions == {"👋": {fake_discord.bot_user.id}}
    await sent.delete()
    assert fake_sent.deleted
    assert chan.last_message is said


async def test_editing_someone_elses_message_is_refused(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    said = await alice.say(chan, "mine")
    channel = bot.get_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    fake_discord.expect_errors(50005)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.get_partial_message(said.id).edit(content="yours")
    assert refused.value.code == 50005


async def test_private_thread_members_and_archive(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    guild, chan, alice, bob = world
    channel = bot.get_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    thread = await channel.create_thread(name="just us", type=discord.ChannelType.private_thread)
    fake_thread = fake_discord.channels[thread.id]
    assert fake_thread.type == 12
    assert fake_thread.parent is chan
    await thread.add_user(discord.Object(alice.id))
    assert {m.id for m in await thread.fetch_members()} == {fake_discord.bot_user.id, alice.id}
    await thread.send("hi alice")
    assert (await alice.slash("hi", name="in thread", channel=fake_thread)).responded
    with pytest.raises(NotPermitted):
        await bob.say(fake_thread, "can I?")  # bob is not in the private thread
    await thread.edit(archived=True)
    assert fake_thread.archived
    active = await guild_threads(bot, guild.id)
    assert thread.id not in active


async def guild_threads(bot: ExampleBot, guild_id: int) -> set[int]:
    guild = bot.get_guild(guild_id)
    assert guild is not None
    return {t.id for t in await guild.active_threads()}


async def test_webhook_edits_followups_and_deletes(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    r = await alice.slash("ops")
    extra = await r.wait_followup()
    gone = await r.wait_followup()
    await fake_discord.until(lambda: gone.deleted)
    assert r.content == "first, edited"
    assert extra.content == "extra, edited"
    assert [m.content for m in chan.bot_messages] == ["first, edited", "extra, edited"]


async def test_entity_select_and_attachment_option(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, _, alice, bob = world
    r = await alice.slash("people")
    chosen = await alice.select(r, "Who?", [alice, bob])
    assert chosen.content == "chose alice, bob"
    upload = await alice.slash("upload", file=("note.txt", b"kind words"))
    assert upload.content == "note.txt: kind words"


async def test_privileged_intents_must_be_enabled(fake_discord: FakeDiscord, world: World) -> None:
    greedy = ExampleBot(intents=discord.Intents.all())
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await fake_discord.start_bot(greedy)

    fake_discord.enable_intents(members=True, message_content=True)
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    allowed = ExampleBot(intents=intents)
    await fake_discord.start_bot(allowed)
    guild = allowed.get_guild(world[0].id)
    assert guild is not None
    assert {m.name for m in guild.members} >= {"alice", "bob"}  # members came with the guild
    await world[3].say(world[1], "no mention needed")
    assert allowed.seen_messages[-1].content == "no mention needed"


async def test_wrong_token_is_refused(fake_discord: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    fake_discord.expect_errors(401)
    with pytest.raises(discord.LoginFailure):
        await client.login("bm90LXRoZS10b2tlbg.AAAAAA.aaaaaaaaaaaaaaaaaaaaaaaaaaa")
    await client.close()


async def test_sync_for_a_client_connected_by_hand(fake_discord: FakeDiscord, world: World) -> None:
    _, chan, alice, _ = world
    client = ExampleBot()
    fast_startup(client)  # otherwise READY waits 2 s for more GUILD_CREATEs
    await client.login(fake_discord.token)
    task = asyncio.create_task(client.connect())
    try:
        await client.wait_until_ready()
        said = await alice.say(chan, "hello")  # sync asks for a heartbeat behind the event
        assert [m.id for m in client.seen_messages] == [said.id]
    finally:
        await client.close()
        await task


async def test_many_messages_do_not_exhaust_the_gateway_send_limit(
    bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    for i in range(130):  # discord.py may send only 120 gateway frames a minute
        await alice.say(chan, f"message {i}")
    assert len(bot.seen_messages) == 130
