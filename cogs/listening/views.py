"""What people see and click: reflections, circle cards and turns, pair threads, modals.

Buttons on posts and DMs are `IdItem`s (`hearth:ls:<kind>:<action>:<id>`), so they keep
working after a restart. Each only parses its id and hands the click to one method of
the cog, which re-checks who clicked and whether the thing still exists. Modals are given
the cog by the method that opens them. Every word here is Hearth's own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, ui
from bot.cog import IdItem, parse_action
from bot.decks import Prompt
from bot.errors import send_ephemeral
from bot.outbox import Message
from bot.timeutil import discord_timestamp
from cogs.listening import logic
from cogs.listening.logic import PRACTICE, CircleAction, Met, Reply

if TYPE_CHECKING:
    from cogs.listening.cog import ListeningCog

FORGED = "That button doesn't look right, so I left everything as it was."


def _button(
    custom_id: str,
    label: str,
    *,
    emoji: str | None = None,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=textfit.one_line(label, textfit.BUTTON_LABEL),
        emoji=emoji,
        style=style,
        custom_id=custom_id,
    )


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    # No timeout and never stopped: the IdItems answer clicks after restarts too.
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


# --------------------------------------------------------------------------- reflect back

REFLECTION_PREFIX = "hearth:ls:r:"


class ReflectionButton(
    IdItem["ListeningCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(REFLECTION_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """ "Yes, that's it" / "Not quite", under a reflection: `hearth:ls:r:<yes|no>:<id>`."""

    tail_arity = 2
    example_tail = "yes:1"

    def __init__(
        self, action: Reply | None, reflection_id: int | None, *, custom_id: str | None = None
    ) -> None:
        yes = action is Reply.YES
        super().__init__(
            _button(
                custom_id or f"{REFLECTION_PREFIX}{action}:{reflection_id}",
                "Yes, that's it" if yes else "Not quite",
                emoji="✅" if yes else "↩️",
                style=discord.ButtonStyle.success if yes else discord.ButtonStyle.secondary,
            )
        )
        self.action = action
        self.reflection_id = reflection_id

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[Reply, int] | None:
        return parse_action(Reply, rest)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None or self.reflection_id is None:
            await send_ephemeral(interaction, FORGED)
            return
        await self.cog(interaction).on_reflection_answer(
            interaction, self.reflection_id, yes=self.action is Reply.YES
        )


def reflection_view(reflection_id: int) -> discord.ui.View:
    return _view(
        ReflectionButton(Reply.YES, reflection_id), ReflectionButton(Reply.NO, reflection_id)
    )


def reflection_message(
    *,
    reflector_id: int,
    heard: str,
    question: str,
    reply_to: int,
    ping_writer: bool,
    view: discord.ui.View,
) -> Message:
    """The reply to someone's message: what the reflector heard (their words), an optional
    question, and the writer's two buttons. It links the message; it never copies it."""
    lead = f"👂 <@{reflector_id}> reflects back what they heard:"
    ask = f"\n❓ {textfit.one_line(question, logic.QUESTION_MAX)}" if question else ""
    tail = "\n-# Did they hear you right? Only the person who wrote it can answer."
    budget = textfit.CONTENT - len(lead) - len(ask) - len(tail) - 2
    body = textfit.quote_block(heard, budget)
    return Message(
        f"{lead}\n{body}{ask}{tail}",
        view=view,
        reply_to=reply_to,
        # A reply pings whoever wrote the message only where that's the point (their own
        # message, not Hearth's), and only within the shared reach limit.
        mentions=discord.AllowedMentions(replied_user=True) if ping_writer else None,
    )


def answered_embed(*, yes: bool) -> discord.Embed:
    if yes:
        return ui.embed(description="✅ **That's it.** Heard, and understood.", practice=PRACTICE)
    return ui.embed(
        description="↩️ **Not quite.** What they meant is just below.", practice=PRACTICE
    )


def clarification_message(
    *, writer_id: int | None, reflector_id: int, meant: str, reply_to: int, ping: bool
) -> Message:
    """What the writer meant, as a reply to the reflection. Named only when the message
    reflected was their own (an anonymous answer stays anonymous)."""
    who = f"<@{writer_id}>" if writer_id is not None else "The one who wrote it"
    lead = f"↩️ <@{reflector_id}>, not quite. {who} adds what they meant:"
    body = textfit.quote_block(meant, textfit.CONTENT - len(lead) - 1)
    return Message(
        f"{lead}\n{body}",
        reply_to=reply_to,
        mentions=discord.AllowedMentions(users=[discord.Object(reflector_id)]) if ping else None,
    )


