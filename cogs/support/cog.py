"""Steady support: `/checkin …`, `/support …`, `/hearth resources`, and every click on
a check-in or circle DM."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import textfit, timeutil, ui
from bot.boundaries import ensure_timezone
from bot.cog import DAY_CHOICES, HearthCog, admin_only, hearth_subcommand, timezone_choices
from bot.db import Tx
from bot.errors import HearthError
from bot.privacy import PersonalData
from bot.retention import Policy
from cogs.support import logic, store, views
from cogs.support.logic import CHECKINS, CircleStatus, Delivery, FriendDm
from cogs.support.service import SupportService, checkin_job_id, quiet_job_id

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

FREQUENCY_CHOICES: list[app_commands.Choice[str]] = [
    app_commands.Choice(name=name, value=key) for key, name in logic.FREQUENCIES.items()
]

# How long the notice about closed DMs waits for a command's own answer to go first.
NOTICE_WAIT_SECONDS = 3.0


def _refuse_friend(
    interaction: discord.Interaction[Any], friend: discord.User | discord.Member
) -> None:
    if friend.id == interaction.user.id:
        raise HearthError("That's you! Pick a friend instead.")
    if friend.bot:
        raise HearthError("Bots can't be in a support circle — pick a friend instead.")


class SupportCog(HearthCog):
    """Practice 5: gentle DM check-ins, a private support circle, and "I'm here"."""

    practice = "support"
    dynamic_items = views.DYNAMIC_ITEMS
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA
    opt_ins = (CHECKINS,)

    checkin = app_commands.Group(
        name="checkin", description="Gentle DM check-ins, just for you", guild_only=True
    )
    support = app_commands.Group(
        name="support", description="Your support circle and notes to friends", guild_only=True
    )
    circle = app_commands.Group(
        name="circle", description="Pick the friends who may hear when you're low", parent=support
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.svc = SupportService(bot)
        self.svc.handle()

    async def rebuild_jobs(self) -> None:
        await self.svc.rebuild()

    async def person_forgotten(self, user_id: int) -> None:
        self.bot.scheduler.cancel(checkin_job_id(user_id))
        self.bot.scheduler.cancel(quiet_job_id(user_id))
        self.svc.notices.discard(user_id)

    async def server_forgotten(self, guild_id: int) -> None:
        # Schedules and friend DMs made there are gone: re-arm from what is left.
        for prefix in ("checkin:", "quietwatch:", "support:out:"):
            self.bot.scheduler.cancel_prefix(prefix)
        await self.svc.rebuild()

    async def retention_due(self, tx: Tx, policy: Policy, now: datetime) -> int:
        """Check-ins (and unshown notices about closed DMs) older than a year go, whatever
        the server's period: they are the person's own, kept for their history."""
        return await store.prune(tx, now - logic.KEEP_ANSWERS)

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        custom = await store.get_resources(self.bot.db, guild_id)
        text = (
            "Your server's own text, shown privately at the lowest check-in mood. Change it "
            "with `/hearth resources`."
            if custom
            else "Hearth's general text (emergency number, crisis lines). Admins can write "
            "local help with `/hearth resources`."
        )
        return [("Where to find help", text)]

    # ================================================================== /checkin

    @checkin.command(name="start", description="Get a gentle DM check-in at a time that suits you")
    @app_commands.describe(
        frequency="How often I check in",
        at="Your local time for it, e.g. 09:00 or 8pm (default 09:00)",
        day="For weekly or twice a week: which day (twice a week adds 3 days later)",
        timezone="Your time zone, if I don't know it yet (start typing a city)",
    )
    @app_commands.rename(at="time")
    @app_commands.choices(frequency=FREQUENCY_CHOICES)
    @app_commands.choices(day=DAY_CHOICES)
    async def checkin_start(
        self,
        interaction: discord.Interaction[HearthBot],
        frequency: app_commands.Choice[str],
        at: str | None = None,
        day: app_commands.Choice[int] | None = None,
        timezone: str | None = None,
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None  # the group is guild-only
        await self.require_practice(guild_id)
        user_id = interaction.user.id
        try:
            freq = logic.check_frequency(frequency.value)
            local_time = timeutil.parse_local_time(at) if at else logic.DEFAULT_TIME
            weekday = day.value if day is not None else 0
            logic.weekdays_for(freq, weekday)
            zone = timeutil.resolve_timezone(timezone) if timezone else None
        except ValueError as exc:  # UnknownTimezone too; their messages are for people
            raise HearthError(str(exc)) from None
        if zone is None:
            zone = await ensure_timezone(
                interaction,
                why="So check-ins arrive at a sensible hour for you. You can also give it in "
                "the `timezone` option of `/checkin start`.",
            )
            if zone is None:
                return
        now = self.bot.clock.now()
        slot = logic.next_slot(now, freq, local_time, weekday, zone)
        send_at = logic.first_send(slot, user_id)
        b = self.bot.boundaries
        async with b.acting(guild_id, user_id) as tx:
            if timezone:
                await b.set_timezone(tx, user_id, zone)
            await b.set_opt_in(tx, guild_id, user_id, CHECKINS.key, True)
            await b.set_dms_allowed(tx, user_id, True)
            await store.save_schedule(
                tx,
                user_id=user_id,
                guild_id=guild_id,
                frequency=freq,
                local_time=local_time,
                weekday=weekday,
                next_slot=slot,
                next_send_at=send_at,
                now=now,
            )
        schedule = await store.get_schedule(self.bot.db, user_id)
        assert schedule is not None
        self.svc.arm_checkin(schedule)
        self.svc.arm_quiet(schedule)
        log.info("checkins started user=%s guild=%s", user_id, guild_id)
        person = await b.person(user_id)
        lines = [
            f"I'll check in {logic.describe_schedule(freq, local_time, weekday, zone)} — "
            f"the first one {timeutil.discord_timestamp(slot, 'R')}.",
            "Your answers are yours alone. Nobody else ever sees them.",
        ]
        if person.quiet_hours is not None:
            lines.append("If that falls in your quiet hours, it waits until they end.")
        lines.append(
            "Want a few friends to be able to know when you're low? `/support circle add`. "
            "Stop any time with `/checkin stop`."
        )
        await ui.reply(
            interaction,
            embed=ui.embed("Check-ins are on", "\n\n".join(lines), practice="support"),
        )

    @checkin_start.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(interaction, current)

    @checkin.command(name="stop", description="Stop your DM check-ins")
    async def checkin_stop(self, interaction: discord.Interaction[HearthBot]) -> None:
        user_id = interaction.user.id
        schedule = await store.get_schedule(self.bot.db, user_id)
        if schedule is None or not schedule.active:
            await self.bot.boundaries.touch(interaction.guild_id, user_id)
            await ui.reply(interaction, "Check-ins are already off — I won't DM you about them.")
            return
        await self._stop(interaction.guild_id, user_id, schedule.guild_id)
        await ui.reply(interaction, logic.STOPPED)

    async def _stop(self, here: int | None, user_id: int, opted_in_at: int) -> None:
        b = self.bot.boundaries
        now = self.bot.clock.now()
        async with b.acting(here, user_id) as tx:
            await store.stop_schedule(tx, user_id, now)
            await b.set_opt_in(tx, opted_in_at, user_id, CHECKINS.key, False)
            if here is not None and here != opted_in_at:
                await b.set_opt_in(tx, here, user_id, CHECKINS.key, False)
        self.bot.scheduler.cancel(checkin_job_id(user_id))
        self.bot.scheduler.cancel(quiet_job_id(user_id))
        log.info("checkins stopped user=%s", user_id)

    @checkin.command(name="now", description="Get a check-in DM right now")
    async def checkin_now(self, interaction: discord.Interaction[HearthBot]) -> None:
        user_id = interaction.user.id
        schedule = await store.get_schedule(self.bot.db, user_id)
        if schedule is None or not schedule.active:
            raise HearthError(
                "Start with `/checkin start` — then you can ask for one any time, too."
            )
        person = await self.bot.boundaries.person(user_id)
        if not person.dms_allowed:
            raise HearthError(
                "You've turned off DMs from Hearth in `/boundaries`, so I can't send one. "
                "Switch them back on there whenever you like."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        intent: int | None = None
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            checkin_id = await store.create_checkin(tx, user_id, store.now_key(now), now)
            if checkin_id is not None:
                intent = await self.svc.queue_checkin(tx, user_id, checkin_id)
        if intent is None:  # the same instant twice: already on its way
            await ui.reply(interaction, "One is already on its way — check your DMs.")
            return
        [arrived] = await self.svc.sent([intent])
        if arrived is None:
            await ui.reply(interaction, "It's on its way to your DMs. 💛")
            return
        if arrived:
            await ui.reply(interaction, "Sent — it's in your DMs. 💛")
            return
        # They're told right here, so the later notice isn't needed.
        await self.svc.take_notice(user_id)
        await ui.reply(interaction, logic.DM_NOTICE.removeprefix("By the way: "))

    @checkin.command(name="history", description="Your last check-ins and a chart of your mood")
    async def checkin_history(self, interaction: discord.Interaction[HearthBot]) -> None:
        user_id = interaction.user.id
        await self.bot.boundaries.touch(interaction.guild_id, user_id)
        rows = await store.history(self.bot.db, user_id, logic.HISTORY_SIZE)
        if not rows:
            await ui.reply(
                interaction,
                "No check-ins yet. Start them with `/checkin start`, or get one now with "
                "`/checkin now`.",
            )
            return
        tz = await self.bot.boundaries.timezone_of(user_id) or "UTC"
        points = logic.history_points(rows)
        lines = [logic.history_line(row, tz) for row in rows]
        embed = ui.embed(
            "Your check-ins",
            "\n".join(lines),
            practice="support",
            footer=f"Your last {len(rows)} · only you can see this",
        )
        file: discord.File | None = None
        if points:
            from cogs.support import chart  # Pillow loads only when a chart is drawn

            png = await asyncio.to_thread(chart.mood_chart, points, tz)
            file = discord.File(io.BytesIO(png), filename="mood.png")
            embed.set_image(url="attachment://mood.png")
        await ui.reply(interaction, embed=embed, file=file)

    # ================================================================== /support

    async def _friend_here(
        self, interaction: discord.Interaction[HearthBot], friend: discord.User | discord.Member
    ) -> None:
        """The friend uses Hearth in this server and allows DMs — or a kind refusal."""
        await self.require_practice(interaction.guild_id)
        _refuse_friend(interaction, friend)
        guild_id = interaction.guild_id
        assert guild_id is not None
        b = self.bot.boundaries
        name = textfit.one_line(friend.display_name, 40)
        if await b.member(guild_id, friend.id) is None:
            raise HearthError(
                f"{name} hasn't used Hearth in this server yet, so I can't reach them. "
                "Once they've tried any Hearth command here, ask again."
            )
        if not (await b.person(friend.id)).dms_allowed:
            raise HearthError(
                f"{name} hasn't allowed DMs from Hearth, so I can't reach them — that's "
                "their choice to make in `/boundaries`. You could tell them yourself!"
            )

    @circle.command(name="add", description="Ask a friend to be in your support circle")
    @app_commands.describe(friend="Someone here who uses Hearth")
    async def circle_add(
        self, interaction: discord.Interaction[HearthBot], friend: discord.User
    ) -> None:
        await self._friend_here(interaction, friend)
        guild_id = interaction.guild_id
        assert guild_id is not None
        user_id = interaction.user.id
        name = textfit.one_line(friend.display_name, 40)
        entry = await store.circle_entry(self.bot.db, user_id, friend.id)
        if entry is not None:
            # Pending and declined read the same: a "no" stays silent.
            raise HearthError(
                f"{name} is already in your circle. 💛"
                if entry.status is CircleStatus.ACCEPTED
                else f"I've asked {name} already — they can answer whenever they like."
            )
        if len(await store.circle(self.bot.db, user_id)) >= logic.CIRCLE_MAX:
            raise HearthError(
                f"Your circle has room for {logic.CIRCLE_MAX} — remove someone with "
                "`/support circle remove` to ask someone new."
            )
        # An invitation is a DM to a friend: the shared per-person limit counts it.
        self.bot.reach.check(user_id, friend.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        self.bot.reach.take(user_id, friend.id)
        now = self.bot.clock.now()

        async def record(tx: Tx) -> None:
            await store.add_invite(tx, user_id, friend.id, guild_id, now)

        outcome, when = await self.svc.reach(
            FriendDm.INVITE,
            user_id,
            friend.id,
            guild_id=guild_id,
            sender_name=interaction.user.display_name,
            unit=self.bot.boundaries.acting(guild_id, user_id),
            before=record,
        )
        if outcome in (Delivery.FAILED, Delivery.DROPPED):
            async with self.bot.db.transaction() as tx:
                await store.forget_invite(tx, user_id, friend.id)
        log.info("circle invite user=%s outcome=%s", user_id, outcome)
        if outcome is Delivery.SENT:
            text = (
                f"I've asked {name}. If they say yes, they'll be in your circle — you'll see "
                "it in `/support circle list`."
            )
        elif outcome is Delivery.LATER and when is not None:
            text = (
                f"It's quiet hours for {name}, so I'll ask them "
                f"{timeutil.discord_timestamp(when, 'R')}."
            )
        else:
            text = logic.friend_result(outcome, name)
        await ui.reply(interaction, text)

    @circle.command(name="remove", description="Take someone out of your support circle")
    @app_commands.describe(friend="Who to take out (they won't be told)")
    async def circle_remove(
        self, interaction: discord.Interaction[HearthBot], friend: discord.User
    ) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            removed = await store.remove_from_circle(tx, user_id, friend.id)
        name = textfit.one_line(friend.display_name, 40)
        await ui.reply(
            interaction,
            f"Done — {name} is out of your circle. They won't be told."
            if removed
            else f"{name} isn't in your circle.",
        )

    @circle.command(name="leave", description="Step out of someone else's support circle")
    @app_commands.describe(person="Whose circle to leave (they won't be told)")
    async def circle_leave(
        self, interaction: discord.Interaction[HearthBot], person: discord.User
    ) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            removed = await store.remove_from_circle(tx, person.id, user_id)
        name = textfit.one_line(person.display_name, 40)
        await ui.reply(
            interaction,
            f"You've stepped out of {name}'s circle. They won't be told, and that's okay."
            if removed
            else f"You're not in {name}'s circle.",
        )

    @circle.command(name="list", description="See who's in your support circle")
    async def circle_list(self, interaction: discord.Interaction[HearthBot]) -> None:
        user_id = interaction.user.id
        await self.bot.boundaries.touch(interaction.guild_id, user_id)
        entries = await store.circle(self.bot.db, user_id)
        joined = await store.circles_of(self.bot.db, user_id)
        accepted = [f"<@{e.member_user_id}>" for e in entries if e.status is CircleStatus.ACCEPTED]
        asked = [f"<@{e.member_user_id}>" for e in entries if e.status is not CircleStatus.ACCEPTED]
        fields = [
            (
                "In your circle",
                ", ".join(accepted) or "Nobody yet — ask with `/support circle add`.",
            ),
        ]
        if asked:
            fields.append(("Asked", ", ".join(asked) + "\n_They can answer whenever they like._"))
        if joined:
            fields.append(("You're in the circle of", ", ".join(f"<@{u}>" for u in joined)))
        await ui.reply(
            interaction,
            embed=ui.embed(
                "Your support circle",
                "On a low day you can choose to let these friends know you could use some "
                "support. They never see your moods or your words.",
                practice="support",
                fields=fields,
                footer="Only you can see this",
            ),
        )

    @support.command(name="send", description="Send a friend a quiet “thinking of you”")
    @app_commands.describe(friend="Someone here who uses Hearth", note="A short note (optional)")
    async def support_send(
        self,
        interaction: discord.Interaction[HearthBot],
        friend: discord.User,
        note: app_commands.Range[str, 1, logic.FRIEND_NOTE_MAX] | None = None,
    ) -> None:
        await self._friend_here(interaction, friend)
        self.bot.reach.check(interaction.user.id, friend.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        self.bot.reach.take(interaction.user.id, friend.id)
        outcome, when = await self.svc.reach(
            FriendDm.THINKING,
            interaction.user.id,
            friend.id,
            guild_id=interaction.guild_id,
            sender_name=interaction.user.display_name,
            note=logic.clean_note(note, logic.FRIEND_NOTE_MAX),
            unit=self.bot.boundaries.acting(interaction.guild_id, interaction.user.id),
        )
        log.info("support note user=%s outcome=%s", interaction.user.id, outcome)
        name = textfit.one_line(friend.display_name, 40)
        await ui.reply(interaction, logic.friend_result(outcome, name, when))

    @support.command(name="quiet", description="Let your circle know if you go quiet for a while")
    @app_commands.describe(
        days="After how many days without an answer to a check-in (0 turns it off)"
    )
    async def support_quiet(
        self,
        interaction: discord.Interaction[HearthBot],
        days: app_commands.Range[int, 0, logic.QUIET_DAYS[1]],
    ) -> None:
        user_id = interaction.user.id
        schedule = await store.get_schedule(self.bot.db, user_id)
        if schedule is None or not schedule.active:
            raise HearthError(
                "This works alongside check-ins — start them with `/checkin start` first."
            )
        if days:
            try:
                logic.check_quiet_days(days)
            except ValueError as exc:
                raise HearthError(str(exc)) from None
        now = self.bot.clock.now()
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            await store.set_quiet(tx, user_id, days or None, now)
        await self.svc.rearm_quiet(user_id)
        if not days:
            await ui.reply(interaction, "Okay — I won't tell your circle if you go quiet.")
            return
        text = (
            f"Okay. If {days} days pass without you answering a check-in, I'll send your "
            "circle one gentle note suggesting they reach out — just once, until you answer "
            "again. Nothing about your moods is shared."
        )
        if not await store.accepted_members(self.bot.db, user_id):
            text += " Your circle is empty right now — ask friends with `/support circle add`."
        await ui.reply(interaction, text)

    # ================================================================== /hearth resources

    @hearth_subcommand(
        name="resources", description="Write where people here can find help on a hard day"
    )
    @admin_only()
    async def resources_command(self, interaction: discord.Interaction[HearthBot]) -> None:
        assert interaction.guild_id is not None
        current = await store.get_resources(self.bot.db, interaction.guild_id)
        await interaction.response.send_modal(
            views.ResourcesModal(
                self, textfit.fit(current or logic.DEFAULT_RESOURCES, logic.RESOURCES_MAX)
            )
        )

    async def on_resources(self, interaction: discord.Interaction[Any], text: str) -> None:
        perms = interaction.permissions
        if interaction.guild_id is None or not (perms.manage_guild or perms.administrator):
            raise HearthError("Only server admins (Manage Server) can change this.")
        cleaned = textfit.fit(text, logic.RESOURCES_MAX)
        own = cleaned if cleaned and cleaned != logic.DEFAULT_RESOURCES else None
        async with self.bot.db.transaction() as tx:
            await store.set_resources(tx, interaction.guild_id, own, self.bot.clock.now())
        log.info("support resources set guild=%s custom=%s", interaction.guild_id, own is not None)
        await ui.reply(
            interaction,
            "Saved. People here who opted into check-ins will see this, privately, on their "
            "hardest days:"
            if own
            else "Back to Hearth's general text. People will see this, privately, on their "
            "hardest days:",
            embed=ui.embed(logic.HELP_TITLE, own or logic.DEFAULT_RESOURCES, practice="support"),
        )

    # ================================================================== clicks on check-ins

    async def _own_checkin(
        self, interaction: discord.Interaction[Any], checkin_id: int
    ) -> store.CheckIn:
        checkin = await store.get_checkin(self.bot.db, checkin_id)
        if checkin is None or checkin.user_id != interaction.user.id:
            raise HearthError(logic.NOT_YOURS)
        return checkin

    async def on_mood(
        self, interaction: discord.Interaction[Any], checkin_id: int, mood: int
    ) -> None:
        checkin = await self._own_checkin(interaction, checkin_id)
        user_id = interaction.user.id
        now = self.bot.clock.now()
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            await store.record_mood(tx, checkin_id, mood, now)
            await store.mark_alive(tx, user_id, now)
        await self.svc.rearm_quiet(user_id)
        log.info("checkin answered user=%s checkin=%s", user_id, checkin_id)
        await interaction.response.edit_message(
            embed=views.checkin_embed(mood, has_note=checkin.note is not None),
            view=views.checkin_view(checkin_id, selected=mood),
        )
        help_embed: discord.Embed | None = None
        if logic.shows_help(checkin.mood, mood):
            schedule = await store.get_schedule(self.bot.db, user_id)
            text = await self.svc.resources_for(schedule.guild_id if schedule else None)
            help_embed = ui.embed(logic.HELP_TITLE, text, practice="support")
        offer = logic.offers_circle(checkin.mood, mood, checkin.circle_told_at is not None)
        if offer and await store.accepted_members(self.bot.db, user_id):
            await interaction.followup.send(
                logic.CIRCLE_OFFER,
                embeds=[help_embed] if help_embed else [],
                view=views.offer_view(checkin_id),
            )
        elif offer:
            await interaction.followup.send(
                logic.CIRCLE_OFFER_EMPTY, embeds=[help_embed] if help_embed else []
            )
        elif help_embed is not None:
            await interaction.followup.send(embed=help_embed)

    async def on_note_button(self, interaction: discord.Interaction[Any], checkin_id: int) -> None:
        checkin = await self._own_checkin(interaction, checkin_id)
        await interaction.response.send_modal(views.NoteModal(self, checkin_id, checkin.note))

    async def on_note(
        self, interaction: discord.Interaction[Any], checkin_id: int, text: str
    ) -> None:
        checkin = await self._own_checkin(interaction, checkin_id)
        note = logic.clean_note(text, logic.NOTE_MAX)
        user_id = interaction.user.id
        now = self.bot.clock.now()
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            await store.record_note(tx, checkin_id, note, now)
            await store.mark_alive(tx, user_id, now)
        await self.svc.rearm_quiet(user_id)
        embed = views.checkin_embed(checkin.mood, has_note=note is not None)
        if interaction.message is not None:
            await interaction.response.edit_message(
                embed=embed, view=views.checkin_view(checkin_id, selected=checkin.mood)
            )
        else:
            await ui.reply(interaction, logic.NOTE_SAVED)

    async def on_skip(self, interaction: discord.Interaction[Any], checkin_id: int) -> None:
        checkin = await self._own_checkin(interaction, checkin_id)
        if checkin.mood is not None or checkin.note is not None:
            raise HearthError(logic.ALREADY_ANSWERED_SKIP)
        user_id = interaction.user.id
        now = self.bot.clock.now()
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            await store.record_skip(tx, checkin_id, now)
            await store.mark_alive(tx, user_id, now)
        await self.svc.rearm_quiet(user_id)
        await interaction.response.edit_message(
            embed=views.checkin_embed(skipped=True), view=views.checkin_view(checkin_id)
        )

    async def on_stop_button(self, interaction: discord.Interaction[Any], checkin_id: int) -> None:
        await self._own_checkin(interaction, checkin_id)
        user_id = interaction.user.id
        schedule = await store.get_schedule(self.bot.db, user_id)
        if schedule is not None and schedule.active:
            await self._stop(interaction.guild_id, user_id, schedule.guild_id)
        await interaction.response.edit_message(
            embed=ui.embed(logic.CHECKIN_TITLE, logic.STOPPED, practice="support"), view=None
        )

    async def on_tell(self, interaction: discord.Interaction[Any], checkin_id: int) -> None:
        checkin = await self._own_checkin(interaction, checkin_id)
        if checkin.circle_told_at is not None:
            raise HearthError("You've already let them know for this check-in. 💛")
        user_id = interaction.user.id
        members = await store.accepted_members(self.bot.db, user_id)
        if not members:
            await interaction.response.edit_message(content=logic.CIRCLE_NOBODY, view=None)
            return
        # Each friend told is a DM on their behalf: the shared per-person limit counts it,
        # so asking for check-in after check-in can't flood the circle.
        members = [m for m in members if self.bot.reach.refusal(user_id, m) is None]
        if not members:
            raise HearthError(logic.CIRCLE_TOLD_ENOUGH)
        await interaction.response.defer()
        for member_id in members:
            self.bot.reach.take(user_id, member_id)
        schedule = await store.get_schedule(self.bot.db, user_id)
        now = self.bot.clock.now()

        async def claim(tx: Tx) -> bool:
            return await store.claim_circle_told(tx, checkin_id, now)

        result = await self.svc.tell_circle(
            user_id,
            members,
            FriendDm.SIGNAL,
            guild_id=schedule.guild_id if schedule else None,
            claim=claim,
            unit=self.bot.boundaries.acting(interaction.guild_id, user_id),
            owner_name=interaction.user.display_name,
        )
        if result is None:
            text = "You've already let them know for this check-in. 💛"
        else:
            text = logic.told_circle(*result)
        log.info("circle told user=%s checkin=%s result=%s", user_id, checkin_id, result)
        await interaction.edit_original_response(content=text, view=None)

    async def on_keep(self, interaction: discord.Interaction[Any], checkin_id: int) -> None:
        await self._own_checkin(interaction, checkin_id)
        await interaction.response.edit_message(content=logic.CIRCLE_KEPT, view=None)

    # ================================================================== clicks on circle DMs

    async def on_invite_answer(
        self, interaction: discord.Interaction[Any], owner_id: int, *, accept: bool
    ) -> None:
        user_id = interaction.user.id
        entry = await store.circle_entry(self.bot.db, owner_id, user_id)
        if entry is None:
            raise HearthError(logic.INVITE_GONE)
        now = self.bot.clock.now()
        async with self.bot.boundaries.acting(interaction.guild_id, user_id) as tx:
            await store.answer_invite(tx, owner_id, user_id, accept, now)
        log.info("circle answer user=%s accepted=%s", user_id, accept)
        await interaction.response.edit_message(
            content=logic.INVITE_ACCEPTED if accept else logic.INVITE_DECLINED, view=None
        )

    async def on_here_button(self, interaction: discord.Interaction[Any], owner_id: int) -> None:
        if not await store.is_accepted(self.bot.db, owner_id, interaction.user.id):
            raise HearthError("That button is for the friends in their support circle.")
        self.bot.reach.check(interaction.user.id, owner_id)
        await interaction.response.send_modal(views.HereModal(self, owner_id))

    async def on_here(
        self, interaction: discord.Interaction[Any], owner_id: int, text: str
    ) -> None:
        user_id = interaction.user.id
        if not await store.is_accepted(self.bot.db, owner_id, user_id):
            raise HearthError("That button is for the friends in their support circle.")
        self.bot.reach.check(user_id, owner_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        self.bot.reach.take(user_id, owner_id)
        outcome, when = await self.svc.reach(
            FriendDm.HERE,
            user_id,
            owner_id,
            guild_id=None,
            sender_name=interaction.user.display_name,
            note=logic.clean_note(text, logic.FRIEND_NOTE_MAX),
            unit=self.bot.boundaries.acting(interaction.guild_id, user_id),
        )
        log.info("im here user=%s outcome=%s", user_id, outcome)
        name = await self.svc.name_of(owner_id)
        await ui.reply(interaction, logic.friend_result(outcome, name, when))

    # ================================================================== closed DMs

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Someone whose DMs turned out closed is told once, privately, how to open them."""
        user_id = interaction.user.id
        if user_id not in self.svc.notices:
            return
        if interaction.type not in (
            discord.InteractionType.application_command,
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            return
        if interaction.guild_id is None:
            # They're talking to Hearth in DMs, so DMs work again: nothing to explain.
            await self.svc.take_notice(user_id)
            return
        # Let the command answer first; the notice follows it as a private line.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + NOTICE_WAIT_SECONDS
        while not interaction.response.is_done():
            if loop.time() > deadline:
                return
            await asyncio.sleep(0.02)
        if interaction.response.type == discord.InteractionResponseType.modal:
            return  # a modal can't carry a followup; tell them next time
        if user_id not in self.svc.notices:
            return  # another interaction got there first
        await self.svc.take_notice(user_id)
        try:
            await interaction.followup.send(logic.DM_NOTICE, ephemeral=True)
        except discord.HTTPException as exc:
            log.info("dm notice not shown user=%s code=%s", user_id, exc.code)
        else:
            log.info("dm notice shown user=%s", user_id)
