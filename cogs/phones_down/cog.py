"""`/phonesdown`: friends put their phones down together; Hearth keeps time and stays quiet.

The commands and clicks live here; everything that happens outside a single click — the
jobs, the watch on running challenges, weekly sessions, the outbox's handlers — is the
service (`cogs/phones_down/service.py`).
"""

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
from bot.cog import DAY_CHOICES, HearthCog, admin_only
from bot.db import Database
from bot.errors import HearthError, send_ephemeral
from bot.guilds import WEEKDAYS
from bot.outbox import THREAD_CLOSED, Message, Words
from bot.privacy import PersonalData
from cogs.phones_down import logic, store, views
from cogs.phones_down.logic import (
    REMINDERS,
    Action,
    ChallengeStatus,
    ResultsWhere,
    SessionPause,
    SessionStatus,
)
from cogs.phones_down.service import PRACTICE, PhonesDownService, start_job_id
from cogs.phones_down.store import Begin, Challenge, Join, Leave, Session

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

MAX_SESSIONS_PER_GUILD = 10
# How long a command waits to say whether its message made it (then: "on its way").
ANSWER_WAIT = 2.5

JOIN_REPLIES: dict[Join, str] = {
    Join.JOINED: (
        "You're in! 📵 When we start, put your phone somewhere out of reach. "
        "I'll stay quiet until the end."
    ),
    Join.ALREADY: "You're already in. 🌿",
    Join.WAS_AWAY: "You stepped away from this one, and that's fine. Catch the next one!",
    Join.TOO_LATE: "This one is past half-time, so it's closed to new joins. Catch the next one!",
    Join.CLOSED: "This one has finished. Start a fresh one any time with `/phonesdown start`.",
    Join.GONE: views.NOT_FOUND,
}
LEAVE_REPLIES: dict[Leave, str] = {
    Leave.LEFT: "No problem, you're out of this one. Maybe next time!",
    Leave.STEPPED_AWAY: (
        "Noted: you stepped away. Life happens, and there's nothing more to it. Take care!"
    ),
    Leave.ALREADY_AWAY: "You're already marked as stepped away. Take care!",
    Leave.NOT_IN: "You're not in this one, so there's nothing to leave.",
    Leave.CLOSED: "This one has finished already.",
    Leave.GONE: views.NOT_FOUND,
}


