"""Every interaction gets an answer, or a line in the log saying it didn't."""

from __future__ import annotations

import gc
import logging

import discord
import pytest

from bot import app
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def test_an_interaction_left_unanswered_is_logged_without_who(
    fake_discord: FakeDiscord,
    hearth_unstarted: HearthHarness,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app, "ANSWER_DEADLINE", 0.05)
    caplog.set_level(logging.INFO)
    guild = fake_discord.add_guild("Friends", owner="Olwen")
    guild.add_text_channel("general")
    ana = guild.add_member("Aurelia")
    bot = await hearth_unstarted.start()

    # Stands in for a bug: a handler that returns without answering.
    @discord.app_commands.command(name="forgetful", description="Never answers")
    async def forgetful(interaction: discord.Interaction) -> None:
        return None

    bot.tree.add_command(forgetful)
    await bot.tree.sync()
    r = await ana.slash("forgetful", timeout=0.3)
    assert not r.responded

    def logged() -> list[str]:
        return [m for m in caplog.messages if "interaction unanswered" in m]

    await fake_discord.until(lambda: bool(logged()), timeout=2, what="the log line")
    (line,) = logged()
    assert f"id={r.interaction.id}" in line
    assert "what=forgetful" in line
    assert str(ana.id) not in line

    # An answered one, its interaction long gone by its deadline, adds no line.
    answered = await ana.slash("boundaries timezone", zone="Berlin")
    assert "Europe/Berlin" in answered.text
    gc.collect()  # nothing of it is kept until its deadline: only the watch remains
    await fake_discord.until(
        lambda: all(w.id != answered.interaction.id for _, w in bot._unanswered_due),
        timeout=2,
        what="its deadline",
    )
    assert logged() == [line]


async def test_answers_skip_discords_echo_unless_a_live_view_needs_its_message_id(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    guild = fake_discord.add_guild("Friends", owner="Olwen")
    guild.add_text_channel("general")
    ana = guild.add_member("Aurelia")
    await hearth_unstarted.start()

    def callbacks() -> list[int]:
        return [r.status for r in fake_discord.requests if r.route.endswith("/callback")]

    # A panel (stateless buttons), a click on it, a form: none needs the message back.
    panel = await ana.slash("boundaries mine")
    assert "comfort" in panel.text.lower()
    shown = await ana.select(panel, "Your comfort depth here", ["1"])
    assert shown.type == 7
    form = await ana.click(shown, "Quiet hours…")
    assert form.modal is not None
    assert callbacks() == [204, 204, 204]
    # A deferral, a command's "thinking…" first answer, carries no message to echo either.
    exported = await (await ana.slash("privacy export")).wait_original()
    assert exported.attachments
    assert callbacks() == [204, 204, 204, 204]

    # A live question is stored under its message's id, which only the echo carries:
    # asked with it, and its buttons still answer.
    asked = await ana.slash("privacy delete")
    assert callbacks()[-1] == 200
    kept = await (await ana.click(asked, "Keep it")).wait_edit()
    assert "Nothing was deleted" in kept.text


async def test_a_clicks_message_is_built_only_when_its_handler_reads_it(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    guild = fake_discord.add_guild("Friends", owner="Olwen")
    guild.add_text_channel("general")
    ana = guild.add_member("Aurelia")
    bot = await hearth_unstarted.start()
    seen: list[discord.Interaction] = []
    arrived = bot._arrived

    def keep(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        arrived(interaction)

    monkeypatch.setattr(bot, "_arrived", keep)
    panel = await ana.slash("boundaries mine")

    # Opening a form from the panel never reads the panel's message.
    form = await ana.click(panel, "Quiet hours…")
    assert form.modal is not None
    assert seen[-1].type is discord.InteractionType.component
    assert getattr(seen[-1], "_lean_raw", None) is not None

    # Editing the panel reads it: built then, whole, and the edit lands on it.
    shown = await ana.select(panel, "Your comfort depth here", ["2"])
    assert shown.type == 7
    message = seen[-1].message
    assert message is not None
    assert message.id == panel.message.id
    assert message.guild is not None
    assert message.guild.id == guild.id
    assert any(row.children for row in message.components)  # type: ignore[attr-defined]
    depth = next(
        c
        for row in panel.message.payload()["components"]
        for c in row["components"]
        if c.get("placeholder") == "Your comfort depth here"
    )
    assert [o["value"] for o in depth["options"] if o.get("default")] == ["2"]
