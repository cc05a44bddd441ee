"""An edit is a fresh chance to ping: Discord rebuilds a message's mentions from its new
content, with the edit's own `allowed_mentions` or, when it has none, the defaults (which
ping every name). Every way Hearth edits a message must keep its quiet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord

from bot.outbox import Message
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness

ROOT = Path(__file__).resolve().parents[2]

# Each discord.py call Hearth edits messages with, as written in its code.
EDIT_CALLS = {
    r"\.response\.edit_message\(": "update the clicked message (callback type 7)",
    # The stand-in answer passes a handler's own update on unchanged (bot.discord_internals).
    r"super\(\)\.edit_message\(\*\*kwargs\)": "the same update (callback type 7)",
    r"\.edit_original_response\(": "edit the interaction's response (webhook @original)",
    r"get_partial_message\([^)]*\)\.edit\(|partial\.edit\(": "edit a channel message",
    r"outbox\.edit\(": "edit a channel message through the outbox (bot.outbox)",
}


def test_hearth_edits_messages_only_in_the_ways_tested_below() -> None:
    calls = [
        (path, line)
        for folder in ("bot", "cogs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in path.read_text("utf-8").splitlines()
        if re.search(r"\.edit(_message|_original_response)?\(", line)
        and not line.strip().startswith(("#", "`"))
    ]
    assert calls
    unknown = [
        f"{p.relative_to(ROOT)}: {line.strip()}"
        for p, line in calls
        if not any(re.search(pattern, line) for pattern in EDIT_CALLS)
    ]
    assert not unknown, f"a new way of editing; cover it below and add it here: {unknown}"


class Edits(discord.ui.View):
    """Each button edits a message to name people, the way Hearth's cogs do."""

    def __init__(self, names: str) -> None:
        super().__init__(timeout=None)
        self.names = names

    @discord.ui.button(label="update", custom_id="test:edit:update")
    async def update(
        self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.edit_message(content=f"updated for {self.names}", view=None)

    @discord.ui.button(label="original", custom_id="test:edit:original")
    async def original(
        self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_message("working…", ephemeral=True)
        await interaction.edit_original_response(content=f"done for {self.names}")

    @discord.ui.button(label="deferred", custom_id="test:edit:deferred")
    async def deferred(
        self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"thought of {self.names}")


async def test_no_edit_hearth_makes_pings_the_people_it_names(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("general")
    alice = guild.add_member("alice", admin=True)
    bob = guild.add_member("bob")
    everyone = guild.add_role("friends", mentionable=True)
    guild.set_bot_permissions(discord.Permissions.text())  # may even mention @everyone
    bot = await hearth_unstarted.start()
    names = f"{alice.mention} {bob.mention} {everyone.mention} @everyone"

    channel = bot.get_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    view = Edits(names)
    bot.add_view(view)
    sent = await channel.send("one moment", view=view)
    await channel.get_partial_message(sent.id).edit(content=f"edited for {names}")
    posted = fake_discord.messages[sent.id]
    assert names in posted.content
    # What practices do: an edit written with a state change, delivered by the outbox.
    async with bot.db.transaction() as tx:
        intent = await bot.outbox.edit(
            tx,
            channel_id=chan.id,
            guild_id=guild.id,
            message_id=sent.id,
            message=Message(f"an outbox edit for {names}", view=view),
        )
    outcome = await bot.outbox.wait(intent, 2.0)
    assert outcome is not None
    assert outcome.ok
    assert "an outbox edit" in posted.content

    for label in ("original", "deferred", "update"):
        result = await bob.click(posted, label)
        await fake_discord.until(
            lambda r=result: r.message is not None and names in r.message.content, what=label
        )

    assert fake_discord.pings() == []  # named four ways, notified never
    edits = [
        r
        for r in fake_discord.requests
        if r.method == "PATCH"
        or (r.route.endswith("/callback") and (r.body or {}).get("type") == 7)
    ]
    assert len(edits) >= 4
