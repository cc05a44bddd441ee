"""`/hearth setup`, `settings`, `help`, the welcome on join — through the emulator."""

from __future__ import annotations

import asyncio

from bot import guilds


def _world(fake_discord):  # type: ignore[no-untyped-def]
    guild = fake_discord.add_guild("Friends")
    general = guild.add_text_channel("general")
    hearth_chan = guild.add_text_channel("hearth")
    admin = guild.add_member("ada", admin=True)
    member = guild.add_member("ben")
    return guild, general, hearth_chan, admin, member


async def _setup(admin, chan, **extra):  # type: ignore[no-untyped-def]
    options = {"channel": chan, "timezone": "Europe/Berlin"}
    options.update(extra)
    return await admin.slash("hearth setup", options)


async def test_admin_sets_up_and_settings_show_it(fake_discord, hearth_unstarted) -> None:
    guild, _, chan, admin, member = _world(fake_discord)
    await hearth_unstarted.start()

    r = await _setup(admin, chan, day=2, time="19:30")
    assert r.ephemeral
    assert "Hearth is set up" in r.text
    assert "#hearth" in r.text or f"<#{chan.id}>" in r.text
    assert "Wednesdays at 19:30 (Europe/Berlin)" in r.text
    assert "I can post in" in r.text

    saved = await guilds.get(hearth_unstarted.bot.db, guild.id)
    assert saved is not None
    assert saved.channel_id == chan.id
    assert saved.timezone == "Europe/Berlin"

    s = await member.slash("hearth settings")
    assert s.ephemeral
    assert "Wednesdays at 19:30" in s.text
    assert not s.components  # only admins get the practice switches
    assert fake_discord.pings() == []


async def test_a_non_admin_is_refused_kindly_and_nothing_changes(
    fake_discord, hearth_unstarted
) -> None:
    guild, _, chan, _, member = _world(fake_discord)
    await hearth_unstarted.start()
    r = await _setup(member, chan)
    assert r.ephemeral
    assert "server admins" in r.text
    saved = await guilds.get(hearth_unstarted.bot.db, guild.id)
    assert saved is None or not saved.configured


async def test_permission_check_names_what_is_missing(fake_discord, hearth_unstarted) -> None:
    _, _, chan, admin, _ = _world(fake_discord)
    chan.deny_bot(embed_links=True, create_private_threads=True)
    await hearth_unstarted.start()
    r = await _setup(admin, chan)
    assert "missing some permissions" in r.text
    assert "Embed Links" in r.text
    assert "Create Private Threads" in r.text
    assert "Send Messages**" not in r.text  # what it has isn't listed


async def test_bad_timezone_and_time_get_a_kind_answer(fake_discord, hearth_unstarted) -> None:
    guild, _, chan, admin, _ = _world(fake_discord)
    await hearth_unstarted.start()
    r = await admin.slash("hearth setup", {"channel": chan, "timezone": "Mars/Olympus"})
    assert r.ephemeral
    assert "don't know the time zone" in r.text
    r = await _setup(admin, chan, time="25:99")
    assert r.ephemeral
    assert "25:99" in r.text or "time" in r.text.lower()
    # The row may not exist yet (the welcome on start writes it): either way, not set up.
    saved = await guilds.get(hearth_unstarted.bot.db, guild.id)
    assert saved is None or not saved.configured


async def test_timezone_autocomplete_finds_cities(fake_discord, hearth_unstarted) -> None:
    _, _, _, admin, _ = _world(fake_discord)
    await hearth_unstarted.start()
    choices = await admin.autocomplete("hearth setup", "timezone", "berl")
    assert choices
    assert choices[0]["value"] == "Europe/Berlin"
    assert len(choices) <= 25


async def test_admin_switches_practices_off(fake_discord, hearth_unstarted) -> None:
    guild, _, chan, admin, _ = _world(fake_discord)
    await hearth_unstarted.start()
    r = await _setup(admin, chan)
    picked = await admin.select(
        r, "Which practices are on in this server?", ["listening", "repair"]
    )
    assert picked.ephemeral
    assert "Active listening" in picked.text
    saved = await guilds.get(hearth_unstarted.bot.db, guild.id)
    assert saved is not None
    assert saved.practices == frozenset({"listening", "repair"})
    h = await admin.slash("hearth help")
    assert "Switched off in this server" in h.text


async def test_help_lists_practices_and_commands_from_the_tree(
    fake_discord, hearth_unstarted
) -> None:
    _, _, _, _, member = _world(fake_discord)
    await hearth_unstarted.start()
    r = await member.slash("hearth help")
    assert r.ephemeral
    for name in ("Active listening", "Phones down", "Apologize and repair"):
        assert name in r.text
    # Generated from the command tree: every registered command appears.
    for cmd in hearth_unstarted.bot.tree.walk_commands():
        if not hasattr(cmd, "walk_commands"):
            assert f"/{cmd.qualified_name}" in r.text


