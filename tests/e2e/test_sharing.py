"""End to end through the emulator: /share with the group (named, anonymously) and privately
with one friend — open DMs, closed DMs, quiet hours, no consent — and what friends see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time

import pytest

from bot.timeutil import UTC
from cogs.sharing import logic, store
from tests.e2e.conftest import Friends, make_friends
from tests.fakediscord import FakeDiscord, FakeMember, InteractionResult
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

NOON = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
BODY = "What would you like to share?"


@dataclass
class World(Friends):
    """The friends' server (tests/e2e/conftest.py), with who is who for sharing."""

    @property
    def sharer(self) -> FakeMember:  # Aurelia
        return self["A"]

    @property
    def friend(self) -> FakeMember:  # Bramwell: uses Hearth here and welcomes DMs
        return self["B"]

    @property
    def no_dms(self) -> FakeMember:  # Cosima: uses Hearth here, never allowed DMs
        return self["C"]

    @property
    def stranger(self) -> FakeMember:  # Dorian: never used Hearth here
        return self["D"]

    async def share(self, who: FakeMember, text: str, **options: object) -> InteractionResult:
        opened = await who.slash("share", dict(options))
        assert opened.modal is not None, opened.text
        return await who.submit_modal(opened, {BODY: text})

    async def shares(self) -> list[store.Share]:
        rows = await self.hearth.bot.db.fetchall("SELECT share_id FROM shares")
        found = [await store.get(self.hearth.bot.db, row[0]) for row in rows]
        return [s for s in found if s is not None]


