"""Practice 3, curious not critical: `/curious rephrase` and "Rephrase with curiosity", curious
replies under other practices' posts (through `bot.post_actions`), and `/curious card`.

Everything it says in a channel or a DM goes through the outbox, written in the same
transaction as what it records; its answers to people are their interactions' own replies.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands

from bot import textfit, ui
from bot.cog import HearthCog
from bot.db import Tx
from bot.errors import HearthError
from bot.limits import RateLimiter
from bot.outbox import Message, Outcome, Words
from bot.post_actions import ANSWER, SHARE, Post
from bot.privacy import PersonalData
from bot.retention import Policy
from cogs.curiosity import logic, store, views
from cogs.curiosity.logic import Ask, Reaction

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

PRACTICE = "curiosity"
THREAD_MADE = "curiosity.thread"  # the outbox's handler for a replies thread
DRAFT_KEEP = timedelta(minutes=15)  # how long a rephrasing waits to be sent
ANSWER_WAIT = 2.5  # how long an answer waits to say "posted"
THREAD_NAME = "Curious replies"

# Nobody floods a post's thread or a channel.
REPLY_RATE, REPLY_PER = 10, timedelta(hours=1)
CARD_RATE, CARD_PER = 3, timedelta(minutes=10)

GONE = (
    "The replies to this one have closed: it's older than this server keeps things, or "
    "its writer took it back."
)


@functools.lru_cache(maxsize=1)
def languages() -> dict[str, logic.Language]:
    """The phrasing tables, read and checked once per process (a broken one stops the start)."""
    return logic.load_languages()


class CuriosityCog(HearthCog):
    practice = PRACTICE
    dynamic_items = (views.ReplyButton, views.SendButton)
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA
    kept_by_policy = "curious replies"

    curious = app_commands.Group(
        name="curious",
        description="Curious, not critical: rephrase, and questions for the group",
        guild_only=True,
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.language = languages()[logic.DEFAULT_LANGUAGE]
        self.rng = random.Random()
        self.reply_limit = RateLimiter(bot.clock, rate=REPLY_RATE, per=REPLY_PER)
        self.card_limit = RateLimiter(bot.clock, rate=CARD_RATE, per=CARD_PER)
        bot.outbox.handle(THREAD_MADE, delivered=self._thread_made)
        # Curious replies under revealed answers and group shares (the core's extension
        # point: the prompts and sharing cogs ask it for actions when they post).
        bot.post_actions.provide(PRACTICE, (ANSWER, SHARE), self)
        self.menu = app_commands.ContextMenu(
            name="Rephrase with curiosity",
            callback=self.rephrase_message,
            extras={"practice": PRACTICE},
        )
        self.menu.guild_only = True
        bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # ------------------------------------------------------------------ rephrasing

    @curious.command(name="rephrase", description="Turn something critical into a curious question")
    @app_commands.describe(text="What you'd like to say (only you see my answer)")
    async def rephrase(
        self,
        interaction: discord.Interaction[HearthBot],
        text: app_commands.Range[str, 1, logic.MAX_CHARS],
    ) -> None:
        assert interaction.guild_id is not None
        assert interaction.channel_id is not None
        await self._rephrase(interaction, text, interaction.channel_id)

    async def rephrase_message(
        self, interaction: discord.Interaction[HearthBot], message: discord.Message
    ) -> None:
        """ "Rephrase with curiosity" on a message: only on your own."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if message.author.id != interaction.user.id:
            raise HearthError(
                "I only rephrase your own messages — other people's words are theirs to "
                "choose. You could try `/curious rephrase` with what you'd like to say back."
            )
        if not message.content.strip():
            raise HearthError("There are no words in that message for me to work with.")
        await self._rephrase(interaction, message.content, message.channel.id)

    async def _rephrase(
        self, interaction: discord.Interaction[HearthBot], text: str, channel_id: int
    ) -> None:
        assert interaction.guild_id is not None
        await self.require_practice(interaction.guild_id)
        reading = logic.read(text, self.language)
        draft_id: int | None = None
        if reading.critical:
            async with self.bot.boundaries.acting(interaction.guild_id, interaction.user.id) as tx:
                draft_id = await store.add_draft(
                    tx,
                    guild_id=interaction.guild_id,
                    channel_id=channel_id,
                    user_id=interaction.user.id,
                    rewrites=reading.rewrites,
                    now=self.bot.clock.now(),
                    keep=DRAFT_KEEP,
                )
        log.info(
            "rephrased guild=%s critical=%s kinds=%s",
            interaction.guild_id,
            reading.critical,
            ",".join(f.kind for f in reading.findings),
        )
        embed, view = views.panel(reading, draft_id)
        await ui.reply(interaction, embed=embed, view=view)

    async def send_draft(
        self, interaction: discord.Interaction[Any], draft_id: int, number: int
    ) -> None:
        """ "Send n as a question": the rewrite, in the channel, with their name — once."""
        user_id = interaction.user.id
        draft = await store.get_draft(self.bot.db, draft_id)
        now = self.bot.clock.now()
        if draft is not None and draft.user_id != user_id:
            raise HearthError("That rephrasing belongs to someone else.")
        if draft is None or now - draft.created_at > DRAFT_KEEP:
            raise HearthError(
                "That one has already gone out, or it's been more than a quarter of an hour "
                "(I only keep rephrasings that long). `/curious rephrase` makes a fresh one."
            )
        if not 1 <= number <= len(draft.rewrites) or interaction.guild_id != draft.guild_id:
            raise HearthError(views.FORGED)
        await self.require_practice(draft.guild_id)
        text = draft.rewrites[number - 1]
        await interaction.response.defer()  # the post can take a moment; the panel waits
        async with self.bot.boundaries.acting(draft.guild_id, user_id) as tx:
            if not await store.take_draft(tx, draft_id, user_id):
                raise HearthError("That one has already gone out — once is plenty. 🌱")
            intent = await self.bot.outbox.post(
                tx,
                channel_id=draft.channel_id,
                guild_id=draft.guild_id,
                message=Message(views.question_message(user_id, text)),
                words=[Words(user_id, PRACTICE)],
            )
        log.info("curious question sent guild=%s", draft.guild_id)
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        where = f"<#{draft.channel_id}>"
        if outcome is not None and not outcome.ok:
            said = (
                f"I couldn't post in {where} (I may not be allowed to there). Here it is, "
                f"to send yourself if you like:\n{textfit.quote_block(text, 1500)}"
            )
        elif outcome is None:
            said = f"It's on its way to {where}. Thank you for asking with curiosity. 🌱"
        else:
            said = f"Sent in {where}, as a question. Thank you for asking with curiosity. 🌱"
        await interaction.edit_original_response(content=said, embed=None, view=None)

    # ------------------------------------------------------------------ post actions

    async def attach(self, tx: Tx, post: Post) -> Sequence[discord.ui.Item[Any]]:
        """A revealed answer or a group share is being posted: remember it, offer replies."""
        if not await self.practice_on(post.guild_id):
            return []
        await store.add_post(
            tx,
            post_id=post.post_id,
            kind=post.kind,
            guild_id=post.guild_id,
            author_id=post.author_id,
            anonymous=post.anonymous,
            now=self.bot.clock.now(),
        )
        return views.reply_items(post.post_id, {})

    async def items(self, post_id: int, kind: str) -> Sequence[discord.ui.Item[Any]]:
        if await store.get_post(self.bot.db, post_id) is None:
            return []
        return views.reply_items(post_id, await store.tallies(self.bot.db, post_id))

    async def _post_for(self, interaction: discord.Interaction[Any], post_id: int) -> store.Post:
        post = await store.get_post(self.bot.db, post_id)
        if post is None:
            raise HearthError(GONE)
        if post.guild_id != interaction.guild_id or interaction.message is None:
            raise HearthError(views.FORGED)
        await self.require_practice(post.guild_id)
        return post

    async def on_reply_button(
        self, interaction: discord.Interaction[Any], action: Ask | Reaction, post_id: int
    ) -> None:
        post = await self._post_for(interaction, post_id)
        message = interaction.message
        assert message is not None
        if isinstance(action, Ask):
            if interaction.user.id == post.author_id:
                raise HearthError(
                    "This one is yours — friends' questions will arrive under it. You can "
                    "always add more in the thread yourself."
                )
            channel = interaction.channel
            in_thread = isinstance(channel, discord.Thread) or (
                channel is not None and channel.type in _THREAD_TYPES
            )
            await interaction.response.send_modal(
                views.ReplyModal(
                    self,
                    action,
                    post.post_id,
                    channel_id=message.channel.id,
                    message_id=message.id,
                    in_thread=in_thread,
                )
            )
            return
        if interaction.user.id == post.author_id:
            # Their own post: who is with them, for their eyes only.
            found = await store.reactors(self.bot.db, post.post_id)
            await ui.reply(interaction, views.who_text(found))
            return
        await self._react(interaction, post, action, message)

    async def _react(
        self,
        interaction: discord.Interaction[Any],
        post: store.Post,
        action: Reaction,
        message: discord.Message,
    ) -> None:
        """ "Same here" / "I hear you": one click adds it, another takes it back; the post
        shows the new tally (an outbox edit of its buttons alone)."""
        assert post.guild_id is not None
        async with self.bot.boundaries.acting(post.guild_id, interaction.user.id) as tx:
            if not await store.locate(tx, post.post_id, message.channel.id, message.id):
                raise HearthError(views.FORGED)
            added = await store.toggle(
                tx, post.post_id, interaction.user.id, action, self.bot.clock.now()
            )
            await self.bot.post_actions.refresh(
                tx,
                post_id=post.post_id,
                kind=post.kind,
                guild_id=post.guild_id,
                channel_id=message.channel.id,
                message_id=message.id,
            )
        log.info("curious tally post=%s reaction=%s added=%s", post.post_id, action, added)
        word = views.label(action)
        if added:
            said = f"Added your “{word}”. Click it again any time to take it back."
        else:
            said = f"Took your “{word}” back."
        await ui.reply(interaction, said)

    async def send_reply(
        self, interaction: discord.Interaction[Any], form: views.ReplyModal, raw: str
    ) -> None:
        """A curious reply from the form: in the post's thread (opening one if needed), and
        a private word to its writer if they welcome DMs."""
        user_id = interaction.user.id
        text = " ".join(raw.split()) if "\n" not in raw else raw.strip()
        kept = (
            f"\n\nHere's what you wrote:\n{textfit.quote_block(raw, 1200)}" if raw.strip() else ""
        )
        if not text:
            raise HearthError("There was nothing in the question. Write a line and try again.")
        if not self.reply_limit.try_acquire(user_id):
            raise HearthError(f"That's a lot of questions for one hour — let them land.{kept}")
        post = await store.get_post(self.bot.db, form.post_id)
        if post is None or post.guild_id != interaction.guild_id:
            self.reply_limit.give_back(user_id)
            raise HearthError(f"{GONE}{kept}")
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = self.bot.get_guild(post.guild_id)
        async with self.bot.boundaries.acting(post.guild_id, user_id) as tx:
            if not await store.locate(tx, post.post_id, form.channel_id, form.message_id):
                raise HearthError(views.FORGED)
            intent = await self._queue_reply(tx, post, form, user_id, text)
            told = await self._queue_tell_writer(tx, post, form, user_id, text, guild)
        if told:
            self.bot.reach.take(user_id, post.author_id)
        log.info("curious reply post=%s kind=%s", post.post_id, form.action)
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            await ui.reply(
                interaction,
                f"I couldn't post that under the post (I may not be allowed to there).{kept or ''}",
            )
            return
        where = "It's on its way" if outcome is None else "Posted"
        await ui.reply(
            interaction,
            f"{where} in the thread under the post. Thank you for asking with curiosity. 🌱",
        )

    async def _queue_reply(
        self, tx: Tx, post: store.Post, form: views.ReplyModal, user_id: int, text: str
    ) -> int:
        """The reply's post: beside the post when it lives in a thread (a revealed answer),
        else in the thread on it — opened first, in the same lane, when there is none yet
        (if that fails, the reply lands in the channel rather than nowhere)."""
        body = Message(views.reply_message(form.action, user_id, text))
        words = [Words(user_id, PRACTICE)]
        outbox = self.bot.outbox
        if form.in_thread:
            return await outbox.post(
                tx,
                channel_id=form.channel_id,
                guild_id=post.guild_id,
                message=Message(body.content, reply_to=form.message_id),
                words=words,
            )
        lane = f"curiosity:{post.post_id}"
        if post.thread_id is not None:
            return await outbox.post(
                tx,
                channel_id=post.thread_id,
                guild_id=post.guild_id,
                message=body,
                words=words,
                lane=lane,
            )
        thread = await outbox.thread(
            tx,
            channel_id=form.channel_id,
            message_id=form.message_id,
            guild_id=post.guild_id,
            name=THREAD_NAME,
            archive_minutes=10080,
            lane=lane,
            handler=THREAD_MADE,
            ref=post.post_id,
        )
        return await outbox.post(
            tx,
            channel_id=form.channel_id,
            channel_of=thread,
            guild_id=post.guild_id,
            message=body,
            words=words,
            lane=lane,
        )

    async def _queue_tell_writer(
        self,
        tx: Tx,
        post: store.Post,
        form: views.ReplyModal,
        user_id: int,
        text: str,
        guild: discord.Guild | None,
    ) -> bool:
        """A private word to the post's writer that someone asked — by DM, if they welcome
        them (asked again when it goes), within the shared limit on reaching people. For an
        anonymous post this is the only way they hear, and nothing in it reaches anyone else."""
        author = post.author_id
        if author == user_id or self.bot.reach.refusal(user_id, author) is not None:
            return False
        if await self.bot.boundaries.next_dm_time(author) is None:
            return False
        where = f" in **{textfit.one_line(guild.name, 100)}**" if guild is not None else ""
        shared = "shared anonymously" if post.anonymous else "shared"
        link = f"https://discord.com/channels/{post.guild_id}/{form.channel_id}/{form.message_id}"
        lines = [
            f"<@{user_id}> asked about something you {shared}{where}:",
            textfit.quote_block(text, 1000),
            f"It's under your post: {link}",
        ]
        if post.anonymous:
            lines.append(
                "Nobody knows it's yours. Answering in the thread would show your name, so "
                "only if you'd like to — letting it be is fine too. 💛"
            )
        await self.bot.outbox.dm(
            tx,
            user_id=author,
            guild_id=post.guild_id,
            message=Message("\n".join(lines)),
            words=[Words(user_id, PRACTICE)],
        )
        return True

    async def _thread_made(self, tx: Tx, outcome: Outcome) -> None:
        if outcome.ref is not None and outcome.message_id is not None:
            await store.set_thread(tx, outcome.ref, outcome.message_id)

    # ------------------------------------------------------------------ cards

    @curious.command(name="card", description="Draw a curiosity card: one question for the group")
    async def card(self, interaction: discord.Interaction[HearthBot]) -> None:
        assert interaction.guild_id is not None
        assert interaction.channel_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        await self.require_practice(guild_id)
        if not self.card_limit.try_acquire(interaction.channel_id):
            raise HearthError(
                "A few cards have come out here just now — give the last one some time first."
            )
        depth = await self.bot.boundaries.group_depth(guild_id)
        skip = await self.bot.boundaries.skipped_topics(guild_id)
        used = await store.drawn_cards(self.bot.db, guild_id)
        prompt = self.bot.decks.choose(PRACTICE, depth, skip, used, self.rng)
        if prompt is None:
            self.card_limit.give_back(interaction.channel_id)
            raise HearthError(
                "Every card left touches a topic someone here would rather skip, so I'll hold "
                "off. The weekly prompt is still there for you all."
            )
        forget: frozenset[str] = frozenset()
        if prompt.id in used:  # the deck has gone round: start it over
            forget = frozenset(p.id for p in self.bot.decks.eligible(PRACTICE, depth, skip))
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.boundaries.acting(guild_id, user_id) as tx:
            await store.record_card(tx, guild_id, prompt.id, self.bot.clock.now(), forget=forget)
            intent = await self.bot.outbox.post(
                tx,
                channel_id=interaction.channel_id,
                guild_id=guild_id,
                message=Message(embeds=[views.card_embed(prompt, user_id)]),
            )
        log.info("curiosity card guild=%s prompt=%s depth=%d", guild_id, prompt.id, depth)
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            await ui.reply(interaction, "I couldn't post the card here (I may not be allowed to).")
            return
        await ui.reply(interaction, "Drawn — it's in the channel for everyone. 🔍")

    # ------------------------------------------------------------------ upkeep

    async def rebuild_jobs(self) -> None:
        # Rephrasings left from before a restart that are past their quarter of an hour.
        async with self.bot.db.transaction() as tx:
            await store.expire_drafts(tx, self.bot.clock.now() - DRAFT_KEEP)

    async def retention_due(self, tx: Tx, policy: Policy, now: datetime) -> int:
        """Posts and their tallies by the server's retention period; rephrasings left
        behind after their quarter of an hour."""
        removed = await store.expire_posts(tx, policy, now)
        drafts = await store.expire_drafts(tx, now - DRAFT_KEEP)
        log.info("retention swept curious posts=%d drafts=%d", removed, drafts)
        return removed + drafts


_THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)
