"""`/boundaries mine`, `/boundaries timezone`, `/boundaries group` and `/hearth pace`.

People set their own boundaries in a private panel; the group goes deeper only when
everyone taking part privately says "I'm in". The deciding job (`depth:close:{id}`)
is rebuilt from the database on every start.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, timeutil, ui
from bot.boundaries_rules import (
    DEPTH_LEVELS,
    PAUSES,
    BoundaryError,
    check_quiet_hours,
    depth_label,
)
from bot.cog import HearthCog, admin_only, hearth_subcommand, timezone_choices
from bot.db import IntegrityError
from bot.db.codec import new_id
from bot.errors import IN_SERVERS_AND_DMS, HearthError, send_ephemeral
from bot.outbox import Message, Outcome, Tx
from bot.privacy import PersonalData
from cogs.boundaries import logic, store
from cogs.boundaries.logic import PanelAction, ProposalStatus
from cogs.boundaries.views import (
    GroupView,
    Saved,
    TimezoneAskButton,
    TimezoneModal,
    VoteButton,
    build_panel,
    kindly,
    vote_view,
)

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

# The outbox's handler for a question's post; how long the asker waits to hear it's up.
PROPOSAL = "boundaries.proposal"
ANSWER_WAIT = 2.5


def close_job_id(proposal_id: int) -> str:
    return f"depth:close:{proposal_id}"


class BoundariesCog(HearthCog):
    practice = "boundaries"
    dynamic_items = (VoteButton, TimezoneAskButton)
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA

    boundaries_group = app_commands.Group(
        name="boundaries",
        description="Your own boundaries and the group's pace — kept private",
        allowed_contexts=IN_SERVERS_AND_DMS,  # `mine` works from DMs too
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        bot.outbox.handle(PROPOSAL, delivered=self._proposal_posted, failed=self._proposal_failed)

    # -- your own boundaries ------------------------------------------------------

    @boundaries_group.command(
        name="mine", description="See and change your own boundaries — only you can see them"
    )
    async def mine(self, interaction: discord.Interaction[HearthBot]) -> None:
        await self.bot.boundaries.touch(interaction.guild_id, interaction.user.id)
        embed, view = await build_panel(self, interaction.user.id, interaction.guild_id)
        await ui.reply(interaction, embed=embed, view=view)

    @boundaries_group.command(
        name="timezone", description="Tell Hearth your time zone, so quiet hours follow your clock"
    )
    @app_commands.describe(zone="Start typing a city, like Berlin or New York")
    async def timezone(self, interaction: discord.Interaction[HearthBot], zone: str) -> None:
        await self.save_timezone(interaction, zone, None)

    @timezone.autocomplete("zone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(interaction, current)

    # -- the panel's controls and the time zone (views only parse and show) ------------

    async def save_comfort(self, guild_id: int, user_id: int, value: str) -> str:
        if value == logic.FOLLOW:
            depth = None
        elif value.isdigit() and int(value) in DEPTH_LEVELS:
            depth = int(value)
        else:
            raise HearthError("That isn't one of the choices — pick one from the list.")
        b = self.bot.boundaries
        with kindly():
            async with b.acting(guild_id, user_id) as tx:
                await b.set_comfort_depth(tx, guild_id, user_id, depth)
        return logic.saved_comfort(depth)

    async def save_topics(self, guild_id: int, user_id: int, values: list[str]) -> str:
        b = self.bot.boundaries
        with kindly():
            async with b.acting(guild_id, user_id) as tx:
                chosen = await b.set_skipped_topics(tx, guild_id, user_id, values)
        return logic.saved_topics(chosen)

    async def save_features(self, guild_id: int, user_id: int, values: list[str]) -> str:
        b = self.bot.boundaries
        if not set(values) <= b.opt_ins.keys():
            raise HearthError("I don't know one of those — pick them from the list.")
        person = await b.person(user_id)
        # Asking for something that comes by DM is asking for DMs; say so rather than
        # leave them silent.
        dms_on = any(b.opt_ins[key].by_dm for key in values) and not person.dms_allowed
        async with b.acting(guild_id, user_id) as tx:
            chosen = await b.set_opt_ins(tx, guild_id, user_id, values)
            if dms_on:
                await b.set_dms_allowed(tx, user_id, True)
        return logic.saved_features(list(b.opt_ins.values()), chosen, dms_on)

    async def panel_action(
        self, guild_id: int | None, user_id: int, action: PanelAction, pause: str | None = None
    ) -> str:
        """A button on the panel that saves at once; the line that confirms it."""
        b = self.bot.boundaries
        if action in (PanelAction.QUIET, PanelAction.TIMEZONE) or (
            action is PanelAction.PAUSE and pause not in PAUSES
        ):
            # Those open a form (the panel does that); anything else changes nothing.
            raise HearthError("That button doesn't do anything yet, sorry.")
        async with b.acting(guild_id, user_id) as tx:
            if action is PanelAction.NO_QUIET:
                await b.clear_quiet_hours(tx, user_id)
                return logic.SAVED_NO_QUIET
            if action in (PanelAction.DMS_ON, PanelAction.DMS_OFF):
                on = action is PanelAction.DMS_ON
                await b.set_dms_allowed(tx, user_id, on)
                return logic.saved_dms(on)
            if action is PanelAction.RESUME:
                await b.resume(tx, user_id)
                return logic.SAVED_RESUME
            assert pause is not None
            until = await b.pause_for(tx, user_id, pause)
            return logic.saved_pause(until)

    async def save_quiet_hours(
        self, guild_id: int | None, user_id: int, start: time, end: time, zone_text: str | None
    ) -> str:
        b = self.bot.boundaries
        with kindly():
            check_quiet_hours(start, end)
            zone = timeutil.resolve_timezone(zone_text) if zone_text is not None else None
            zone = zone or await b.timezone_of(user_id)
            if zone is None:  # set between opening the modal and now? ask plainly
                raise BoundaryError(
                    "I need your time zone first — set it with `/boundaries timezone`."
                )
        async with b.acting(guild_id, user_id) as tx:
            await b.set_quiet_hours(tx, user_id, start, end, timezone=zone)
        return logic.saved_quiet(start, end, zone)

    async def ask_timezone(
        self, interaction: discord.Interaction[Any], *, on_saved: Saved | None = None
    ) -> None:
        """The time-zone form ("Set my time zone" on any practice's message, or the panel)."""
        current = await self.bot.boundaries.timezone_of(interaction.user.id)
        await interaction.response.send_modal(
            TimezoneModal(self, current=current, on_saved=on_saved)
        )

    async def save_timezone(
        self, interaction: discord.Interaction[Any], zone: str, on_saved: Saved | None
    ) -> None:
        with kindly():
            canonical = timeutil.resolve_timezone(zone)
        async with self.bot.boundaries.acting(interaction.guild_id, interaction.user.id) as tx:
            await self.bot.boundaries.set_timezone(tx, interaction.user.id, canonical)
        line = logic.saved_timezone(canonical, self.bot.clock.now())
        if on_saved is not None:
            await on_saved(interaction, line)
        else:
            await ui.reply(interaction, line)

    async def on_vote(
        self, interaction: discord.Interaction[Any], proposal_id: int, in_favour: bool
    ) -> None:
        """ "I'm in" / "Not yet" on a question about going deeper. Refusals are answered
        directly: the common error path logs user ids, and nothing about a vote may reach a
        log line."""
        proposal = await store.get(self.bot.db, proposal_id)
        if proposal is None or interaction.guild_id != proposal.guild_id:
            await send_ephemeral(interaction, logic.VOTE_NOT_FOUND)
            return
        now = self.bot.clock.now()
        if not proposal.is_open or now >= proposal.closes_at:
            await send_ephemeral(interaction, logic.VOTE_CLOSED)
            return
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(proposal.guild_id, user_id) as tx:
            await store.record_vote(tx, proposal.proposal_id, user_id, in_favour, now)
        own_cap = None
        if in_favour:
            member = await self.bot.boundaries.member(proposal.guild_id, user_id)
            own_cap = member.comfort_depth if member is not None else None
        await ui.reply(
            interaction, logic.vote_ack(in_favour, proposal.closes_at, own_cap, proposal.to_depth)
        )

    # -- the group's pace -----------------------------------------------------------

    @boundaries_group.command(
        name="group", description="How deep this group goes, and how to ask about going deeper"
    )
    async def group(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise app_commands.NoPrivateMessage()
        await self.bot.boundaries.touch(guild_id, interaction.user.id)
        depth = await self.bot.boundaries.group_depth(guild_id)
        block, channel_id = await self._proposal_block(guild_id, depth)
        if block is None and channel_id is not None:
            going_deeper = logic.invite_line(channel_id)
            view: GroupView | None = GroupView(interaction.user.id, self.propose)
        else:
            going_deeper = block.text if block is not None else ""
            view = None
        await ui.reply(
            interaction,
            embed=ui.embed(
                "How deep we go",
                logic.group_status(depth),
                practice="boundaries",
                fields=[("Going deeper", going_deeper)],
            ),
            view=view,
        )

    async def _proposal_block(
        self, guild_id: int, depth: int
    ) -> tuple[logic.ProposalBlock | None, int | None]:
        """Why nobody can ask right now (or None), and the group channel."""
        settings = await guilds.get(self.bot.db, guild_id)
        configured = settings is not None and settings.configured
        open_now = await store.open_in(self.bot.db, guild_id)
        pace = await store.pace(self.bot.db, guild_id)
        last_stayed = await store.last_stayed_at(self.bot.db, guild_id)
        block = logic.why_not_propose(
            configured=configured,
            depth=depth,
            open_channel_id=open_now.channel_id if open_now else None,
            open_closes_at=open_now.closes_at if open_now else None,
            rest_until=logic.cooldown_ends(last_stayed, pace.cooldown),
            now=self.bot.clock.now(),
        )
        return block, settings.channel_id if settings is not None else None

    async def propose(self, interaction: discord.Interaction[Any]) -> None:
        """Ask the whole group, without a name, whether to go one level deeper."""
        # Refusals go straight back rather than through the error handler, which would
        # log who asked; a question to the group stays anonymous everywhere.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            line = await self._open_proposal(interaction)
        except HearthError as refusal:
            await send_ephemeral(interaction, refusal.message)
            return
        await ui.reply(interaction, line)

    async def _open_proposal(self, interaction: discord.Interaction[Any]) -> str:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise HearthError("That works inside a server, not in DMs.")
        b = self.bot.boundaries
        depth = await b.group_depth(guild_id)
        block, channel_id = await self._proposal_block(guild_id, depth)
        if block is not None:
            raise HearthError(block.text)
        to_depth = logic.next_depth(depth)
        assert channel_id is not None
        assert to_depth is not None
        pace = await store.pace(self.bot.db, guild_id)
        now = self.bot.clock.now()
        closes_at = now + pace.window
        proposal_id = new_id()  # random, so a button's id can't be guessed by counting
        try:
            # The question and its post are one write; the post names nobody.
            async with b.acting(guild_id, interaction.user.id) as tx:
                await store.insert(
                    tx,
                    proposal_id=proposal_id,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    message_id=None,
                    from_depth=depth,
                    to_depth=to_depth,
                    opened_at=now,
                    closes_at=closes_at,
                )
                # Whoever asks is in; they can change it on the post like anyone else.
                await store.record_vote(tx, proposal_id, interaction.user.id, True, now)
                intent = await self.bot.outbox.post(
                    tx,
                    channel_id=channel_id,
                    guild_id=guild_id,
                    message=Message(
                        embeds=[
                            ui.embed(
                                logic.PROPOSAL_TITLE,
                                logic.proposal_text(depth, to_depth, closes_at),
                                practice="boundaries",
                            )
                        ],
                        view=vote_view(proposal_id),
                    ),
                    handler=PROPOSAL,
                    ref=proposal_id,
                )
                self.bot.db.after_commit(lambda: self._schedule(guild_id, proposal_id, closes_at))
        except IntegrityError:
            # Someone else asked a moment earlier: one question per server.
            raise HearthError(
                f"Someone asked the group just a moment ago — you can answer on that post in "
                f"<#{channel_id}>."
            ) from None
        log.info("depth proposal opened guild=%s proposal=%s", guild_id, proposal_id)
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            raise HearthError(
                f"I couldn't post in <#{channel_id}>, so I couldn't ask the group. An admin "
                "can check my permissions there with `/hearth settings`."
            )
        return logic.proposed_line(channel_id, closes_at)

    async def _proposal_posted(self, tx: Tx, outcome: Outcome) -> None:
        assert outcome.ref is not None
        assert outcome.message_id is not None
        await store.set_message(tx, outcome.ref, outcome.message_id)

    async def _proposal_failed(self, tx: Tx, outcome: Outcome) -> None:
        """The question never reached the group: it is withdrawn, votes and all."""
        assert outcome.ref is not None
        await store.withdraw(tx, outcome.ref)
        proposal_id = outcome.ref
        self.bot.db.after_commit(lambda: self.bot.scheduler.cancel(close_job_id(proposal_id)))
        log.info("depth proposal not posted guild=%s code=%s", outcome.guild_id, outcome.code)

    def _schedule(self, guild_id: int, proposal_id: int, closes_at: datetime) -> None:
        self.bot.scheduler.at(
            close_job_id(proposal_id), closes_at, self.close_proposal, proposal_id, guild=guild_id
        )

    async def rebuild_jobs(self) -> None:
        away = await guilds.left_ids(self.bot.db)
        for proposal in await store.all_open(self.bot.db):
            if proposal.guild_id not in away:
                self._schedule(proposal.guild_id, proposal.proposal_id, proposal.closes_at)

    async def rebuild_guild_jobs(self, guild_id: int) -> None:
        # The question waited while Hearth was away; past its time, it closes now.
        proposal = await store.open_in(self.bot.db, guild_id)
        if proposal is not None:
            self._schedule(guild_id, proposal.proposal_id, proposal.closes_at)

    async def close_proposal(self, proposal_id: int) -> None:
        """Decide a question and tell the group. Safe to run twice: it decides once. The
        decision and what the group reads about it are one write."""
        b = self.bot.boundaries
        now = self.bot.clock.now()
        async with self.bot.db.transaction() as tx:
            proposal = await store.get(self.bot.db, proposal_id)
            if proposal is None or not proposal.is_open:
                return
            deeper = logic.decide(
                await b.active_participants(proposal.guild_id),
                await store.votes(self.bot.db, proposal_id),
                await b.comfort_cap(proposal.guild_id),
                proposal.to_depth,
            )
            outcome = ProposalStatus.DEEPER if deeper else ProposalStatus.STAYED
            await store.settle(tx, proposal_id, outcome, now)
            if deeper:
                await b.raise_consented_depth(tx, proposal.guild_id, proposal.to_depth)
            depth = await b.group_depth(proposal.guild_id)
            await self._announce(tx, proposal, deeper, depth)
        log.info(
            "depth proposal closed guild=%s proposal=%s outcome=%s",
            proposal.guild_id,
            proposal_id,
            outcome,
        )

    async def _announce(self, tx: Tx, proposal: store.Proposal, deeper: bool, depth: int) -> None:
        if proposal.message_id is not None:
            closed = ui.embed(
                logic.PROPOSAL_TITLE, logic.CLOSED_PROPOSAL_TEXT, practice="boundaries"
            )
            await self.bot.outbox.edit(
                tx,
                channel_id=proposal.channel_id,
                guild_id=proposal.guild_id,
                message_id=proposal.message_id,
                message=Message(embeds=[closed]),
            )
        result = ui.embed(
            logic.result_title(deeper), logic.result_text(deeper, depth), practice="boundaries"
        )
        await self.bot.outbox.post(
            tx,
            channel_id=proposal.channel_id,
            guild_id=proposal.guild_id,
            message=Message(embeds=[result]),
        )

    @commands.Cog.listener()
    async def on_hearth_guild_left(self, guild_id: int) -> None:
        # Suspended, not decided: it resumes if Hearth comes back, and goes with the
        # server's data if it doesn't.
        proposal = await store.open_in(self.bot.db, guild_id)
        if proposal is not None:
            self.bot.scheduler.cancel(close_job_id(proposal.proposal_id))

    # -- admins: how long questions stay open -----------------------------------------

    @hearth_subcommand(
        name="pace", description="How long a question about going deeper stays open, and the rest"
    )
    @app_commands.describe(
        vote_days="Days a question about going deeper stays open (1–7)",
        rest_days="Days the group rests after a “not yet” before anyone asks again (1–60)",
    )
    @admin_only()
    async def pace_command(
        self,
        interaction: discord.Interaction[HearthBot],
        vote_days: app_commands.Range[int, 1, 7] | None = None,
        rest_days: app_commands.Range[int, 1, 60] | None = None,
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None  # /hearth is guild-only
        if vote_days is None and rest_days is None:
            pace = await store.pace(self.bot.db, guild_id)
            line = f"{logic.pace_line(pace)} Pick new numbers with this command to change it."
        else:
            async with self.bot.db.transaction() as tx:
                pace = await store.set_pace(
                    tx, guild_id, window_days=vote_days, cooldown_days=rest_days
                )
            line = f"Saved. {logic.pace_line(pace)} A question that's already open keeps its time."
        await ui.reply(interaction, line)

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        depth = await self.bot.boundaries.group_depth(guild_id)
        pace = await store.pace(self.bot.db, guild_id)
        return [("Group pace", f"At **{depth_label(depth)}**. {logic.pace_line(pace)}")]
