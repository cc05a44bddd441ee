"""End to end through the emulator: `/repair apologize` (preview, gentle notes, edit,
send), the friend's three answers reaching only the sender, the follow-up once across
restarts, a reminder to the friend alone, a private thread for two, the block that looks
exactly like a closed inbox, the weekly limit, forged buttons, and that nothing from this
flow ever lands in a group channel."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from bot import retention
from bot.timeutil import UTC
from cogs.repair import logic, store, views
from cogs.repair.logic import ApologyStatus
from tests.e2e.conftest import Friends, make_friends
from tests.fakediscord import (
    FakeDiscord,
    FakeMember,
    FakeMessage,
    InteractionResult,
)
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

# Monday 12 January 2026, 14:00 in Berlin: nobody's quiet hours.
AFTERNOON = datetime(2026, 1, 12, 13, 0, tzinfo=UTC)

HAPPENED = "What happened, from my side"
IMPACT = "How it may have felt for you"
CHANGE = "What I'll do differently"
NEED = "Anything you need from me? (optional)"

SLIPPING = {
    HAPPENED: "I'm sorry if you felt left out of the trip planning.",
    IMPACT: "Probably lonely, and like you didn't matter to the group.",
    CHANGE: "I'll ask everyone before booking anything.",
}
SINCERE = {
    HAPPENED: "I planned the trip in a chat you weren't in, and I didn't notice for days.",
    IMPACT: "Left out, and maybe like you didn't matter to me. I'm sorry.",
    CHANGE: "I'll check the whole group is there before we plan anything.",
    NEED: "Tell me if you'd like to talk it through over tea.",
}
ANSWER_LABELS = ["Thank you", "I need some time", "Can we talk?"]
BLOCK = "Don't send me apologies from this person"


@dataclass
class World(Friends):
    """The friends' server (tests/e2e/conftest.py), everyone welcoming DMs."""

    since: int = 0  # requests before this one set the world up

    # ana (Aurelia) apologizes; ben (Bramwell) and cat (Cosima) use Hearth here and
    # welcome DMs; mal (Mallory) is a third person in the same server.

    @property
    def mal(self) -> FakeMember:
        return self["M"]

    async def write(
        self, who: FakeMember, friend: FakeMember, words: dict[str, str] | None = None
    ) -> InteractionResult:
        """/repair apologize, then the form: the private preview."""
        opened = await who.slash("repair apologize", friend=friend)
        assert opened.modal is not None, opened.text
        preview = await who.submit_modal(opened, words or SINCERE)
        assert preview.ephemeral
        return preview

    async def send(self, who: FakeMember, preview: InteractionResult) -> str:
        """Press Send on a preview; what the preview became."""
        message = preview.message
        assert message is not None
        edits = len(message.history)
        clicked = await who.click(preview, "Send")
        assert clicked.type == 6  # acknowledged; the preview is replaced once it's known
        await self.fake.until(lambda: len(message.history) > edits, what="the outcome")
        return message.text

    async def apologize(
        self, who: FakeMember, friend: FakeMember, words: dict[str, str] | None = None
    ) -> str:
        return await self.send(who, await self.write(who, friend, words))

    async def apology_dm(self, friend: FakeMember) -> FakeMessage:
        return await self.fake.wait_for_message(friend, lambda m: "An apology for you" in m.text)

    async def apologies(self) -> list[store.Apology]:
        rows = await self.bot.db.fetchall("SELECT apology_id FROM repair_apologies")
        found = [await store.get_apology(self.bot.db, r[0]) for r in rows]
        return [a for a in found if a is not None]


def apology_id_of(dm: FakeMessage) -> int:
    for button in dm.buttons:
        found = re.fullmatch(r"hearth:rp:[a-z0-9]+:(\d+)", str(button.get("custom_id", "")))
        if found:
            return int(found[1])
    raise AssertionError("no apology button")


def labels(message: FakeMessage) -> list[str]:
    return [str(b.get("label")) for b in message.buttons]


