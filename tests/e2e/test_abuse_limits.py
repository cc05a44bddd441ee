"""One person can't use Hearth to flood another: the same per-person limit counts every
feature that DMs someone on their behalf (`bot.reach`), so switching features doesn't help."""

from __future__ import annotations

from datetime import timedelta

from bot.limits import REACH_PER_PAIR
from tests.e2e.test_privacy import make_story
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def test_notes_and_invitations_share_one_limit_per_friend(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    fake_discord.ratelimits.configure(message_window=0.05)  # Discord's 5 s would just wait
    story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()  # Ana and Ben allow DMs
    ana, ben = story.ana, story.ben
    for i in range(REACH_PER_PAIR):
        said = await story.done(await ana.slash("support send", friend=ben, note=f"hi {i}"))
        assert "Sent" in said
    # A circle invitation is a DM to Ben too: the same limit refuses it, before any DM.
    refused = await ana.slash("support circle add", friend=ben)
    assert refused.ephemeral
    assert "plenty" in refused.text
    refused = await ana.slash("support send", friend=ben)
    assert "plenty" in refused.text
    assert len([m for m in ben.dms() if "thinking of you" in m.text]) == REACH_PER_PAIR
    assert not [m for m in ben.dms() if "circle" in m.text.lower()]

    # Ben can still reach Ana (it's per pair), and tomorrow Ana can reach Ben again.
    assert "Sent" in await story.done(await ben.slash("support send", friend=ana))
    story.hearth.advance(timedelta(days=1, minutes=1))
    assert "I've asked" in await story.done(await ana.slash("support circle add", friend=ben))
    assert fake_discord.pings() == []


async def test_asking_for_check_in_after_check_in_cant_flood_the_circle(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    fake_discord.ratelimits.configure(message_window=0.05)
    story = await make_story(fake_discord, hearth_unstarted)
    await story.set_up()
    await story.checkins()
    await story.circles()  # Ben is in Ana's circle (and one note went to him already)
    ana, ben = story.ana, story.ben
    told = 0
    for _ in range(REACH_PER_PAIR + 1):
        story.hearth.advance(minutes=1)
        await (await ana.slash("checkin now")).wait_followup()
        dm = await fake_discord.wait_for_message(ana, lambda m: "How are you" in m.text)
        await ana.click(dm, "Low")
        offer = await fake_discord.wait_for_message(ana, lambda m: "circle to know" in m.text)
        r = await ana.click(offer, "Yes, let them know")
        if r.type == 6:
            await r.wait_edit()
            told += 1
        else:
            assert r.ephemeral
            assert "a few times today already" in r.text
    # Her invitation and her note to Ben counted too: three DMs to him today, then no more.
    assert told == REACH_PER_PAIR - 2
    assert len([m for m in ben.dms() if "Reach them:" in m.text]) == told
