"""Phones down started inside a thread: the whole challenge, debrief included, stays there.

Discord can't start a thread from a message that lives in a thread (50024), so a
challenge in a thread takes its debrief answers in that same thread.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_phones_down import bot_posts, challenge_id, lobby_card
from tests.fakediscord import FakeChannel, FakeDiscord, FakeMember
from tests.fakediscord.harness import HearthHarness


@pytest.mark.parametrize("private", [False, True], ids=["public thread", "private thread"])
async def test_a_challenge_in_a_thread_takes_its_debrief_answers_there(
    hearth: HearthHarness, fake_discord: FakeDiscord, private: bool
) -> None:
    guild = fake_discord.add_guild("Friends")
    chan = guild.add_text_channel("hearth")
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    await fake_discord.add_bot_to(guild)
    thread: FakeChannel = chan.add_thread(
        "Sunday tea", private=private, owner=alice, members=[bob, fake_discord.bot_user]
    )
    await fake_discord.sync()

    lobby = await alice.slash("phonesdown start", channel=thread, duration="30m")
    assert lobby.ephemeral
    await lobby.wait_followup()
    card = await lobby_card(lobby)
    assert card.channel is thread
    cid = challenge_id(card)
    assert "You're in" in (await bob.click(card, "Join")).content
    hearth.advance(minutes=2)
    assert await hearth.fire(f"phonesdown:start:{cid}")
    hearth.advance(minutes=30)
    assert await hearth.fire(f"phonesdown:end:{cid}")

    results = bot_posts(fake_discord, thread)[-1]
    assert "done!" in results.text
    assert [b["label"] for b in results.buttons] == ["Answer"]

    async def answer(who: FakeMember, words: str) -> None:
        opened = await who.click(results, "Answer")
        assert opened.modal is not None, opened
        done = await who.submit_modal(opened.modal, {"Your answer": words})
        await done.wait_original()
        assert done.ephemeral
        assert f"Posted in <#{thread.id}>" in done.text, done.text

    await answer(bob, "The birds were loud today")
    first = await fake_discord.wait_for_message(thread, lambda m: "answered:" in m.content)
    assert "**bob** answered:" in first.content
    assert "> The birds were loud today" in first.content
    await answer(alice, "Tea tastes better like this")
    second = await fake_discord.wait_for_message(thread, lambda m: "answered:" in m.content)
    assert "**alice** answered:" in second.content

    # No thread was attempted anywhere else, and nothing of it landed in the parent channel.
    assert chan.threads == [thread]
    assert not [m for m in bot_posts(fake_discord, chan) if "answered:" in m.text or m.buttons]
    assert not [r for r in fake_discord.requests if r.status >= 400]
