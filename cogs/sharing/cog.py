"""`/share`: share something any time — with the group (named or anonymously) or privately
with one friend — and say what you'd like back.

A share and its post (or DM) are one write: the outbox (`bot.outbox`) delivers it, holds
a private share until the friend's quiet hours end, and tells `_delivered` /
`_undelivered` how it went.
"""

from __future__ import annotations

import logging
import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands

from bot import guilds, textfit, timeutil, ui
from bot.cog import HearthCog
from bot.db.codec import new_id
from bot.errors import HearthError
from bot.limits import RateLimiter
from bot.outbox import Message, Op, Outcome, Tx, Words
from bot.post_actions import SHARE
from bot.privacy import PersonalData
from bot.retention import Policy
from cogs.sharing import logic, store
from cogs.sharing.logic import ShareStatus, Visibility
from cogs.sharing.views import Draft, InsteadView, ShareModal, quoted_back, share_embed

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

# A DM held for quiet hours goes out when they end; a minute's grace avoids a pointless job.
DEFER_AFTER = timedelta(minutes=1)

HOW_CHOICES = [
    app_commands.Choice(name=label, value=key) for key, label in logic.VISIBILITIES.items()
]
WANT_CHOICES = [app_commands.Choice(name=w.label, value=w.key) for w in logic.WANTS.values()]


PRACTICE = "sharing"
# The outbox's handler for a share's post or DM.
DELIVERED = "sharing.delivered"
# How long the command waits to say whether the share arrived (then: "on its way").
ANSWER_WAIT = 2.5


