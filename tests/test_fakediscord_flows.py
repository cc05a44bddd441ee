"""The emulator's own tests: acting as friends against a plain discord.py bot."""

from __future__ import annotations

import discord
import pytest

from tests.fakediscord import FakeDiscord, NotPermitted
from tests.fakediscord.example_bot import ExampleBot
from tests.fakediscord.example_world import World, bot, world

__all__ = ["bot", "world"]  # fixtures shared by the emulator's tests


async def test_server_starts_stops_and_puts_discord_back() -> None:
    # How fast it starts is measured in bench/, not asserted here.
    original = discord.http.Route.BASE
    fake = FakeDiscord()
    await fake.start()
    fake.point_discord_here()
    pointed = discord.http.Route.BASE
    assert pointed == f"http://127.0.0.1:{fake.port}/api/v10"
    await fake.stop()
    restored = discord.http.Route.BASE
    assert restored == original


async def test_bot_gets_ready_quickly_and_sees_the_world(
    fake_discord: FakeDiscord, world: World
) -> None:
    guild, chan, _, _ = world
    client = ExampleBot()
    await fake_discord.start_bot(client)
    seen = client.get_guild(guild.id)
    assert seen is not None
    assert seen.get_channel(chan.id) is not None
    assert {c.name for c in fake_discord.commands} >= {"hi", "phonesdown", "Name", "Reflect back"}


async def test_slash_reply_with_buttons_and_click(bot: ExampleBot, world: World) -> None:
    _, chan, alice, bob = world
    r = await alice.slash("hi", name="Bo")
    assert r.content == "hi Bo"
    assert not r.ephemeral
    assert [b["label"] for b in r.buttons] == ["Join", "Tell me"]
    assert r.message is chan.last_message

    clicked = await bob.click(r, "Join")
    assert clicked.type == 7
    assert clicked.content == "bob joined"
    assert r.message is clicked.message
    assert r.message is not None
    assert len(r.message.history) == 1


async def test_ephemeral_reply_can_be_clicked_only_by_its_viewer(
    bot: ExampleBot, world: World
) -> None:
    _, _, alice, bob = world
    r = await alice.slash("hi", name="x")
    secret = await alice.click(r, "ex:tell")
    assert secret.ephemeral
    assert secret.content == "just for you"
    ok = await alice.click(secret, "OK")
    assert ok.content == "ok alice"
    with pytest.raises(NotPermitted):
        await bob.click(secret, "OK")


async def test_select_menu(bot: ExampleBot, world: World) -> None:
    _, _, alice, _ = world
    r = await alice.slash("hi", name="x")
    picked = await alice.select(r, "Pick a practice", ["Phones down"])
    assert picked.content == "picked phones_down"
    with pytest.raises(ValueError, match="not an option"):
        await alice.select(r, "Pick a practice", ["Juggling"])


async def test_defer_then_followups(bot: ExampleBot, world: World) -> None:
    _, _, alice, _ = world
    r = await alice.slash("slow")
    assert r.deferred
    assert r.ephemeral
    original = await r.wait_original()
    assert original.content == "done thinking"
    assert not original.loading
    second = await r.wait_followup()
    assert second is original  # the first followup after a defer fills the "thinking" message
    third = await r.wait_followup()
    assert third.content == "and one more"
    assert third.ephemeral


async def test_modal_round_trip(bot: ExampleBot, world: World) -> None:
    _, _, alice, _ = world
    r = await alice.slash("feedback")
    assert r.modal is not None
    assert r.modal.title == "Feedback"
    done = await alice.submit_modal(r.modal, {"Your name": "Alice", "thoughts": "lovely"})
    assert done.content == "thanks Alice: lovely"
    assert done.ephemeral
    with pytest.raises(ValueError, match="at most 20"):
        await alice.submit_modal(r.modal, {"Your name": "A" * 21})


async def test_autocomplete_subcommands_and_context_menus(bot: ExampleBot, world: World) -> None:
    _guild, chan, alice, bob = world
    assert await alice.autocomplete("zone", "timezone", "euro") == [
        {"name": "Europe/Berlin", "value": "Europe/Berlin"},
        {"name": "Europe/Lisbon", "value": "Europe/Lisbon"},
    ]
    r = await alice.slash("phonesdown start", duration="30m")
    assert r.content == "phones down for 30m"
    named = await alice.user_command("Name", bob)
    assert named.content == "that is bob"
    said = await bob.say(chan, "I feel heard")
    reflected = await alice.message_command("Reflect back", said)
    assert reflected.content == "you said: I feel heard"


