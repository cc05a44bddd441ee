"""`/share`: share something any time — with the group (named or anonymously) or privately
with one friend — and say what you'd like back.

Jobs: `share:deliver:{share_id}` delivers a private share once the friend's quiet hours
end (rebuilt from the database on start).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import guilds, textfit, timeutil, ui
from bot.cog import HearthCog
from bot.dm import send_dm
from bot.errors import HearthError
from bot.limits import RateLimiter
from bot.privacy import PersonalData, record_words
from cogs.sharing import logic, store
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


def deliver_job_id(share_id: int) -> str:
    return f"share:deliver:{share_id}"


class SharingCog(HearthCog):
    practice = "sharing"
    personal_data: ClassVar[PersonalData] = store.PERSONAL_DATA

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.rng = random.Random()
        # Nobody floods the group channel; a friend's DMs are guarded by `bot.reach`, the
        # one limit every practice shares.
        self.share_limit = RateLimiter(bot.clock, rate=logic.SHARE_RATE, per=logic.SHARE_PER)

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
        draft = Draft(guild.id, user_id, how.value, wants.value)
        settings = await guilds.get(self.bot.db, guild.id)
        if settings is not None and settings.configured and not settings.practice_on("sharing"):
            raise HearthError(
                "Sharing is switched off in this server. An admin can turn it on in "
                "`/hearth settings`."
            )
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

    async def _carries_words(
        self, user_id: int, message: discord.Message, guild_id: int | None
    ) -> None:
        """This message carries the sharer's words: `/privacy delete` can remove it."""
        await record_words(
            self.bot.db,
            user_id=user_id,
            channel_id=message.channel.id,
            message_id=message.id,
            guild_id=guild_id,
            practice="sharing",
            now=self.bot.clock.now(),
        )

    def _share_row(
        self,
        draft: Draft,
        status: str,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        deliver_at: datetime | None = None,
    ) -> store.Share:
        return store.Share(
            share_id=store.new_id(),
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
        channel = self.bot.get_channel(settings.channel_id)
        target: discord.abc.Messageable = (
            channel
            if isinstance(channel, discord.abc.Messageable)
            else self.bot.get_partial_messageable(settings.channel_id, guild_id=draft.guild_id)
        )
        try:
            message = await target.send(embed=share_embed(draft))
        except discord.HTTPException as exc:
            log.info("share post failed guild=%s code=%s", draft.guild_id, exc.code)
            await ui.reply(
                interaction,
                f"I couldn't post in <#{settings.channel_id}> (an admin may need to check my "
                "permissions there). " + self._kept_note(draft.body),
            )
            return
        row = self._share_row(
            draft, logic.POSTED, channel_id=settings.channel_id, message_id=message.id
        )
        async with self.bot.boundaries.acting(draft.guild_id, draft.user_id):
            await store.insert(self.bot.db, row)
            await self._carries_words(draft.user_id, message, draft.guild_id)
        log.info("share posted guild=%s share=%s", draft.guild_id, row.share_id)
        how = "anonymously" if draft.visibility == logic.ANONYMOUS else "with your name"
        want = logic.WANTS[draft.wants].wish
        await ui.reply(
            interaction,
            f"Shared in <#{settings.channel_id}>, {how}. Friends will see you'd like {want}. "
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
        if when - now > DEFER_AFTER:
            row = self._share_row(draft, logic.PENDING, deliver_at=when)
            async with self.bot.boundaries.acting(draft.guild_id, draft.user_id):
                await store.insert(self.bot.db, row)
            self.bot.scheduler.at(
                deliver_job_id(row.share_id), when, self.deliver_job, row.share_id
            )
            log.info("share held for quiet hours share=%s", row.share_id)
            await ui.reply(
                interaction,
                f"It's a quiet time for <@{friend_id}> right now, so I'll hold it and deliver "
                "it when that's over. Thank you for trusting them with it. 💛",
            )
            return
        guild = self.bot.get_guild(draft.guild_id)
        sent = await send_dm(
            self.bot, friend_id, embed=share_embed(draft, guild_name=guild.name if guild else None)
        )
        if sent is None:
            self.bot.reach.give_back(draft.user_id, friend_id)
            await self._offer_instead(
                interaction,
                draft,
                f"I couldn't get that to <@{friend_id}>: their DMs seem closed to me right now.",
            )
            return
        row = self._share_row(draft, logic.DELIVERED)
        async with self.bot.boundaries.acting(draft.guild_id, draft.user_id):
            await store.insert(self.bot.db, row)
            await self._carries_words(draft.user_id, sent, None)
        log.info("share delivered share=%s", row.share_id)
        await ui.reply(
            interaction,
            f"Sent to <@{friend_id}>, privately. They'll see you'd like "
            f"{logic.WANTS[draft.wants].wish}. Thank you for trusting them with it. 💛",
        )

    async def _offer_instead(
        self, interaction: discord.Interaction[HearthBot], draft: Draft, why: str
    ) -> None:
        """A private share that can't go: say so kindly, show the words back, offer options."""
        settings = await guilds.get(self.bot.db, draft.guild_id)
        group_ok = bool(
            settings is not None and settings.configured and settings.practice_on("sharing")
        )
        offer = (
            " You could post it in the group instead, or keep it to yourself." if group_ok else ""
        )
        shown = f"{why}{offer}\n\n{self._kept_note(draft.body)}"
        shown = textfit.fit(shown, textfit.CONTENT - 100)
        await ui.reply(
            interaction, shown, view=InsteadView(self, draft, group_ok=group_ok, shown=shown)
        )

    # ------------------------------------------------------------------ the delivery job

    async def deliver_job(self, share_id: int) -> None:
        share = await store.get(self.bot.db, share_id)
        if share is None or share.status != logic.PENDING or share.friend_user_id is None:
            return
        now = self.bot.clock.now()
        uses_hearth = await self.bot.boundaries.member(share.guild_id, share.friend_user_id)
        when = (
            await self.bot.boundaries.next_dm_time(share.friend_user_id, now)
            if uses_hearth is not None
            else None
        )
        if when is not None and when - now > DEFER_AFTER:
            self.bot.scheduler.at(deliver_job_id(share_id), when, self.deliver_job, share_id)
            return
        sent = None
        if when is not None:
            guild = self.bot.get_guild(share.guild_id)
            draft = Draft(
                share.guild_id,
                share.user_id,
                share.visibility,
                share.wants,
                friend_id=share.friend_user_id,
                prompt_text=share.prompt_text,
                body=share.body,
            )
            sent = await send_dm(
                self.bot,
                share.friend_user_id,
                embed=share_embed(draft, guild_name=guild.name if guild else None),
            )
        outcome = logic.DELIVERED if sent is not None else logic.UNDELIVERED
        async with self.bot.db.transaction():
            if not await store.settle(self.bot.db, share_id, outcome):
                return
            if sent is not None:
                await self._carries_words(share.user_id, sent, None)
        log.info("held share %s share=%s", outcome, share_id)
        if sent is None and await self.bot.boundaries.may_dm(share.user_id):
            # Their words come back to them, so nothing is lost.
            await send_dm(
                self.bot,
                share.user_id,
                f"I couldn't deliver what you shared with <@{share.friend_user_id}>: they "
                "aren't taking private shares through Hearth right now. "
                + self._kept_note(share.body),
            )

    async def rebuild_jobs(self) -> None:
        held = await store.pending(self.bot.db)
        now = self.bot.clock.now()
        for share in held:
            self.bot.scheduler.at(
                deliver_job_id(share.share_id),
                share.deliver_at or now,
                self.deliver_job,
                share.share_id,
            )
        if held:
            log.info("share deliveries rebuilt count=%d", len(held))

    # ------------------------------------------------------------------ retention

    @commands.Cog.listener()
    async def on_hearth_retention_due(
        self, now: datetime, default_days: int, custom: Mapping[int, int]
    ) -> None:
        removed = await store.expire(self.bot.db, now, default_days, custom)
        log.info("retention swept shares=%d", removed)
