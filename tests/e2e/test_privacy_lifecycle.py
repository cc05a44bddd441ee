"""End to end: a server's data after Hearth leaves it (14 days, unless it comes back), and
`/hearth forget-server`, which deletes it at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import guilds
from tests.e2e.test_privacy import ANA_DEBRIEF, ANA_NOTE, Story, make_story, texts, until_done
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


@pytest.fixture
async def story(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Story:
    s = await make_story(fake_discord, hearth_unstarted)
    await s.everything()
    return s


async def server_rows(story: Story, guild_id: int) -> dict[str, int]:
    """Rows in every table declared as belonging to a server, for this server."""
    found: dict[str, int] = {}
    for name, (_, table) in story.hearth.bot.personal_data.tables.items():
        if table.server is None:
            continue
        n = await story.db.fetchval(
            f"SELECT COUNT(*) FROM {name} WHERE {table.server} = ?", (guild_id,)
        )
        if n:
            found[name] = n
    return found


async def test_a_servers_data_goes_14_days_after_hearth_leaves(story: Story) -> None:
    fake, hearth = story.fake, story.hearth
    # Ana also uses Hearth in another server; that must stay.
    other = fake.add_guild("Book club", owner="Nadia")
    other.add_text_channel("books")
    other.add_member(story.ana.user)
    await fake.sync()
    await story.ana.slash("boundaries mine", channel=other.text_channels[0])
    here = story.guild.id
    before = await server_rows(story, here)
    assert {"guilds", "member_boundaries", "support_circle", "pd_challenges"} <= set(before)
    elsewhere = await server_rows(story, other.id)

    await story.guild.remove_bot()
    job = f"privacy:purge:{here}"
    await fake.until(lambda: hearth.bot.scheduler.due(job) is not None)
    left = await guilds.get(story.db, here)
    assert left is not None
    assert left.left_at is not None
    assert hearth.bot.scheduler.due(job) == left.left_at + timedelta(days=14)

    # Fired early (a restart a week later, say): nothing goes, it waits for its day.
    hearth.advance(days=7)
    await hearth.restart()
    assert hearth.bot.scheduler.due(job) == left.left_at + timedelta(days=14)
    assert await hearth.fire(job)
    assert await server_rows(story, here) == before
    assert hearth.bot.scheduler.due(job) is not None

    hearth.advance(days=7, seconds=1)
    assert await hearth.fire(job)
    assert await server_rows(story, here) == {}
    # Child rows went with their parents; Ana's own things elsewhere are untouched.
    assert await story.db.fetchval("SELECT COUNT(*) FROM pd_participants") == 0
    assert await story.db.fetchval("SELECT COUNT(*) FROM depth_votes") == 0
    assert await server_rows(story, other.id) == elsewhere
    assert ANA_NOTE in texts(await story.export(story.ana, in_dm=True))  # her check-ins are hers
    # The check-in jobs made there are gone with their schedules.
    assert hearth.bot.scheduler.due(f"checkin:{story.ana.id}") is None
    # Hearth couldn't delete messages in a server it left: it only forgot them.
    assert await story.db.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0
    assert not any(m.deleted for m in story.ana_words)
    assert hearth.bot.scheduler.due(job) is None


async def test_coming_back_within_14_days_keeps_everything(story: Story) -> None:
    fake, hearth = story.fake, story.hearth
    here = story.guild.id
    before = await server_rows(story, here)
    await story.guild.remove_bot()
    job = f"privacy:purge:{here}"
    await fake.until(lambda: hearth.bot.scheduler.due(job) is not None)

    hearth.advance(days=10)
    await fake.add_bot_to(story.guild)
    await fake.until(lambda: hearth.bot.scheduler.due(job) is None)
    saved = await guilds.get(story.db, here)
    assert saved is not None
    assert saved.left_at is None
    assert saved.configured  # the set-up is still there

    hearth.advance(days=30)
    await hearth.restart()
    assert hearth.bot.scheduler.due(job) is None  # not re-armed from the database
    assert not await hearth.fire(job)
    purge = hearth.bot.get_cog("PrivacyCog").purge_job  # type: ignore[union-attr]
    await purge(here)  # even a stray run changes nothing
    after = await server_rows(story, here)
    assert after.keys() == before.keys()


async def test_forget_server_deletes_at_once_for_admins_only(story: Story) -> None:
    here = story.guild.id
    refused = await story.ana.slash("hearth forget-server")
    assert refused.ephemeral
    assert "server admins" in refused.text
    assert await server_rows(story, here)

    asked = await story.olwen.slash("hearth forget-server")
    assert "can't be undone" in asked.text
    kept = await (await story.olwen.click(asked, "Keep it")).wait_edit()
    assert "Nothing was deleted" in kept.text

    asked = await story.olwen.slash("hearth forget-server")
    done = await until_done(await story.olwen.click(asked, "Delete this server's data"))
    assert "Everything Hearth kept about this server is deleted" in done.text
    # Hers (a debrief, a revealed answer, a share, and her phones-down card and results,
    # which carry her title) and Ben's revealed answer.
    assert "I deleted 6 of my messages that carried people's words" in done.text

    # Only a fresh, unconfigured record of being here remains.
    assert await server_rows(story, here) == {"guilds": 1}
    fresh = await guilds.get(story.db, here)
    assert fresh is not None
    assert not fresh.configured
    # Her debrief answer, revealed answer and share here are deleted from Discord; what
    # she sent Ben by DM is hers to delete, not the server's.
    here = [m for m in story.ana_words if not m.channel.is_dm]
    dms = [m for m in story.ana_words if m.channel.is_dm]
    assert len(here) == 3
    assert len(dms) == 2
    assert any(ANA_DEBRIEF in m.text for m in here)
    assert all(m.deleted for m in here)
    assert not any(m.deleted for m in dms)
    settings = await story.olwen.slash("hearth settings")
    assert "isn't set up here yet" in settings.text
    assert story.fake.pings() == []


async def test_a_server_that_removed_hearth_while_it_was_offline_is_left_at_start(
    story: Story,
) -> None:
    fake, hearth = story.fake, story.hearth
    here = story.guild.id
    stays = fake.add_guild("Book club", owner="Nadia")
    stays.add_text_channel("books")
    await fake.sync()
    await hearth.stop()
    hearth.advance(hours=5)
    await story.guild.remove_bot()  # nobody connected to see it go

    await hearth.start()
    job = f"privacy:purge:{here}"
    await fake.until(lambda: hearth.bot.scheduler.due(job) is not None)
    left = await guilds.get(story.db, here)
    assert left is not None
    assert left.left_at == hearth.clock.now()
    assert hearth.bot.scheduler.due(job) == left.left_at + timedelta(days=14)
    still = await guilds.get(story.db, stays.id)
    assert still is not None
    assert still.left_at is None  # a server Hearth is still in stays
    assert hearth.bot.scheduler.due(f"privacy:purge:{stays.id}") is None
