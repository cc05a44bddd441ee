"""Steady support's scheduled work and DMs: check-in jobs, the quiet watch, the outbox.

Jobs take ids and re-read the database when they run; their ids are stable
(`checkin:{user_id}`, `quietwatch:{user_id}`, `support:out:{outbox_id}`) and every one
is rebuilt from the database on start. Every DM is an outbox intent (`bot.outbox`),
written in the same transaction as the state change it follows (a check-in's ledger row,
an invite, a circle told); when a DM finds someone's inbox closed, a notice waits to
tell them, once, the next time they use Hearth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot import textfit, ui
from bot.limits import Breather
from bot.outbox import DM_CLOSED, Message, Outcome, Tx, Words
from cogs.support import logic, store, views
from cogs.support.logic import CHECKINS, CircleStatus, Delivery, FriendDm, Later, Schedule

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

Claim = Callable[[Tx], Awaitable[bool]]
# The unit of work a friend DM is written in: an interaction's `boundaries.acting(...)`;
# a job's own `db.transaction()` when None.
Unit = AbstractAsyncContextManager[Tx]


def checkin_job_id(user_id: int) -> str:
    return f"checkin:{user_id}"


def quiet_job_id(user_id: int) -> str:
    return f"quietwatch:{user_id}"


def waiting_dm_job_id(outbox_id: int) -> str:
    return f"support:out:{outbox_id}"


# The outbox's handlers: a check-in DM, a DM to a friend, a circle invitation.
CHECKIN = "support.checkin"
FRIEND = "support.friend"
INVITE = "support.invite"
# How long a command waits to say whether its DM arrived (then: it's on its way).
ANSWER_WAIT = 2.5


class SupportService:
    """Everything steady support does outside a single click."""

    def __init__(self, bot: HearthBot) -> None:
        self.bot = bot
        # People with a "your DMs are closed" notice waiting (mirrors support_dm_notices).
        self.notices: set[int] = set()

    # ------------------------------------------------------------------ start-up

    async def rebuild(self) -> None:
        """Re-create every job from the database (idempotent: ids replace themselves)."""
        schedules = await store.active_schedules(self.bot.db)
        breathe = Breather()  # 20,000 schedules must not stall the gateway
        scheduler = self.bot.scheduler
        for armed in schedules:
            await breathe()
            user_id = armed.user_id
            if armed.next_send_at is None:
                scheduler.cancel(checkin_job_id(user_id))
            else:
                self._arm_at(user_id, armed.next_send_at)
            if armed.quiet_due is None:
                scheduler.cancel(quiet_job_id(user_id))
            else:
                self._arm_quiet_at(user_id, armed.quiet_due)
        outgoing = await store.all_outgoing(self.bot.db)
        for out in outgoing:
            self.arm_waiting(out.outbox_id, out.due_at, out.recipient_user_id)
        self.notices = await store.dm_notices(self.bot.db)
        log.info("support jobs rebuilt checkins=%d outbox=%d", len(schedules), len(outgoing))

    # ------------------------------------------------------------------ DMs

    def handle(self) -> None:
        outbox = self.bot.outbox
        outbox.handle(CHECKIN, failed=self._checkin_failed)
        outbox.handle(FRIEND, failed=self._friend_failed)
        outbox.handle(INVITE, failed=self._invite_failed)

    async def _closed_notice(self, tx: Tx, outcome: Outcome) -> None:
        """A DM found the inbox closed: a notice waits for their next command."""
        if outcome.code in DM_CLOSED and outcome.recipient is not None:
            user_id = outcome.recipient
            await store.add_dm_notice(tx, user_id, self.bot.clock.now())
            self.bot.db.after_commit(lambda: self.notices.add(user_id))

    async def _checkin_failed(self, tx: Tx, outcome: Outcome) -> None:
        assert outcome.ref is not None
        await store.mark_failed(tx, outcome.ref)
        await self._closed_notice(tx, outcome)
        log.info("checkin not delivered checkin=%s code=%s", outcome.ref, outcome.code)

    async def _friend_failed(self, tx: Tx, outcome: Outcome) -> None:
        await self._closed_notice(tx, outcome)

    async def _invite_failed(self, tx: Tx, outcome: Outcome) -> None:
        """An invitation that never arrived is no invitation (ref: its circle entry)."""
        assert outcome.ref is not None
        await store.forget_invite_ref(tx, outcome.ref)
        await self._closed_notice(tx, outcome)

    async def take_notice(self, user_id: int) -> None:
        """They've been told their DMs are closed (or talk to Hearth in DMs again)."""
        self.notices.discard(user_id)
        async with self.bot.db.transaction() as tx:
            await store.take_dm_notice(tx, user_id)

    async def sent(self, intents: list[int]) -> list[bool | None]:
        """Whether each DM arrived, as far as we know within a moment (None: on its way)."""
        outcomes = await asyncio.gather(
            *(self.bot.outbox.wait(intent, ANSWER_WAIT) for intent in intents)
        )
        return [None if o is None else o.ok for o in outcomes]

    async def name_of(self, user_id: int) -> str:
        """Someone's display name for a DM title (one line, short), or "A friend"."""
        user = self.bot.get_user(user_id)
        if user is None:
            try:
                user = await self.bot.fetch_user(user_id)
            except discord.HTTPException:
                user = None
        name = textfit.one_line(user.display_name, 40) if user is not None else ""
        return name or "A friend"

    async def resources_for(self, guild_id: int | None) -> str:
        if guild_id is not None:
            text = await store.get_resources(self.bot.db, guild_id)
            if text:
                return text
        return logic.DEFAULT_RESOURCES

    # ------------------------------------------------------------------ check-ins

    def arm_checkin(self, schedule: Schedule) -> None:
        if not schedule.active or schedule.next_send_at is None:
            self.bot.scheduler.cancel(checkin_job_id(schedule.user_id))
            return
        self.bot.scheduler.at(
            checkin_job_id(schedule.user_id),
            schedule.next_send_at,
            self.checkin_job,
            schedule.user_id,
            person=schedule.user_id,
        )

    async def checkin_job(self, user_id: int) -> None:
        """A check-in fell due: send it, or move it to when it may go. Never drops one."""
        bot = self.bot
        schedule = await store.get_schedule(bot.db, user_id)
        if schedule is None or not schedule.active:
            return
        now = bot.clock.now()
        person = await bot.boundaries.person(user_id)
        tz = person.timezone or "UTC"
        member = await bot.boundaries.member(schedule.guild_id, user_id)
        opted_in = member is not None and CHECKINS.key in member.opt_ins
        decision = logic.decide(schedule, person, opted_in, now, tz)
        if isinstance(decision, Later):
            async with bot.db.transaction() as tx:
                await store.move_next(tx, user_id, decision.slot, decision.send_at, now)
            self._arm_at(user_id, decision.send_at)
            log.info("checkin deferred user=%s why=%s", user_id, decision.why)
            return
        nxt = logic.following(schedule, max(decision.slot, now), tz)
        send_at = logic.first_send(nxt, user_id)
        # One transaction: the ledger row for this slot, the next time, and the DM itself.
        async with bot.db.transaction() as tx:
            checkin_id = await store.create_checkin(tx, user_id, store.slot_key(decision.slot), now)
            await store.move_next(tx, user_id, nxt, send_at, now)
            if checkin_id is not None:
                await self.queue_checkin(tx, user_id, checkin_id)
        self._arm_at(user_id, send_at)
        if checkin_id is None:
            log.info("checkin already sent user=%s", user_id)
            return
        log.info("checkin queued user=%s checkin=%s", user_id, checkin_id)

    def _arm_at(self, user_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            checkin_job_id(user_id), when, self.checkin_job, user_id, person=user_id
        )

    async def queue_checkin(self, tx: Tx, user_id: int, checkin_id: int) -> int:
        """The check-in DM, in the transaction that records it (`decide` has already asked
        the person's boundaries; at delivery only closed DMs stop it)."""
        return await self.bot.outbox.dm(
            tx,
            user_id=user_id,
            consent=False,
            message=Message(embeds=[views.checkin_embed()], view=views.checkin_view(checkin_id)),
            handler=CHECKIN,
            ref=checkin_id,
        )

    # ------------------------------------------------------------------ the quiet watch

    def arm_quiet(self, schedule: Schedule, at: datetime | None = None) -> None:
        due = logic.quiet_due(schedule)
        if due is None:
            self.bot.scheduler.cancel(quiet_job_id(schedule.user_id))
            return
        self._arm_quiet_at(schedule.user_id, at or due)

    def _arm_quiet_at(self, user_id: int, when: datetime) -> None:
        self.bot.scheduler.at(quiet_job_id(user_id), when, self.quiet_job, user_id, person=user_id)

    async def rearm_quiet(self, user_id: int) -> None:
        schedule = await store.get_schedule(self.bot.db, user_id)
        if schedule is not None:
            self.arm_quiet(schedule)
        else:
            self.bot.scheduler.cancel(quiet_job_id(user_id))

    async def quiet_job(self, user_id: int) -> None:
        """ "Check on me if I go quiet": tell the circle once per quiet spell."""
        bot = self.bot
        schedule = await store.get_schedule(bot.db, user_id)
        if schedule is None:
            return
        due = logic.quiet_due(schedule)
        if due is None or schedule.quiet_days is None or schedule.quiet_since is None:
            return
        now = bot.clock.now()
        if now < due:
            self.arm_quiet(schedule)
            return
        person = await bot.boundaries.person(user_id)
        member = await bot.boundaries.member(schedule.guild_id, user_id)
        asked = (
            member is not None
            and CHECKINS.key in member.opt_ins
            and person.dms_allowed
            and not person.dm_unreachable
            and not await bot.boundaries.is_paused(user_id)
        )
        if not asked:
            # Not hearing back from someone who isn't being asked isn't "quiet".
            async with bot.db.transaction() as tx:
                await store.bump_quiet(tx, user_id, now)
            self.arm_quiet(schedule, now + timedelta(days=schedule.quiet_days))
            return
        if await store.unanswered_since(bot.db, user_id, schedule.quiet_since) == 0:
            # Nothing has gone unanswered yet (a weekly rhythm, say): look again tomorrow.
            self.arm_quiet(schedule, now + timedelta(days=1))
            return
        members = await store.accepted_members(bot.db, user_id)
        days = schedule.quiet_days

        async def claim(tx: Tx) -> bool:
            return await store.claim_quiet_alert(tx, user_id, now)

        result = await self.tell_circle(
            user_id,
            members,
            FriendDm.QUIET,
            guild_id=schedule.guild_id,
            claim=claim,
            quiet_days=days,
        )
        log.info("quiet watch fired user=%s told=%s", user_id, result)

    # ------------------------------------------------------------------ friends

    async def render(
        self,
        kind: FriendDm,
        sender_id: int,
        *,
        sender_name: str | None = None,
        note: str | None = None,
        quiet_days: int | None = None,
    ) -> Message:
        """The DM a friend gets. Never carries a mood or a check-in's words."""
        name = sender_name or await self.name_of(sender_id)
        mention = f"<@{sender_id}>"
        if kind is FriendDm.INVITE:
            title, text = logic.invite_text(name)
            return Message(
                embeds=[ui.embed(title, f"{text}\n\nFrom {mention}.", practice="support")],
                view=views.invite_view(sender_id),
            )
        if kind is FriendDm.SIGNAL:
            title, text = logic.signal_text(name)
            return Message(
                embeds=[ui.embed(title, f"{text}\n\nReach them: {mention}", practice="support")],
                view=views.here_view(sender_id),
            )
        if kind is FriendDm.QUIET:
            title, text = logic.quiet_text(name, quiet_days or 0)
            return Message(
                embeds=[ui.embed(title, f"{text}\n\nReach them: {mention}", practice="support")],
                view=views.here_view(sender_id),
            )
        title = logic.here_text(name) if kind is FriendDm.HERE else logic.thinking_text(name)
        body = textfit.quote_block(note, 1200) if note else ""
        body = f"{body}\n\nFrom {mention}." if body else f"From {mention}."
        return Message(embeds=[ui.embed(title, body, footer=logic.FRIEND_NOTE_FOOTER)])

    async def still_wanted(self, kind: FriendDm, sender_id: int, recipient_id: int) -> bool:
        """Whether a delivery still makes sense (nobody left the circle meanwhile)."""
        db = self.bot.db
        if kind is FriendDm.INVITE:
            entry = await store.circle_entry(db, sender_id, recipient_id)
            return entry is not None and entry.status is CircleStatus.PENDING
        if kind in (FriendDm.SIGNAL, FriendDm.QUIET):
            return await store.is_accepted(db, sender_id, recipient_id)
        if kind is FriendDm.HERE:
            return await store.is_accepted(db, recipient_id, sender_id)
        return True

    async def reach(
        self,
        kind: FriendDm,
        sender_id: int,
        recipient_id: int,
        *,
        guild_id: int | None,
        sender_name: str | None = None,
        note: str | None = None,
        unit: Unit | None = None,
        before: Callable[[Tx], Awaitable[None]] | None = None,
    ) -> tuple[Delivery, datetime | None]:
        """Send one friend DM now, or queue it for after their quiet hours.

        Returns how it went and when it will arrive. `unit` is the one write (an
        interaction's `boundaries.acting(...)`, not yet entered) and `before` adds the
        caller's own writes to it, so a whole interaction commits once — the DM's intent
        included.
        """
        bot = self.bot
        now = bot.clock.now()
        when = await bot.boundaries.next_dm_time(recipient_id, now)
        later = when is not None and when > now
        message: Message | None = None
        if when is not None and not later:
            message = await self.render(kind, sender_id, sender_name=sender_name, note=note)
        outbox_id: int | None = None
        intent: int | None = None
        async with unit or bot.db.transaction() as tx:
            if before is not None:
                await before(tx)
            if later and when is not None:
                outbox_id = await store.add_outgoing(
                    tx,
                    kind=kind,
                    sender_user_id=sender_id,
                    recipient_user_id=recipient_id,
                    guild_id=guild_id,
                    due_at=when,
                    now=now,
                    note=note,
                )
            elif message is not None:
                intent = await self._queue_friend(
                    tx, kind, sender_id, recipient_id, guild_id, message, note
                )
        if when is None:
            return Delivery.DROPPED, None
        if outbox_id is not None:
            self.arm_waiting(outbox_id, when, recipient_id)
            return Delivery.LATER, when
        assert intent is not None
        [arrived] = await self.sent([intent])
        return (Delivery.FAILED if arrived is False else Delivery.SENT), None

    async def _queue_friend(
        self,
        tx: Tx,
        kind: FriendDm,
        sender_id: int,
        recipient_id: int,
        guild_id: int | None,
        message: Message,
        note: str | None,
    ) -> int:
        """A DM to a friend on someone's behalf; a note carries the sender's words. (An
        invitation's intent points at its circle entry, never at a person's id: intents
        outlive people's deletions for a while and must name no one.)"""
        invite = (
            await store.invite_ref(tx, sender_id, recipient_id) if kind is FriendDm.INVITE else None
        )
        return await self.bot.outbox.dm(
            tx,
            user_id=recipient_id,
            guild_id=guild_id,
            consent=False,  # asked just now (`next_dm_time`); only closed DMs stop it
            message=message,
            words=[Words(sender_id, "support")] if note else (),
            handler=INVITE if invite is not None else FRIEND,
            ref=invite,
        )

    async def tell_circle(
        self,
        owner_id: int,
        members: list[int],
        kind: FriendDm,
        *,
        guild_id: int | None,
        claim: Claim,
        unit: Unit | None = None,
        owner_name: str | None = None,
        quiet_days: int | None = None,
    ) -> tuple[int, int, int] | None:
        """DM every accepted member (or queue it past their quiet hours), once.

        `claim` marks the occasion as told inside the same transaction that queues the
        later ones; if it was already told, nothing is sent and None comes back.
        Returns (sent now, queued for later, couldn't be reached).
        """
        bot = self.bot
        now = bot.clock.now()
        plans = [(m, await bot.boundaries.next_dm_time(m, now)) for m in members]
        due_now = [m for m, when in plans if when is not None and when <= now]
        message = (
            await self.render(kind, owner_id, sender_name=owner_name, quiet_days=quiet_days)
            if due_now
            else None
        )
        queued: list[tuple[int, datetime, int]] = []
        intents: list[int] = []
        async with unit or bot.db.transaction() as tx:
            if not await claim(tx):
                return None
            for member_id, when in plans:
                if when is not None and when > now:
                    outbox_id = await store.add_outgoing(
                        tx,
                        kind=kind,
                        sender_user_id=owner_id,
                        recipient_user_id=member_id,
                        guild_id=guild_id,
                        due_at=when,
                        now=now,
                        quiet_days=quiet_days,
                    )
                    queued.append((outbox_id, when, member_id))
            for member_id in due_now:
                assert message is not None
                intents.append(
                    await self._queue_friend(tx, kind, owner_id, member_id, guild_id, message, None)
                )
        for outbox_id, when, member_id in queued:
            self.arm_waiting(outbox_id, when, member_id)
        arrived = await self.sent(intents)
        failed = sum(1 for a in arrived if a is False)
        return len(intents) - failed, len(queued), failed

    def arm_waiting(self, outbox_id: int, when: datetime, recipient_id: int) -> None:
        """A friend DM waiting for quiet hours: the recipient's job (their shard's)."""
        self.bot.scheduler.at(
            waiting_dm_job_id(outbox_id), when, self.deliver_job, outbox_id, person=recipient_id
        )

    async def deliver_job(self, outbox_id: int) -> None:
        """A friend DM that waited for quiet hours to end."""
        bot = self.bot
        out = await store.get_outgoing(bot.db, outbox_id)
        if out is None:
            return
        if not await self.still_wanted(out.kind, out.sender_user_id, out.recipient_user_id):
            async with bot.db.transaction() as tx:
                await store.take_outgoing(tx, outbox_id)
            return
        now = bot.clock.now()
        when = await bot.boundaries.next_dm_time(out.recipient_user_id, now)
        if when is None:  # paused, DMs off or closed: a pause means "nothing for now"
            async with bot.db.transaction() as tx:
                await store.take_outgoing(tx, outbox_id)
                if out.kind is FriendDm.INVITE:
                    await store.forget_invite(tx, out.sender_user_id, out.recipient_user_id)
            log.info("support dm dropped outbox=%s kind=%s", outbox_id, out.kind)
            return
        if when > now:
            async with bot.db.transaction() as tx:
                await store.postpone_outgoing(tx, outbox_id, when)
            self.arm_waiting(outbox_id, when, out.recipient_user_id)
            return
        message = await self.render(
            out.kind, out.sender_user_id, note=out.note, quiet_days=out.quiet_days
        )
        # Taken from the wait and handed to the outbox in one write: delivered once.
        async with bot.db.transaction() as tx:
            if not await store.take_outgoing(tx, outbox_id):
                return
            await self._queue_friend(
                tx,
                out.kind,
                out.sender_user_id,
                out.recipient_user_id,
                out.guild_id,
                message,
                out.note,
            )
        log.info("support dm outbox=%s kind=%s handed to the outbox", outbox_id, out.kind)
