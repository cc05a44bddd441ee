"""Forged button ids, for every persistent component type Hearth registers: a kind refusal
and no change.

The classes come from `bot.cogs[*].dynamic_items`, so a practice added later is covered.
Two kinds of forgery: ids made up to fit each class's pattern (hypothesis), and real ids
taken from other people's DMs and from another server's posts, clicked by Mallory — in her
own server and in her DMs — as a tampered client could.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cog import HearthCog, HearthItem, IdItem
from bot.outbox import Message
from tests.e2e.test_abuse_helpers import snapshot
from tests.e2e.test_privacy import Story, make_story
from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

INCIDENT = "Something went wrong on my side"


def patterns(bot: Any) -> list[re.Pattern[str]]:
    found: list[re.Pattern[str]] = []
    for cog in bot.cogs.values():
        if isinstance(cog, HearthCog):
            for item in cog.dynamic_items:
                found.append(item.__discord_ui_compiled_template__)
    return found


def fixed(pattern: re.Pattern[str]) -> bool:
    """A pattern that matches one exact id: a button anyone may press (no object in it)."""
    return pattern.groups == 0 and re.escape(re.sub(r"\\(.)", r"\1", pattern.pattern)) == (
        pattern.pattern
    )


def first_button(message: FakeMessage) -> dict[str, Any]:
    for row in message.components:
        for component in row.get("components") or []:
            if component.get("type") == 2:
                return component  # type: ignore[no-any-return]
    raise AssertionError(f"{message!r} has no button")


class Forger:
    """Mallory, with two messages of Hearth's she can press: one in her server, one in DMs."""

    def __init__(self, story: Story, mallory: FakeMember, here: FakeMessage, dm: FakeMessage):
        self.story = story
        self.mallory = mallory
        self.targets = (here, dm)

    async def click(self, custom_id: str) -> list[Any]:
        results = []
        for message in self.targets:
            first_button(message)["custom_id"] = custom_id
            results.append(await self.mallory.click(message, custom_id))
        return results


async def make_forger(story: Story) -> Forger:
    fake = story.fake
    elsewhere = fake.add_guild("Elsewhere", owner="Mallory")
    lounge = elsewhere.add_text_channel("lounge")
    await fake.sync()
    mallory = elsewhere.owner
    panel = await mallory.slash("boundaries mine", channel=lounge)  # a message with buttons
    assert panel.message is not None
    await write(
        story.hearth.bot.boundaries.db,
        story.hearth.bot.boundaries.set_dms_allowed,
        mallory.id,
        True,
    )
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Press", custom_id="hearth:test:placeholder"))
    bot = story.hearth.bot
    async with bot.db.transaction() as tx:
        intent = await bot.outbox.dm(
            tx, user_id=mallory.id, message=Message("A message with a button.", view=view)
        )
    sent = await bot.outbox.wait(intent, 2.0)
    assert sent is not None
    assert sent.ok
    dm = await fake.wait_for_message(mallory)
    return Forger(story, mallory, panel.message, dm)


def assert_refused(results: list[Any], custom_id: str, *, any_button: bool) -> None:
    for r in results:
        assert r.responded, custom_id
        if any_button and r.modal is not None:
            continue  # e.g. "set my time zone": opening a form changes nothing
        assert r.modal is None, custom_id
        assert r.ephemeral, custom_id
        assert r.text.strip(), custom_id
        assert INCIDENT not in r.text, (custom_id, r.text)


@dataclass
class Scene:
    story: Story
    forger: Forger
    known: list[re.Pattern[str]]


