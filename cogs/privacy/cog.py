"""`/privacy show`, `/privacy export`, `/privacy delete`, `/hearth forget-server`,
`/hearth retention`, and a server's data deleted 14 days after Hearth leaves it.

The rows themselves are the core's business (`bot.privacy`: every practice declares its
tables). This cog talks to people, deletes Hearth's messages that carry their words, and
runs the job `privacy:purge:{guild_id}` (a server's data, 14 days after Hearth left,
cancelled if it comes back; rebuilt from the database on start). Deleting messages is
the outbox's work (`bot.outbox`): the deletions are written in the same transaction as
the forgetting, and delivered whatever happens after.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import events, guilds, retention, textfit, ui
from bot.cog import HearthCog, admin_only, hearth_subcommand
from bot.errors import IN_SERVERS_AND_DMS, HearthError
from bot.outbox import Op, Unsaid
from bot.practices import BY_KEY
from cogs.privacy import logic, store
from cogs.privacy.views import WhyView

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

# How long `/privacy delete` waits to report how deleting the messages went; what takes
# longer (Discord's rate limits, a hiccup) still goes, reported as "on its way".
REPORT_WAIT = 3.0


@dataclass(frozen=True, slots=True)
class Gone:
    deleted: int  # deleted, or never sent at all
    redacted: int  # kept for the group, the person's name and words taken out
    unreachable: int
    waiting: int  # still on their way (Discord busy): the outbox finishes them


def purge_job_id(guild_id: int) -> str:
    return f"privacy:purge:{guild_id}"


class PrivacyCog(HearthCog):
    """Your data, yours to see, take and erase."""

    privacy = app_commands.Group(
        name="privacy",
        description="See, export or delete everything Hearth holds about you",
        allowed_contexts=IN_SERVERS_AND_DMS,  # your data, asked for wherever you like
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)

    # ------------------------------------------------------------------ /privacy show

    @privacy.command(name="show", description="What Hearth holds about you, in plain words")
    async def show(self, interaction: discord.Interaction[HearthBot]) -> None:
        user_id = interaction.user.id
        sections = await self.bot.personal_data.summary(self.bot.db, user_id)
        log.info("privacy show user=%s parts=%d", user_id, len(sections))
        if not sections:
            await ui.reply(interaction, logic.SHOW_NOTHING)
            return
        fields: list[tuple[str, str]] = []
        for section in sections:
            decl = section.declaration
            emoji = BY_KEY[decl.practice].emoji if decl.practice in BY_KEY else "🔒"
            fields.append((f"{emoji} {decl.title}", textfit.fit(logic.section_text(section), 1024)))
        embed = ui.embed(
            logic.SHOW_TITLE, logic.SHOW_INTRO, fields=fields[:25], footer=logic.SHOW_FOOTER
        )
        view = WhyView(user_id, [s.declaration for s in sections])
        await ui.reply(interaction, embed=embed, view=view)

    # ------------------------------------------------------------------ /privacy export

    @privacy.command(name="export", description="A file of everything Hearth holds about you")
    async def export(self, interaction: discord.Interaction[HearthBot]) -> None:
        user_id = interaction.user.id
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.bot.personal_data.export(self.bot.db, user_id, self.bot.clock.now())
        log.info("privacy export user=%s parts=%d", user_id, len(data["parts"]))
        if not data["parts"]:
            await ui.reply(interaction, logic.EXPORT_NOTHING)
            return
        blob = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
        file = discord.File(io.BytesIO(blob), filename="hearth-my-data.json")
        await ui.reply(interaction, logic.EXPORT_TEXT, file=file)

    # ------------------------------------------------------------------ /privacy delete

    @privacy.command(name="delete", description="Delete everything Hearth holds about you")
    async def delete(self, interaction: discord.Interaction[HearthBot]) -> None:
        user_id = interaction.user.id
        answer, clicked = await ui.confirm(
            interaction,
            logic.DELETE_QUESTION,
            confirm_label=logic.DELETE_YES,
            cancel_label=logic.DELETE_NO,
            danger=True,
        )
        if clicked is None:
            return  # walked away: the question simply expires
        if not answer:
            await clicked.edit_original_response(content=logic.DELETE_KEPT, view=None)
            return
        await clicked.edit_original_response(content=logic.DELETE_WORKING, view=None)
        embed = await self.forget_person(user_id)
        await clicked.edit_original_response(content=None, embed=embed)

    async def forget_person(self, user_id: int) -> discord.Embed:
        """Every row about this person, gone in one transaction; then their messages."""
        now = self.bot.clock.now()
        async with self.bot.db.transaction(bulk=True) as tx:
            result = await self.bot.personal_data.forget(tx, user_id, now)
        await self.bot.db.scrub()  # gone from the file and its log too, before they're told
        self.bot.boundaries.forgotten(user_id)
        self.bot.dm_channels.forget(user_id)
        for cog in self.bot.hearth_cogs():
            await cog.person_forgotten(user_id)
        gone = await self.messages_gone(result.unsaid)
        log.info(
            "privacy delete user=%s rows=%d messages=%d redacted=%d unreachable=%d waiting=%d",
            user_id,
            result.rows,
            gone.deleted,
            gone.redacted,
            gone.unreachable,
            gone.waiting,
        )
        if not result.rows and not result.unsaid.intents:
            return ui.embed(logic.DELETE_TITLE, logic.DELETE_NOTHING)
        extra = logic.messages_line(gone.deleted, gone.unreachable, gone.waiting, gone.redacted)
        return ui.embed(
            logic.DELETE_TITLE,
            "Everything Hearth held about you is deleted." + (f"\n\n{extra}" if extra else ""),
            fields=logic.deleted_lines(result),
            footer=logic.DELETE_FOOTER,
        )

    # ------------------------------------------------------------------ deleting messages

    async def messages_gone(self, unsaid: Unsaid) -> Gone:
        """How taking their words off Discord went, as far as it got within a moment."""
        await self.bot.outbox.pick_up()
        outcomes = await asyncio.gather(
            *(self.bot.outbox.wait(intent, REPORT_WAIT) for intent in unsaid.intents)
        )
        done = [o for o in outcomes if o is not None and o.ok]
        return Gone(
            # Messages stopped before they were ever sent count as deleted.
            deleted=unsaid.stopped + sum(1 for o in done if o.op is Op.DELETE),
            redacted=sum(1 for o in done if o.op is Op.EDIT),
            unreachable=sum(1 for o in outcomes if o is not None and not o.ok),
            waiting=sum(1 for o in outcomes if o is None),
        )

    # ------------------------------------------------------------------ servers

    async def rebuild_jobs(self) -> None:
        for guild_id, left_at in await store.left_servers(self.bot.db):
            self._arm_purge(guild_id, logic.purge_due(left_at))

    def _arm_purge(self, guild_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            purge_job_id(guild_id), when, self.purge_job, guild_id, guild=guild_id
        )

    @commands.Cog.listener()
    async def on_hearth_guild_left(self, guild_id: int) -> None:
        left_at = await store.left_at(self.bot.db, guild_id)
        if left_at is None:
            return
        due = logic.purge_due(left_at)
        self._arm_purge(guild_id, due)
        log.info("server data scheduled for deletion guild=%s due=%s", guild_id, due.isoformat())

    async def rebuild_guild_jobs(self, guild_id: int) -> None:
        # Back before the 14 days were up: the server's data stays.
        if self.bot.scheduler.cancel(purge_job_id(guild_id)):
            log.info("server data deletion cancelled guild=%s", guild_id)

    async def purge_job(self, guild_id: int) -> None:
        """14 days after Hearth left a server, unless it came back: forget the server."""
        left_at = await store.left_at(self.bot.db, guild_id)
        if left_at is None:
            return  # re-added meanwhile (or already forgotten)
        due = logic.purge_due(left_at)
        if self.bot.clock.now() < due:
            self._arm_purge(guild_id, due)
            return
        rows = await self.forget_server(guild_id, still_here=False)
        log.info("server data deleted guild=%s rows=%d", guild_id, rows[0])

    async def forget_server(self, guild_id: int, *, still_here: bool) -> tuple[int, int, int, int]:
        """Every row tied to this server, in one transaction; (rows, deleted, unreachable,
        waiting). When Hearth is still there it stays, as if just added, and its messages
        carrying people's words there are deleted."""
        db = self.bot.db
        now = self.bot.clock.now()
        async with db.transaction(bulk=True) as tx:
            rows, unsaid = await self.bot.personal_data.forget_server(
                tx, guild_id, now, delete_messages=still_here
            )
            if still_here:
                await guilds.mark_joined(tx, guild_id, now)
        await db.scrub()
        self.bot.scheduler.cancel(purge_job_id(guild_id))
        for cog in self.bot.hearth_cogs():
            await cog.server_forgotten(guild_id)
        if still_here:
            events.settings_changed(self.bot, guild_id)
        gone = await self.messages_gone(unsaid)
        return rows, gone.deleted, gone.unreachable, gone.waiting

    @hearth_subcommand(
        name="forget-server", description="Delete everything Hearth keeps about this server"
    )
    @admin_only()
    async def forget_server_command(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None  # /hearth is guild-only; admin_only checks it too
        answer, clicked = await ui.confirm(
            interaction,
            logic.SERVER_QUESTION,
            confirm_label=logic.SERVER_YES,
            cancel_label=logic.SERVER_NO,
            danger=True,
        )
        if clicked is None:
            return
        if not answer:
            await clicked.edit_original_response(content=logic.SERVER_KEPT, view=None)
            return
        perms = clicked.permissions
        if not (perms.manage_guild or perms.administrator):  # re-checked at the click
            await clicked.edit_original_response(
                content="That one is for server admins (Manage Server permission).", view=None
            )
            return
        await clicked.edit_original_response(content=logic.SERVER_WORKING, view=None)
        rows, deleted, unreachable, waiting = await self.forget_server(guild_id, still_here=True)
        log.info(
            "server data deleted by admin guild=%s user=%s rows=%d messages=%d",
            guild_id,
            interaction.user.id,
            rows,
            deleted,
        )
        await clicked.edit_original_response(
            content=logic.server_done(rows, deleted, unreachable, waiting)
        )

    # ------------------------------------------------------------------ retention

    def _kept_by_policy(self) -> str:
        """What follows the server's period, as the practices declare it ("Prompt answers
        and shares")."""
        parts = [c.kept_by_policy for c in self.bot.hearth_cogs() if c.kept_by_policy]
        words = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
        return (words or "What people share").capitalize()

    @hearth_subcommand(
        name="retention", description="How long Hearth keeps shares and prompt answers"
    )
    @app_commands.describe(days="Days to keep them before deleting (7–365; the default is 90)")
    @admin_only()
    async def retention_command(
        self,
        interaction: discord.Interaction[HearthBot],
        days: app_commands.Range[int, 7, 365] | None = None,
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        what = self._kept_by_policy()
        if days is None:
            current = await retention.days(self.bot.db, guild_id)
            await ui.reply(
                interaction,
                f"{what} are kept for {current} days, then deleted. "
                "Choose another period with the `days` option.",
            )
            return
        try:
            retention.check_days(days)
        except ValueError as exc:
            raise HearthError(str(exc)) from None
        async with self.bot.db.transaction() as tx:
            await retention.set_days(tx, guild_id, days)
        log.info("retention set guild=%s days=%d", guild_id, days)
        await ui.reply(
            interaction,
            f"Done. {what} here are now kept for {days} days, then deleted "
            "(older ones go with the next daily tidy-up).",
        )

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        days = await retention.days(self.bot.db, guild_id)
        return [
            (
                "How long things are kept",
                f"{self._kept_by_policy()}: kept for {days} days, then deleted "
                "(`/hearth retention`).",
            )
        ]
