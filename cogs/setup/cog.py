"""`/hearth setup`, `/hearth settings`, `/hearth help`, and joining or leaving a server."""

from __future__ import annotations

import logging
from datetime import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import events, guilds, textfit, timeutil, ui
from bot.cog import DAY_CHOICES, HearthCog, admin_only, hearth_subcommand, timezone_choices
from bot.errors import HearthError
from bot.guilds import WEEKDAYS, GuildSettings
from bot.outbox import Message
from bot.permissions import explain_missing, missing_in
from bot.practices import BY_KEY, PRACTICES

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)


def next_prompt_line(settings: GuildSettings, bot: HearthBot) -> str:
    when = timeutil.next_weekly(
        bot.clock.now(), settings.prompt_weekday, settings.prompt_time, settings.timezone
    )
    return (
        f"{WEEKDAYS[settings.prompt_weekday]}s at {settings.prompt_time.strftime('%H:%M')} "
        f"({settings.timezone}) — next one {timeutil.discord_timestamp(when, 'R')}"
    )


def practices_line(settings: GuildSettings) -> str:
    on = [f"{p.emoji} {p.name}" for p in PRACTICES if p.key in settings.practices]
    return ", ".join(on) if on else "none yet — pick some below"


class PracticesSelect(discord.ui.Select["PracticesView"]):
    def __init__(self, current: frozenset[str]) -> None:
        options = [
            discord.SelectOption(
                label=textfit.one_line(p.name, textfit.OPTION_LABEL),
                value=p.key,
                emoji=p.emoji,
                description=textfit.one_line(p.idea, textfit.OPTION_DESCRIPTION),
                default=p.key in current,
            )
            for p in PRACTICES
        ]
        super().__init__(
            placeholder="Which practices are on in this server?",
            min_values=0,
            max_values=len(options),
            options=options,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        await self.view.save(interaction, set(self.values))


class PracticesView(ui.HearthView):
    """Admins switch practices on and off; the cog saves (and re-checks) every pick."""

    def __init__(self, cog: SetupCog, guild_id: int, owner_id: int, current: frozenset[str]):
        super().__init__(owner_id=owner_id, timeout=900)
        self.cog = cog
        self.guild_id = guild_id
        self.add_item(PracticesSelect(current))

    async def save(self, interaction: discord.Interaction[Any], chosen: set[str]) -> None:
        await self.cog.save_practices(interaction, self.guild_id, chosen)


# Welcomes go out at this pace: a handful at once, then a couple a second, so a start
# after an outage in which hundreds of servers added Hearth doesn't spend Discord's 50
# requests a second (and collect 429s) on them while prompts and check-ins fall due.
WELCOME_LANE = "welcomes"


def welcome_card() -> discord.Embed:
    return ui.embed(
        "Hi, I'm Hearth",
        "I help friend groups grow closer through seven small practices — listening, "
        "sharing, curiosity, phones-down time, steady support, boundaries and repair.\n\n"
        "**To begin**, a server admin runs `/hearth setup` to pick a channel and a "
        "weekly time. Anyone can run `/hearth help` to see what's possible.\n\n"
        "**What I keep:** only what you give me — your settings and anything you choose "
        "to share with Hearth. I never read your ordinary chat, and I never DM anyone who "
        "hasn't asked me to.",
    )


class SetupCog(HearthCog):
    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)

    # -- /hearth setup ----------------------------------------------------------

    @hearth_subcommand(
        name="setup", description="Choose Hearth's channel, time zone and weekly time"
    )
    @app_commands.describe(
        channel="Where Hearth posts the weekly prompt and group moments",
        timezone="The group's time zone, e.g. Europe/Berlin (start typing a city)",
        day="Which day the weekly prompt arrives",
        at="Local time for the weekly prompt, e.g. 19:00 or 7pm",
    )
    @app_commands.rename(at="time")
    @app_commands.choices(day=DAY_CHOICES)
    @admin_only()
    async def setup_command(
        self,
        interaction: discord.Interaction[HearthBot],
        channel: discord.TextChannel,
        timezone: str,
        day: app_commands.Choice[int] | None = None,
        at: str | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # the group is guild_only and admin_only checks it
        try:
            # The one resolver every zone-taking command uses: "Berlin" works, and a
            # misspelling gets the closest places suggested back.
            zone = timeutil.resolve_timezone(timezone)
            prompt_time = timeutil.parse_local_time(at) if at else time(18, 0)
        except ValueError as exc:  # UnknownTimezone too; their messages are for people
            raise HearthError(str(exc)) from None
        weekday = day.value if day is not None else 6
        async with self.bot.db.transaction() as tx:
            await guilds.save_setup(
                tx,
                guild.id,
                channel_id=channel.id,
                timezone=zone,
                prompt_weekday=weekday,
                prompt_time=prompt_time,
                now=self.bot.clock.now(),
            )
        settings = await guilds.get(self.bot.db, guild.id)
        assert settings is not None
        events.settings_changed(self.bot, guild.id)
        log.info(
            "guild configured guild=%s shard=%d user=%s",
            guild.id,
            self.bot.shard_of_guild(guild.id),
            interaction.user.id,
        )

        target = guild.get_channel(channel.id)
        missing = missing_in(target, guild.me) if target is not None else []
        check = (
            f"✅ I can post in {channel.mention}."
            if not missing
            else "⚠️ " + explain_missing(missing, channel.mention)
        )
        summary = ui.embed(
            "Hearth is set up",
            "Thanks for bringing Hearth in. Here's the plan — run this command again any "
            "time to change it.",
            fields=[
                ("Channel", channel.mention),
                ("Weekly prompt", next_prompt_line(settings, self.bot)),
                ("Practices on", practices_line(settings)),
                ("Permission check", check),
            ],
            footer="Members join in by using Hearth's commands. Nobody gets a DM they "
            "didn't ask for.",
        )
        view = PracticesView(self, guild.id, interaction.user.id, settings.practices)
        await ui.reply(interaction, embed=summary, view=view)

    async def save_practices(
        self, interaction: discord.Interaction[Any], guild_id: int, chosen: set[str]
    ) -> None:
        """A pick in the practices select: re-checked on the server, saved, announced."""
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise HearthError("Only server admins (Manage Server) can change the practices.")
        valid = {key for key in chosen if key in BY_KEY}
        async with self.bot.db.transaction() as tx:
            await guilds.set_practices(tx, guild_id, valid)
        events.settings_changed(self.bot, guild_id)
        names = ", ".join(BY_KEY[k].name for k in BY_KEY if k in valid) or "none"
        await interaction.response.send_message(
            f"Saved. Practices on here: {names}.", ephemeral=True
        )

    @setup_command.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(interaction, current)

    # -- /hearth settings ---------------------------------------------------------

    @hearth_subcommand(name="settings", description="See how Hearth is set up in this server")
    async def settings_command(self, interaction: discord.Interaction[HearthBot]) -> None:
        assert interaction.guild is not None
        # Which shard (and so which process) serves this server is for operators: logs only.
        log.info(
            "settings shown guild=%s shard=%d",
            interaction.guild.id,
            self.bot.shard_of_guild(interaction.guild.id),
        )
        settings = await guilds.get(self.bot.db, interaction.guild.id)
        if settings is None or not settings.configured:
            raise HearthError(
                "Hearth isn't set up here yet. A server admin can run `/hearth setup` to "
                "choose a channel and a weekly time."
            )
        assert settings.channel_id is not None
        channel = interaction.guild.get_channel(settings.channel_id)
        fields: list[tuple[str, str]] = [
            (
                "Channel",
                channel.mention if channel else "that channel is gone — run `/hearth setup`",
            ),
            ("Time zone", settings.timezone),
            ("Weekly prompt", next_prompt_line(settings, self.bot)),
            ("Practices on", practices_line(settings)),
        ]
        for cog in self.bot.hearth_cogs():
            fields += await cog.settings_notes(interaction.guild.id)
        if channel is not None:
            missing = missing_in(channel, interaction.guild.me)
            if missing:
                fields.append(
                    ("Permission check", "⚠️ " + explain_missing(missing, channel.mention))
                )
        perms = interaction.permissions
        is_admin = perms.manage_guild or perms.administrator
        view = (
            PracticesView(self, interaction.guild.id, interaction.user.id, settings.practices)
            if is_admin
            else None
        )
        await ui.reply(
            interaction, embed=ui.embed("Hearth in this server", fields=fields), view=view
        )

    # -- /hearth help -------------------------------------------------------------

    def commands_by_practice(self) -> dict[str | None, list[tuple[str, str]]]:
        """Every slash and context-menu command, grouped by its cog's practice."""
        grouped: dict[str | None, list[tuple[str, str]]] = {}
        for cmd in self.bot.tree.walk_commands():
            if isinstance(cmd, app_commands.Group):
                continue
            cog = cmd.binding
            key = getattr(cog, "practice", None)
            grouped.setdefault(key, []).append((f"/{cmd.qualified_name}", cmd.description))
        for menu in self.bot.tree.get_commands(type=discord.AppCommandType.message) + list(
            self.bot.tree.get_commands(type=discord.AppCommandType.user)
        ):
            if isinstance(menu, app_commands.ContextMenu):
                key = menu.extras.get("practice")
                grouped.setdefault(key, []).append((f"“{menu.name}”", "right-click → Apps"))
        return grouped

    @hearth_subcommand(
        name="help", description="What Hearth's seven practices are and how to use them"
    )
    async def help_command(self, interaction: discord.Interaction[HearthBot]) -> None:
        grouped = self.commands_by_practice()
        settings = (
            await guilds.get(self.bot.db, interaction.guild_id) if interaction.guild_id else None
        )
        fields: list[tuple[str, str]] = []
        for p in PRACTICES:
            lines = [p.idea]
            if settings is not None and settings.configured and p.key not in settings.practices:
                lines.append("_Switched off in this server._")
            lines += [f"`{name}` — {desc}" for name, desc in sorted(grouped.get(p.key, []))]
            fields.append((f"{p.emoji} {p.number}. {p.name}", "\n".join(lines)))
        general = sorted(grouped.get(None, []))
        if general:
            fields.append(("⚙️ Getting around", "\n".join(f"`{n}` — {d}" for n, d in general)))
        await ui.reply(
            interaction,
            embed=ui.embed(
                "How Hearth helps friends grow closer",
                "Seven small practices, at your own pace. Everything personal stays private "
                "unless you choose to share it.",
                fields=fields,
            ),
        )

    # -- joining and leaving --------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.arrived(guild)

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """Each shard, from its own READY (again after each new session of it): its servers
        that added Hearth while it was offline arrive as "available", not "join" — and its
        servers that removed Hearth meanwhile are simply missing from the list: they leave
        now, as if Hearth had seen it happen (their data goes in 14 days)."""
        bot = self.bot
        known = {
            guild_id
            for guild_id in await guilds.known_ids(bot.db)
            if bot.shard_of_guild(guild_id) == shard_id
        }
        for guild in [g for g in bot.guilds if g.shard_id == shard_id]:
            if guild.id not in known:
                await self.arrived(guild)
        listed = bot.servers_at_connect(shard_id)
        if listed is None:
            return
        # Which servers are here is read after the awaits above, each time: a server that
        # added Hearth while this ran is known (its join was saved) and here, not gone.
        gone = {g for g in known - listed if bot.get_guild(g) is None}
        for guild_id in sorted(gone):
            if bot.get_guild(guild_id) is None:
                await self.left(guild_id)
        if gone:
            log.info(
                "servers that removed Hearth while it was offline shard=%d count=%d",
                shard_id,
                len(gone),
            )

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.left(guild.id)

    async def left(self, guild_id: int) -> None:
        async with self.bot.db.transaction() as tx:
            await guilds.mark_left(tx, guild_id, self.bot.clock.now())
        events.guild_left(self.bot, guild_id)
        log.info("left guild=%s shard=%d", guild_id, self.bot.shard_of_guild(guild_id))

    def welcome_channel(self, guild: discord.Guild) -> discord.TextChannel | None:
        me = guild.me
        candidates = [guild.system_channel] if guild.system_channel else []
        candidates += sorted(guild.text_channels, key=lambda c: (c.position, c.id))
        for channel in candidates:
            perms = channel.permissions_for(me)
            if perms.view_channel and perms.send_messages and perms.embed_links:
                return channel
        return None

    async def arrived(self, guild: discord.Guild) -> None:
        """Hearth is in this server: new — recorded, with a welcome saying how to begin in
        the same write — or back before its data was deleted, when every practice brings
        back the jobs leaving suspended."""
        before = await guilds.get(self.bot.db, guild.id)
        if not await self._record_arrival(guild):
            return
        if before is not None and before.left_at is not None:
            for cog in self.bot.hearth_cogs():
                try:
                    await cog.rebuild_guild_jobs(guild.id)
                except Exception:  # one practice's trouble mustn't keep the others away
                    log.exception("jobs not rebuilt guild=%s cog=%s", guild.id, cog.qualified_name)
            log.info("back in guild=%s shard=%d", guild.id, self.bot.shard_of_guild(guild.id))

    async def _record_arrival(self, guild: discord.Guild) -> bool:
        async with self.bot.db.transaction() as tx:
            if not await guilds.mark_joined(tx, guild.id, self.bot.clock.now()):
                return False
            settings = await guilds.get(self.bot.db, guild.id)
            if settings is not None and settings.configured:
                return True  # back after a short absence, already set up
            channel = self.welcome_channel(guild)
            if channel is None:
                log.info("no channel to welcome in guild=%s", guild.id)
                return True
            await self.bot.outbox.post(
                tx,
                channel_id=channel.id,
                guild_id=guild.id,
                message=Message(embeds=[welcome_card()]),
                # One lane for every welcome: a flood of servers at start goes one by one
                # and never crowds out what friends are waiting for.
                lane=WELCOME_LANE,
            )
        return True