class PhonesDownCog(HearthCog):
    """Practice 4: quality time without distractions."""

    practice: ClassVar[str | None] = PRACTICE
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem[Any]], ...]] = (
        views.ChallengeButton,
    )
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA
    opt_ins = (REMINDERS,)

    phonesdown = app_commands.Group(
        name="phonesdown",
        description="Put phones down together, schedule it weekly, see the group's forest",
        guild_only=True,
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.svc = PhonesDownService(bot)
        self.svc.handle()

    @property
    def db(self) -> Database:
        return self.bot.db

    def now(self) -> datetime:
        return self.bot.clock.now()

    def watching(self, guild_id: int) -> dict[int, set[int]]:
        """challenge → user ids still watched in a server (a copy, for diagnostics and tests)."""
        return self.svc.watching(guild_id)

    @staticmethod
    def _require_post_rights(interaction: discord.Interaction[Any]) -> None:
        perms = interaction.app_permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        can_send = perms.send_messages_in_threads if in_thread else perms.send_messages
        if not (perms.view_channel and can_send and perms.embed_links):
            raise HearthError(
                "I can't post here, so I couldn't share how it went at the end. An admin can "
                "give me View Channel, Send Messages and Embed Links, or try another channel."
            )

    # ------------------------------------------------------------------ start up

    async def rebuild_jobs(self) -> None:
        await self.svc.rebuild()

    async def rebuild_guild_jobs(self, guild_id: int) -> None:
        await self.svc.rebuild(guild_id)

    async def settings_notes(self, guild_id: int) -> list[tuple[str, str]]:
        sessions = await store.guild_sessions(self.db, guild_id)
        if not sessions:
            return []
        lines = [self._session_line(s) for s in sessions]
        return [("📵 Phones-down sessions", "\n".join(lines))]

    def _session_line(self, s: Session) -> str:
        line = (
            f"{WEEKDAYS[s.weekday]}s at {s.local_time.strftime('%H:%M')} in <#{s.channel_id}>, "
            f"{logic.describe_minutes(s.duration_minutes)}"
        )
        if s.title:
            line += f" · {s.title}"
        if s.status is SessionStatus.PAUSED:
            if s.pause_reason is SessionPause.CHANNEL:
                line += (
                    f" — ⏸️ paused: I couldn't post in <#{s.channel_id}>. Check my permissions "
                    "there, then `/phonesdown resume`."
                )
            else:
                line += " — ⏸️ paused after a few quiet weeks; `/phonesdown resume` brings it back."
        else:
            line += f" — next {timeutil.discord_timestamp(s.next_at, 'R')}"
        return line

    # ------------------------------------------------------------------ /phonesdown start

    @phonesdown.command(name="start", description="Put your phones down together for a while")
    @app_commands.describe(
        duration="How long: 10 minutes to 4 hours, like 45m or 1h30m",
        title="A name for this one, if you like",
        join_window="How long friends have to join before it starts (default 2m)",
    )
    async def start(
        self,
        interaction: discord.Interaction[HearthBot],
        duration: str,
        title: str | None = None,
        join_window: str | None = None,
    ) -> None:
        guild_id, channel_id = interaction.guild_id, interaction.channel_id
        if guild_id is None or channel_id is None:
            raise app_commands.NoPrivateMessage()
        try:
            minutes = logic.parse_challenge_duration(duration)
            window = logic.parse_join_window(join_window)
        except logic.RuleError as exc:
            raise HearthError(str(exc)) from None
        name = logic.clean_title(title)
        await self.require_practice(guild_id)
        self._require_post_rights(interaction)
        if await store.live_in_channel(self.db, channel_id) is not None:
            raise HearthError(
                "There's already a phones-down going in this channel. Join that one, or start "
                "yours in another channel."
            )
        now = self.now()
        cid = interaction.id
        starts_at = now + window
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            # The challenge and its card are one write: the card never shows before the
            # challenge exists, and it's delivered even if Hearth restarts right after.
            async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
                ch = await store.create(
                    tx,
                    challenge_id=cid,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    starter_user_id=interaction.user.id,
                    duration_minutes=minutes,
                    starts_at=starts_at,
                    now=now,
                    title=name,
                )
                intent = await self.svc.post_card(tx, ch, scheduled=False)
                self.db.after_commit(lambda: self.svc.arm_start(guild_id, cid, starts_at))
        except store.ChannelBusy:
            raise HearthError(
                "Someone started one here at the very same moment. Join theirs!"
            ) from None
        log.info(
            "phones-down lobby guild=%s channel=%s challenge=%s user=%s minutes=%d",
            guild_id,
            channel_id,
            cid,
            interaction.user.id,
            minutes,
        )
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            raise HearthError(
                "I couldn't post the card here, so I've let this one go. An admin can give me "
                "View Channel, Send Messages and Embed Links, or try another channel."
            )
        where = "The card is up" if outcome is not None else "The card is on its way"
        await ui.reply(
            interaction,
            f"{where}, and you're in automatically. If you're only organising, tap **Leave**.",
        )

    @start.autocomplete("duration")
    async def duration_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return _duration_choices(current)

    # ------------------------------------------------------------------ buttons

    async def on_button(
        self, interaction: discord.Interaction[Any], action: Action, challenge_id: int
    ) -> None:
        ch = await store.get(self.db, challenge_id)
        if ch is None or ch.guild_id != interaction.guild_id:
            await send_ephemeral(interaction, views.NOT_FOUND)
            return
        if action is Action.JOIN:
            await self._join(interaction, ch)
        elif action in (Action.LEAVE, Action.AWAY):
            await self._leave(interaction, ch)
        elif action is Action.GO:
            await self._start_now(interaction, ch)
        else:
            await self._open_answer(interaction, ch)

    async def _join(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        user_id = interaction.user.id
        now = self.now()
        async with self.bot.boundaries.acting(ch.guild_id, user_id) as tx:
            result = await store.join(tx, ch.challenge_id, user_id, now)
        if result is Join.LATE:
            self.svc.watch_user(ch.guild_id, ch.challenge_id, user_id, on=True)
            assert ch.ends_at is not None
            text = (
                "Welcome in! The timer's already going: phones down until "
                f"{timeutil.discord_timestamp(ch.ends_at, 't')}. I'll stay quiet until then."
            )
        else:
            text = JOIN_REPLIES[result]
        log.info(
            "phones-down join guild=%s challenge=%s user=%s result=%s",
            ch.guild_id,
            ch.challenge_id,
            user_id,
            result.value,
        )
        await ui.reply(interaction, text)

    async def _leave(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        user_id = interaction.user.id
        async with self.bot.boundaries.acting(ch.guild_id, user_id) as tx:
            result = await store.leave(tx, ch.challenge_id, user_id, self.now())
        if result is Leave.STEPPED_AWAY:
            self.svc.watch_user(ch.guild_id, ch.challenge_id, user_id, on=False)
        log.info(
            "phones-down leave guild=%s challenge=%s user=%s result=%s",
            ch.guild_id,
            ch.challenge_id,
            user_id,
            result.value,
        )
        await ui.reply(interaction, LEAVE_REPLIES[result])

    async def _start_now(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        if interaction.user.id != ch.starter_user_id:
            when = timeutil.discord_timestamp(ch.starts_at, "R")
            await ui.reply(
                interaction,
                f"Only the person who started this one can begin it early. It starts by itself "
                f"{when}.",
            )
            return
        if ch.status is not ChallengeStatus.LOBBY:
            await ui.reply(interaction, "It's already going. Phones down! 📵")
            return
        async with self.bot.boundaries.acting(ch.guild_id, interaction.user.id) as tx:
            result = await self.svc.begin(ch.challenge_id, tx)
        if result.what is Begin.NOT_LOBBY:
            await ui.reply(interaction, "It's already going. Phones down! 📵")
            return
        # The card itself turns into the running state (through the outbox); the button
        # press is simply acknowledged.
        await interaction.response.defer()

    # ------------------------------------------------------------------ noticing phones

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        # The hot path: a server with nothing running costs one dict lookup, no query.
        guild = message.guild
        guild_id = guild.id if guild is not None else getattr(message.channel, "guild_id", None)
        if not self.svc.running_in(guild_id) or message.author.bot:
            return
        assert guild_id is not None
        await self.svc.picked_up(guild_id, message.author.id)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = interaction.guild_id
        if guild_id is None or not self.svc.running_in(guild_id):
            return
        kind = interaction.type
        if kind in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            data: dict[str, Any] = dict(interaction.data or {})
            custom = str(data.get("custom_id", ""))
            if custom.startswith(views.PREFIX):
                return  # joining or stepping away is part of the challenge, not a pick-up
        elif kind is not discord.InteractionType.application_command:
            return
        await self.svc.picked_up(guild_id, interaction.user.id)

    # ------------------------------------------------------------------ the debrief

    async def _open_answer(self, interaction: discord.Interaction[Any], ch: Challenge) -> None:
        prompt = self.bot.decks.get(ch.prompt_id) if ch.prompt_id else None
        if (
            ch.status is not ChallengeStatus.ENDED
            or ch.results_where is not ResultsWhere.CHANNEL
            or prompt is None
        ):
            await ui.reply(interaction, "This question isn't open for answers, sorry.")
            return
        await interaction.response.send_modal(views.AnswerModal(self, ch.challenge_id, prompt.text))

    async def post_answer(
        self, interaction: discord.Interaction[Any], challenge_id: int, text: str
    ) -> None:
        answer = textfit.clean(text)
        if not answer:
            await ui.reply(interaction, "Nothing was posted. Keeping it to yourself is fine too.")
            return
        ch = await store.get(self.db, challenge_id)
        if ch is None or ch.guild_id != interaction.guild_id or ch.results_message_id is None:
            await send_ephemeral(interaction, views.NOT_FOUND)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        name = discord.utils.escape_markdown(
            textfit.one_line(interaction.user.display_name, 80) or "A friend"
        )
        header = f"**{name}** answered:"
        body = textfit.quote_block(answer, textfit.CONTENT - len(header) - 1)
        user_id = interaction.user.id
        # The answer lives only in the message; its intent names whose words they are, so
        # `/privacy delete` finds it even before it's posted.
        async with self.bot.boundaries.acting(ch.guild_id, user_id) as tx:
            thread = await self.svc.debrief_thread(tx, ch)
            intent = await self.bot.outbox.post(
                tx,
                channel_id=ch.channel_id,  # if no thread can be opened there: right here
                channel_of=thread,
                guild_id=ch.guild_id,
                message=Message(f"{header}\n{body}"),
                words=[Words(user_id, PRACTICE)],
            )
        log.info(
            "phones-down answer guild=%s challenge=%s user=%s", ch.guild_id, challenge_id, user_id
        )
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            why = (
                "That thread has been closed, so I couldn't post your answer there."
                if outcome.code in THREAD_CLOSED
                else "I couldn't post that here, sorry."
            )
            await ui.reply(
                interaction,
                f"{why} Here's what you wrote, so nothing is lost:\n"
                + textfit.quote_block(answer, 1500),
            )
            return
        where = f"<#{outcome.channel_id}>" if outcome is not None else "the debrief thread"
        await ui.reply(interaction, f"Posted in {where}. Thanks for sharing. 💬")

    @phonesdown.command(
        name="schedule", description="Set a weekly phones-down time in this channel"
    )
    @app_commands.describe(
        weekday="Which day, every week",
        at="The server's local time, like 19:00 or 7pm",
        duration="How long: 10 minutes to 4 hours, like 1h",
        title="A name for it, if you like",
        reminder="How long before to post the reminder with a Join button (default 15m)",
    )
    @app_commands.rename(at="time")
    @app_commands.choices(weekday=DAY_CHOICES)
    @admin_only()
    async def schedule(
        self,
        interaction: discord.Interaction[HearthBot],
        weekday: app_commands.Choice[int],
        at: str,
        duration: str,
        title: str | None = None,
        reminder: str | None = None,
    ) -> None:
        guild_id, channel_id = interaction.guild_id, interaction.channel_id
        if guild_id is None or channel_id is None:
            raise app_commands.NoPrivateMessage()
        try:
            local_time = timeutil.parse_local_time(at)
            minutes = logic.parse_challenge_duration(duration)
            remind = logic.parse_reminder(reminder)
        except ValueError as exc:  # RuleError is a ValueError too
            raise HearthError(str(exc)) from None
        if not 0 <= weekday.value <= 6:
            raise HearthError("Pick a day from the list.")
        await self.require_practice(guild_id)
        self._require_post_rights(interaction)
        if len(await store.guild_sessions(self.db, guild_id)) >= MAX_SESSIONS_PER_GUILD:
            raise HearthError(
                f"This server already has {MAX_SESSIONS_PER_GUILD} weekly sessions. Cancel one "
                "with `/phonesdown cancel` to make room."
            )
        tz = await self.svc.timezone(guild_id)
        now = self.now()
        next_at = timeutil.next_weekly(now, weekday.value, local_time, tz)
        name = logic.clean_title(title)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
            s = await store.create_session(
                tx,
                guild_id=guild_id,
                channel_id=channel_id,
                creator_user_id=interaction.user.id,
                weekday=weekday.value,
                local_time=local_time,
                duration_minutes=minutes,
                remind_minutes=remind,
                title=name,
                next_at=next_at,
                now=now,
            )
        await self.svc.arm_session(s)
        log.info(
            "phones-down session scheduled guild=%s channel=%s session=%s user=%s",
            guild_id,
            channel_id,
            s.session_id,
            interaction.user.id,
        )
        await ui.reply(
            interaction,
            embed=ui.embed(
                "Weekly phones-down time is set",
                f"Every **{WEEKDAYS[s.weekday]}** at **{local_time.strftime('%H:%M')}** "
                f"({tz}) in this channel, for {logic.describe_minutes(minutes)}. The first one "
                f"is {timeutil.discord_timestamp(next_at, 'F')}.\n\n"
                f"{logic.describe_minutes(remind)} before, I'll post a card with a **Join** "
                "button, and ping only the friends who turned on phones-down reminders in "
                "`/boundaries`. Then it starts right on time.",
                practice=PRACTICE,
                footer=f"Session #{s.session_id} · /phonesdown cancel stops it any time.",
            ),
        )

    @schedule.autocomplete("duration")
    async def schedule_duration_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return _duration_choices(current)

    @phonesdown.command(name="list", description="See this server's weekly phones-down times")
    async def list_sessions(self, interaction: discord.Interaction[HearthBot]) -> None:
        assert interaction.guild_id is not None
        sessions = await store.guild_sessions(self.db, interaction.guild_id)
        if not sessions:
            await ui.reply(
                interaction,
                "No weekly phones-down times here yet. An admin can set one with "
                "`/phonesdown schedule`, and anyone can start one now with `/phonesdown start`.",
            )
            return
        lines = [f"**#{s.session_id}** · {self._session_line(s)}" for s in sessions]
        await ui.reply(
            interaction,
            embed=ui.embed("Weekly phones-down times", "\n".join(lines), practice=PRACTICE),
        )

    @phonesdown.command(name="cancel", description="Stop a weekly phones-down time")
    @app_commands.describe(session="Which weekly time to stop")
    @admin_only()
    async def cancel(self, interaction: discord.Interaction[HearthBot], session: int) -> None:
        assert interaction.guild_id is not None
        edit: int | None = None
        async with self.bot.boundaries.acting(interaction.guild_id, interaction.user.id) as tx:
            done, lobby = await store.cancel_session(tx, session, interaction.guild_id, self.now())
            if lobby is not None:
                edit = await self.svc.edit_card(
                    tx,
                    lobby,
                    lambda title, _s: views.cancelled_embed(
                        title, "This weekly phones-down time has been stopped by an admin."
                    ),
                    None,
                )
        if not done:
            raise HearthError("I can't find that weekly time here. `/phonesdown list` shows them.")
        self.svc.disarm_session(session)
        if lobby is not None:
            self.bot.scheduler.cancel(start_job_id(lobby.challenge_id))
        if edit is not None:
            await self.bot.outbox.wait(edit, ANSWER_WAIT)  # the card says so, then "Done"
        log.info(
            "phones-down session cancelled guild=%s session=%s user=%s",
            interaction.guild_id,
            session,
            interaction.user.id,
        )
        await ui.reply(interaction, "Done. That weekly phones-down time is stopped.")

    @phonesdown.command(name="resume", description="Bring back a paused weekly phones-down time")
    @app_commands.describe(session="Which paused weekly time to bring back")
    @admin_only()
    async def resume(self, interaction: discord.Interaction[HearthBot], session: int) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        s = await store.get_session(self.db, session)
        if s is None or s.guild_id != guild_id or s.status is not SessionStatus.PAUSED:
            raise HearthError("That weekly time isn't paused. `/phonesdown list` shows them all.")
        if s.pause_reason is SessionPause.CHANNEL:
            channel = interaction.guild.get_channel(s.channel_id) if interaction.guild else None
            if channel is None:
                raise HearthError(
                    "I can't find that session's channel any more. Cancel it and schedule a "
                    "new one where I can post."
                )
        tz = await self.svc.timezone(guild_id)
        next_at = timeutil.next_weekly(self.now(), s.weekday, s.local_time, tz)
        async with self.bot.boundaries.acting(guild_id, interaction.user.id) as tx:
            resumed = await store.resume_session(tx, session, next_at)
        if not resumed:
            raise HearthError("That weekly time isn't paused. `/phonesdown list` shows them all.")
        fresh = await store.get_session(self.db, session)
        assert fresh is not None
        await self.svc.arm_session(fresh)
        log.info(
            "phones-down session resumed guild=%s session=%s user=%s",
            guild_id,
            session,
            interaction.user.id,
        )
        await ui.reply(
            interaction,
            f"Welcome back! The next one is {timeutil.discord_timestamp(next_at, 'F')}.",
        )

    @cancel.autocomplete("session")
    @resume.autocomplete("session")
    async def session_autocomplete(
        self, interaction: discord.Interaction[HearthBot], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        wanted = current.strip().lstrip("#").casefold()
        choices: list[app_commands.Choice[int]] = []
        for s in await store.guild_sessions(self.db, interaction.guild_id):
            channel = interaction.guild.get_channel(s.channel_id) if interaction.guild else None
            where = f"#{channel.name}" if channel is not None else "a channel"
            label = (
                f"#{s.session_id} · {WEEKDAYS[s.weekday]}s {s.local_time.strftime('%H:%M')} · "
                f"{logic.describe_minutes(s.duration_minutes)} · {where}"
            )
            if s.title:
                label += f" · {s.title}"
            if s.status is SessionStatus.PAUSED:
                label += " (paused)"
            if wanted and wanted not in label.casefold():
                continue
            choices.append(
                app_commands.Choice(
                    name=textfit.one_line(label, textfit.CHOICE_NAME), value=s.session_id
                )
            )
        return choices[: textfit.AUTOCOMPLETE_CHOICES]

    # ------------------------------------------------------------------ /phonesdown stats

    @phonesdown.command(name="stats", description="How the group is doing, with a little forest")
    @app_commands.describe(
        share="Show the group's forest to everyone here (your own stats stay private)"
    )
    async def stats(self, interaction: discord.Interaction[HearthBot], share: bool = False) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        await interaction.response.defer(ephemeral=not share, thinking=True)
        now = self.now()
        tz = await self.svc.timezone(guild_id)
        sessions = await store.ended_sessions(self.db, guild_id)
        group = logic.group_stats(sessions, now, tz)
        from cogs.phones_down import forest  # Pillow loads only when a picture is drawn

        picture = await asyncio.to_thread(
            forest.draw_forest, logic.forest(sessions, now, tz), logic.week_labels(now, tz)
        )
        group_card = views.stats_embed(group)
        group_card.set_image(url="attachment://forest.png")
        file = discord.File(io.BytesIO(picture), filename="forest.png")
        mine = logic.personal_stats(await store.mine(self.db, guild_id, interaction.user.id))
        personal = views.personal_embed(mine)
        if share:
            await ui.reply(interaction, embed=group_card, file=file, ephemeral=False)
            await ui.reply(interaction, embed=personal)
        else:
            await ui.reply(interaction, embeds=[group_card, personal], file=file)

    # ------------------------------------------------------------------ server changes

    @commands.Cog.listener()
    async def on_hearth_settings_changed(self, guild_id: int) -> None:
        await self.svc.follow_timezone(guild_id)

    async def person_forgotten(self, user_id: int) -> None:
        """Their part is gone from the database; stop watching them in running challenges."""
        self.svc.forget_person(user_id)

    async def server_forgotten(self, guild_id: int) -> None:
        """The server's challenges and sessions are gone: drop their watch and their jobs."""
        self.svc.forget_guild(guild_id)
        await self.svc.drop_forgotten_jobs()

    @commands.Cog.listener()
    async def on_hearth_guild_left(self, guild_id: int) -> None:
        """Suspend the server's challenges and weekly sessions (nothing is decided or
        paused): they come back with `rebuild_guild_jobs` if Hearth is added again."""
        await self.svc.suspend_guild(guild_id)


def _duration_choices(current: str) -> list[app_commands.Choice[str]]:
    wanted = current.strip().casefold()
    return [
        app_commands.Choice(name=name, value=value)
        for name, value in logic.DURATION_SUGGESTIONS
        if not wanted or wanted in name.casefold() or value.startswith(wanted)
    ]
