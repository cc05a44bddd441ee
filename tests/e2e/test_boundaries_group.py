"""End to end through the emulator: the group goes deeper only by everyone's private consent."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest

from bot import guilds
from bot.timeutil import UTC
from cogs.boundaries import store
from tests.fakediscord import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeMessage,
    InteractionResult,
)
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

NOON = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
ASKED = "Someone would like to go a little deeper"
DEEPER = "Going a little deeper"
STAYING = "Staying here for now — and that's okay"


@dataclass
class Group:
    fake: FakeDiscord
    hearth: HearthHarness
    guild: FakeGuild
    general: FakeChannel
    ana: FakeMember
    ben: FakeMember
    cat: FakeMember

    @property
    def friends(self) -> list[FakeMember]:
        return [self.ana, self.ben, self.cat]

    async def depth(self, who: FakeMember | None = None) -> str:
        """The group's level as `/boundaries group` shows it to `who`."""
        shown = await (who or self.ana).slash("boundaries group")
        assert shown.ephemeral
        description = (shown.embed or {}).get("description", "")
        return description.split("**")[1]

    async def ask(self, who: FakeMember) -> tuple[InteractionResult, FakeMessage]:
        """`who` suggests going deeper; returns their private note and the group's post."""
        status = await who.slash("boundaries group")
        done = await who.click(status, "Suggest going deeper")
        await done.wait_original()
        post = await self.fake.wait_for_message(self.general, lambda m: ASKED in m.text)
        return done, post

    async def close(self) -> list[str]:
        """Let the window pass and run whatever fell due; returns the closing jobs that ran."""
        self.hearth.advance(days=3)
        return closing(await self.hearth.run_due())

    async def result(self) -> FakeMessage:
        return await self.fake.wait_for_message(
            self.general, lambda m: DEEPER in m.text or STAYING in m.text
        )


def closing(job_ids: list[str]) -> list[str]:
    # Other practices' jobs may fall due as the clock moves; only ours matter here.
    return [j for j in job_ids if j.startswith("depth:close:")]