@pytest.fixture
async def world(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> World:
    friends = ("Aurelia", "Bramwell", "Cosima")
    base = await make_friends(fake_discord, hearth_unstarted, friends, start=NOON)
    world = World(**vars(base))
    world.friends["Dorian"] = world.guild.add_member("Dorian")  # after the others used Hearth
    await write(world.bot.db, world.bot.boundaries.set_dms_allowed, world.friend.id, True)
    return world


def sent_bodies(fake: FakeDiscord, needle: str) -> list[str]:
    """Every request body the bot sent that carries `needle`."""
    bodies = [json.dumps(r.body, ensure_ascii=False, default=str) for r in fake.requests]
    return [b for b in bodies if needle in b]


async def test_sharing_with_the_group_named_and_anonymously(world: World) -> None:
    role = world.guild.add_role("everyone-ish", mentionable=True)
    spam = f"@everyone @here <@&{role.id}> <@{world.friend.id}>"
    bot = world.hearth.bot
    commits, settled = bot.db.transactions, bot.outbox.settled
    done = await world.share(
        world.sharer, f"Big news, I got the job! {spam}", how="named", wants="encouragement"
    )
    assert done.ephemeral
    said = (await done.wait_original()).text  # answered first, then posted
    assert "Shared in" in said
    assert "with your name" in said
    # One write for the interaction (the share and its post's intent); the outbox records
    # the delivery in its own.
    assert (bot.db.transactions - commits, bot.outbox.settled - settled) == (2, 1)
    post = await world.fake.wait_for_message(world.channel, lambda m: "Big news" in m.text)
    assert f"From <@{world.sharer.id}>" in post.text
    assert "A little encouragement would be lovely" in post.text

    opened = await world.sharer.slash(
        "share", {"how": "anonymous", "wants": "listening", "prompt": True}
    )
    assert opened.modal is not None
    suggested = opened.modal.field("A prompt to start from (edit or clear it)").value
    assert suggested  # a sharing prompt, at the group's depth
    secret = "Some days I feel like the quiet one nobody checks on."
    await (await world.sharer.submit_modal(opened, {BODY: secret})).wait_original()
    anon = await world.fake.wait_for_message(world.channel, lambda m: secret in m.text)
    assert "Shared anonymously" in anon.text
    assert f"*{suggested}*" in anon.text
    assert "Just listening, please" in anon.text
    # Nothing in what the bot sent for it points at Aurelia.
    for body in sent_bodies(world.fake, secret):
        assert str(world.sharer.id) not in body
        assert world.sharer.name not in body
    assert world.fake.pings() == []  # the mention spam pinged nobody

    kinds = sorted((s.visibility, s.wants, s.status) for s in await world.shares())
    assert kinds == [
        ("anonymous", "listening", logic.ShareStatus.POSTED),
        ("named", "encouragement", logic.ShareStatus.POSTED),
    ]


async def test_sharing_privately_only_reaches_a_friend_who_said_yes(world: World) -> None:
    done = await world.share(
        world.sharer,
        "Can I tell you something? I've been really lonely since the move. @everyone",
        how="friend",
        wants="listening",
        friend=world.friend,
    )
    reply = await done.wait_original()
    assert "Sent to" in reply.text
    dm = await world.fake.wait_for_message(world.friend, lambda m: "lonely" in m.text)
    assert f"<@{world.sharer.id}> shared this with you privately" in dm.text
    assert "Just listening, please" in dm.text
    assert "Reply to them directly" in dm.text
    assert all("lonely" not in m.text for m in world.channel.bot_messages)  # private stays so
    assert world.fake.pings() == []

    # No consent, no DM: refused before anyone writes a word.
    for person, why in (
        (world.no_dms, "isn't taking private shares"),
        (world.stranger, "hasn't used Hearth in this server"),
        (world.sharer, "That's you!"),
    ):
        refused = await world.sharer.slash(
            "share", {"how": "friend", "wants": "advice", "friend": person}
        )
        assert refused.modal is None
        assert why in refused.text
    missing = await world.sharer.slash("share", {"how": "friend", "wants": "advice"})
    assert "Who would you like to share with?" in missing.text
    assert world.fake.dms_to(world.no_dms) == []
    assert world.fake.dms_to(world.stranger) == []

    # Nobody can flood a friend's DMs: three a day (bot.reach, shared by every practice).
    for n in range(2):
        await world.share(
            world.sharer, f"note {n}", how="friend", wants="advice", friend=world.friend
        )
    limited = await world.sharer.slash(
        "share", {"how": "friend", "wants": "advice", "friend": world.friend}
    )
    assert limited.modal is None
    assert "a few times today already" in limited.text
    await world.fake.until(lambda: len(world.fake.dms_to(world.friend)) == 3)


async def test_closed_dms_lose_nothing(world: World) -> None:
    world.friend.close_dms()
    world.fake.expect_errors(50007)
    words = "I wanted you to hear it from me first: I'm moving away in March."
    done = await world.share(
        world.sharer, words, how="friend", wants="encouragement", friend=world.friend
    )
    told = await done.wait_original()
    assert "their DMs seem closed" in told.text
    assert words in told.text  # their words are right there
    assert [b["label"] for b in told.buttons] == [
        "Post it in the group with my name",
        "Post it anonymously",
        "Keep it to myself",
    ]
    assert await world.shares() == []  # nothing stored for a share that went nowhere

    posted = await world.sharer.click(done, "Post it anonymously")
    assert "anonymously" in (await posted.wait_original()).text
    post = await world.fake.wait_for_message(world.channel, lambda m: words in m.text)
    assert "Shared anonymously" in post.text
    assert str(world.sharer.id) not in json.dumps(post.embeds)

    # Discord said the DMs are closed: Hearth won't try again until they use it.
    again = await world.sharer.slash(
        "share", {"how": "friend", "wants": "advice", "friend": world.friend}
    )
    assert again.modal is None
    assert "isn't taking private shares" in again.text


async def test_keeping_it_after_all(world: World) -> None:
    bot = world.hearth.bot
    world.no_dms.close_dms()
    await write(bot.boundaries.db, bot.boundaries.set_dms_allowed, world.no_dms.id, True)
    world.fake.expect_errors(50007)
    words = "Never mind, I'll say it in person."
    done = await world.share(world.sharer, words, how="friend", wants="advice", friend=world.no_dms)
    await done.wait_original()
    kept = await world.sharer.click(done, "Keep it to myself")
    assert kept.type == 7  # the same message, updated
    assert "it stays with you" in kept.text
    assert words in kept.text  # still on screen
    assert not kept.buttons
    assert all(words not in m.text for m in world.channel.bot_messages)


async def test_a_private_share_waits_for_the_friends_quiet_hours(world: World) -> None:
    bot = world.hearth.bot
    await write(
        bot.boundaries.db,
        bot.boundaries.set_quiet_hours,
        world.friend.id,
        time(22, 0),
        time(7, 0),
        timezone="Europe/Berlin",
    )
    world.hearth.clock.set(datetime(2026, 1, 12, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    done = await world.share(
        world.sharer,
        "Thank you for last night.",
        how="friend",
        wants="listening",
        friend=world.friend,
    )
    assert "quiet time" in (await done.wait_original()).text
    assert world.fake.dms_to(world.friend) == []
    [held] = await world.shares()
    assert held.status == logic.ShareStatus.PENDING

    await world.hearth.restart()  # the wait survives a restart
    bot = world.hearth.bot
    due = await bot.db.fetchval("SELECT due_at FROM outbox WHERE status = 'pending'")
    assert datetime.fromisoformat(due) == datetime(2026, 1, 13, 6, 0, tzinfo=UTC)  # 07:00 Berlin
    world.hearth.clock.set(datetime(2026, 1, 13, 5, 59, tzinfo=UTC))
    await world.hearth.deliver()
    assert world.fake.dms_to(world.friend) == []  # not a minute early
    await world.hearth.deliver(minutes=1)
    dm = await world.fake.wait_for_message(world.friend, lambda m: "last night" in m.text)
    assert "shared this with you privately" in dm.text
    [delivered] = await world.shares()
    assert delivered.status == logic.ShareStatus.DELIVERED


async def test_share_follows_the_servers_setup(world: World) -> None:
    # An admin switches the sharing practice off: /share says so kindly.
    r = await world.admin.slash("hearth settings")
    await world.admin.select(r, "Which practices are on in this server?", ["listening"])
    refused = await world.sharer.slash("share", {"how": "named", "wants": "advice"})
    assert refused.modal is None
    assert "switched off in this server" in refused.text


async def test_shares_expire_even_where_the_prompts_part_is_gone(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention is the core's: with the prompts cog not loaded at all (it once ran the
    daily sweep, and sharing followed its signal), shares still go after the period."""
    from bot import app

    loaded = [name for name in app.discover_cogs() if name != "cogs.prompts"]
    monkeypatch.setattr(app, "discover_cogs", lambda: loaded)
    hearth_unstarted.clock.set(NOON)
    guild = fake_discord.add_guild("Friends", owner="Olwen")
    channel = guild.add_text_channel("hearth")
    admin = guild.add_member("Mae", admin=True)
    sharer = guild.add_member("Aurelia")
    bot = await hearth_unstarted.start()
    assert bot.get_cog("PromptsCog") is None
    await admin.slash("hearth setup", {"channel": channel}, timezone="Europe/Berlin")
    days = await admin.slash("hearth retention", days=30)
    assert "Curious replies and shares here are now kept for 30 days" in days.text
    opened = await sharer.slash("share", {"how": "named", "wants": "advice"})
    await (await sharer.submit_modal(opened, {BODY: "Kept a month."})).wait_original()
    assert await bot.db.fetchval("SELECT COUNT(*) FROM shares") == 1

    hearth_unstarted.advance(days=29)
    assert await hearth_unstarted.fire("retention:daily")
    assert await bot.db.fetchval("SELECT COUNT(*) FROM shares") == 1
    hearth_unstarted.advance(days=2)
    assert await hearth_unstarted.fire("retention:daily")
    assert await bot.db.fetchval("SELECT COUNT(*) FROM shares") == 0