async def test_welcome_on_join_and_left_on_remove(fake_discord, hearth) -> None:
    guild = fake_discord.add_guild("Newcomers")  # added live: GUILD_CREATE → join
    chan = guild.add_text_channel("lobby")
    msg = await fake_discord.wait_for_message(chan)
    assert "Hi, I'm Hearth" in msg.text
    assert "/hearth setup" in msg.text
    assert fake_discord.pings() == []
    await guild.remove_bot()
    await fake_discord.sync()  # the bot has read GUILD_DELETE; its listener may still run

    async def left() -> bool:
        saved = await guilds.get(hearth.bot.db, guild.id)
        return saved is not None and saved.left_at is not None

    await fake_discord.until(left, what="the server recorded as left")


async def test_settings_survive_a_restart(fake_discord, hearth_unstarted) -> None:
    _guild, _, chan, admin, _ = _world(fake_discord)
    await hearth_unstarted.start()
    await _setup(admin, chan, day=0, time="08:15")
    await hearth_unstarted.restart()
    r = await admin.slash("hearth settings")
    assert "Mondays at 08:15 (Europe/Berlin)" in r.text


async def test_settings_before_setup_explain_what_to_do(fake_discord, hearth_unstarted) -> None:
    _, _, _, _, member = _world(fake_discord)
    await hearth_unstarted.start()
    r = await member.slash("hearth settings")
    assert r.ephemeral
    assert "/hearth setup" in r.text


async def test_an_expired_panel_gets_a_kind_word(fake_discord, hearth_unstarted) -> None:
    _, _, chan, admin, _ = _world(fake_discord)
    await hearth_unstarted.start()
    r = await _setup(admin, chan)
    # The practices panel is an ordinary (non-persistent) view: a restart forgets it.
    await hearth_unstarted.restart()
    again = await admin.select(r, "Which practices are on in this server?", ["listening"])
    assert again.ephemeral
    assert "gone quiet" in again.text


async def test_commands_sync_once_and_not_again_on_restart(fake_discord, hearth_unstarted) -> None:
    def syncs() -> int:
        return sum(
            1
            for r in fake_discord.requests
            if r.method == "PUT" and r.route.endswith("/commands") and r.status == 200
        )

    await hearth_unstarted.start()
    assert syncs() == 1
    assert fake_discord.command("hearth") is not None
    await hearth_unstarted.restart()
    assert syncs() == 1  # the tree's hash didn't change, so no second sync


async def test_a_form_open_across_a_restart_gives_back_what_was_typed(
    fake_discord, hearth_unstarted
) -> None:
    _, _, chan, admin, member = _world(fake_discord)
    await hearth_unstarted.start()
    await _setup(admin, chan)
    opened = await member.slash("share", {"how": "named", "wants": "listening"})
    assert opened.modal is not None
    await hearth_unstarted.restart()  # the form's handler lived in the old process
    words = "Something long I wrote while Hearth was restarting, and want to keep."
    done = await member.submit_modal(opened, {"What would you like to share?": words})
    assert done.ephemeral
    assert "nothing was saved" in done.text
    assert words in done.text
    assert all(words not in m.text for m in chan.bot_messages)


async def test_a_server_added_while_hearth_compares_its_list_at_start_stays(
    fake_discord, hearth_unstarted, monkeypatch
) -> None:
    """At each READY Hearth compares the servers it knows with Discord's list, and leaves
    those missing. A server that adds Hearth while that comparison waits on the database
    is saved as joined — and must not then be taken for one that removed Hearth."""
    import cogs.setup.cog as setup_cog

    first = fake_discord.add_guild("Friends")
    first.add_text_channel("general")
    reading, go = asyncio.Event(), asyncio.Event()
    known_ids = guilds.known_ids

    async def held(db):  # type: ignore[no-untyped-def]
        reading.set()
        await go.wait()  # the comparison waits here, as on a busy database
        return await known_ids(db)

    monkeypatch.setattr(setup_cog.guilds, "known_ids", held)
    await hearth_unstarted.start()
    await asyncio.wait_for(reading.wait(), 5)
    newcomer = fake_discord.add_guild("Newcomers")  # added live: GUILD_CREATE → join
    lobby = newcomer.add_text_channel("lobby")
    assert "Hi, I'm Hearth" in (await fake_discord.wait_for_message(lobby)).text
    saved = await guilds.get(hearth_unstarted.bot.db, newcomer.id)
    assert saved is not None
    go.set()
    general = first.text_channels[0]
    assert "Hi, I'm Hearth" in (await fake_discord.wait_for_message(general)).text
    await fake_discord.sync()
    await hearth_unstarted.bot.db.writes_settled()
    for guild in (first, newcomer):
        saved = await guilds.get(hearth_unstarted.bot.db, guild.id)
        assert saved is not None
        assert saved.left_at is None  # both still here
    assert hearth_unstarted.bot.scheduler.due(f"privacy:purge:{newcomer.id}") is None