def assert_nothing_public(world: World) -> None:
    """Over every request Hearth made since the world was set up (the welcome came before):
    no message, edit or thread lands in a group channel — only in DMs, or inside a private
    thread Hearth opened for two people."""
    fake = world.fake
    for record in fake.requests[world.since :]:
        if not record.route.startswith(("POST /channels/", "PATCH /channels/")):
            continue
        if record.body is None and record.expected:
            continue  # a fault the test injected: refused before Discord read it
        channel = fake.channels[int(record.path.split("/")[4])]
        if record.route.endswith("/threads"):
            assert (record.body or {}).get("type") == 12, record  # private threads only
        elif "/messages" in record.route:
            assert channel.is_dm or (channel.is_thread and channel.type == 12), record


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    names = ("Aurelia", "Bramwell", "Cosima", "Mallory")
    base = await make_friends(fake_discord, hearth_unstarted, names, start=AFTERNOON)
    bot = hearth_unstarted.bot
    # Whatever Hearth said while arriving (a welcome) comes first: all after must be private.
    await bot.outbox.idle()
    for person in base.friends.values():
        await write(bot.db, bot.boundaries.set_dms_allowed, person.id, True)
    return World(**vars(base), since=len(fake_discord.requests))


# --------------------------------------------------------------------------- the flow


async def test_preview_flags_a_non_apology_then_edit_send_and_thank_you(world: World) -> None:
    fake, ana, ben = world.fake, world.ana, world.ben
    preview = await world.write(ana, ben, SLIPPING)
    assert preview.ephemeral
    assert "Nothing is sent until you press **Send**" in preview.text
    assert "“I'm sorry if you felt left out of the trip planning”" in preview.text  # theirs
    assert "“If” leaves room to doubt" in preview.text
    assert [b["label"] for b in preview.buttons] == ["Edit", "Send", "Not now"]
    assert ben.dms() == []  # nothing goes before Send

    # Edit: the form comes back with what they wrote.
    opened = await ana.click(preview, "Edit")
    assert opened.modal is not None
    assert opened.modal.field(HAPPENED).value == SLIPPING[HAPPENED]
    assert opened.modal.field(CHANGE).value == SLIPPING[CHANGE]
    edited = await ana.submit_modal(opened, SINCERE)
    assert edited.type == 7  # the same preview, updated
    assert "Nothing to flag" in edited.text
    assert "“If” leaves room" not in edited.text

    said = await world.send(ana, preview)
    assert "Delivered to" in said
    dm = await world.apology_dm(ben)
    for words in SINCERE.values():
        assert words in dm.text
    assert f"<@{ana.id}> wanted to say sorry" in dm.text
    assert labels(dm) == [*ANSWER_LABELS, BLOCK]
    assert not dm.pinged

    thanks = await ben.click(dm, "Thank you")
    assert thanks.type == 7
    assert "You said **thank you**" in thanks.text
    assert labels(dm) == [BLOCK]  # answered: only the choice not to receive more is left
    told = await fake.wait_for_message(ana, lambda m: "thank you" in m.text)
    assert f"<@{ben.id}> read your apology" in told.text
    # The words that did their work are gone; what Ana will do differently stays for her.
    [apology] = await world.apologies()
    assert apology.status == ApologyStatus.THANKED
    assert apology.parts is None
    assert apology.change == SINCERE[CHANGE]
    assert_nothing_public(world)
    assert fake.pings() == []