class ReflectModal(ui.HearthModal):
    """ "What I heard" and, if they like, a question."""

    def __init__(self, cog: ListeningCog, target: Any) -> None:
        super().__init__(title="Reflect back")
        self.cog = cog
        self.target = target
        self.heard: discord.ui.TextInput[ReflectModal] = discord.ui.TextInput(
            label="What I heard",
            style=discord.TextStyle.paragraph,
            max_length=logic.HEARD_MAX,
            placeholder="In your own words: what are they saying, and how might it feel?",
        )
        self.question: discord.ui.TextInput[ReflectModal] = discord.ui.TextInput(
            label="A question to understand more",
            style=discord.TextStyle.short,
            required=False,
            max_length=logic.QUESTION_MAX,
            placeholder="Optional. Something open, like “what was that like for you?”",
        )
        self.add_item(self.heard)
        self.add_item(self.question)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.cog.post_reflection(
            interaction, self.target, self.heard.value, self.question.value
        )


class ClarifyModal(ui.HearthModal):
    """ "Not quite": what they meant, posted as a reply to the reflection."""

    def __init__(self, cog: ListeningCog, reflection_id: int, reflection_message_id: int) -> None:
        super().__init__(title="Not quite: what I meant")
        self.cog = cog
        self.reflection_id = reflection_id
        self.reflection_message_id = reflection_message_id
        self.meant: discord.ui.TextInput[ClarifyModal] = discord.ui.TextInput(
            label="What I meant",
            style=discord.TextStyle.paragraph,
            max_length=logic.CLARIFY_MAX,
            placeholder="What they missed, or what matters most to you in it.",
        )
        self.add_item(self.meant)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.cog.post_clarification(
            interaction, self.reflection_id, self.reflection_message_id, self.meant.value
        )


REFUSALS: dict[logic.Refusal, str] = {
    logic.Refusal.HEARTH: (
        "That's one of my own messages. Reflect back on something a friend said, and I'll "
        "pass it on."
    ),
    logic.Refusal.BOT: "That message is from a bot. Reflecting back is for friends' words.",
    logic.Refusal.SELF: (
        "That one's yours. Reflecting back is for a friend's words: try it on what they said."
    ),
    logic.Refusal.PAUSED: (
        "They've paused Hearth for now, so I'll leave their message be. You could tell them "
        "in your own words what you heard."
    ),
    logic.Refusal.OFF: (
        "Active listening is switched off in this server. An admin can switch it on in "
        "`/hearth settings`."
    ),
}


# --------------------------------------------------------------------------- circles

CIRCLE_PREFIX = "hearth:ls:c:"
CIRCLE_GONE = "That circle has closed. Start a new one any time with `/listen circle`."

_CIRCLE_LOOK: dict[CircleAction, tuple[str, str, discord.ButtonStyle]] = {
    CircleAction.JOIN: ("Join", "🪑", discord.ButtonStyle.success),
    CircleAction.LEAVE: ("Leave", "👋", discord.ButtonStyle.secondary),
    CircleAction.BEGIN: ("Begin", "🪶", discord.ButtonStyle.primary),
    CircleAction.PASS: ("Pass the stick", "🪶", discord.ButtonStyle.primary),
    CircleAction.READY: ("I'm ready", "🌱", discord.ButtonStyle.primary),
    CircleAction.END: ("End circle", "🌙", discord.ButtonStyle.secondary),
}