async def test_options_named_channel_go_in_a_dict(bot: ExampleBot, world: World) -> None:
    guild, chan, alice, _ = world
    mods = guild.add_role("mods")
    news = guild.add_text_channel("news")
    r = await alice.slash("announce", {"channel": news}, role=mods, channel=chan)
    assert r.content == "mods in #news"
    assert r.message is not None
    assert r.message.channel is chan
    with pytest.raises(TypeError, match="pass it in the dict"):
        await alice.slash("announce", channel=news, role=mods)


async def test_commands_respect_default_member_permissions(bot: ExampleBot, world: World) -> None:
    _, _, alice, bob = world
    assert (await alice.slash("admin")).content == "hello admin"
    with pytest.raises(NotPermitted):
        await bob.slash("admin")
    with pytest.raises(LookupError, match="needs a subcommand"):
        await alice.slash("phonesdown")
    with pytest.raises(TypeError, match="required"):
        await alice.slash("hi")


async def test_member_messages_reach_the_bot(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    sent = await alice.say(chan, f"hello {fake_discord.bot_user.mention}")
    seen = bot.seen_messages[-1]
    assert seen.id == sent.id
    assert seen.content == sent.content
    await alice.say(chan, "no mention")
    assert bot.seen_messages[-1].content == ""  # no message-content intent: content withheld


async def test_dm_with_buttons_and_closed_dms(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, _, alice, bob = world
    r = await alice.slash("dm")
    assert r.content == "sent you a DM"
    [dm] = fake_discord.dms_to(alice)
    assert dm.content == "hello in private"
    assert (await alice.click(dm, "OK")).content == "ok alice"

    fake_discord.expect_errors(50007)
    bob.close_dms()
    r = await bob.slash("dm")
    assert r.content == "dm failed 50007"
    assert fake_discord.dms_to(bob) == []


async def test_thread_from_message(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    await alice.slash("thread", name="Week 1")
    await fake_discord.until(lambda: bool(chan.threads), what="a thread")
    [thread] = chan.threads
    welcome = await fake_discord.wait_for_message(thread)
    assert welcome.content == "welcome to the thread"
    assert thread.name == "Week 1"
    assert thread.id == chan.bot_messages[0].id  # a message's thread shares its id
    await fake_discord.sync()
    assert bot.get_channel(thread.id) is not None  # THREAD_CREATE reached the bot


async def test_guild_join_leave_and_channel_delete(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    guild, chan, alice, _ = world
    await guild.remove_bot()
    assert bot.removed == [guild.id]
    assert bot.get_guild(guild.id) is None
    with pytest.raises(NotPermitted):
        await alice.slash("hi", name="x")
    await fake_discord.add_bot_to(guild)
    assert bot.joined == [guild.id]

    other = guild.add_text_channel("other")
    await other.delete()
    assert bot.get_channel(other.id) is None
    fake_discord.expect_errors(10003)
    with pytest.raises(discord.NotFound) as gone:
        await bot.get_partial_messageable(other.id).send("anyone?")
    assert gone.value.code == 10003
    with pytest.raises(NotPermitted):
        await alice.slash("hi", name="x", channel=other)
    assert (await alice.slash("hi", name="x", channel=chan)).content == "hi x"


async def test_later_guild_is_joined_live(fake_discord: FakeDiscord, bot: ExampleBot) -> None:
    guild = fake_discord.add_guild("Book club")
    guild.add_text_channel("books")
    carol = guild.add_member("carol")
    await fake_discord.sync()
    assert bot.joined == [guild.id]
    assert (await carol.slash("hi", name="c")).content == "hi c"


async def test_no_response_is_reported(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, _, alice, _ = world
    fake_discord.response_timeout = 0.2
    r = await alice.slash("silent")
    assert not r.responded
    with pytest.raises(AssertionError, match="no response to /silent"):
        _ = r.content
