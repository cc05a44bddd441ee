"""The outbox's thread members and cancellations through the emulator: someone added to a
private thread an earlier intent opened (once, however often it is asked, archived or
not), and intents stopped before they go."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.outbox import Message, Outcome, Words
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

MEMBER = "PUT /channels/{channel_id}/thread-members/{user_id}"


class Room:
    def __init__(self, hearth: HearthHarness, guild: FakeGuild, channel: FakeChannel) -> None:
        self.hearth = hearth
        self.fake = hearth.fake
        self.guild = guild
        self.channel = channel
        self.heard: list[Outcome] = []

        async def heard(tx: Any, outcome: Outcome) -> None:
            self.heard.append(outcome)

        self.bot.outbox.handle("test.thread", delivered=heard, failed=heard)
        self.bot.outbox.handle("test.dm", delivered=heard, failed=heard)

    @property
    def bot(self) -> Any:
        return self.hearth.bot

    async def private_thread(self) -> FakeChannel:
        async with self.bot.db.transaction() as tx:
            await self.bot.outbox.thread(
                tx,
                channel_id=self.channel.id,
                guild_id=self.guild.id,
                name="Just us",
                private=True,
                handler="test.thread",
                ref=1,
            )
        await self.hearth.deliver()
        [thread] = self.channel.threads
        return thread

    async def add(self, thread: FakeChannel, *people: FakeMember) -> None:
        async with self.bot.db.transaction() as tx:
            for person in people:
                await self.bot.outbox.add_to_thread(
                    tx, thread_id=thread.id, user_id=person.id, guild_id=self.guild.id
                )
        await self.hearth.deliver()


@pytest.fixture
async def room(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Room:
    guild = fake_discord.add_guild("Friends")
    channel = guild.add_text_channel("hearth")
    await hearth_unstarted.start(send_timeout=0.5)
    await fake_discord.until(lambda: bool(channel.bot_messages), what="the welcome")
    return Room(hearth_unstarted, guild, channel)


async def test_people_are_added_to_a_private_thread_once(room: Room) -> None:
    ana, ben = room.guild.add_member("Ana"), room.guild.add_member("Ben")
    await room.fake.sync()
    thread = await room.private_thread()
    assert thread.type == 12
    assert thread.thread_members == {room.fake.bot_user.id}  # a private thread: nobody else
    await room.add(thread, ana, ben)
    assert thread.thread_members == {room.fake.bot_user.id, ana.id, ben.id}
    await room.add(thread, ana)  # asked again (a resend after a crash): still one of each
    assert thread.thread_members == {room.fake.bot_user.id, ana.id, ben.id}
    adds = [r for r in room.fake.requests if r.route == MEMBER]
    assert [r.status for r in adds] == [204, 204, 204]


async def test_adding_to_an_archived_thread_opens_it_again(room: Room) -> None:
    ana = room.guild.add_member("Ana")
    await room.fake.sync()
    thread = await room.private_thread()
    thread.archived = True
    room.fake.expect_errors(50083)
    await room.add(thread, ana)
    assert ana.id in thread.thread_members
    assert not thread.archived


async def test_a_cancelled_intent_never_goes_and_its_handler_hears_nothing(room: Room) -> None:
    ana = room.guild.add_member("Ana")
    await room.fake.sync()
    bot = room.bot
    await write(bot.db, bot.boundaries.set_dms_allowed, ana.id, True)
    later = bot.clock.now() + timedelta(hours=2)
    async with bot.db.transaction() as tx:
        await bot.outbox.dm(
            tx,
            user_id=ana.id,
            message=Message("later, maybe"),
            due=later,
            words=[Words(ana.id, "repair")],
            handler="test.dm",
            ref=7,
        )
        await bot.outbox.dm(
            tx, user_id=ana.id, message=Message("another"), due=later, handler="test.dm", ref=8
        )
    async with bot.db.transaction() as tx:
        assert await bot.outbox.cancel(tx, "test.dm", 7) == 1
        assert await bot.outbox.cancel(tx, "test.dm", 7) == 0  # nothing left to stop
    await room.hearth.deliver(hours=3)
    assert [m.text for m in room.fake.dms_to(ana)] == ["another"]
    assert [o.ref for o in room.heard] == [8]
    assert await bot.db.fetchval("SELECT COUNT(*) FROM outbox_words") == 0
