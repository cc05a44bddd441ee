"""Every admin command, called by someone without Manage Server: a kind refusal, checked on
Hearth's side (whatever the client shows), and nothing changes."""

from __future__ import annotations

from tests.e2e.test_abuse_helpers import admin_paths, fill, snapshot, walk
from tests.e2e.test_privacy import Story, make_story
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def test_every_admin_command_refuses_a_non_admin_and_changes_nothing(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    story: Story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()
    role = story.guild.add_role("crew", mentionable=True)
    bot = story.hearth.bot
    guarded = admin_paths(bot)
    # The ones that exist today, at least; any later admin command joins automatically.
    assert {
        "hearth setup",
        "hearth pace",
        "hearth resources",
        "hearth forget-server",
        "phonesdown schedule",
    } <= guarded
    commands = [c for c in walk(fake_discord, guarded) if c.admin]
    assert {c.path for c in commands} == guarded

    before = await snapshot(bot.db)
    for command in commands:
        for structured in (True, False):
            values = await fill(
                story.ana,
                command,
                words="let me in",
                structured=structured,
                friend=story.ben,
                role=role,
                fake=fake_discord,
            )
            r = await story.ana.slash(command.path, values)
            assert r.modal is None, command.path  # not even a form to fill
            assert r.ephemeral, command.path
            assert "server admins" in r.text, (command.path, r.text)
            assert not r.buttons, command.path
    assert await snapshot(bot.db) == before
    assert fake_discord.pings() == []