@pytest.fixture
async def group(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Group:
    hearth_unstarted.clock.set(NOON)
    guild = fake_discord.add_guild("Friends", owner="Olwen")
    general = guild.add_text_channel("general")
    friends = [guild.add_member(name) for name in ("Aurelia", "Bramwell", "Cosima")]
    await hearth_unstarted.start()
    setup = await guild.owner.slash("hearth setup", {"channel": general}, timezone="Europe/Berlin")
    assert "Hearth is set up" in setup.text
    for friend in friends:
        await friend.slash("boundaries mine")  # using Hearth makes them participants
    return Group(fake_discord, hearth_unstarted, guild, general, *friends)


async def set_up(hearth: HearthHarness, guild: FakeGuild, channel: FakeChannel) -> None:
    # As `/hearth setup` would (the emulator's `slash()` keeps `channel=` for where to type).
    await write(
        hearth.bot.db,
        guilds.save_setup,
        guild.id,
        channel_id=channel.id,
        timezone="Europe/Berlin",
        prompt_weekday=6,
        prompt_time=time(18, 0),
        now=hearth.clock.now(),
    )


def everything_said(fake: FakeDiscord, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every text the bot sent or logged: messages (ephemeral too), request bodies, logs."""
    said = []
    for m in fake.messages.values():
        if m.author is fake.bot_user:
            said.append(json.dumps([m.content, m.embeds, m.components], ensure_ascii=False))
    said += [json.dumps(r.body, ensure_ascii=False, default=str) for r in fake.requests]
    said += [
        rec.getMessage()
        for rec in caplog.records
        if rec.name.split(".")[0] in ("bot", "cogs", "discord")
    ]
    return said


async def test_everyone_in_goes_deeper_and_nobody_is_ever_named(
    group: Group, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what an operator's logs hold (DEBUG echoes raw events)
    assert await group.depth() == "1 · Light"  # every server starts light
    note, post = await group.ask(group.ana)
    assert note.ephemeral
    assert "without your name" in note.text
    assert "counted you as “I'm in”" in note.text
    assert [b["label"] for b in post.buttons] == ["I'm in", "Not yet"]
    for friend in (group.ben, group.cat):
        ack = await friend.click(post, "I'm in")
        assert ack.ephemeral
        assert ack.text.startswith("You're in.")
    assert await group.depth() == "1 · Light"  # nothing changes before the window closes

    proposal_id = post.buttons[0]["custom_id"].split(":")[3]
    assert await group.close() == [f"depth:close:{proposal_id}"]
    result = await group.result()
    assert DEEPER in result.text
    assert "2 · Personal" in result.text
    assert not post.buttons  # the question is closed
    assert "This question has closed" in post.text
    assert await group.depth(group.cat) == "2 · Personal"

    voters = group.friends
    needles = [v.name for v in voters] + [str(v.id) for v in voters]
    for text in everything_said(group.fake, caplog):
        for needle in needles:
            assert needle not in text, f"{needle!r} leaked in {text[:200]!r}"
    for message in (post, result):
        assert not message.pinged.users
        assert not message.ephemeral


async def test_one_not_yet_keeps_the_group_here_and_it_rests(group: Group) -> None:
    _, post = await group.ask(group.ana)
    await group.ben.click(post, "I'm in")
    ack = await group.cat.click(post, "Not yet")
    assert ack.ephemeral
    assert "nobody will know" in ack.text
    await group.close()
    result = await group.result()
    assert result.embed is not None
    assert STAYING in result.embed["title"]
    assert "1 · Light" in result.text
    assert await group.depth() == "1 · Light"

    status = await group.ben.slash("boundaries group")
    assert "stay here not long ago" in status.text
    assert not status.buttons  # no asking again during the rest
    group.hearth.advance(days=13)
    assert not (await group.ben.slash("boundaries group")).buttons
    group.hearth.advance(days=1)
    again = await group.ben.slash("boundaries group")
    assert [b["label"] for b in again.buttons] == ["Suggest going deeper"]


async def test_a_vote_changed_before_the_window_closes_counts_as_changed(group: Group) -> None:
    _, post = await group.ask(group.ana)
    await group.ben.click(post, "I'm in")
    await group.cat.click(post, "Not yet")
    group.hearth.advance(days=2)
    changed = await group.cat.click(post, "I'm in")
    assert changed.text.startswith("You're in.")
    await group.close()
    assert DEEPER in (await group.result()).text
    assert await group.depth() == "2 · Personal"


async def test_the_window_closes_after_a_restart(group: Group) -> None:
    _, post = await group.ask(group.ana)
    await group.ben.click(post, "I'm in")
    await group.hearth.restart()
    late = await group.cat.click(post, "I'm in")  # the buttons outlive the old process
    assert late.text.startswith("You're in.")
    group.hearth.advance(days=3, minutes=1)
    await group.hearth.restart()  # Hearth was down when the window ended
    await group.hearth.run_due()
    assert DEEPER in (await group.result()).text
    assert await group.depth() == "2 · Personal"
    assert not post.buttons  # closed once, by whichever process got there
    await group.hearth.restart()
    await group.hearth.run_due()
    results = [m for m in group.general.bot_messages if DEEPER in m.text]
    assert len(results) == 1  # decided and posted once


async def test_a_paused_friend_is_not_waited_for_and_anyone_can_quietly_lower(
    group: Group,
) -> None:
    panel = await group.cat.slash("boundaries mine")
    await group.cat.click(panel, "Pause for a week")
    _, post = await group.ask(group.ana)
    await group.ben.click(post, "I'm in")
    await group.close()
    assert DEEPER in (await group.result()).text

    panel = await group.cat.slash("boundaries mine")
    await group.cat.click(panel, "Resume")
    before = len(group.general.bot_messages)
    panel = await group.cat.slash("boundaries mine")
    saved = await group.cat.select(panel, "Your comfort depth here", ["1"])
    assert "Nobody is told" in saved.content
    assert await group.depth(group.ana) == "1 · Light"  # at once, and without a word
    assert len(group.general.bot_messages) == before
    status = await group.ana.slash("boundaries group")
    assert "Cosima" not in status.text
    assert "comfort" in status.text  # only the general explanation


async def test_forged_vote_buttons_get_a_kind_no_and_change_nothing(
    group: Group, fake_discord: FakeDiscord
) -> None:
    _, post = await group.ask(group.ana)
    proposal_id = int(post.buttons[0]["custom_id"].split(":")[3])
    bot = group.hearth.bot
    before = await store.votes(bot.db, proposal_id)

    other = fake_discord.add_guild("Elsewhere", owner="Mallory")
    lounge = other.add_text_channel("lounge")
    await group.hearth.bot.wait_until_ready()
    await fake_discord.sync()
    await set_up(group.hearth, other, lounge)
    mallory = other.owner

    async def forged_click(who: FakeMember, custom_id: str) -> InteractionResult:
        # What a tampered client could send: a Hearth message carrying a made-up button id.
        panel = await who.slash("boundaries mine")
        message = panel.message
        assert message is not None
        message.components[-1]["components"][0]["custom_id"] = custom_id
        return await who.click(message, custom_id)

    refusals = [
        await forged_click(group.ben, f"hearth:depth:vote:{proposal_id + 1}:yes"),  # unknown
        await forged_click(group.ben, "hearth:depth:vote:not-a-number:yes"),  # malformed
        await forged_click(group.ben, f"hearth:depth:vote:{proposal_id}:maybe"),  # malformed
        await forged_click(mallory, f"hearth:depth:vote:{proposal_id}:no"),  # another server's
    ]
    for refusal in refusals:
        assert refusal.ephemeral
        assert refusal.type == 4
        assert "nothing was changed" in refusal.text
    assert await store.votes(bot.db, proposal_id) == before
    await group.close()
    result = await group.result()
    assert STAYING in result.text  # Ben and Cat never answered; Mallory's "no" never landed
    assert not post.buttons


async def test_asking_needs_a_set_up_server_and_one_question_at_a_time(
    group: Group, fake_discord: FakeDiscord
) -> None:
    other = fake_discord.add_guild("Not yet set up", owner="Nadia")
    other.add_text_channel("chat")
    await fake_discord.sync()
    status = await other.owner.slash("boundaries group")
    assert "isn't set up in this server yet" in status.text
    assert "/hearth setup" in status.text
    assert not status.buttons

    first_status = await group.ben.slash("boundaries group")
    _, post = await group.ask(group.ana)
    while_open = await group.cat.slash("boundaries group")
    assert "already a question open" in while_open.text
    assert not while_open.buttons
    late = await group.ben.click(first_status, "Suggest going deeper")  # an old panel
    note = await late.wait_original()
    assert "already a question open" in note.text
    asked = [m for m in group.general.bot_messages if ASKED in m.text]
    assert asked == [post]


async def test_the_decision_lands_even_when_hearth_cannot_post(
    group: Group, fake_discord: FakeDiscord
) -> None:
    _, post = await group.ask(group.ana)
    for friend in (group.ben, group.cat):
        await friend.click(post, "I'm in")
    group.general.deny_bot(send_messages=True, view_channel=True)
    fake_discord.expect_errors(50001, 50013)
    ran = await group.close()
    assert ran  # the job ran to the end instead of crashing
    assert await group.hearth.bot.boundaries.group_depth(group.guild.id) == 2
    assert not [m for m in group.general.bot_messages if DEEPER in m.text]
    status = await group.ana.slash("boundaries group")  # private answers still work there
    assert "2 · Personal" in status.text


async def test_asking_when_hearth_cannot_post_says_so_kindly(
    group: Group, fake_discord: FakeDiscord
) -> None:
    group.general.deny_bot(send_messages=True)
    fake_discord.expect_errors(50001, 50013)
    status = await group.ana.slash("boundaries group")
    done = await group.ana.click(status, "Suggest going deeper")
    note = await done.wait_original()
    assert "couldn't post" in note.text
    assert "/hearth settings" in note.text
    assert await store.open_in(group.hearth.bot.db, group.guild.id) is None
    group.general.allow_bot(send_messages=True)
    _, post = await group.ask(group.ana)
    assert post.buttons
    assert timedelta(0) <= group.hearth.clock.now() - NOON < timedelta(days=1)


async def test_admins_choose_how_long_a_question_stays_open(group: Group) -> None:
    refused = await group.ana.slash("hearth pace", vote_days=1)
    assert "server admins" in refused.text
    saved = await group.guild.owner.slash("hearth pace", vote_days=1, rest_days=7)
    assert saved.ephemeral
    assert "stays open for 1 day" in saved.text
    assert "rests for 7 days" in saved.text
    settings = await group.guild.owner.slash("hearth settings")
    assert "Group pace" in settings.text
    assert "1 · Light" in settings.text

    _, post = await group.ask(group.ana)
    for friend in (group.ben, group.cat):
        await friend.click(post, "I'm in")
    group.hearth.advance(hours=23, minutes=59)
    assert closing(await group.hearth.run_due()) == []
    group.hearth.advance(minutes=1)
    assert len(closing(await group.hearth.run_due())) == 1
    assert DEEPER in (await group.result()).text


async def test_in_dms_the_panel_holds_what_goes_everywhere(group: Group) -> None:
    ana = group.ana.user
    panel = await ana.slash("boundaries mine")
    assert panel.ephemeral
    assert "Comfort depth here" not in panel.text
    assert "Time zone" in panel.text
    assert panel.message is not None
    assert panel.message.selects == []  # depth, topics and taking part live in each server
    r = await ana.click(panel, "Allow DMs")
    assert "may DM you" in r.content
    assert await group.hearth.bot.boundaries.may_dm(ana.id)
    elsewhere = await ana.slash("boundaries group")
    assert "inside a server" in elsewhere.text


async def test_the_decision_lands_even_when_the_channel_is_gone(
    group: Group, fake_discord: FakeDiscord
) -> None:
    _, post = await group.ask(group.ana)
    for friend in (group.ben, group.cat):
        await friend.click(post, "I'm in")
    await group.general.delete()
    fake_discord.expect_errors(10003)
    assert len(await group.close()) == 1
    assert await group.hearth.bot.boundaries.group_depth(group.guild.id) == 2
    lounge = group.guild.add_text_channel("lounge")
    await fake_discord.sync()
    status = await group.ana.slash("boundaries group", channel=lounge)
    assert "2 · Personal" in status.text
