"""The outbox through the emulator: what Hearth says moves with its state, once.

Each test writes intents the way a practice does (inside a transaction), then breaks
something between Hearth and Discord — a 503, five 502s, a dropped connection after
Discord made the message, a request that hangs, a restart — and counts what friends see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot import crypto, retention
from bot.outbox import GAVE_UP, UNWELCOME, Message, Outcome, Words
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

POST = "POST /channels/{channel_id}/messages"


@dataclass
class Room:
    fake: FakeDiscord
    hearth: HearthHarness
    guild: FakeGuild
    channel: FakeChannel
    ana: FakeMember
    heard: list[Outcome] = field(default_factory=list)

    @property
    def bot(self) -> Any:
        return self.hearth.bot

    def listen(self) -> None:
        """A handler like a practice's, recording what it hears (inside the settling
        transaction)."""

        async def delivered(tx: Any, outcome: Outcome) -> None:
            self.heard.append(outcome)

        async def failed(tx: Any, outcome: Outcome) -> None:
            self.heard.append(outcome)

        self.bot.outbox.handle("test.heard", delivered=delivered, failed=failed)

    async def post(self, text: str, **kwargs: Any) -> int:
        async with self.bot.db.transaction() as tx:
            return int(
                await self.bot.outbox.post(
                    tx,
                    channel_id=self.channel.id,
                    guild_id=self.guild.id,
                    message=Message(content=text),
                    handler="test.heard",
                    **kwargs,
                )
            )

    def said(self, text: str) -> list[Any]:
        return [m for m in self.channel.bot_messages if m.content == text]


@pytest.fixture
async def room(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Room:
    guild = fake_discord.add_guild("Friends")
    channel = guild.add_text_channel("hearth")
    ana = guild.add_member("Ana")
    # Discord's 5 posts per 5 s per channel, sped up: these tests post a lot.
    fake_discord.ratelimits.configure(message_window=0.05)
    await hearth_unstarted.start(send_timeout=0.5)
    # Hearth's welcome comes first; faults below are for the test's own posts.
    await fake_discord.until(lambda: bool(channel.bot_messages), what="the welcome")
    room = Room(fake_discord, hearth_unstarted, guild, channel, ana)
    room.listen()
    return room


async def test_a_post_goes_once_and_its_handler_hears_where(room: Room) -> None:
    intent = await room.post("hello")
    outcome = await room.bot.outbox.wait(intent, 2.0)
    assert outcome is not None
    assert outcome.ok
    [message] = room.said("hello")
    assert outcome.message_id == message.id
    assert outcome.channel_id == room.channel.id
    assert room.heard == [outcome]


async def test_a_rollback_says_nothing(room: Room) -> None:
    with pytest.raises(RuntimeError):
        async with room.bot.db.transaction() as tx:
            await room.bot.outbox.post(
                tx, channel_id=room.channel.id, guild_id=room.guild.id, message=Message("no")
            )
            raise RuntimeError("the state change failed")
    assert await room.bot.outbox.idle()
    assert room.said("no") == []
    lane = f"ch:{room.channel.id}"
    assert await room.bot.db.fetchval("SELECT COUNT(*) FROM outbox WHERE lane = ?", (lane,)) == 0


async def test_a_lane_keeps_its_order(room: Room) -> None:
    room.fake.ratelimits.configure(message_window=0.05)
    async with room.bot.db.transaction() as tx:
        for n in range(8):
            await room.bot.outbox.post(
                tx, channel_id=room.channel.id, guild_id=room.guild.id, message=Message(f"#{n}")
            )
    assert await room.bot.outbox.idle()
    said = [m.content for m in room.channel.bot_messages if m.content.startswith("#")]
    assert said == [f"#{n}" for n in range(8)]


@pytest.mark.parametrize(
    ("fault", "times"),
    [
        ({"status": 503}, 1),  # discord.py doesn't retry a 503 itself
        ({"status": 502}, 5),  # …and gives up after five 502s
        ({"drop": True, "applied": False}, 1),  # connection lost before Discord saw it
        ({"drop": True, "applied": True}, 1),  # Discord made it; the answer was lost
        ({"hang": 1.0, "applied": True}, 1),  # Discord made it after Hearth gave up waiting
        ({"hang": 1.0, "applied": False}, 1),
    ],
)
async def test_a_hiccup_delivers_later_exactly_once(
    room: Room, fault: dict[str, Any], times: int
) -> None:
    # A short wait for an answer: discord.py sleeps 1 s, 3 s… between its own tries of a
    # 502, and a hang should count as one without the test waiting long.
    room.bot.outbox.timeout = 0.2
    room.fake.fail(POST, times=times, **fault)
    intent = await room.post("after a hiccup")
    # The first try fails; Hearth tries again after a backoff (on its clock).
    for _ in range(times + 5):
        await room.hearth.deliver(seconds=90)
        if room.heard:
            break
    assert [o.ok for o in room.heard] == [True]
    assert len(room.said("after a hiccup")) == 1
    row = await room.bot.db.fetchone("SELECT * FROM outbox WHERE intent_id = ?", (intent,))
    assert row["status"] == "done"
    assert row["result_id"] == room.said("after a hiccup")[0].id


async def test_a_restart_between_send_and_record_doesnt_double(room: Room) -> None:
    # Discord makes the message but Hearth never hears (the process dies right then):
    # the intent is still pending at the next start, and its nonce finds the message.
    room.fake.fail(POST, drop=True, applied=True)
    await room.post("only once")
    await room.hearth.restart()
    room.listen()
    await room.hearth.deliver(minutes=1)
    assert len(room.said("only once")) == 1
    assert await room.bot.db.fetchval("SELECT status FROM outbox") == "done"


async def test_a_permanent_refusal_settles_and_the_handler_hears_the_code(room: Room) -> None:
    room.channel.deny_bot(send_messages=True)
    room.fake.expect_errors(50013)
    intent = await room.post("not allowed")
    outcome = await room.bot.outbox.wait(intent, 2.0)
    assert outcome is not None
    assert outcome.code == 50013
    assert room.heard == [outcome]
    # Never retried: a permission refusal counts toward Discord's invalid-request ban.
    tries = [r for r in room.fake.requests if r.route == POST and r.status == 403]
    assert len(tries) == 1


async def test_transient_failures_give_up_after_a_day(room: Room) -> None:
    room.fake.fail(POST, times=1000, status=503)
    await room.post("never")
    for _ in range(20):
        await room.hearth.deliver(hours=2)
        if room.heard:
            break
    assert [o.code for o in room.heard] == [GAVE_UP]
    assert room.said("never") == []


async def test_forgetting_words_in_flight_deletes_what_was_made(room: Room) -> None:
    # The post hangs on Discord's side while the writer deletes their data.
    room.fake.fail(POST, hang=0.3, applied=True)
    ana = room.ana
    async with room.bot.db.transaction() as tx:
        intent = await room.bot.outbox.post(
            tx,
            channel_id=room.channel.id,
            guild_id=room.guild.id,
            message=Message("Ana's words"),
            words=[Words(ana.id, "sharing")],
        )
    await room.fake.until(lambda: any(r.route == POST for r in room.fake.requests))
    await write(room.bot.db, room.bot.personal_data.forget, ana.id, room.bot.clock.now())
    await room.bot.outbox.pick_up()
    await room.hearth.deliver(minutes=1)
    assert room.said("Ana's words") == []  # made, then deleted
    assert await room.bot.db.fetchval(
        "SELECT status FROM outbox WHERE intent_id = ?", (intent,)
    ) in ("cancelled", "done")
    assert await room.bot.db.fetchval("SELECT COUNT(*) FROM posted_words") == 0


async def test_forgetting_words_before_they_go_means_they_never_go(room: Room) -> None:
    room.fake.fail(POST, status=503)  # held back by a hiccup
    async with room.bot.db.transaction() as tx:
        await room.bot.outbox.post(
            tx,
            channel_id=room.channel.id,
            guild_id=room.guild.id,
            message=Message("Ana's card", embeds=()),
            words=[Words(room.ana.id, "phones_down", redact=Message("A card"))],
        )
        await room.bot.outbox.post(
            tx,
            channel_id=room.channel.id,
            guild_id=room.guild.id,
            message=Message("Ana's answer"),
            words=[Words(room.ana.id, "sharing")],
        )
    await room.fake.until(
        lambda: any(r.route == POST and r.status == 503 for r in room.fake.requests)
    )
    await write(room.bot.db, room.bot.personal_data.forget, room.ana.id, room.bot.clock.now())
    await room.hearth.deliver(minutes=15)
    # The shared card goes out without her words; her answer never goes at all.
    assert [m.content for m in room.channel.bot_messages if m.content] == ["A card"]


async def test_a_dm_waits_for_quiet_hours_and_respects_a_pause(room: Room) -> None:
    from datetime import time

    bot = room.bot
    ana = room.ana
    await write(bot.boundaries.db, bot.boundaries.set_dms_allowed, ana.id, True)
    now = room.hearth.clock.now()
    start = (now.hour + 23) % 24  # quiet from an hour ago for three hours
    await write(
        bot.boundaries.db,
        bot.boundaries.set_quiet_hours,
        ana.id,
        time(start, 0),
        time((start + 3) % 24, 0),
        timezone="UTC",
    )

    async with bot.db.transaction() as tx:
        intent = await bot.outbox.dm(
            tx, user_id=ana.id, message=Message("morning"), handler="test.heard"
        )
    assert await bot.outbox.idle()
    assert room.fake.dms_to(ana) == []
    row = await bot.db.fetchone("SELECT status, due_at FROM outbox WHERE intent_id = ?", (intent,))
    assert row["status"] == "pending"  # deferred, not dropped
    await room.hearth.deliver(hours=3)
    assert [m.text for m in room.fake.dms_to(ana)] == ["morning"]

    await write(bot.boundaries.db, bot.boundaries.pause, ana.id, None)
    async with bot.db.transaction() as tx:
        await bot.outbox.dm(tx, user_id=ana.id, message=Message("not now"), handler="test.heard")
    await room.hearth.deliver()
    assert [o.code for o in room.heard][-1] == UNWELCOME
    assert [m.text for m in room.fake.dms_to(ana)] == ["morning"]


async def test_closed_dms_mark_the_person_and_are_never_retried(room: Room) -> None:
    bot = room.bot
    ana = room.ana
    ana.close_dms()
    room.fake.expect_errors(50007)
    async with bot.db.transaction() as tx:
        first = await bot.outbox.dm(
            tx, user_id=ana.id, message=Message("hi"), consent=False, handler="test.heard"
        )
    outcome = await bot.outbox.wait(first, 2.0)
    assert outcome is not None
    assert outcome.code == 50007
    assert (await bot.boundaries.person(ana.id)).dm_unreachable
    async with bot.db.transaction() as tx:
        await bot.outbox.dm(
            tx, user_id=ana.id, message=Message("again"), consent=False, handler="test.heard"
        )
    await room.hearth.deliver()
    sends = [r for r in room.fake.requests if r.code == 50007]
    assert len(sends) == 1  # the second never reached Discord


async def test_settled_intents_keep_ids_only_a_week(room: Room) -> None:
    intent = await room.post("a week ago")
    assert await room.bot.outbox.wait(intent, 2.0) is not None
    body = await room.bot.db.fetchval("SELECT body FROM outbox WHERE intent_id = ?", (intent,))
    assert body is None  # the words went with the message; only ids stay
    # The core's daily sweep (bot.retention) prunes them; the newest row always stays.
    room.hearth.advance(days=6)
    assert await room.bot.outbox.wait(await room.post("a later one"), 2.0) is not None
    assert await room.hearth.fire(retention.JOB_ID)
    assert await room.bot.db.fetchval("SELECT COUNT(*) FROM outbox WHERE intent_id = ?", (intent,))
    room.hearth.advance(days=2)
    assert await room.hearth.fire(retention.JOB_ID)
    assert not await room.bot.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE intent_id = ?", (intent,)
    )
    assert room.bot.scheduler.due(retention.JOB_ID) is not None  # tomorrow too


async def test_a_dm_waiting_for_quiet_hours_never_holds_up_one_asked_for_now(room: Room) -> None:
    from datetime import time

    bot, ana = room.bot, room.ana
    await write(bot.db, bot.boundaries.set_dms_allowed, ana.id, True)
    hour = room.hearth.clock.now().hour
    await write(
        bot.db,
        bot.boundaries.set_quiet_hours,
        ana.id,
        time((hour + 23) % 24, 0),
        time((hour + 2) % 24, 0),
        timezone="UTC",
    )
    async with bot.db.transaction() as tx:
        await bot.outbox.dm(tx, user_id=ana.id, message=Message("a friend's note, later"))
        await bot.outbox.dm(
            tx, user_id=ana.id, message=Message("the check-in you asked for"), consent=False
        )
    await room.hearth.deliver()
    assert [m.text for m in room.fake.dms_to(ana)] == ["the check-in you asked for"]
    await room.hearth.deliver(hours=3)
    assert [m.text for m in room.fake.dms_to(ana)] == [
        "the check-in you asked for",
        "a friend's note, later",
    ]


async def test_an_intent_committed_behind_a_later_one_is_still_found(room: Room) -> None:
    """Where ids are handed out before commit (PostgreSQL's sequences), an intent can
    commit after one with a higher id; the worker's periodic look finds it anyway."""
    now = room.hearth.clock.now().isoformat()

    async def commit(intent_id: int, text: str) -> None:
        body = crypto.seal(json.dumps(Message(text).payload()))
        await room.bot.db.execute(
            "INSERT INTO outbox (intent_id, lane, op, guild_id, channel_id, body, due_at,"
            " created_at) VALUES (?, ?, 'post', ?, ?, ?, ?, ?)",
            (intent_id, f"ch:{room.channel.id}", room.guild.id, room.channel.id, body, now, now),
        )
        await room.bot.outbox.pick_up()

    await commit(1_000, "the later one")
    await room.hearth.deliver()
    await commit(500, "the earlier one")  # committed second, with the lower id
    await room.hearth.deliver()
    assert room.said("the earlier one") == []  # a plain look only reads past 1,000
    await room.bot.outbox.pick_up(everything=True)  # the worker does this every minute
    await room.hearth.deliver()
    assert len(room.said("the earlier one")) == 1
    assert len(room.said("the later one")) == 1