async def test_the_follow_up_comes_once_a_week_later_across_restarts(world: World) -> None:
    fake, ana, ben = world.fake, world.ana, world.ben
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    await ben.click(dm, "Can we talk?")
    await fake.wait_for_message(ana, lambda m: "would like to **talk**" in m.text)
    apology_id = apology_id_of(dm)

    await world.hearth.restart()  # the follow-up is rebuilt from the database
    assert world.bot.scheduler.due(f"repair:followup:{apology_id}") == AFTERNOON + timedelta(days=7)
    await world.hearth.deliver(days=6, hours=23)
    assert not [m for m in ana.dms() if "How's it going" in m.text]
    await world.hearth.deliver(hours=2)
    follow_up = await fake.wait_for_message(ana, lambda m: "How's it going" in m.text)
    assert SINCERE[CHANGE] in follow_up.text
    assert f"<@{ben.id}>" in follow_up.text

    await world.hearth.restart()
    await world.hearth.deliver(days=8)
    assert len([m for m in ana.dms() if "How's it going" in m.text]) == 1
    assert [m for m in ben.dms() if "How's it going" in m.text] == []
    [apology] = await world.apologies()
    assert apology.change is None  # what they'd do differently went with the follow-up
    assert_nothing_public(world)


async def test_some_time_reminds_the_friend_alone_then_a_private_thread_for_two(
    world: World,
) -> None:
    fake, ana, ben = world.fake, world.ana, world.ben
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    time_ = await ben.click(dm, "I need some time")
    assert time_.type == 7
    assert labels(dm) == ["Thank you", "Can we talk?", "In a day", "In 3 days", "In a week", BLOCK]
    told = await fake.wait_for_message(ana, lambda m: "some time" in m.text)
    assert "Give them room" in told.text
    picked = await ben.click(dm, "In 3 days")
    assert "I'll remind you" in picked.text
    assert "nobody else" in picked.text

    ana_before = len(ana.dms())
    await world.hearth.restart()
    await world.hearth.deliver(days=2, hours=23)
    assert len(ben.dms()) == 1
    await world.hearth.deliver(hours=2)
    reminder = await fake.wait_for_message(ben, lambda m: "A little reminder" in m.text)
    assert labels(reminder) == ["Thank you", "Can we talk?", BLOCK]
    await world.hearth.deliver(days=5)
    assert len(ben.dms()) == 2  # one reminder
    assert len(ana.dms()) == ana_before  # nobody else is reminded

    talk = await ben.click(reminder, "Can we talk?")
    assert "private thread" in talk.text
    told = await fake.wait_for_message(ana, lambda m: "would like to **talk**" in m.text)
    assert "private thread for just the two of you" in told.text
    await fake.until(lambda: bool(world.channel.threads), what="the thread")
    [thread] = world.channel.threads
    assert thread.type == 12  # private
    guide = await fake.wait_for_message(thread, lambda m: "A calm talk" in m.text)
    assert "Reflect back" in guide.text
    await fake.until(lambda: {ana.id, ben.id} <= thread.thread_members)
    assert thread.thread_members == {fake.bot_user.id, ana.id, ben.id}
    pinged = {u for _, p in fake.pings() for u in p.users}
    assert pinged == {ana.id, ben.id}
    assert_nothing_public(world)


async def test_without_thread_permission_they_are_told_to_talk_directly(world: World) -> None:
    fake, ana, ben = world.fake, world.ana, world.ben
    world.channel.deny_bot(create_private_threads=True)
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    talk = await ben.click(dm, "Can we talk?")
    assert "Reaching out to them directly" in talk.text
    told = await fake.wait_for_message(ana, lambda m: "would like to **talk**" in m.text)
    assert "Reaching out to them directly" in told.text
    assert world.channel.threads == []
    assert_nothing_public(world)


async def test_a_thread_that_cant_be_opened_after_all_sends_them_to_talk_directly(
    world: World,
) -> None:
    fake, ana, ben = world.fake, world.ana, world.ben
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    fake.fail("POST /channels/{channel_id}/threads", status=403, code=50013)
    fake.expect_errors(50013)
    await ben.click(dm, "Can we talk?")
    for who in (ana, ben):
        told = await fake.wait_for_message(who, lambda m: "after all" in m.text)
        assert "Reaching out directly" in told.text
    assert world.channel.threads == []
    assert_nothing_public(world)


# --------------------------------------------------------------------------- safety