@pytest.fixture
async def scene(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Scene:
    story = await make_story(fake_discord, hearth_unstarted)
    await story.everything()
    known = patterns(story.hearth.bot)
    assert len(known) >= 10  # support's, phones down's, boundaries', prompts'…
    return Scene(story, await make_forger(story), known)


async def test_real_ids_from_other_peoples_messages_are_refused(scene: Scene) -> None:
    fake, story, forger = scene.story.fake, scene.story, scene.forger
    # Real ids from everything Hearth posted in Friends or DMed to anyone but Mallory.
    stolen = sorted(
        {
            str(button.get("custom_id"))
            for message in fake.messages.values()
            if message.author is fake.bot_user
            and (message.channel.guild is story.guild or message.channel.is_dm)
            and message.channel.recipient is not forger.mallory.user
            for button in message.buttons
            if any(p.fullmatch(str(button.get("custom_id", ""))) for p in scene.known)
        }
    )
    covered = {p.pattern for p in scene.known if any(p.fullmatch(c) for c in stolen)}
    assert len(covered) >= 6  # check-ins, circles, phones down, votes at least

    before = await snapshot(story.db)
    for custom_id in stolen:
        assert_refused(await forger.click(custom_id), custom_id, any_button=False)
    assert await snapshot(story.db) == before
    assert fake.pings() == []


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_made_up_ids_for_every_component_type_are_refused(
    scene: Scene, data: st.DataObject
) -> None:
    before = await snapshot(scene.story.db)
    for pattern in scene.known:
        made_up = data.draw(
            st.from_regex(pattern, fullmatch=True).filter(lambda s: 0 < len(s) <= 100),
            label=pattern.pattern,
        )
        results = await scene.forger.click(made_up)
        assert_refused(results, made_up, any_button=fixed(pattern))
    assert await snapshot(scene.story.db) == before
    assert scene.story.fake.pings() == []


# Ids past SQLite's INTEGER (2**63 - 1): 20 digits, and 19 that still overflow it.
TOO_BIG = ("9" * 20, "9" * 19)


def registered(bot: Any) -> list[type[Any]]:
    return [
        item
        for cog in bot.cogs.values()
        if isinstance(cog, HearthCog)
        for item in cog.dynamic_items
    ]


def prefix_of(item: type[Any]) -> str:
    pattern = item.__discord_ui_compiled_template__.pattern
    return re.sub(r"\\(.)", r"\1", pattern.split("(?P<rest>")[0])


def oversized_tails(item: type[IdItem[Any]]) -> list[str]:
    """Forgeries shaped by the item's own parser: its well-formed example tail with every
    id in it (one at a time, then all at once) too big to store."""
    example = item.example_tail
    assert item.parse_tail(example) is not None, (item, example)
    ids = list(re.finditer(r"[0-9]+", example))
    assert ids, (item, example)
    tails = []
    for big in TOO_BIG:
        for one in ids:
            tails.append(example[: one.start()] + big + example[one.end() :])
        tails.append(re.sub(r"[0-9]+", big, example))
    return sorted(set(tails))


def test_every_component_is_an_id_item_or_carries_no_id() -> None:
    # An item with its own parser could let a forgery past the core's bounds: every
    # persistent component parses through IdItem, or its id is one fixed string.
    from bot.app import discover_cogs

    for name in discover_cogs():
        module = importlib.import_module(f"{name}.cog")
        for cog in vars(module).values():
            if isinstance(cog, type) and issubclass(cog, HearthCog) and cog is not HearthCog:
                for item in cog.dynamic_items:
                    template = item.__discord_ui_compiled_template__
                    assert issubclass(item, IdItem) or fixed(template), item
                    assert issubclass(item, HearthItem), item  # errors reach the handler


async def test_ids_too_big_for_the_database_are_refused_kindly(scene: Scene) -> None:
    before = await snapshot(scene.story.db)
    items = [i for i in registered(scene.story.hearth.bot) if issubclass(i, IdItem)]
    assert len(items) >= 10  # every id-carrying button of every practice
    forged = []
    for item in items:
        for tail in oversized_tails(item):
            assert item.parse_tail(tail) is None, (item, tail)
            forged.append(prefix_of(item) + tail)
    assert "hearth:ci:mood:99999999999999999999:3" in forged
    for made_up in forged:
        results = await scene.forger.click(made_up)
        assert_refused(results, made_up, any_button=False)
    assert await snapshot(scene.story.db) == before