class SharingCog(HearthCog):
    practice = PRACTICE
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA
    kept_by_policy = "shares"

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.rng = random.Random()
        # Nobody floods the group channel; a friend's DMs are guarded by `bot.reach`, the
        # one limit every practice shares.
        self.share_limit = RateLimiter(bot.clock, rate=logic.SHARE_RATE, per=logic.SHARE_PER)
        bot.outbox.handle(DELIVERED, delivered=self._delivered, failed=self._undelivered)

    # ------------------------------------------------------------------ /share

    @app_commands.command(
        name="share", description="Share something with your friends, at your pace"
    )
    @app_commands.guild_only()
    @app_commands.describe(
        how="Where it appears: the group channel (named or anonymous) or one friend's DMs",
        wants="What you'd like back, shown with it so friends answer in kind",
        friend="Who to share with privately (for “Privately, to one friend”)",
        prompt="Give me a prompt to start from, at my own comfort depth",
    )
    @app_commands.choices(how=HOW_CHOICES, wants=WANT_CHOICES)
    async def share(
        self,
        interaction: discord.Interaction[HearthBot],
        how: app_commands.Choice[str],
        wants: app_commands.Choice[str],
        friend: discord.Member | None = None,
        prompt: bool = False,
    ) -> None:
        guild = interaction.guild
        if guild is None:
            raise app_commands.NoPrivateMessage()
        if how.value not in logic.VISIBILITIES or wants.value not in logic.WANTS:
            raise HearthError("Pick the options from their lists, and try again.")
        user_id = interaction.user.id
        draft = Draft(guild.id, user_id, Visibility(how.value), wants.value)
        await self.require_practice(guild.id)
        settings = await guilds.get(self.bot.db, guild.id)
        if self.share_limit.retry_after(user_id) > timedelta(0):
            raise HearthError(self._breath(user_id))
        if draft.in_group:
            if settings is None or not settings.configured:
                raise HearthError(
                    "Hearth doesn't have a group channel here yet (an admin can pick one with "
                    "`/hearth setup`). You can still share privately with one friend."
                )
        else:
            if friend is None:
                raise HearthError(
                    "Who would you like to share with? Pick them in the `friend` option."
                )
            await self._check_friend(guild.id, user_id, friend)
            draft = replace(
                draft,
                friend_id=friend.id,
                friend_name=textfit.one_line(friend.display_name, 30),
            )
        if prompt:
            draft = replace(draft, prompt_text=await self._suggest(draft))
        await interaction.response.send_modal(ShareModal(self, draft))

    def _breath(self, user_id: int) -> str:
        when = self.bot.clock.now() + self.share_limit.retry_after(user_id)
        return (
            "That's a lot of sharing in a short while. Let's take a breath: you can share "
            f"again {timeutil.discord_timestamp(when, 'R')}."
        )

    async def _check_friend(self, guild_id: int, user_id: int, friend: discord.Member) -> None:
        if friend.id == user_id:
            raise HearthError(
                "That's you! To keep something just for yourself, a notebook is the best "
                "friend. To share, pick someone else."
            )
        if friend.bot:
            raise HearthError("Bots make poor confidants. Pick a friend instead.")
        if await self.bot.boundaries.member(guild_id, friend.id) is None:
            raise HearthError(
                f"{friend.mention} hasn't used Hearth in this server yet, so I won't DM them "
                "out of the blue. You could share in the group instead, or ask them to say hi "
                "to Hearth first."
            )
        if await self.bot.boundaries.next_dm_time(friend.id) is None:
            raise HearthError(
                f"{friend.mention} isn't taking private shares through Hearth right now. You "
                "could share in the group instead, or tell them yourself."
            )
        self.bot.reach.check(user_id, friend.id)

    async def _suggest(self, draft: Draft) -> str | None:
        """A sharing prompt at the person's comfort depth, avoiding their skipped topics."""
        member = await self.bot.boundaries.member(draft.guild_id, draft.user_id)
        group = await self.bot.boundaries.group_depth(draft.guild_id)
        depth = logic.share_depth(
            member.comfort_depth if member else None, group, in_group=draft.in_group
        )
        group_skips = (
            await self.bot.boundaries.skipped_topics(draft.guild_id) if draft.in_group else ()
        )
        skips = logic.share_skips(
            member.skip_topics if member else (), group_skips, in_group=draft.in_group
        )
        chosen = self.bot.decks.choose("sharing", depth, skips, (), self.rng)
        return chosen.text if chosen is not None else None

    # ------------------------------------------------------------------ sending

    async def send_share(self, interaction: discord.Interaction[HearthBot], draft: Draft) -> None:
        """Post or deliver a finished share, then record it (one write transaction)."""
        if not self.share_limit.try_acquire(draft.user_id):
            await ui.reply(
                interaction, f"{self._breath(draft.user_id)}\n\n{self._kept_note(draft.body)}"
            )
            return
        if draft.in_group:
            await self._post_to_group(interaction, draft)
        else:
            await self._send_to_friend(interaction, draft)

    @staticmethod
    def _kept_note(body: str) -> str:
        return f"Here's what you wrote, so nothing is lost:\n{quoted_back(body)}"

    def _share_row(
        self,
        draft: Draft,
        status: ShareStatus,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        deliver_at: datetime | None = None,
    ) -> store.Share:
        return store.Share(
            share_id=new_id(),
            guild_id=draft.guild_id,
            user_id=draft.user_id,
            friend_user_id=draft.friend_id,
            visibility=draft.visibility,
            wants=draft.wants,
            prompt_text=draft.prompt_text,
            body=draft.body,
            status=status,
            channel_id=channel_id,
            message_id=message_id,
            created_at=self.bot.clock.now(),
            deliver_at=deliver_at,
        )

    async def _post_to_group(
        self, interaction: discord.Interaction[HearthBot], draft: Draft
    ) -> None:
        # Answer first: a busy channel can make the post itself wait past the 3 seconds an
        # interaction has for its first answer.
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        settings = await guilds.get(self.bot.db, draft.guild_id)
        if settings is None or settings.channel_id is None:
            await ui.reply(
                interaction,
                "Hearth doesn't have a group channel here yet, so I couldn't post it. "
                + self._kept_note(draft.body),
            )
            return
        row = self._share_row(draft, ShareStatus.PENDING, channel_id=settings.channel_id)
        # The share and its post are one write: the outbox delivers it whatever happens
        # next, and records which message carries the sharer's words before it exists.
        async with self.bot.boundaries.acting(draft.guild_id, draft.user_id) as tx:
            await store.insert(tx, row)
            # Other practices' buttons under it (bot.post_actions); they never carry its writer.
            actions = await self.bot.post_actions.attach(
                tx,
                SHARE,
                guild_id=draft.guild_id,
                channel_id=settings.channel_id,
                author_id=draft.user_id,
                anonymous=draft.visibility is Visibility.ANONYMOUS,
            )
            intent = await self.bot.outbox.post(
                tx,
                channel_id=settings.channel_id,
                guild_id=draft.guild_id,
                message=Message(embeds=[share_embed(draft)], view=actions),
                words=[Words(draft.user_id, PRACTICE)],
                handler=DELIVERED,
                ref=row.share_id,
            )
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            await self._take_back(row.share_id)  # their words are back on screen
            await ui.reply(
                interaction,
                f"I couldn't post in <#{settings.channel_id}> (an admin may need to check my "
                "permissions there). " + self._kept_note(draft.body),
            )
            return
        how = "anonymously" if draft.visibility is Visibility.ANONYMOUS else "with your name"
        want = logic.WANTS[draft.wants].wish
        where = (
            f"Shared in <#{settings.channel_id}>"
            if outcome is not None
            else f"It's on its way to <#{settings.channel_id}>"
        )
        await ui.reply(
            interaction,
            f"{where}, {how}. Friends will see you'd like {want}. "
            "Thank you for letting them in. 💛",
        )

    async def _send_to_friend(
        self, interaction: discord.Interaction[HearthBot], draft: Draft
    ) -> None:
        assert draft.friend_id is not None
        friend_id = draft.friend_id
        await interaction.response.defer(ephemeral=True, thinking=True)
        refusal = self.bot.reach.refusal(draft.user_id, friend_id)
        if refusal is not None:
            await self._offer_instead(interaction, draft, refusal)
            return
        # Taken now, before any await, so two quick shares can't both slip under the
        # limit; given back below if this one never reaches the friend.
        self.bot.reach.take(draft.user_id, friend_id)
        try:
            await self._deliver_or_hold(interaction, draft, friend_id)
        except BaseException:
            self.bot.reach.give_back(draft.user_id, friend_id)
            raise

    async def _deliver_or_hold(
        self, interaction: discord.Interaction[HearthBot], draft: Draft, friend_id: int
    ) -> None:
        now = self.bot.clock.now()
        uses_hearth = await self.bot.boundaries.member(draft.guild_id, friend_id) is not None
        when = await self.bot.boundaries.next_dm_time(friend_id) if uses_hearth else None
        if when is None:
            self.bot.reach.give_back(draft.user_id, friend_id)
            await self._offer_instead(
                interaction,
                draft,
                f"<@{friend_id}> isn't taking private shares through Hearth right now.",
            )
            return
        held = when - now > DEFER_AFTER
        guild = self.bot.get_guild(draft.guild_id)
        row = self._share_row(draft, ShareStatus.PENDING, deliver_at=when if held else None)
        # One write: the share, and its DM — held by the outbox until the friend's quiet
        # hours end (their boundaries are asked again when it goes).
        async with self.bot.boundaries.acting(draft.guild_id, draft.user_id) as tx:
            await store.insert(tx, row)
            intent = await self._queue_dm(tx, row.share_id, draft, guild, when)
        if held:
            log.info("share held for quiet hours share=%s", row.share_id)
            await ui.reply(
                interaction,
                f"It's a quiet time for <@{friend_id}> right now, so I'll hold it and deliver "
                "it when that's over. Thank you for trusting them with it. 💛",
            )
            return
        outcome = await self.bot.outbox.wait(intent, ANSWER_WAIT)
        if outcome is not None and not outcome.ok:
            self.bot.reach.give_back(draft.user_id, friend_id)
            await self._take_back(row.share_id)  # their words are back on screen
            await self._offer_instead(
                interaction,
                draft,
                f"I couldn't get that to <@{friend_id}>: their DMs seem closed to me right now.",
            )
            return
        await ui.reply(
            interaction,
            f"Sent to <@{friend_id}>, privately. They'll see you'd like "
            f"{logic.WANTS[draft.wants].wish}. Thank you for trusting them with it. 💛",
        )

    async def _queue_dm(
        self,
        tx: Tx,
        share_id: int,
        draft: Draft,
        guild: discord.Guild | None,
        when: datetime,
    ) -> int:
        assert draft.friend_id is not None
        return await self.bot.outbox.dm(
            tx,
            user_id=draft.friend_id,
            guild_id=draft.guild_id,
            message=Message(embeds=[share_embed(draft, guild_name=guild.name if guild else None)]),
            due=when,
            words=[Words(draft.user_id, PRACTICE)],
            handler=DELIVERED,
            ref=share_id,
        )

    async def _take_back(self, share_id: int) -> None:
        async with self.bot.db.transaction() as tx:
            await store.delete(tx, share_id)

    # ------------------------------------------------------------------ outcomes

    async def _delivered(self, tx: Tx, outcome: Outcome) -> None:
        """The share is in the channel, or in the friend's DMs."""
        assert outcome.ref is not None
        await store.settle(
            tx,
            outcome.ref,
            ShareStatus.POSTED if outcome.op is Op.POST else ShareStatus.DELIVERED,
            channel_id=outcome.channel_id,
            message_id=outcome.message_id,
        )
        log.info("share %s share=%s", outcome.op, outcome.ref)

    async def _undelivered(self, tx: Tx, outcome: Outcome) -> None:
        """It couldn't go (the channel refused it; the friend paused or closed their DMs).
        The words stay the sharer's (`/privacy export` shows them) until the retention
        period; a share that was held for quiet hours comes back to them by DM, since
        nobody is looking at the answer to their command any more."""
        assert outcome.ref is not None
        share = await store.get(self.bot.db, outcome.ref)
        if share is None or not await store.settle(tx, share.share_id, ShareStatus.UNDELIVERED):
            return
        log.info("share undelivered share=%s code=%s", share.share_id, outcome.code)
        if share.friend_user_id is None or share.deliver_at is None:
            return  # the command that made it shows their words (or said it's on its way)
        why = (
            f"I couldn't deliver what you shared with <@{share.friend_user_id}>: they "
            "aren't taking private shares through Hearth right now."
        )
        await self.bot.outbox.dm(
            tx,
            user_id=share.user_id,
            guild_id=share.guild_id,
            message=Message(f"{why} {self._kept_note(share.body)}"),
        )

    async def _offer_instead(
        self, interaction: discord.Interaction[HearthBot], draft: Draft, why: str
    ) -> None:
        """A private share that can't go: say so kindly, show the words back, offer options."""
        settings = await guilds.get(self.bot.db, draft.guild_id)
        group_ok = bool(
            settings is not None and settings.configured and settings.practice_on(PRACTICE)
        )
        offer = (
            " You could post it in the group instead, or keep it to yourself." if group_ok else ""
        )
        shown = f"{why}{offer}\n\n{self._kept_note(draft.body)}"
        shown = textfit.fit(shown, textfit.CONTENT - 100)
        await ui.reply(
            interaction, shown, view=InsteadView(self, draft, group_ok=group_ok, shown=shown)
        )

    # ------------------------------------------------------------------ start-up

    async def rebuild_jobs(self) -> None:
        """Private shares held by an older Hearth (before the outbox) get their DM now."""
        held = [
            s
            for s in await store.pending(self.bot.db)
            if s.friend_user_id is not None
            and not await self.bot.outbox.has_pending(DELIVERED, s.share_id)
        ]
        if not held:
            return
        now = self.bot.clock.now()
        async with self.bot.db.transaction() as tx:
            for share in held:
                draft = Draft(
                    share.guild_id,
                    share.user_id,
                    share.visibility,
                    share.wants,
                    friend_id=share.friend_user_id,
                    prompt_text=share.prompt_text,
                    body=share.body,
                )
                guild = self.bot.get_guild(share.guild_id)
                await self._queue_dm(tx, share.share_id, draft, guild, share.deliver_at or now)
        log.info("held shares handed to the outbox count=%d", len(held))

    # ------------------------------------------------------------------ retention

    async def retention_due(self, tx: Tx, policy: Policy, now: datetime) -> int:
        """Shares older than their server's period go (held or delivered alike)."""
        return await store.expire(tx, policy, now)