def interaction_pattern(records: list[Any], friend: FakeMember) -> list[tuple[str, str]]:
    """What the sender's click led to on their side: every interaction answer, route and
    body, with the friend's id (the only thing that differs) taken out."""
    seen = []
    for record in records:
        if "/interactions/" in record.route or "/webhooks/" in record.route:
            body = json.dumps(record.body, sort_keys=True, ensure_ascii=False)
            seen.append((record.route, body.replace(str(friend.id), "FRIEND")))
    return seen


async def test_a_block_looks_exactly_like_closed_dms_to_the_sender(world: World) -> None:
    fake, ana, ben, cat = world.fake, world.ana, world.ben, world.cat
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    blocked = await ben.click(dm, BLOCK)
    assert blocked.type == 7
    assert "won't reach you" in blocked.text
    assert "They won't be told" in blocked.text
    assert labels(dm) == ["Allow their apologies again"]
    [closed] = await world.apologies()
    assert closed.status == ApologyStatus.CLOSED
    assert closed.parts is None  # nothing more to keep
    ana_heard = len(ana.dms())

    # Ben chose not to receive Ana's apologies; Cosima's DMs are closed (Discord refuses).
    cat.close_dms()
    fake.expect_errors(50007)
    b = world.bot.boundaries
    seen: dict[int, tuple[str, list[tuple[str, str]], bool]] = {}
    for attempt in range(2):  # the first time, and once Cosima is known to be unreachable
        for friend in (ben, cat):
            await write(
                world.bot.db, b.set_dms_allowed, ana.id, False
            )  # her own side changes alike, too
            preview = await world.write(ana, friend)  # the form opens alike: nothing said yet
            assert [b["label"] for b in preview.buttons] == ["Edit", "Send", "Not now"]
            start = len(fake.requests)
            said = await world.send(ana, preview)
            text = said.replace(str(friend.id), "FRIEND")
            pattern = interaction_pattern(fake.requests[start:], friend)
            seen[friend.id] = (text, pattern, (await b.person(ana.id)).dms_allowed)
        assert seen[ben.id] == seen[cat.id], attempt
        text, pattern, _ = seen[ben.id]
        assert "I couldn't deliver your apology to <@FRIEND>" in text
        assert SINCERE[HAPPENED] in text  # their words come back
        assert [route for route, _ in pattern] == [
            "POST /interactions/{interaction_id}/{interaction_token}/callback",
            "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        ]
    assert len(ana.dms()) == ana_heard  # no other word reaches her, either way
    assert len(ben.dms()) == 1
    assert cat.dms() == []
    assert [a.friend_user_id for a in await world.apologies()] == [ben.id]  # none kept

    # Allowing them again: the next one arrives.
    allowed = await ben.click(dm, "Allow their apologies again")
    assert "can reach you again" in allowed.text
    assert "Delivered to" in await world.apologize(ana, ben)
    assert len(ben.dms()) == 2
    assert_nothing_public(world)


async def test_a_block_stops_an_apology_held_for_quiet_hours(world: World) -> None:
    fake, ben, cat = world.fake, world.ben, world.cat
    await world.apologize(cat, ben)
    dm = await world.apology_dm(ben)
    b = world.bot.boundaries
    await write(world.bot.db, b.set_timezone, ben.id, "Europe/Berlin")
    await write(
        world.bot.db, b.set_quiet_hours, ben.id, time(13, 0), time(18, 0)
    )  # it's 14:00 there
    said = await world.apologize(cat, ben)
    assert "quiet time" in said
    assert len(ben.dms()) == 1
    await ben.click(dm, BLOCK)
    told = await fake.wait_for_message(cat, lambda m: "couldn't deliver" in m.text)
    assert SINCERE[CHANGE] in told.text  # her words, back to her
    await world.hearth.deliver(hours=5)
    assert len(ben.dms()) == 1  # the held one never arrives
    assert_nothing_public(world)


async def test_a_held_apology_that_finds_the_inbox_closed_comes_back_by_dm(world: World) -> None:
    fake, ana, cat = world.fake, world.ana, world.cat
    b = world.bot.boundaries
    await write(world.bot.db, b.set_timezone, cat.id, "Europe/Berlin")
    await write(
        world.bot.db, b.set_quiet_hours, cat.id, time(13, 0), time(18, 0)
    )  # it's 14:00 there
    cat.close_dms()
    fake.expect_errors(50007)
    assert "quiet time" in await world.apologize(ana, cat)
    await world.hearth.deliver(hours=4, minutes=1)
    back = await fake.wait_for_message(ana, lambda m: "couldn't deliver" in m.text)
    assert logic.undelivered_text(f"<@{cat.id}>") in back.text
    assert SINCERE[HAPPENED] in back.text
    assert await world.apologies() == []  # an apology that never arrived isn't kept
    assert cat.dms() == []


async def test_at_most_two_apologies_a_week_to_the_same_friend(world: World) -> None:
    ana, ben, cat = world.ana, world.ben, world.cat
    for _ in range(2):
        assert "Delivered to" in await world.apologize(ana, ben)
    refused = await ana.slash("repair apologize", friend=ben)
    assert refused.modal is None
    assert refused.ephemeral
    assert "two apologies this week" in refused.text
    assert "Delivered to" in await world.apologize(ana, cat)  # someone else: fine
    world.hearth.advance(days=7, minutes=1)
    assert "Delivered to" in await world.apologize(ana, ben)
    assert len(ben.dms()) == 3


async def test_two_sends_at_once_cant_slip_past_the_weekly_limit(world: World) -> None:
    import asyncio

    ana, ben = world.ana, world.ben
    assert "Delivered to" in await world.apologize(ana, ben)
    first, second = [await world.write(ana, ben) for _ in range(2)]  # both open at once
    said = await asyncio.gather(world.send(ana, first), world.send(ana, second))
    assert sorted("Delivered to" in text for text in said) == [False, True]
    [refused] = [text for text in said if "Delivered to" not in text]
    assert "two apologies this week" in refused
    assert SINCERE[CHANGE] in refused  # their words, back
    assert len(ben.dms()) == 2
    assert len(await world.apologies()) == 2


async def test_the_reach_limit_is_shared_with_every_practice(world: World) -> None:
    ana, cat = world.ana, world.cat
    for _ in range(3):
        sent = await ana.slash("support send", friend=cat)
        assert "Sent" in (await sent.wait_followup()).text
    refused = await ana.slash("repair apologize", friend=cat)
    assert refused.modal is None
    assert "a few times today already" in refused.text
    world.hearth.advance(days=1, minutes=1)
    assert "Delivered to" in await world.apologize(ana, cat)


async def test_an_unfinished_apology_keeps_every_word_and_sends_nothing(world: World) -> None:
    ana, ben = world.ana, world.ben
    preview = await world.write(ana, ben, {**SINCERE, CHANGE: "   "})
    assert "Could you add a few words to “what i'll do differently”" in preview.text
    [send] = [b for b in preview.buttons if b["label"] == "Send"]
    assert send.get("disabled") is True
    assert SINCERE[HAPPENED] in preview.text  # what they wrote is right there
    opened = await ana.click(preview, "Edit")
    assert opened.modal is not None
    assert opened.modal.field(IMPACT).value == SINCERE[IMPACT]
    fixed = await ana.submit_modal(opened, {CHANGE: SINCERE[CHANGE]})
    assert fixed.type == 7
    kept = await ana.click(preview, "Not now")
    assert kept.type == 7
    assert "nothing was sent" in kept.text
    assert SINCERE[CHANGE] in kept.text
    assert not kept.buttons
    assert ben.dms() == []
    assert await world.apologies() == []


async def test_who_can_receive_an_apology(world: World) -> None:
    ana, ben = world.ana, world.ben
    b = world.bot.boundaries
    stranger = world.guild.add_member("Dorian")
    await world.fake.sync()
    for friend, why in (
        (ana, "That's you!"),
        (stranger, "hasn't used Hearth in this server yet"),
    ):
        refused = await ana.slash("repair apologize", friend=friend)
        assert refused.modal is None
        assert why in refused.text
    await write(world.bot.db, b.set_dms_allowed, ben.id, False)
    refused = await ana.slash("repair apologize", friend=ben)
    assert "isn't taking messages through Hearth right now" in refused.text
    await write(world.bot.db, b.set_dms_allowed, ben.id, True)
    await write(world.bot.db, b.pause_for, ben.id, "day")
    refused = await ana.slash("repair apologize", friend=ben)
    assert "isn't taking messages through Hearth right now" in refused.text
    assert ben.dms() == []


async def test_forged_buttons_from_a_third_person_are_refused(world: World) -> None:
    from tests.e2e.test_abuse_helpers import snapshot

    fake, ana, ben, cat, mal = world.fake, world.ana, world.ben, world.cat, world.mal
    await world.apologize(ana, ben)
    bens = await world.apology_dm(ben)
    await world.apologize(cat, mal)
    mals = await world.apology_dm(mal)  # a real DM with buttons Mallory can press
    apology_id = apology_id_of(bens)
    [block] = [b for b in mals.buttons if b["label"] == BLOCK]
    await mal.click(mals, BLOCK)  # a block of her own, to forge "allow again" from
    [allow] = [b for b in mals.buttons if b["label"] == "Allow their apologies again"]
    allow_id = int(str(allow["custom_id"]).rsplit(":", 1)[1])
    before = await snapshot(world.bot.db)
    heard = (len(ana.dms()), len(ben.dms()))
    forged = [
        *(f"hearth:rp:{a}:{apology_id}" for a in ("thanks", "time", "talk", "block", "r1", "r7")),
        f"hearth:rp:thanks:{apology_id + 1}",
        "hearth:rp:thanks:0",
        "hearth:rp:sing:12",
        "hearth:rp:thanks:" + "9" * 25,
    ]
    for custom_id in forged:
        mals.components[0]["components"][0]["custom_id"] = custom_id
        r = await mal.click(mals, custom_id)
        assert r.ephemeral, custom_id
        assert r.text == views.NOT_YOURS, custom_id
    # …and Ben can't lift Mallory's block by pressing her "allow again".
    bens.components[0]["components"][0]["custom_id"] = f"hearth:rp:unblock:{allow_id}"
    r = await ben.click(bens, f"hearth:rp:unblock:{allow_id}")
    assert r.text == views.NOT_YOURS
    assert await snapshot(world.bot.db) == before
    assert (len(ana.dms()), len(ben.dms())) == heard
    assert block["label"] == BLOCK
    assert fake.pings() == []


async def test_quiet_hours_hold_an_apology_and_never_drop_it(world: World) -> None:
    ana, ben = world.ana, world.ben
    b = world.bot.boundaries
    await write(world.bot.db, b.set_timezone, ben.id, "Europe/Berlin")
    await write(
        world.bot.db, b.set_quiet_hours, ben.id, time(13, 0), time(18, 0)
    )  # it's 14:00 there
    said = await world.apologize(ana, ben)
    assert "quiet time" in said
    assert ben.dms() == []
    await world.hearth.restart()
    await world.hearth.deliver(hours=3, minutes=59)
    assert ben.dms() == []
    await world.hearth.deliver(minutes=2)
    dm = await world.apology_dm(ben)
    assert SINCERE[IMPACT] in dm.text
    [apology] = await world.apologies()
    assert apology.status == ApologyStatus.OPEN


# --------------------------------------------------------------------------- privacy


async def export(who: FakeMember) -> dict[str, Any]:
    r = await who.slash("privacy export")
    [file] = (await r.wait_followup()).attachments
    data: dict[str, Any] = json.loads(file.data)
    return data


async def forget(world: World, who: FakeMember) -> str:
    asked = await who.slash("privacy delete")
    clicked = await who.click(asked, "Delete everything")
    message = clicked.message
    assert message is not None
    await world.fake.until(
        lambda: "Deleting" not in message.text and len(message.history) >= 2, timeout=5
    )
    await world.bot.outbox.idle()
    return message.text


async def test_both_see_it_in_their_export_and_the_friends_deletion_takes_it_all(
    world: World,
) -> None:
    fake, ana, ben, cat = world.fake, world.ana, world.ben, world.cat
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    for who in (ana, ben):
        data = await export(who)
        [row] = data["parts"]["repair"]["tables"]["repair_apologies"]["rows"]
        assert row["happened"] == SINCERE[HAPPENED]  # Ben sees what he received
        assert row["need"] == SINCERE[NEED]
    # Ben doesn't take Cosima's apologies: that's his alone, never in her export.
    await world.apologize(cat, ben)
    cats = await fake.wait_for_message(ben, lambda m: f"<@{cat.id}> wanted" in m.text)
    await ben.click(cats, BLOCK)
    bens = await export(ben)
    assert [r["other"] for r in bens["parts"]["repair"]["tables"]["repair_blocks"]["rows"]] == [
        str(cat.id)
    ]
    cats_export = json.dumps(await export(cat))
    assert "repair_blocks" not in cats_export
    assert "don't take apologies" not in (await cat.slash("privacy show")).text

    await ben.click(dm, "Thank you")
    answer = await fake.wait_for_message(ana, lambda m: "thank you" in m.text)
    said = await forget(world, ben)
    assert "Apologies and pauses" in said
    assert dm.deleted  # the DM carrying the apology
    assert answer.deleted  # and Hearth's DM to Ana about it
    assert await world.apologies() == []
    assert await world.bot.db.fetchval("SELECT COUNT(*) FROM repair_blocks") == 0
    assert world.bot.scheduler.job_ids("repair:followup:") == []
    for table in await world.bot.db.tables():
        for row in await world.bot.db.fetchall(f"SELECT * FROM {table}"):
            assert SINCERE[HAPPENED] not in json.dumps(list(row), ensure_ascii=False)


async def test_the_senders_deletion_takes_the_apology_from_the_friends_dms(world: World) -> None:
    ana, ben = world.ana, world.ben
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    await forget(world, ana)
    assert dm.deleted
    assert await world.apologies() == []
    for table in ("posted_words", "outbox_words"):
        named = f"SELECT COUNT(*) FROM {table} WHERE user_id = ?"
        assert await world.bot.db.fetchval(named, (ana.id,)) == 0, table


async def test_words_are_kept_thirty_days_at_most(world: World) -> None:
    ana, ben = world.ana, world.ben
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    await ben.click(dm, "I need some time")  # not answered: the words stay, for now
    # The core's daily sweep (bot.retention), by repair's own 30 days, not the server's 90.
    world.hearth.advance(days=29)
    assert await world.hearth.fire(retention.JOB_ID)
    [apology] = await world.apologies()
    assert apology.parts is not None
    world.hearth.advance(days=2)
    assert await world.hearth.fire(retention.JOB_ID)
    assert await world.apologies() == []


# --------------------------------------------------------------------------- pause


async def test_a_pause_tells_the_friend_and_reminds_both_once_across_a_restart(
    world: World,
) -> None:
    fake, ana, ben = world.fake, world.ana, world.ben
    r = await ana.slash("repair pause", friend=ben, minutes=20)
    assert r.ephemeral
    assert "I've let" in r.text
    note = await fake.wait_for_message(ben, lambda m: "needs a short pause" in m.text)
    assert "20 minutes" in note.text
    assert "wants to come back" in note.text
    again = await ana.slash("repair pause", friend=ben, minutes=10)
    assert "already have a pause" in again.text

    await world.hearth.restart()
    await world.hearth.deliver(minutes=19)
    assert not [m for m in ana.dms() if "pause" in m.text]
    await world.hearth.deliver(minutes=2)
    mine = await fake.wait_for_message(ana, lambda m: "Your pause with" in m.text)
    theirs = await fake.wait_for_message(ben, lambda m: "pause is over" in m.text)
    assert f"<@{ben.id}>" in mine.text
    assert f"<@{ana.id}>" in theirs.text
    await world.hearth.restart()
    await world.hearth.deliver(hours=2)
    assert len([m for m in ana.dms() if "pause" in m.text]) == 1
    assert len([m for m in ben.dms() if "pause" in m.text]) == 2  # the note, the reminder
    assert await world.bot.db.fetchval("SELECT COUNT(*) FROM repair_pauses") == 0
    assert_nothing_public(world)


async def test_a_pause_to_someone_who_paused_hearth_waits_until_they_are_back(
    world: World,
) -> None:
    fake, ana, cat = world.fake, world.ana, world.cat
    await write(world.bot.db, world.bot.boundaries.pause, cat.id, AFTERNOON + timedelta(hours=3))
    r = await ana.slash("repair pause", friend=cat, minutes=30)
    assert "as soon as they're back" in r.text
    await world.hearth.deliver(minutes=1)
    assert cat.dms() == []
    await world.hearth.deliver(minutes=30)
    await fake.wait_for_message(ana, lambda m: "Your pause with" in m.text)
    assert cat.dms() == []
    await world.hearth.restart()
    await world.hearth.deliver(hours=2, minutes=30)  # 3 h 1 min: she's back
    await world.hearth.deliver(minutes=1)
    back = await fake.wait_for_message(cat, lambda m: "pause" in m.text)
    assert "while you were away" in back.text
    await world.hearth.deliver(days=1)
    assert len(cat.dms()) == 1  # one message: the note and the reminder together
    assert len([m for m in ana.dms() if "pause" in m.text]) == 1
    assert await world.bot.db.fetchval("SELECT COUNT(*) FROM repair_pauses") == 0


async def test_a_pause_goes_in_the_thread_they_share(world: World) -> None:
    fake, ana, ben = world.fake, world.ana, world.ben
    await world.apologize(ana, ben)
    dm = await world.apology_dm(ben)
    await ben.click(dm, "Can we talk?")
    await fake.until(lambda: bool(world.channel.threads), what="the thread")
    [thread] = world.channel.threads
    await fake.wait_for_message(thread, lambda m: "A calm talk" in m.text)
    bens_dms = len(ben.dms())
    r = await ben.slash("repair pause", friend=ana, minutes=15)
    assert "in your thread" in r.text
    note = await fake.wait_for_message(thread, lambda m: "needs a short pause" in m.text)
    assert f"<@{ben.id}>" in note.text
    await world.hearth.deliver(minutes=16)
    over = await fake.wait_for_message(thread, lambda m: "the pause is over" in m.text)
    assert f"<@{ana.id}>" in over.text
    assert len(ben.dms()) == bens_dms  # all of it in the thread
    assert_nothing_public(world)


# --------------------------------------------------------------------------- validate, help


async def test_validate_offers_a_few_ways_at_the_persons_comfort_depth(world: World) -> None:
    ana = world.ana
    await write(world.bot.db, world.bot.boundaries.set_comfort_depth, world.guild.id, ana.id, 1)
    light = {p.text for p in world.bot.decks.for_practice("repair") if p.depth == 1}
    deeper = {p.text for p in world.bot.decks.for_practice("repair") if p.depth > 1}
    for _ in range(4):
        r = await ana.slash("repair validate")
        assert r.ephemeral
        assert "Ways to validate a feeling" in r.text
        shown = re.findall(r"\*\*(.+?)\*\*", r.embed["description"])
        assert len(shown) == logic.VALIDATIONS_SHOWN
        assert set(shown) <= light
        assert not set(shown) & deeper
        assert "Try" in r.text


async def test_help_lists_the_repair_commands(world: World) -> None:
    r = await world.ana.slash("hearth help")
    for command in ("/repair apologize", "/repair pause", "/repair validate"):
        assert command in r.text
