"""Mention spam everywhere a person can type: every command, every form, every button.

Hypothesis draws the words (`@everyone`, `@here`, a mentionable role, other people, and
anything else); the sweep runs every slash and context-menu command Hearth registered,
fills every form it opens, presses every button it shows — and the buttons on whatever
it sent to other people — then asks the emulator who was notified. Nobody may be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.test_abuse_helpers import admin_paths, fill, follow, press_all, settled, walk
from tests.e2e.test_privacy import Story, make_story
from tests.fakediscord import FakeDiscord, FakeMessage
from tests.fakediscord.actors import NotPermitted
from tests.fakediscord.harness import HearthHarness

INCIDENT = "Something went wrong on my side"


@dataclass
class Arena:
    story: Story
    tokens: list[str]
    role: Any
    admin: set[str]


@pytest.fixture
async def arena(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Arena:
    # Discord's 5 posts per 5 s per channel would only make this sweep wait.
    fake_discord.ratelimits.configure(message_window=0.05)
    story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()
    await story.circles()
    crew = story.guild.add_role("crew", mentionable=True)
    for member in (story.ben, story.cat):
        member.add_role(crew)
    await fake_discord.sync()
    tokens = [
        "@everyone",
        "@here",
        f"<@&{crew.id}>",
        f"<@&{story.guild.id}>",  # the @everyone role by id
        f"<@{story.ben.id}>",
        f"<@!{story.cat.id}>",
        f"<@{story.olwen.id}>",
    ]
    return Arena(story, tokens, crew, admin_paths(story.hearth.bot))


def spam(tokens: list[str]) -> st.SearchStrategy[str]:
    plain = st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8
    )
    return st.lists(st.sampled_from(tokens) | plain, min_size=1, max_size=6).map(" ".join)


def describe(pings: list[tuple[FakeMessage, Any]]) -> str:
    return "\n".join(f"{m!r}: {p}" for m, p in pings)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_nobody_is_pinged_whatever_people_type(arena: Arena, data: st.DataObject) -> None:
    story = arena.story
    fake = story.fake
    words_for = spam(arena.tokens)
    commands = walk(fake, arena.admin)
    assert len(commands) >= 25
    interactions = 0
    for command in commands:
        who = story.olwen if command.admin else story.ana
        words = data.draw(words_for, label=command.path)
        structured = data.draw(st.booleans(), label=f"{command.path} structured")
        values = await fill(
            who,
            command,
            words=words,
            structured=structured,
            friend=story.ben,
            role=arena.role,
            fake=fake,
        )
        seen = set(fake.messages)
        try:
            r = await who.slash(command.path, values)
        except NotPermitted:
            continue
        made = await follow(who, r, words)
        # What it sent to someone else (a DM, a post): they press its buttons too.
        for message in [m for i, m in fake.messages.items() if i not in seen]:
            if message.author is not fake.bot_user or message.ephemeral:
                continue
            if message.channel.is_dm and message.channel.recipient is not who.user:
                other = next(
                    (
                        m
                        for m in (story.ana, story.ben, story.cat, story.olwen)
                        if m.user is message.channel.recipient
                    ),
                    None,
                )
                if other is not None:
                    made += await press_all(other, message, words)
        interactions += len(made)
        for result in made:
            if result.responded:
                assert INCIDENT not in result.text, (command.path, words)
        assert fake.pings() == [], (command.path, words, describe(fake.pings()))

    await settled(story.hearth)
    # Context menus (right-click → Apps), on a message full of mentions.
    said = await story.ben.say(story.chan, data.draw(words_for, label="message"))
    for (name, kind), _ in list(fake.global_commands.items()):
        if kind == 3:
            made = await follow(story.ana, await story.ana.message_command(name, said), "x")
        elif kind == 2:
            made = await follow(story.ana, await story.ana.user_command(name, story.ben), "x")
        else:
            continue
        interactions += len(made)
    await settled(story.hearth)
    assert interactions >= 40
    assert fake.pings() == [], describe(fake.pings())
