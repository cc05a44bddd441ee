"""Listening circles: a thread, members who join, a talking stick passed in turn.

The stick moves by its holder's button or by the turn timer (`listening:circle:{id}`);
between turns a minute to reflect back; one quiet mark per person per turn on messages
sent out of turn, seen as message *events* (Hearth never reads the text); a summary of who
spoke and for how long. An hour with nothing said or pressed ends it
(`listening:idle:{id}`); so does its thread being archived or deleted. Every move is
guarded by the phase and turn it expects, so a button and the timer racing, or a job run
again after a restart, move the stick once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot import textfit, ui
from bot.errors import HearthError, send_ephemeral
from bot.outbox import Message, Outcome, Tx, Words
from cogs.listening import logic, store, views
from cogs.listening.common import ANSWER_WAIT, Part
from cogs.listening.logic import PRACTICE, CircleAction, EndReason, Phase
from cogs.listening.store import Circle

if TYPE_CHECKING:
    from cogs.listening.cog import ListeningCog

log = logging.getLogger(__name__)

CARD = "listening.card"
THREAD = "listening.thread"
TURN = "listening.turn"


def circle_job_id(circle_id: int) -> str:
    return f"listening:circle:{circle_id}"


def idle_job_id(circle_id: int) -> str:
    return f"listening:idle:{circle_id}"


@dataclass(slots=True)
class _Live:
    """A live circle as the message hot path sees it."""

    guild_id: int
    phase: Phase
    holder: int | None
    turn_no: int
    last_active: datetime
    saved_active: datetime
    marked: set[int] = field(default_factory=set)  # marked this turn


class Circles(Part):
    def __init__(self, cog: ListeningCog) -> None:
        super().__init__(cog)
        bot = cog.bot
        self.live: dict[int, _Live] = {}  # circle id → its live state
        self.threads: dict[int, int] = {}  # thread → circle id
        bot.outbox.handle(CARD, delivered=self._card_posted, failed=self._circle_lost)
        bot.outbox.handle(THREAD, delivered=self._thread_opened, failed=self._thread_failed)
        bot.outbox.handle(TURN, failed=self._circle_lost)

    async def open(
        self, interaction: discord.Interaction[Any], topic: str, minutes_per_turn: int | None
    ) -> None:
        guild_id, channel = interaction.guild_id, interaction.channel
        if guild_id is None or channel is None:
            raise app_commands.NoPrivateMessage()
        about = textfit.one_line(topic, logic.TOPIC_MAX)
        if not about:
            raise HearthError(
                "Give the circle a few words of topic, so friends know what it's about."
            )
        try:
            minutes = logic.check_turn_minutes(minutes_per_turn)
        except logic.RuleError as exc:
            raise HearthError(str(exc)) from None
        await self.cog.require_practice(guild_id)
        self.require_post_rights(interaction, "hold a circle here")
        in_thread = isinstance(channel, discord.Thread)
        if not in_thread and not interaction.app_permissions.create_public_threads:
            raise HearthError(
                "A circle gets a thread of its own, and I can't open threads here. An admin "
                "can give me Create Public Threads, or start the circle inside a thread."
            )
        if await store.live_circle_at(self.db, channel.id) is not None:
            raise HearthError(
                "There's a circle going here already. Join that one, or start yours elsewhere."
            )
        circle_id = interaction.id
        user_id = interaction.user.id
        now = self.now()
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.boundaries.acting(guild_id, user_id) as tx:
            found = await store.create_circle(
                tx,
                circle_id=circle_id,
                guild_id=guild_id,
                channel_id=channel.id,
                in_thread=in_thread,
                starter_user_id=user_id,
                topic=about,
                turn_minutes=minutes,
                now=now,
            )
            message, words = await self._card(found)
            card = await self.bot.outbox.post(
                tx,
                channel_id=channel.id,
                guild_id=guild_id,
                message=message,
                words=words,
                handler=CARD,
                ref=circle_id,
            )
            thread = None
            if not in_thread:
                thread = await self.bot.outbox.thread(
                    tx,
                    channel_id=channel.id,
                    message_of=card,
                    guild_id=guild_id,
                    name="Listening circle",
                    archive_minutes=1440,
                    handler=THREAD,
                    ref=circle_id,
                )
            await store.set_circle_intents(tx, circle_id, card=card, thread=thread)
            fresh = await store.get_circle(self.db, circle_id)
            assert fresh is not None
            self.db.after_commit(lambda: self._watch(fresh))
        log.info(
            "circle opened guild=%s circle=%s user=%s minutes=%d in_thread=%s",
            guild_id,
            circle_id,
            user_id,
            minutes,
            in_thread,
        )
        outcome = await self.bot.outbox.wait(card, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            raise HearthError(
                "I couldn't post the circle here, so I've let it go. An admin can check my "
                "permissions, or try another channel."
            )
        await ui.reply(
            interaction,
            "The circle is open and you're in it. When your friends have joined, tap "
            "**Begin** and the talking stick starts with you.",
        )

    async def _card(self, c: Circle) -> tuple[Message, list[Words]]:
        """The circle's card as it stands, and whose words it carries (the topic: if its
        starter deletes their data, the card stays for the group without it)."""
        members = await store.circle_order(self.db, c.circle_id)
        starter = c.starter_user_id or None
        actions = [CircleAction.JOIN, CircleAction.LEAVE, CircleAction.END]
        if c.phase is Phase.GATHERING:
            actions.insert(2, CircleAction.BEGIN)
        view = views.circle_view(c.circle_id, *actions)

        def draw(topic: str | None, who: int | None) -> discord.Embed:
            return views.circle_card(
                topic=topic,
                starter_id=who,
                members=members,
                turn_minutes=c.turn_minutes,
                phase=c.phase,
            )

        message = Message(embeds=[draw(c.topic, starter)], view=view)
        if not starter:
            return message, []
        redacted = Message(embeds=[draw(None, None)], view=view)
        return message, [Words(starter, PRACTICE, redact=redacted)]

    async def _edit_card(self, tx: Tx, c: Circle, message: Message, words: list[Words]) -> None:
        if c.card_message_id is None and c.card_intent is None:
            return
        await self.bot.outbox.edit(
            tx,
            channel_id=c.channel_id,
            guild_id=c.guild_id,
            message_id=c.card_message_id,
            message_of=None if c.card_message_id is not None else c.card_intent,
            message=message,
            words=words,
        )

    async def _card_posted(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.ref is not None and outcome.message_id is not None:
            await store.set_card_message(tx, outcome.ref, outcome.message_id)

    async def _thread_opened(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.ref is None or outcome.message_id is None:
            return
        circle_id, thread_id = outcome.ref, outcome.message_id
        await store.set_circle_thread(tx, circle_id, thread_id)
        self.db.after_commit(lambda: self.threads.__setitem__(thread_id, circle_id))

    async def _thread_failed(self, tx: Tx, outcome: Outcome) -> None:
        """No thread could be opened: the circle happens under its card, in the channel."""
        if outcome.ref is None:
            return
        c = await store.get_circle(self.db, outcome.ref)
        if c is None or not c.live:
            return
        await store.set_circle_thread(tx, c.circle_id, c.channel_id)
        circle_id, channel_id = c.circle_id, c.channel_id
        self.db.after_commit(lambda: self.threads.__setitem__(channel_id, circle_id))

    async def _circle_lost(self, tx: Tx, outcome: Outcome) -> None:
        """Discord refused a circle's card or turn for good (the channel or thread is gone
        or closed to Hearth): the circle ends, quietly."""
        if outcome.ref is not None:
            log.info(
                "circle lost its place guild=%s circle=%s code=%s",
                outcome.guild_id,
                outcome.ref,
                outcome.code,
            )
            await self._end_in(tx, outcome.ref, EndReason.THREAD, tell=False)

    def _watch(self, c: Circle) -> None:
        if not c.live:
            return
        self.live[c.circle_id] = _Live(
            c.guild_id, c.phase, c.holder_user_id, c.turn_no, c.last_active_at, c.last_active_at
        )
        if c.thread_id is not None:
            self.threads[c.thread_id] = c.circle_id
        if c.phase_ends_at is not None:
            self._arm_phase(c.guild_id, c.circle_id, c.phase_ends_at)
        self._arm_idle(c.guild_id, c.circle_id, c.last_active_at + logic.IDLE_AFTER)

    def _arm_phase(self, guild_id: int, circle_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            circle_job_id(circle_id), when, self._phase_job, circle_id, guild=guild_id
        )

    def _arm_idle(self, guild_id: int, circle_id: int, when: datetime) -> None:
        self.bot.scheduler.at(
            idle_job_id(circle_id), when, self._idle_job, circle_id, guild=guild_id
        )

    def _unwatch(self, circle_id: int) -> None:
        self.live.pop(circle_id, None)
        for thread_id in [t for t, cid in self.threads.items() if cid == circle_id]:
            del self.threads[thread_id]
        self.bot.scheduler.cancel(circle_job_id(circle_id))
        self.bot.scheduler.cancel(idle_job_id(circle_id))

    def _active(self, circle_id: int, now: datetime) -> None:
        live = self.live.get(circle_id)
        if live is not None and now > live.last_active:
            live.last_active = now

    async def on_circle_button(
        self, interaction: discord.Interaction[Any], action: CircleAction, circle_id: int
    ) -> None:
        c = await store.get_circle(self.db, circle_id)
        if c is None or c.guild_id != interaction.guild_id or not c.live:
            await send_ephemeral(interaction, views.CIRCLE_GONE)
            return
        now = self.now()
        self._active(circle_id, now)
        user_id = interaction.user.id
        if action is CircleAction.JOIN:
            await self._join(interaction, c)
        elif action is CircleAction.LEAVE:
            await self._leave(interaction, c)
        elif action is CircleAction.BEGIN:
            await self._begin(interaction, c)
        elif action is CircleAction.PASS:
            if c.phase is not Phase.SPEAKING or c.holder_user_id != user_id:
                holder = f"<@{c.holder_user_id}>" if c.holder_user_id else "the speaker"
                await ui.reply(
                    interaction,
                    f"Only the one holding the stick can pass it: right now that's {holder}. 🪶"
                    if c.phase is Phase.SPEAKING
                    else "The stick isn't being held right now.",
                )
                return
            await interaction.response.defer()
            await self._to_reflecting(c.circle_id, c.turn_no)
        elif action is CircleAction.READY:
            if c.phase is not Phase.REFLECTING or c.holder_user_id != user_id:
                await ui.reply(
                    interaction,
                    "The next speaker taps this when they're ready. The stick will come to "
                    "you in turn. 🪶",
                )
                return
            await interaction.response.defer()
            await self._to_speaking(c.circle_id, c.turn_no)
        else:
            perms = interaction.permissions
            if user_id != c.starter_user_id and not (perms.manage_guild or perms.administrator):
                await ui.reply(
                    interaction,
                    "Only the one who started the circle, or an admin, can end it. You can "
                    "always **Leave**.",
                )
                return
            await interaction.response.defer()
            await self._end(c.circle_id, EndReason.CLOSED)

    async def _join(self, interaction: discord.Interaction[Any], c: Circle) -> None:
        user_id = interaction.user.id
        if len(await store.circle_order(self.db, c.circle_id)) >= logic.MAX_MEMBERS:
            await ui.reply(
                interaction,
                f"This circle is full ({logic.MAX_MEMBERS} is the most that fit). Start "
                "another with `/listen circle`.",
            )
            return
        async with self.bot.boundaries.acting(c.guild_id, user_id) as tx:
            joined = await store.join_circle(tx, c.circle_id, user_id, self.now())
            if joined:
                message, words = await self._card(c)
                await self._edit_card(tx, c, message, words)
        where = f" in <#{c.thread_id}>" if c.thread_id and c.thread_id != c.channel_id else ""
        await ui.reply(
            interaction,
            f"You're in the circle{where}. 🪑 When the stick comes to you, take your time."
            if joined
            else "You're already in this circle. 🪑",
        )

    async def _leave(self, interaction: discord.Interaction[Any], c: Circle) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(c.guild_id, user_id) as tx:
            left = await store.leave_circle(tx, c.circle_id, user_id, self.now())
            if left:
                message, words = await self._card(c)
                await self._edit_card(tx, c, message, words)
        if left and c.holder_user_id == user_id:
            if c.phase is Phase.SPEAKING:
                await self._to_reflecting(c.circle_id, c.turn_no)
            elif c.phase is Phase.REFLECTING:
                await self._to_speaking(c.circle_id, c.turn_no)
        await ui.reply(
            interaction,
            "You've left the circle. Thanks for listening. 🌙"
            if left
            else "You weren't in this one.",
        )

    async def _begin(self, interaction: discord.Interaction[Any], c: Circle) -> None:
        if interaction.user.id != c.starter_user_id:
            await ui.reply(
                interaction, "The one who started the circle begins it when everyone's here. 🪶"
            )
            return
        if c.phase is not Phase.GATHERING:
            await ui.reply(interaction, "The circle has already begun. 🪶")
            return
        order = await store.circle_order(self.db, c.circle_id)
        if len(order) < logic.MIN_MEMBERS:
            await ui.reply(
                interaction,
                "A circle needs at least two people. Wait for a friend to tap **Join**.",
            )
            return
        await interaction.response.defer()
        await self._to_speaking(c.circle_id, 0, expected=Phase.GATHERING)

    def _target(self, c: Circle) -> tuple[int, int | None]:
        """Where the circle speaks: its thread, or the thread its card's intent opens."""
        if c.thread_id is not None:
            return c.thread_id, None
        return c.channel_id, c.thread_intent

    async def _say(self, tx: Tx, c: Circle, message: Message, *, turn: bool = False) -> int:
        channel_id, channel_of = self._target(c)
        intent = await self.bot.outbox.post(
            tx,
            channel_id=channel_id,
            channel_of=channel_of,
            guild_id=c.guild_id,
            message=message,
            lane=f"ch:{c.channel_id}" if channel_of is not None else None,
            handler=TURN if turn else None,
            ref=c.circle_id if turn else None,
        )
        return intent

    async def _retire_turn_message(self, tx: Tx, c: Circle) -> None:
        """The last turn's buttons go (its words stay)."""
        if c.turn_intent is None:
            return
        channel_id, channel_of = self._target(c)
        await self.bot.outbox.edit(
            tx,
            channel_id=channel_id,
            guild_id=c.guild_id,
            message_of=c.turn_intent,
            message=Message(),
            lane=f"ch:{c.channel_id}" if channel_of is not None else None,
        )

    async def _to_speaking(
        self, circle_id: int, turn_no: int, *, expected: Phase = Phase.REFLECTING
    ) -> bool:
        """The stick goes to the next speaker (the first, from a gathering)."""
        now = self.now()
        async with self.db.transaction() as tx:
            c = await store.get_circle(self.db, circle_id)
            if c is None or c.phase is not expected or c.turn_no != turn_no:
                return False
            order = await store.circle_order(self.db, circle_id)
            holder = c.holder_user_id if c.holder_user_id in order else None
            if holder is None:
                holder = logic.next_speaker(order, None)
            if holder is None:
                return await self._end_in(tx, circle_id, EndReason.CLOSED)
            ends_at = now + timedelta(minutes=c.turn_minutes)
            if not await store.move_stick(
                tx,
                circle_id,
                expected_phase=expected,
                expected_turn=turn_no,
                phase=Phase.SPEAKING,
                holder=holder,
                ends_at=ends_at,
                now=now,
            ):
                return False
            await self._retire_turn_message(tx, c)
            intent = await self._say(
                tx, c, views.turn_message(circle_id, holder, ends_at), turn=True
            )
            await store.set_turn_intent(tx, circle_id, intent)
            if expected is Phase.GATHERING:
                fresh = await store.get_circle(self.db, circle_id)
                assert fresh is not None
                message, words = await self._card(fresh)
                await self._edit_card(tx, fresh, message, words)
            self.db.after_commit(
                lambda: self._moved(c, Phase.SPEAKING, holder, turn_no + 1, ends_at)
            )
        log.info("circle turn guild=%s circle=%s turn=%d", c.guild_id, circle_id, turn_no + 1)
        return True

    async def _to_reflecting(self, circle_id: int, turn_no: int) -> bool:
        """The speaker is done: a minute to reflect back, then the next speaker."""
        now = self.now()
        async with self.db.transaction() as tx:
            c = await store.get_circle(self.db, circle_id)
            if c is None or c.phase is not Phase.SPEAKING or c.turn_no != turn_no:
                return False
            order = await store.circle_order(self.db, circle_id)
            spoke = c.holder_user_id
            following = logic.next_speaker(order, spoke)
            if following is None:
                return await self._end_in(tx, circle_id, EndReason.CLOSED)
            begins_at = now + logic.REFLECT_PAUSE
            if not await store.move_stick(
                tx,
                circle_id,
                expected_phase=Phase.SPEAKING,
                expected_turn=turn_no,
                phase=Phase.REFLECTING,
                holder=following,
                ends_at=begins_at,
                now=now,
            ):
                return False
            await self._retire_turn_message(tx, c)
            intent = await self._say(
                tx, c, views.reflect_message(circle_id, spoke, following, begins_at), turn=True
            )
            await store.set_turn_intent(tx, circle_id, intent)
            self.db.after_commit(
                lambda: self._moved(c, Phase.REFLECTING, following, turn_no, begins_at)
            )
        log.info("circle pause guild=%s circle=%s turn=%d", c.guild_id, circle_id, turn_no)
        return True

    def _moved(
        self, c: Circle, phase: Phase, holder: int | None, turn_no: int, until: datetime
    ) -> None:
        live = self.live.get(c.circle_id)
        if live is not None:
            live.phase, live.holder = phase, holder
            if live.turn_no != turn_no:
                live.turn_no = turn_no
                live.marked = set()
        self._arm_phase(c.guild_id, c.circle_id, until)

    async def _phase_job(self, circle_id: int) -> None:
        c = await store.get_circle(self.db, circle_id)
        if c is None or c.phase not in (Phase.SPEAKING, Phase.REFLECTING):
            return
        if c.phase_ends_at is not None and self.now() < c.phase_ends_at:
            self._arm_phase(c.guild_id, circle_id, c.phase_ends_at)
            return
        if c.phase is Phase.SPEAKING:
            await self._to_reflecting(circle_id, c.turn_no)
        else:
            await self._to_speaking(circle_id, c.turn_no)

    async def _idle_job(self, circle_id: int) -> None:
        c = await store.get_circle(self.db, circle_id)
        if c is None or not c.live:
            return
        live = self.live.get(circle_id)
        last = max(c.last_active_at, live.last_active if live is not None else c.last_active_at)
        if self.now() - last < logic.IDLE_AFTER:
            async with self.db.transaction() as tx:
                await store.save_activity(tx, circle_id, last)
            if live is not None:
                live.saved_active = last
            self._arm_idle(c.guild_id, circle_id, last + logic.IDLE_AFTER)
            return
        await self._end(circle_id, EndReason.IDLE)

    async def _end(self, circle_id: int, reason: EndReason, *, tell: bool = True) -> bool:
        async with self.db.transaction() as tx:
            return await self._end_in(tx, circle_id, reason, tell=tell)

    async def _end_in(
        self, tx: Tx, circle_id: int, reason: EndReason, *, tell: bool = True
    ) -> bool:
        """End a circle once: the summary (who spoke and for how long) in its thread, the
        card's last state. `tell=False` when its thread is closed or gone: nothing is said
        there (a post would reopen an archived thread), only the card in its channel says so.
        """
        c = await store.get_circle(self.db, circle_id)
        if c is None or not await store.end_circle(tx, circle_id, reason, self.now()):
            return False
        spoke = logic.who_spoke(await store.turns(self.db, circle_id), self.now())
        if tell:
            await self._retire_turn_message(tx, c)
            await self._say(tx, c, views.summary_message(spoke, reason))
        card_elsewhere = c.thread_id is None or c.thread_id != c.channel_id
        if tell or (card_elsewhere and not c.in_thread):
            ended = await store.get_circle(self.db, circle_id)
            assert ended is not None
            starter = ended.starter_user_id or None

            def draw(topic: str | None) -> discord.Embed:
                return views.ended_card(topic, spoke, reason)

            words = (
                [Words(starter, PRACTICE, redact=Message(embeds=[draw(None)]))] if starter else []
            )
            await self._edit_card(tx, c, Message(embeds=[draw(c.topic)]), words)
        self.db.after_commit(lambda: self._unwatch(circle_id))
        log.info("circle ended guild=%s circle=%s why=%s", c.guild_id, circle_id, reason.value)
        return True

    async def heard(self, message: discord.Message, circle_id: int, now: datetime) -> None:
        live = self.live.get(circle_id)
        if live is None:
            return
        self._active(circle_id, now)
        if now - live.saved_active >= logic.ACTIVITY_SAVE_EVERY:
            live.saved_active = now
            async with self.db.transaction() as tx:
                await store.save_activity(tx, circle_id, now)
        author = message.author.id
        if live.phase is not Phase.SPEAKING or author == live.holder or author in live.marked:
            return
        live.marked.add(author)  # before awaiting: a burst of messages marks once
        me = message.guild.me if message.guild is not None else None
        channel = message.channel
        if me is None or not isinstance(channel, discord.Thread | discord.TextChannel):
            return
        if not channel.permissions_for(me).add_reactions:
            return
        async with self.db.transaction() as tx:
            if await store.mark(tx, circle_id, live.turn_no, author, now):
                await self.bot.outbox.react(
                    tx,
                    channel_id=channel.id,
                    message_id=message.id,
                    emoji=logic.QUIET_MARK,
                    guild_id=live.guild_id,
                )
        log.info(
            "circle quiet mark guild=%s circle=%s turn=%d", live.guild_id, circle_id, live.turn_no
        )

    async def thread_closed(self, thread_id: int) -> None:
        """Its thread was archived or deleted: the circle ends without a word there."""
        circle_id = self.threads.get(thread_id)
        if circle_id is not None:
            await self._end(circle_id, EndReason.THREAD, tell=False)

    async def channel_deleted(self, channel_id: int) -> None:
        for c in await store.circles_in(self.db, channel_id):
            # Its card went with the channel: nothing to edit, nothing to say.
            async with self.db.transaction() as tx:
                ended = await store.end_circle(tx, c.circle_id, EndReason.THREAD, self.now())
            if ended:
                self._unwatch(c.circle_id)

    async def rebuild(self, wanted: Any) -> None:
        for c in await store.live_circles(self.db):
            if wanted(c.guild_id):
                self._watch(c)

    def guild_left(self, guild_id: int) -> None:
        for circle_id in [cid for cid, live in self.live.items() if live.guild_id == guild_id]:
            self._unwatch(circle_id)

    async def server_forgotten(self) -> None:
        for circle_id in list(self.live):
            if await store.get_circle(self.db, circle_id) is None:
                self._unwatch(circle_id)

    def person_forgotten(self, user_id: int) -> None:
        for live in self.live.values():
            live.marked.discard(user_id)
            if live.holder == user_id:
                live.holder = None
