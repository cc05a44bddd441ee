"""Apologize and repair (practice 7): `/repair apologize`, `/repair pause`, `/repair
validate`, and every click on an apology DM.

Nothing here is ever posted in a group channel. An apology goes to one friend by DM
(through the outbox, with their consent: quiet hours hold it, a pause or "no DMs" keeps
it from going); their answer goes back to the sender by DM; "Can we talk?" may open a
private thread that only the two of them are added to.

A friend can choose not to receive apologies from someone. The sender is never told:
their apology "can't be delivered", in the same words and the same steps as for a closed
inbox (`logic.undelivered_text`), so the choice can't be found out.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands

from bot import guilds, textfit, timeutil, ui
from bot.cog import HearthCog
from bot.db import Tx
from bot.errors import HearthError, send_ephemeral
from bot.outbox import Message, Outcome, Words
from bot.privacy import PersonalData
from bot.retention import Policy
from cogs.repair import logic, store, views
from cogs.repair.logic import Action, ApologyStatus
from cogs.repair.views import Draft

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

PRACTICE = "repair"
# The outbox's handlers: the apology DM, and the private thread for "Can we talk?".
DELIVERED = "repair.apology"
THREAD = "repair.thread"
# How long Send waits to say whether the apology arrived (then: "it's on its way").
ANSWER_WAIT = 2.5
# A DM held this much or less for quiet hours is simply "on its way".
HELD_AFTER = timedelta(minutes=1)


def follow_up_job_id(apology_id: int) -> str:
    return f"repair:followup:{apology_id}"


def reminder_job_id(apology_id: int) -> str:
    return f"repair:remind:{apology_id}"


def pause_end_job_id(pause_id: int) -> str:
    return f"repair:pause:end:{pause_id}"


def pause_hold_job_id(pause_id: int) -> str:
    return f"repair:pause:hold:{pause_id}"


def _words(*user_ids: int) -> list[Words]:
    return [Words(user_id, PRACTICE) for user_id in dict.fromkeys(user_ids)]


def _pings(*user_ids: int) -> discord.AllowedMentions:
    return discord.AllowedMentions(users=[discord.Object(u) for u in user_ids])


class _LimitReached(Exception):
    """Another apology to the same friend got in first: roll this one back."""


class RepairCog(HearthCog):
    """Practice 7: a guided, private apology; a way back into the conversation; a pause."""

    practice = PRACTICE
    dynamic_items = views.DYNAMIC_ITEMS
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA

    repair = app_commands.Group(
        name="repair", description="Apologize, take a pause, find kind words", guild_only=True
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.rules = logic.load_rules()
        self.rng = random.Random()
        bot.outbox.handle(DELIVERED, delivered=self._delivered, failed=self._undelivered)
        bot.outbox.handle(THREAD, delivered=self._thread_made, failed=self._thread_failed)

    # ================================================================== jobs

    async def rebuild_jobs(self) -> None:
        """Reminders, follow-ups and pauses are DMs to people: they go on whether or not
        Hearth is in the server where they began."""
        for apology in await store.with_jobs(self.bot.db):
            self._arm_apology(apology)
        for pause in await store.all_pauses(self.bot.db):
            self._arm_pause(pause)

    # Each job is the person's it DMs (their shard runs it): a reminder the friend's, a
    # follow-up the sender's; a pause's end the one who asked, its held note the friend's.

    def _arm_reminder(self, apology_id: int, friend_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            reminder_job_id(apology_id), when, self.reminder_job, apology_id, person=friend_id
        )

    def _arm_follow_up(self, apology_id: int, sender_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            follow_up_job_id(apology_id), when, self.follow_up_job, apology_id, person=sender_id
        )

    def _arm_hold(self, pause: store.Pause, when: datetime) -> None:
        self.bot.scheduler.at(
            pause_hold_job_id(pause.pause_id),
            when,
            self.pause_hold_job,
            pause.pause_id,
            person=pause.friend_user_id,
        )

    def _arm_apology(self, apology: store.Apology) -> None:
        if apology.remind_at is not None:
            self._arm_reminder(apology.apology_id, apology.friend_user_id, apology.remind_at)
        if apology.follow_up_at is not None and apology.followed_up_at is None:
            self._arm_follow_up(apology.apology_id, apology.user_id, apology.follow_up_at)

    def _arm_pause(self, pause: store.Pause) -> None:
        if not pause.user_reminded:
            self.bot.scheduler.at(
                pause_end_job_id(pause.pause_id),
                pause.ends_at,
                self.pause_end_job,
                pause.pause_id,
                person=pause.user_id,
            )
        if not pause.told or (pause.user_reminded and not pause.friend_reminded):
            # Held for someone who paused Hearth: look now whether they're back.
            self._arm_hold(pause, self.bot.clock.now())

    async def retention_due(self, tx: Tx, policy: Policy, now: datetime) -> int:
        """Apologies' words never outlive 30 days, whatever the server's period; rows go
        once nothing is left to do."""
        changed = await store.expire(tx, now)
        log.info("repair retention rows=%d", changed)
        return changed

    async def _rearm_all(self) -> None:
        self.bot.scheduler.cancel_prefix("repair:followup:")
        self.bot.scheduler.cancel_prefix("repair:remind:")
        self.bot.scheduler.cancel_prefix("repair:pause:")
        await self.rebuild_jobs()

    async def person_forgotten(self, user_id: int) -> None:
        # Their apologies and pauses are gone: what's left re-arms from the database.
        await self._rearm_all()

    async def server_forgotten(self, guild_id: int) -> None:
        await self._rearm_all()

    # ================================================================== checks

    @staticmethod
    def _check_person(user_id: int, friend: discord.Member | discord.User) -> None:
        if friend.id == user_id:
            raise HearthError(
                "That's you! Being kind to yourself counts too — but an apology needs someone "
                "to receive it. Pick the friend it's for."
            )
        if friend.bot:
            raise HearthError("Bots don't need apologies — pick a friend instead.")

    async def _check_reachable(self, guild_id: int, friend_id: int) -> None:
        """Who an apology can go to: someone who uses Hearth here and takes DMs from it. A
        closed inbox is never checked here: it must read the same as a friend who chose not
        to receive apologies (both are found at Send)."""
        mention = f"<@{friend_id}>"
        if await self.bot.boundaries.member(guild_id, friend_id) is None:
            raise HearthError(
                f"{mention} hasn't used Hearth in this server yet, so I won't DM them out of "
                "the blue. Saying it in person, or in a message of your own, works just as well."
            )
        person = await self.bot.boundaries.person(friend_id)
        if not person.dms_allowed or await self.bot.boundaries.is_paused(friend_id):
            raise HearthError(
                f"{mention} isn't taking messages through Hearth right now. You could tell "
                "them yourself, when it feels right."
            )

    async def _limit_refusal(self, user_id: int, friend_id: int) -> str | None:
        sent = await store.sent_between(self.bot.db, user_id, friend_id)
        again = logic.next_apology_at(sent, self.bot.clock.now())
        if again is not None:
            return (
                f"You've sent <@{friend_id}> two apologies this week already. Give it some "
                f"room — you can send another {timeutil.discord_timestamp(again, 'R')}."
            )
        return self.bot.reach.refusal(user_id, friend_id)

    # ================================================================== /repair apologize

    @repair.command(name="apologize", description="Write a sincere apology to a friend, privately")
    @app_commands.describe(friend="Who the apology is for (only they will see it, by DM)")
    async def apologize(
        self, interaction: discord.Interaction[HearthBot], friend: discord.Member
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None  # the group is guild-only
        await self.require_practice(guild_id)
        user_id = interaction.user.id
        self._check_person(user_id, friend)
        await self._check_reachable(guild_id, friend.id)
        refusal = await self._limit_refusal(user_id, friend.id)
        if refusal is not None:
            raise HearthError(refusal)
        draft = Draft(
            guild_id,
            user_id,
            friend.id,
            textfit.one_line(friend.display_name, 24) or "a friend",
        )
        await interaction.response.send_modal(views.ApologyModal(self, draft))

    async def on_draft(
        self, interaction: discord.Interaction[Any], draft: Draft, *, editing: bool
    ) -> None:
        """The form came back: a private preview, with gentle notes, Edit and Send."""
        problem: str | None = None
        try:
            parts = logic.check_parts(draft.happened, draft.impact, draft.change, draft.need)
        except logic.ApologyProblem as exc:
            problem, parts = str(exc), draft.raw
        slips = logic.find_slips(parts, self.rules) if problem is None else []
        person = await self.bot.boundaries.person(draft.user_id)
        content = views.preview_text(
            draft.friend_id, dms_off=not person.dms_allowed, problem=problem
        )
        embeds = [views.apology_embed(draft.user_id, parts)]
        if problem is None:
            embeds.append(views.notes_embed(slips))
        view = views.PreviewView(self, draft, ready=problem is None)
        if slips:
            log.info("repair preview notes=%s", ",".join(s.rule.id for s in slips))
        if editing and interaction.message is not None:
            await interaction.response.edit_message(content=content, embeds=embeds, view=view)
        else:
            await ui.reply(interaction, content, embeds=embeds, view=view)

    # ------------------------------------------------------------------ Send

    async def on_send(self, interaction: discord.Interaction[Any], draft: Draft) -> None:
        """Send was pressed (and acknowledged): the preview becomes what happened."""
        text = await self._send(draft)
        await interaction.edit_original_response(
            content=textfit.fit(text, textfit.CONTENT), embeds=[], view=None
        )

    def _kept(self, parts: logic.Parts) -> str:
        return "Here's what you wrote, so nothing is lost:\n\n" + logic.draft_text(parts)

    async def _send(self, draft: Draft) -> str:
        """Send the apology; what the sender reads about it (with their words back when it
        didn't go)."""
        bot = self.bot
        try:
            parts = logic.check_parts(draft.happened, draft.impact, draft.change, draft.need)
        except logic.ApologyProblem as exc:
            return f"{exc}\n\n{self._kept(draft.raw)}"
        sender, friend = draft.user_id, draft.friend_id
        try:
            await self._check_reachable(draft.guild_id, friend)
        except HearthError as refused:
            return f"{refused.message}\n\n{self._kept(parts)}"
        refusal = await self._limit_refusal(sender, friend)
        if refusal is not None:
            return f"{refusal}\n\n{self._kept(parts)}"
        now = bot.clock.now()
        not_wanted = await store.blocked(bot.db, friend, sender) is not None
        unreachable = (await bot.boundaries.person(friend)).dm_unreachable
        undelivered = f"{logic.undelivered_text(f'<@{friend}>')}\n\n{self._kept(parts)}"
        if not_wanted or unreachable:
            # The same steps as a closed inbox found at delivery: the sender's own side
            # changes alike (they used Hearth; answers would come by DM), nothing more.
            async with bot.boundaries.acting(draft.guild_id, sender) as tx:
                await bot.boundaries.set_dms_allowed(tx, sender, True)
            log.info("repair apology undeliverable guild=%s", draft.guild_id)
            return undelivered
        when = await bot.boundaries.next_dm_time(friend, now) or now
        held = when - now > HELD_AFTER
        guild = bot.get_guild(draft.guild_id)
        # Checked and taken with no pause in between, so two quick Sends can't both slip
        # under the limit; given back if this one never reaches the friend.
        refusal = bot.reach.refusal(sender, friend)
        if refusal is not None:
            return f"{refusal}\n\n{self._kept(parts)}"
        bot.reach.take(sender, friend)
        try:
            async with bot.boundaries.acting(draft.guild_id, sender) as tx:
                # The weekly count again, inside the one write: two Sends at once queue here.
                sent = await store.sent_between(bot.db, sender, friend)
                if logic.next_apology_at(sent, now) is not None:
                    raise _LimitReached
                await bot.boundaries.set_dms_allowed(tx, sender, True)
                apology_id = await store.add_apology(
                    tx,
                    guild_id=draft.guild_id,
                    user_id=sender,
                    friend_id=friend,
                    parts=parts,
                    now=now,
                    held=held,
                )
                intent = await bot.outbox.dm(
                    tx,
                    user_id=friend,
                    guild_id=draft.guild_id,
                    message=Message(
                        embeds=[
                            views.apology_embed(
                                sender, parts, guild_name=guild.name if guild else None
                            )
                        ],
                        view=views.dm_view(apology_id, ApologyStatus.OPEN),
                    ),
                    due=when,
                    words=_words(sender, friend),
                    handler=DELIVERED,
                    ref=apology_id,
                )
        except _LimitReached:
            bot.reach.give_back(sender, friend)
            refusal = await self._limit_refusal(sender, friend)
            return f"{refusal}\n\n{self._kept(parts)}"
        except BaseException:
            bot.reach.give_back(sender, friend)
            raise
        log.info("repair apology queued apology=%s held=%s", apology_id, held)
        if held:
            return (
                f"It's a quiet time for <@{friend}> right now, so I'll hold your apology and "
                "deliver it when that's over. Their answer, if they give one, comes to you by "
                "DM — and only to you. Thank you for owning it. 💛"
            )
        outcome = await bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is None and await self._mark_held(apology_id):
            return (
                f"Your apology is on its way to <@{friend}>, privately. If it can't be "
                "delivered, I'll tell you by DM, with your words. Thank you for owning it. 💛"
            )
        # Settled: the row says how (an apology that never arrived, or was stopped, is gone).
        now_stored = await store.get_apology(bot.db, apology_id)
        if now_stored is None or now_stored.status is ApologyStatus.SENDING:
            bot.reach.give_back(sender, friend)
            return undelivered
        return (
            f"Delivered to <@{friend}>, privately. Their answer, if they give one, comes to "
            "you by DM — and only to you. Whatever they say, owning it took courage. 💛"
        )

    async def _mark_held(self, apology_id: int) -> bool:
        async with self.bot.db.transaction() as tx:
            return await store.mark_held(tx, apology_id)

    async def _delivered(self, tx: Tx, outcome: Outcome) -> None:
        assert outcome.ref is not None
        await store.delivered(tx, outcome.ref)
        log.info("repair apology delivered apology=%s", outcome.ref)

    async def _undelivered(self, tx: Tx, outcome: Outcome) -> None:
        """It couldn't go (a closed inbox, a pause since). An apology that never arrived is
        no apology: its row goes. A sender who was told "on its way" hears by DM, with their
        words; one still looking at Send reads it there."""
        assert outcome.ref is not None
        apology = await store.take_undelivered(tx, outcome.ref)
        if apology is None:
            return
        log.info("repair apology undelivered apology=%s code=%s", apology.apology_id, outcome.code)
        if apology.held:
            await self._tell_undelivered(tx, apology)

    async def _tell_undelivered(self, tx: Tx, apology: store.Apology) -> None:
        sender, friend = apology.user_id, apology.friend_user_id
        self.bot.db.after_commit(lambda: self.bot.reach.give_back(sender, friend))
        kept = self._kept(apology.parts) if apology.parts is not None else ""
        await self.bot.outbox.dm(
            tx,
            user_id=sender,
            message=Message(
                textfit.fit(f"{logic.undelivered_text(f'<@{friend}>')}\n\n{kept}", textfit.CONTENT)
            ),
            words=_words(sender, friend),
        )

    # ================================================================== the friend's clicks

    async def on_button(
        self, interaction: discord.Interaction[Any], action: Action, target_id: int
    ) -> None:
        if action is Action.UNBLOCK:
            await self._unblock(interaction, target_id)
            return
        apology = await store.get_apology(self.bot.db, target_id)
        # Re-check who pressed: only the friend the apology was for.
        if apology is None or apology.friend_user_id != interaction.user.id:
            await send_ephemeral(interaction, views.NOT_YOURS)
            return
        if action is Action.BLOCK:
            await self._block(interaction, apology)
        elif action in logic.REMINDERS:
            await self._remind_me(interaction, apology, action)
        else:
            await self._answer(interaction, apology, logic.ANSWER_OF[action])

    async def _answer(
        self, interaction: discord.Interaction[Any], apology: store.Apology, answer: ApologyStatus
    ) -> None:
        bot = self.bot
        if not logic.may_answer(apology.status, answer):
            await send_ephemeral(
                interaction,
                "You've already answered this one. 💛"
                if apology.status is not ApologyStatus.CLOSED
                else "You chose not to receive apologies from them, so this one is closed.",
            )
            return
        now = bot.clock.now()
        talk = answer is ApologyStatus.TALK
        channel = await self._talk_channel(apology.guild_id) if talk else None
        extra = ""
        if talk:
            extra = (
                views.TALK_IN_THREAD.format(channel=f"<#{channel.id}>")
                if channel is not None
                else views.TALK_DIRECTLY
            )
        async with bot.boundaries.acting(None, interaction.user.id) as tx:
            if not await store.answer(tx, apology.apology_id, apology.status, answer, now):
                raise HearthError("You've already answered this one. 💛")
            await bot.outbox.dm(
                tx,
                user_id=apology.user_id,
                message=Message(
                    views.sender_answer_message(
                        apology.friend_user_id, answer, apology.created_at, extra
                    )
                ),
                words=_words(apology.user_id, apology.friend_user_id),
            )
            if channel is not None:
                await bot.outbox.thread(
                    tx,
                    channel_id=channel.id,
                    guild_id=apology.guild_id,
                    name="A calm talk",
                    private=True,
                    archive_minutes=10080,
                    handler=THREAD,
                    ref=apology.apology_id,
                )
            follow_up = logic.follow_up_due(answer, now)
            if follow_up is not None:
                bot.db.after_commit(
                    lambda: self._arm_follow_up(apology.apology_id, apology.user_id, follow_up)
                )
        bot.scheduler.cancel(reminder_job_id(apology.apology_id))
        log.info("repair answered apology=%s answer=%s", apology.apology_id, answer)
        line = views.answered_line(answer)
        if talk:
            line += " " + (
                f"I'm opening a private thread for you both in <#{channel.id}>."
                if channel is not None
                else "Reaching out to them directly is a good next step, when you're ready."
            )
        await interaction.response.edit_message(
            content=line,
            view=views.dm_view(apology.apology_id, answer, reminders=answer is ApologyStatus.TIME),
        )

    async def _talk_channel(self, guild_id: int) -> discord.TextChannel | None:
        """The group channel, when Hearth may open private threads there."""
        guild = self.bot.get_guild(guild_id)
        settings = await guilds.get(self.bot.db, guild_id)
        if guild is None or settings is None or settings.channel_id is None:
            return None
        channel = guild.get_channel(settings.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return None
        perms = channel.permissions_for(guild.me)
        if not (
            perms.view_channel and perms.create_private_threads and perms.send_messages_in_threads
        ):
            return None
        return channel

    async def _remind_me(
        self, interaction: discord.Interaction[Any], apology: store.Apology, action: Action
    ) -> None:
        if not logic.may_remind(apology.status):
            await send_ephemeral(interaction, "There's nothing left to remind you of here. 💛")
            return
        when = self.bot.clock.now() + logic.REMINDERS[action][1]
        async with self.bot.boundaries.acting(None, interaction.user.id) as tx:
            if not await store.set_reminder(tx, apology.apology_id, when):
                raise HearthError("There's nothing left to remind you of here. 💛")
        self._arm_reminder(apology.apology_id, apology.friend_user_id, when)
        await interaction.response.edit_message(
            content=views.reminder_set_line(when),
            view=views.dm_view(apology.apology_id, ApologyStatus.TIME, reminders=True),
        )

    async def _block(self, interaction: discord.Interaction[Any], apology: store.Apology) -> None:
        """The friend doesn't want apologies from this person. Private: the sender is never
        told, and any apology of theirs still on its way to this friend "can't be
        delivered", exactly as for a closed inbox."""
        bot = self.bot
        friend, sender = apology.friend_user_id, apology.user_id
        now = bot.clock.now()
        async with bot.boundaries.acting(None, friend) as tx:
            block_id = await store.add_block(tx, friend, sender, now)
            await store.close(tx, apology.apology_id)
            for pending_id in await store.pending_from(bot.db, sender, friend):
                await bot.outbox.cancel(tx, DELIVERED, pending_id)
                stopped = await store.take_undelivered(tx, pending_id)
                if stopped is not None and stopped.held:
                    await self._tell_undelivered(tx, stopped)
        for job in (follow_up_job_id(apology.apology_id), reminder_job_id(apology.apology_id)):
            bot.scheduler.cancel(job)
        log.info("repair block set")  # ids stay out of the log: nobody can read it back
        await interaction.response.edit_message(
            content=views.answered_line(ApologyStatus.CLOSED), view=views.unblock_view(block_id)
        )

    async def _unblock(self, interaction: discord.Interaction[Any], block_id: int) -> None:
        owner = await store.block_owner(self.bot.db, block_id)
        if owner is None or owner != interaction.user.id:
            await send_ephemeral(interaction, views.NOT_YOURS)
            return
        async with self.bot.boundaries.acting(None, owner) as tx:
            await store.remove_block(tx, block_id, owner)
        await interaction.response.edit_message(
            content="Okay — their apologies can reach you again.", view=None
        )

    # ------------------------------------------------------------------ the thread

    async def _thread_made(self, tx: Tx, outcome: Outcome) -> None:
        """Their private thread exists: both are added, and a short guide greets them."""
        assert outcome.ref is not None
        assert outcome.message_id is not None
        apology = await store.get_apology(self.bot.db, outcome.ref)
        if apology is None:
            return  # one of them deleted their data meanwhile: nobody is added
        thread_id = outcome.message_id
        await store.set_thread(tx, apology.apology_id, thread_id)
        for user_id in (apology.user_id, apology.friend_user_id):
            await self.bot.outbox.add_to_thread(
                tx, thread_id=thread_id, user_id=user_id, guild_id=apology.guild_id
            )
        content, embed = views.guide_message(apology.user_id, apology.friend_user_id)
        await self.bot.outbox.post(
            tx,
            channel_id=thread_id,
            guild_id=apology.guild_id,
            message=Message(
                content, embeds=[embed], mentions=_pings(apology.user_id, apology.friend_user_id)
            ),
        )
        log.info("repair thread opened apology=%s", apology.apology_id)

    async def _thread_failed(self, tx: Tx, outcome: Outcome) -> None:
        assert outcome.ref is not None
        apology = await store.get_apology(self.bot.db, outcome.ref)
        if apology is None:
            return
        for user_id in (apology.user_id, apology.friend_user_id):
            await self.bot.outbox.dm(
                tx,
                user_id=user_id,
                message=Message(views.THREAD_FAILED),
                words=_words(apology.user_id, apology.friend_user_id),
            )
        log.info("repair thread failed apology=%s code=%s", apology.apology_id, outcome.code)

    # ------------------------------------------------------------------ follow-up, reminder

    async def follow_up_job(self, apology_id: int) -> None:
        """A week after "Thank you" or "Can we talk?": one private DM to the sender, with
        what they said they'd do differently. Once, whatever restarts (the ledger row is
        written with the DM)."""
        bot = self.bot
        apology = await store.get_apology(bot.db, apology_id)
        if apology is None or apology.follow_up_at is None or apology.followed_up_at is not None:
            return
        now = bot.clock.now()
        if apology.follow_up_at > now:
            self._arm_apology(apology)
            return
        async with bot.db.transaction() as tx:
            claimed = await store.claim_follow_up(tx, apology_id, now)
            if claimed is None:
                return
            await bot.outbox.dm(
                tx,
                user_id=claimed.user_id,
                message=Message(
                    embeds=[views.follow_up_message(claimed.friend_user_id, claimed.change)]
                ),
                words=_words(claimed.user_id, claimed.friend_user_id),
            )
        log.info("repair follow-up queued apology=%s", apology_id)

    async def reminder_job(self, apology_id: int) -> None:
        """The friend's own reminder ("I need some time"): to them, nobody else."""
        bot = self.bot
        apology = await store.get_apology(bot.db, apology_id)
        if apology is None or apology.remind_at is None:
            return
        now = bot.clock.now()
        if apology.remind_at > now:
            self._arm_apology(apology)
            return
        async with bot.db.transaction() as tx:
            claimed = await store.claim_reminder(tx, apology_id, now)
            if claimed is None or claimed.status is not ApologyStatus.TIME:
                return
            await bot.outbox.dm(
                tx,
                user_id=claimed.friend_user_id,
                message=Message(
                    views.reminder_message(claimed.user_id),
                    view=views.dm_view(apology_id, ApologyStatus.TIME),
                ),
                words=_words(claimed.user_id, claimed.friend_user_id),
            )
        log.info("repair reminder queued apology=%s", apology_id)

    # ================================================================== /repair pause

    @repair.command(name="pause", description="Ask for a short break in a hard conversation")
    @app_commands.describe(
        friend="Who you're talking with (they'll hear you need a pause and want to come back)",
        minutes="How long a break you need (5 to 1440 minutes)",
    )
    async def pause(
        self,
        interaction: discord.Interaction[HearthBot],
        friend: discord.Member,
        minutes: app_commands.Range[int, logic.PAUSE_MIN_MINUTES, logic.PAUSE_MAX_MINUTES],
    ) -> None:
        bot = self.bot
        guild_id = interaction.guild_id
        assert guild_id is not None
        await self.require_practice(guild_id)
        user_id = interaction.user.id
        if friend.id == user_id:
            raise HearthError(
                "A pause is between you and someone else — pick who you're talking with."
            )
        if friend.bot:
            raise HearthError("Bots never mind a pause — pick the friend you're talking with.")
        yourself = (
            "You could tell them yourself: “I need a short break — I want to come back to this.”"
        )
        if await bot.boundaries.member(guild_id, friend.id) is None:
            raise HearthError(
                f"{friend.mention} hasn't used Hearth in this server yet, so I won't message "
                f"them out of the blue. {yourself}"
            )
        running = await store.open_pause(bot.db, user_id, friend.id)
        if running is not None:
            raise HearthError(
                f"You already have a pause with {friend.mention} until "
                f"{timeutil.discord_timestamp(running.ends_at, 't')}. I'll remind you both then."
            )
        thread_id = await self._shared_thread(guild_id, user_id, friend.id)
        person = await bot.boundaries.person(friend.id)
        paused = await bot.boundaries.is_paused(friend.id)
        if thread_id is None and (not person.dms_allowed or person.dm_unreachable):
            raise HearthError(f"I can't reach {friend.mention} by DM right now. {yourself}")
        bot.reach.check(user_id, friend.id)
        bot.reach.take(user_id, friend.id)
        now = bot.clock.now()
        ends_at = now + timedelta(minutes=minutes)
        async with bot.boundaries.acting(guild_id, user_id) as tx:
            pause_id = await store.add_pause(
                tx,
                guild_id=guild_id,
                user_id=user_id,
                friend_id=friend.id,
                minutes=minutes,
                now=now,
                ends_at=ends_at,
                thread_id=thread_id,
                told=not paused,
            )
            pause = await store.get_pause(bot.db, pause_id)
            assert pause is not None
            if not paused:
                await self._to_friend(tx, pause, views.pause_note(user_id, minutes, late=False))
        self._arm_pause(pause)
        log.info("repair pause set pause=%s held=%s", pause_id, paused)
        end = timeutil.discord_timestamp(ends_at, "t")
        where = "in your thread" if thread_id is not None else "by DM"
        if paused:
            text = (
                f"I'll let {friend.mention} know as soon as they're back on Hearth that you need "
                f"a pause and want to come back to the conversation. I'll remind you at {end}."
            )
        else:
            text = (
                f"I've let {friend.mention} know {where} that you need a pause of "
                f"{logic.minutes_text(minutes)} and want to come back to the conversation. "
                f"I'll remind you both at {end}. Breathe. 🌿"
            )
        await ui.reply(interaction, text)

    async def _shared_thread(self, guild_id: int, one: int, other: int) -> int | None:
        thread_id = await store.shared_thread(self.bot.db, guild_id, one, other)
        guild = self.bot.get_guild(guild_id)
        if thread_id is None or guild is None or guild.get_thread(thread_id) is None:
            return None
        return thread_id

    async def _to_friend(self, tx: Tx, pause: store.Pause, text: str) -> None:
        """Something for the friend about a pause: in their shared thread (which only the two
        of them see), or by DM with their consent (quiet hours hold it)."""
        if pause.thread_id is not None:
            await self.bot.outbox.post(
                tx,
                channel_id=pause.thread_id,
                guild_id=pause.guild_id,
                message=Message(text, mentions=_pings(pause.friend_user_id)),
                words=_words(pause.user_id),
            )
            return
        await self.bot.outbox.dm(
            tx,
            user_id=pause.friend_user_id,
            message=Message(text),
            words=_words(pause.user_id),
        )

    async def pause_end_job(self, pause_id: int) -> None:
        """Time's up: one gentle reminder each (the friend's waits if they paused Hearth)."""
        bot = self.bot
        pause = await store.get_pause(bot.db, pause_id)
        if pause is None or pause.user_reminded:
            return
        now = bot.clock.now()
        if now < pause.ends_at:
            self._arm_pause(pause)
            return
        friend_away = await bot.boundaries.is_paused(pause.friend_user_id)
        hold_friend = False
        async with bot.db.transaction() as tx:
            if not await store.mark_pause(tx, pause_id, "user_reminded"):
                return
            friend_now = pause.told and not pause.friend_reminded and not friend_away
            if friend_now and pause.thread_id is not None:
                await store.mark_pause(tx, pause_id, "friend_reminded")
                await bot.outbox.post(
                    tx,
                    channel_id=pause.thread_id,
                    guild_id=pause.guild_id,
                    message=Message(
                        views.pause_over_in_thread(pause.user_id, pause.friend_user_id),
                        mentions=_pings(pause.user_id, pause.friend_user_id),
                    ),
                    words=_words(pause.user_id),
                )
            else:
                await bot.outbox.dm(
                    tx,
                    user_id=pause.user_id,
                    consent=False,  # they asked for this reminder
                    message=Message(views.pause_over_for_user(pause.friend_user_id)),
                    words=_words(pause.user_id),
                )
                if friend_now:
                    await store.mark_pause(tx, pause_id, "friend_reminded")
                    await self._to_friend(tx, pause, views.pause_over_for_friend(pause.user_id))
                else:
                    hold_friend = not pause.friend_reminded
            await store.finish_pause(tx, pause_id)
        if hold_friend:
            self._arm_hold(pause, now)
        log.info("repair pause over pause=%s", pause_id)

    async def pause_hold_job(self, pause_id: int) -> None:
        """A pause for someone who paused Hearth waits until they're back; then they get one
        message (the note, or the note and the reminder in one once the time is up)."""
        bot = self.bot
        pause = await store.get_pause(bot.db, pause_id)
        if pause is None or (pause.told and pause.friend_reminded):
            return
        now = bot.clock.now()
        person = await bot.boundaries.person(pause.friend_user_id)
        if await bot.boundaries.is_paused(pause.friend_user_id):
            self._arm_hold(pause, logic.next_hold_check(person.paused_until, now))
            return
        ended = now >= pause.ends_at
        async with bot.db.transaction() as tx:
            if not pause.told:
                flags: tuple[store.PauseFlag, ...] = (
                    ("told", "friend_reminded") if ended else ("told",)
                )
                if not await store.mark_pause(tx, pause_id, *flags):
                    return
                text = views.pause_note(pause.user_id, pause.minutes, late=ended)
            elif ended and pause.user_reminded:
                if not await store.mark_pause(tx, pause_id, "friend_reminded"):
                    return
                text = views.pause_over_for_friend(pause.user_id)
            else:
                return  # told, time not up: the end job reminds them
            await self._to_friend(tx, pause, text)
            await store.finish_pause(tx, pause_id)
        log.info("repair pause delivered after a hold pause=%s", pause_id)

    # ================================================================== /repair validate

    @repair.command(
        name="validate", description="A few ways to let someone know their feelings make sense"
    )
    async def validate(self, interaction: discord.Interaction[HearthBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        b = self.bot.boundaries
        member = await b.member(guild_id, interaction.user.id)
        depth = (
            member.comfort_depth
            if member is not None and member.comfort_depth is not None
            else await b.group_depth(guild_id)
        )
        skips = member.skip_topics if member is not None else frozenset()
        cards = [
            logic.Card(p.text, p.tip, p.depth)
            for p in self.bot.decks.eligible(PRACTICE, depth, skips)
            if logic.VALIDATION_TAG in p.tags
        ]
        chosen = logic.pick_validations(cards, self.rng)
        await ui.reply(interaction, embed=views.validations_embed(chosen))