class CircleButton(
    IdItem["ListeningCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(CIRCLE_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """A circle's buttons: `hearth:ls:c:<action>:<circle id>`."""

    tail_arity = 2
    example_tail = "join:1"

    def __init__(
        self, action: CircleAction | None, circle_id: int | None, *, custom_id: str | None = None
    ) -> None:
        look = (
            _CIRCLE_LOOK[action]
            if action is not None
            else ("Circle", "🪶", discord.ButtonStyle.secondary)
        )
        super().__init__(
            _button(
                custom_id or f"{CIRCLE_PREFIX}{action}:{circle_id}",
                look[0],
                emoji=look[1],
                style=look[2],
            )
        )
        self.action = action
        self.circle_id = circle_id

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[CircleAction, int] | None:
        return parse_action(CircleAction, rest)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None or self.circle_id is None:
            await send_ephemeral(interaction, FORGED)
            return
        await self.cog(interaction).on_circle_button(interaction, self.action, self.circle_id)


def circle_view(circle_id: int, *actions: CircleAction) -> discord.ui.View:
    return _view(*(CircleButton(a, circle_id) for a in actions))


def _people(user_ids: Sequence[int]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids) if user_ids else "nobody yet"


def circle_card(
    *,
    topic: str | None,
    starter_id: int | None,
    members: Sequence[int],
    turn_minutes: int,
    phase: logic.Phase,
) -> discord.Embed:
    """The circle's card (its topic is the starter's words)."""
    about = textfit.quote_block(topic, 600) + "\n\n" if topic else ""
    if phase is logic.Phase.GATHERING:
        who = f"<@{starter_id}>" if starter_id else "whoever started it"
        how = (
            f"Tap **Join** to sit in. When everyone's here, {who} taps **Begin**.\n\n"
            f"One person holds the talking stick and speaks, for up to {turn_minutes} "
            "minutes; everyone else just listens. If you post while someone else holds it, "
            f"I'll put a small {logic.QUIET_MARK} on your message: a gentle reminder to hold "
            "that thought. Between turns there's a minute to reflect back what you heard."
        )
    else:
        how = "The circle is under way in its thread. You can still join: the stick comes round."
    return ui.embed(
        "Listening circle",
        about + how,
        practice=PRACTICE,
        fields=[("In the circle", _people(members))],
    )


def ended_card(
    topic: str | None, spoke: Sequence[tuple[int, timedelta]], reason: logic.EndReason
) -> discord.Embed:
    about = textfit.quote_block(topic, 600) + "\n\n" if topic else ""
    return ui.embed(
        "Listening circle · closed",
        about + ended_text(spoke, reason),
        practice=PRACTICE,
    )


def turn_message(circle_id: int, holder_id: int, ends_at: datetime) -> Message:
    return Message(
        f"{logic.QUIET_MARK} <@{holder_id}>, the talking stick is with you. Take your time, "
        f"until {discord_timestamp(ends_at, 't')} ({discord_timestamp(ends_at, 'R')}).\n"
        "Everyone else: just listen for now. When you're done, tap **Pass the stick**.",
        view=circle_view(circle_id, CircleAction.PASS, CircleAction.END),
        mentions=discord.AllowedMentions(users=[discord.Object(holder_id)]),
    )


def reflect_message(
    circle_id: int, spoke_id: int | None, next_id: int, begins_at: datetime
) -> Message:
    thanks = f"Thank you, <@{spoke_id}>. " if spoke_id else ""
    return Message(
        f"👂 {thanks}Before the stick moves on, a minute to reflect back what you heard, in "
        "your own words, or with **Reflect back** on a message (right-click or long-press "
        f"→ Apps).\n<@{next_id}> is next, from {discord_timestamp(begins_at, 't')}.",
        view=circle_view(circle_id, CircleAction.READY, CircleAction.END),
    )


def ended_text(spoke: Sequence[tuple[int, timedelta]], reason: logic.EndReason) -> str:
    lead = {
        logic.EndReason.CLOSED: "The circle is closed. Thank you for listening to each other. 🌙",
        logic.EndReason.IDLE: (
            "It's been quiet here for an hour, so I've closed the circle. Thank you for "
            "sitting in it. 🌙"
        ),
        logic.EndReason.THREAD: "The circle's thread closed, so the circle has ended. 🌙",
    }[reason]
    if not spoke:
        return lead + "\n\nNobody took the stick this time, and that's okay."
    lines = [f"<@{user}> · {logic.describe_length(length)}" for user, length in spoke]
    return lead + "\n\n**Who spoke**\n" + "\n".join(lines)


def summary_message(spoke: Sequence[tuple[int, timedelta]], reason: logic.EndReason) -> Message:
    return Message(embeds=[ui.embed("Circle closed", ended_text(spoke, reason), practice=PRACTICE)])


# --------------------------------------------------------------------------- pairs

PAIR_PREFIX = "hearth:ls:p:"
PAIR_GONE = "That round of listening pairs is over. Thanks for taking part. 💛"


class MetButton(
    IdItem["ListeningCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(PAIR_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """ "Did you two get to talk?": `hearth:ls:p:<yes|no>:<pair id>`."""

    tail_arity = 2
    example_tail = "yes:1"

    def __init__(
        self, action: Met | None, pair_id: int | None, *, custom_id: str | None = None
    ) -> None:
        yes = action is Met.YES
        super().__init__(
            _button(
                custom_id or f"{PAIR_PREFIX}{action}:{pair_id}",
                "Yes, we talked" if yes else "Not this time",
                emoji="💬" if yes else "🌙",
                style=discord.ButtonStyle.success if yes else discord.ButtonStyle.secondary,
            )
        )
        self.action = action
        self.pair_id = pair_id

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[Met, int] | None:
        return parse_action(Met, rest)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None or self.pair_id is None:
            await send_ephemeral(interaction, FORGED)
            return
        await self.cog(interaction).on_met(interaction, self.pair_id, self.action)


def met_view(pair_id: int) -> discord.ui.View:
    return _view(MetButton(Met.YES, pair_id), MetButton(Met.NO, pair_id))


def _pings(user_ids: Sequence[int]) -> discord.AllowedMentions:
    return discord.AllowedMentions(users=[discord.Object(u) for u in user_ids])


def _mentions(user_ids: Sequence[int]) -> str:
    names = [f"<@{u}>" for u in user_ids]
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


def _question(prompt: Prompt | None) -> str:
    if prompt is None:
        return "Start anywhere: how has your week really been?"
    tip = f"\n_{prompt.tip}_" if prompt.tip else ""
    return f"**{prompt.text}**{tip}"


HOW_TO_PAIR = (
    "Take turns: one of you talks, the other just listens, then says back what they heard "
    "and asks one question before sharing their own. A call, a walk or messages here: "
    "whatever suits you both."
)


def pair_welcome(people: Sequence[int], prompt: Prompt | None, ends_at: datetime) -> Message:
    two = "You two are" if len(people) == 2 else "You three are"
    return Message(
        f"👂 {_mentions(people)}: {two} listening partners this round, any time before "
        f"{discord_timestamp(ends_at, 'D')}. Only you (and Hearth) can see this thread.\n\n"
        f"A question to start you off:\n{_question(prompt)}\n\n{HOW_TO_PAIR}",
        mentions=_pings(people),
    )


def pair_dm(
    partners: Sequence[int], guild_name: str, prompt: Prompt | None, ends_at: datetime
) -> Message:
    return Message(
        f"👂 This round of listening pairs in **{guild_name}**, you're partners with "
        f"{_mentions(partners)}, any time before {discord_timestamp(ends_at, 'D')}. I couldn't "
        "open a private thread there, so reach out to each other however suits you.\n\n"
        f"A question to start you off:\n{_question(prompt)}\n\n{HOW_TO_PAIR}"
    )


def nudge_message(people: Sequence[int], ends_at: datetime) -> Message:
    return Message(
        f"🌿 {_mentions(people)}, a gentle nudge: there's still time this round, until "
        f"{discord_timestamp(ends_at, 'D')}. Ten minutes on a call or a few messages here "
        "count just as much. And if this week is too full, that's okay too.",
        mentions=_pings(people),
    )


def ask_message(pair_id: int, people: Sequence[int] | None = None) -> Message:
    who = f"{_mentions(people)}, d" if people else "D"
    return Message(
        f"💬 {who}id you two get to talk this round? Only the group's total is shared, never "
        "who did or didn't.",
        view=met_view(pair_id),
    )


def round_started(number: int, pairs: int, triad: bool, channel_private: bool) -> Message:
    groups = f"{pairs} pair" + ("s" if pairs != 1 else "")
    if triad:
        groups += " (one of them a three)"
    where = "a private thread" if channel_private else "a DM"
    return Message(
        embeds=[
            ui.embed(
                f"Listening pairs · round {number}",
                f"This round's pairs are ready: {groups}, each with {where} and a question to "
                "start. Take your time, and really listen. 💛\n\nWant in next time? "
                "`/listen pairs join`.",
                practice=PRACTICE,
            )
        ]
    )


def round_totals(number: int, met: int, pairs: int) -> Message:
    if pairs == 0:
        text = "No pairs this round."
    elif met == pairs:
        text = f"All {pairs} pairs got to talk this round. Lovely listening, everyone. 💛"
    elif met == 0:
        text = (
            f"None of the {pairs} pairs found the time this round, and that happens. "
            "A fresh round is coming. 🌱"
        )
    else:
        text = f"**{met} of {pairs}** pairs got to talk this round. Thank you for listening. 💛"
    return Message(embeds=[ui.embed(f"Listening pairs · round {number}", text, practice=PRACTICE)])
