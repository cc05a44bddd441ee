"""What people see and click: the apology form, its private preview, the apology DM and
its buttons, the talk thread's guide, and the words for pauses and validating.

Buttons on DMs are one `IdItem` (`hearth:rp:<action>:<id>`), so they keep working after
a restart. It only parses its id; the cog re-reads the apology and re-checks who pressed.
The form and the preview are given their cog by the command that opens them, and each
control calls one method of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, ui
from bot.cog import IdItem, parse_action
from bot.errors import send_ephemeral
from bot.timeutil import discord_timestamp
from cogs.repair import logic
from cogs.repair.logic import Action, ApologyStatus, Card, Parts, Slip

if TYPE_CHECKING:
    from cogs.repair.cog import RepairCog

PRACTICE = "repair"
COG_NAME = "RepairCog"
PREFIX = "hearth:rp:"

# The one refusal for a button that isn't the presser's, or names nothing kept: the same
# words either way, so a forged id learns nothing.
NOT_YOURS = (
    "This button isn't yours to press, or what it belonged to is no longer kept. "
    "Nothing has changed."
)

# action → (label, emoji, style, row)
_LOOK: dict[Action, tuple[str, str | None, discord.ButtonStyle, int]] = {
    Action.THANKS: ("Thank you", "💛", discord.ButtonStyle.success, 0),
    Action.TIME: ("I need some time", "🌿", discord.ButtonStyle.secondary, 0),
    Action.TALK: ("Can we talk?", "🕊️", discord.ButtonStyle.primary, 0),
    **{
        remind: (words, "⏰", discord.ButtonStyle.secondary, 1)
        for remind, (words, _later) in logic.REMINDERS.items()
    },
    Action.BLOCK: (
        "Don't send me apologies from this person",
        None,
        discord.ButtonStyle.secondary,
        2,
    ),
    Action.UNBLOCK: ("Allow their apologies again", None, discord.ButtonStyle.secondary, 2),
}


def button_id(action: Action, target_id: int) -> str:
    return f"{PREFIX}{action}:{target_id}"


class RepairButton(
    IdItem["RepairCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Everything under the prefix reaches us, so a forged or broken id gets a kind word.
    template=re.compile(re.escape(PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """Every button on an apology DM (and on its reminder)."""

    tail_arity = 2
    example_tail = "thanks:1"

    def __init__(
        self,
        action: Action | None,
        target_id: int | None,
        *,
        custom_id: str | None = None,
    ) -> None:
        label, emoji, style, row = (
            _LOOK[action]
            if action is not None
            else ("Apology", None, discord.ButtonStyle.secondary, 0)
        )
        super().__init__(
            discord.ui.Button(
                label=textfit.one_line(label, textfit.BUTTON_LABEL),
                emoji=emoji,
                style=style,
                row=row,
                custom_id=custom_id or button_id(action or Action.THANKS, target_id or 0),
            )
        )
        self.action = action
        self.target_id = target_id

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[Action, int] | None:
        """(action, apology id — or block id for "unblock") from what follows the prefix."""
        return parse_action(Action, rest)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None or self.target_id is None:
            await send_ephemeral(interaction, NOT_YOURS)
            return
        await self.cog(interaction).on_button(interaction, self.action, self.target_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (RepairButton,)


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View | None:
    if not items:
        return None
    # Never stopped and no timeout: the DynamicItem answers clicks after restarts too.
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def dm_view(
    apology_id: int, status: ApologyStatus, *, reminders: bool = False
) -> discord.ui.View | None:
    """The apology DM's buttons for where it stands."""
    actions: list[Action] = []
    if status in (ApologyStatus.SENDING, ApologyStatus.OPEN):
        actions += [Action.THANKS, Action.TIME, Action.TALK]
    elif status is ApologyStatus.TIME:
        actions += [Action.THANKS, Action.TALK]
        if reminders:
            actions += list(logic.REMINDERS)
    if status is not ApologyStatus.CLOSED:
        actions.append(Action.BLOCK)
    return _view(*(RepairButton(a, apology_id) for a in actions))


def unblock_view(block_id: int) -> discord.ui.View | None:
    return _view(RepairButton(Action.UNBLOCK, block_id))


# --------------------------------------------------------------------------- the apology


def _name(user_id: int) -> str:
    return f"<@{user_id}>"


def apology_embed(sender_id: int, parts: Parts, *, guild_name: str | None = None) -> discord.Embed:
    """The apology as the friend reads it."""
    where = f" (from **{textfit.one_line(guild_name, 100)}**)" if guild_name else ""
    fields = [
        (logic.FRIEND_LABELS[key], textfit.fit(text, textfit.FIELD_VALUE))
        for key, text in parts.named()
    ]
    return ui.embed(
        "An apology for you",
        f"{_name(sender_id)} wanted to say sorry, privately{where}.",
        practice=PRACTICE,
        fields=fields,
        footer="Only you can see this. Answer whenever you're ready, or not at all — "
        "no answer is owed.",
    )


def notes_embed(slips: Sequence[Slip]) -> discord.Embed:
    if not slips:
        return ui.embed(
            "Gentle notes",
            "Nothing to flag: it owns what happened and makes room for how it felt. 💛",
            practice=PRACTICE,
        )
    lines = [f"• “{textfit.one_line(slip.words, 80)}” — {slip.rule.note}" for slip in slips]
    return ui.embed(
        "Gentle notes",
        "A few spots that might not land the way you mean them. Only suggestions — "
        "it's your apology.\n\n" + "\n".join(lines),
        practice=PRACTICE,
    )


def preview_text(friend_id: int, *, dms_off: bool, problem: str | None = None) -> str:
    if problem is not None:
        return f"{problem} Press **Edit** to add to it — everything you wrote is kept."
    text = (
        f"Here's how it will look to {_name(friend_id)}. Nothing is sent until you press "
        "**Send**, and it goes only to them, by DM."
    )
    if dms_off:
        text += (
            " Their answer comes back to you by DM, so sending it lets Hearth DM you "
            "(you can turn that off any time in `/boundaries mine`)."
        )
    else:
        text += " Their answer, if they give one, comes to you by DM — and only to you."
    return text


@dataclass(frozen=True, slots=True)
class Draft:
    """An apology on its way: who to, and the words (validated or not yet)."""

    guild_id: int
    user_id: int
    friend_id: int
    friend_name: str
    happened: str = ""
    impact: str = ""
    change: str = ""
    need: str = ""

    @property
    def raw(self) -> Parts:
        return Parts(self.happened, self.impact, self.change, self.need)


_PLACEHOLDERS: dict[str, str] = {
    "happened": "What I did or said, in plain words.",
    "impact": "How it may have landed for you.",
    "change": "What I'll do next time.",
    "need": "Is there anything you need from me?",
}


class ApologyModal(ui.HearthModal):
    """The four parts, prefilled when editing."""

    def __init__(self, cog: RepairCog, draft: Draft, *, editing: bool = False) -> None:
        super().__init__(title=f"An apology to {draft.friend_name}")
        self.cog = cog
        self.draft = draft
        self.editing = editing
        self.happened = self._input("happened", draft.happened, logic.MAX_PART, required=True)
        self.impact = self._input("impact", draft.impact, logic.MAX_PART, required=True)
        self.change = self._input("change", draft.change, logic.MAX_PART, required=True)
        self.need = self._input("need", draft.need, logic.MAX_NEED, required=False)

    def _input(
        self, key: str, value: str, limit: int, *, required: bool
    ) -> discord.ui.TextInput[ApologyModal]:
        field: discord.ui.TextInput[ApologyModal] = discord.ui.TextInput(
            label=textfit.one_line(logic.LABELS[key], textfit.TEXT_INPUT_LABEL),
            style=discord.TextStyle.paragraph,
            placeholder=_PLACEHOLDERS[key],
            default=value[:limit] or None,
            max_length=limit,
            required=required,
        )
        self.add_item(field)
        return field

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        draft = replace(
            self.draft,
            happened=self.happened.value or "",
            impact=self.impact.value or "",
            change=self.change.value or "",
            need=self.need.value or "",
        )
        await self.cog.on_draft(interaction, draft, editing=self.editing)


class PreviewView(ui.HearthView):
    """Edit or Send, on the sender's private preview (or let it go)."""

    def __init__(self, cog: RepairCog, draft: Draft, *, ready: bool) -> None:
        super().__init__(owner_id=draft.user_id, timeout=900)
        self.cog = cog
        self.draft = draft
        edit: discord.ui.Button[PreviewView] = discord.ui.Button(
            label="Edit", emoji="✏️", style=discord.ButtonStyle.secondary
        )
        send: discord.ui.Button[PreviewView] = discord.ui.Button(
            label="Send", emoji="🩹", style=discord.ButtonStyle.primary, disabled=not ready
        )
        drop: discord.ui.Button[PreviewView] = discord.ui.Button(
            label="Not now", style=discord.ButtonStyle.secondary
        )
        edit.callback = self._edit  # type: ignore[method-assign]
        send.callback = self._send  # type: ignore[method-assign]
        drop.callback = self._drop  # type: ignore[method-assign]
        for button in (edit, send, drop):
            self.add_item(button)

    async def _edit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(ApologyModal(self.cog, self.draft, editing=True))
        self.stop()  # the form's answer brings a fresh preview

    # Each answers the click before the view stops listening, so Hearth's "nobody handles
    # this" fallback never sees it unanswered.

    async def _send(self, interaction: discord.Interaction[Any]) -> None:
        # Acknowledged at once: the preview is replaced by what happened once it's known.
        await interaction.response.defer()
        self.stop()
        await self.cog.on_send(interaction, self.draft)

    async def _drop(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.edit_message(
            content=textfit.fit(
                "Okay, it stays with you — nothing was sent, and Hearth hasn't kept a copy. "
                "Here's what you wrote:\n\n" + logic.draft_text(self.draft.raw),
                textfit.CONTENT,
            ),
            embeds=[],
            view=None,
        )
        self.stop()


# --------------------------------------------------------------------------- answers


def answered_line(status: ApologyStatus) -> str:
    return {
        ApologyStatus.THANKED: "You said **thank you**. I've let them know. 💛",
        ApologyStatus.TALK: "You said you'd like to **talk**. I've let them know.",
        ApologyStatus.TIME: (
            "You said you **need some time**. I've let them know — there's no rush. "
            "If you like, I can remind you (and only you) later:"
        ),
        ApologyStatus.CLOSED: (
            "Done. Apologies from them won't reach you through Hearth. They won't be "
            "told: if they try, it simply can't be delivered, as if your DMs were closed."
        ),
    }[status]


def reminder_set_line(when: datetime) -> str:
    return (
        f"I'll remind you {discord_timestamp(when, 'R')} — just you; nobody else hears about "
        "it. Answer before then if you're ready."
    )


def sender_answer_message(
    friend_id: int, status: ApologyStatus, created_at: datetime, extra: str = ""
) -> str:
    when = discord_timestamp(created_at, "D")
    text = {
        ApologyStatus.THANKED: f"💛 {_name(friend_id)} read your apology from {when} and said "
        "**thank you**. No need to say more for now — let it settle.",
        ApologyStatus.TIME: f"🌿 {_name(friend_id)} read your apology from {when} and needs **some "
        "time**. Give them room; they'll come back to it when they're ready.",
        ApologyStatus.TALK: f"🕊️ {_name(friend_id)} read your apology from {when} and would like to "
        "**talk**.",
    }[status]
    return f"{text} {extra}".strip()


TALK_IN_THREAD = (
    "I'm opening a private thread for just the two of you in {channel} — look out for it."
)
TALK_DIRECTLY = (
    "Reaching out to them directly — a call, a walk, a message — is a good next step, when "
    "you're both ready."
)
THREAD_FAILED = (
    "I couldn't open a private thread for you two after all. Reaching out directly — a call, a "
    "walk, a message — works just as well."
)


def guide_message(sender_id: int, friend_id: int) -> tuple[str, discord.Embed]:
    content = (
        f"{_name(sender_id)} {_name(friend_id)} — a private thread for the two of you: only "
        "you were added to it."
    )
    embed = ui.embed(
        "A calm talk",
        "A few things that help:\n\n"
        "• **One speaks, the other listens.** Take turns; listen to understand, not to reply.\n"
        "• **Reflect back** what you heard before you answer — “So it hurt when…”. The "
        "*Reflect back* app on a message (right-click or long-press → Apps) can help.\n"
        "• **Talk about what happened and how it felt**, not about who's right.\n"
        "• **Take a breath when it's too much.** `/repair pause` asks for a break and brings "
        "you both back to it later.\n"
        "• It's fine to end with “can we keep talking tomorrow?”.",
        practice=PRACTICE,
        footer="Hearth doesn't read what's written here.",
    )
    return content, embed


def reminder_message(sender_id: int) -> str:
    return (
        f"A little reminder, as you asked: {_name(sender_id)}'s apology is still there whenever "
        "you're ready. There's no rush, and no answer is owed."
    )


def follow_up_message(friend_id: int, change: str | None) -> discord.Embed:
    body = (
        f"It's been a week since {_name(friend_id)} answered your apology. How are things "
        "between you?"
    )
    if change:
        body += (
            "\n\nYou said you'd do this differently:\n"
            + textfit.quote_block(change, logic.MAX_PART + 50)
            + "\n\nHow has that gone? Small steps count."
        )
    return ui.embed(
        "How's it going?",
        body,
        practice=PRACTICE,
        footer="Just for you. No need to reply.",
    )


# --------------------------------------------------------------------------- pauses


def pause_note(user_id: int, minutes: int, *, late: bool) -> str:
    if late:
        return (
            f"{_name(user_id)} asked for a short pause in your conversation while you were "
            "away, and wants to come back to it — whenever you're both ready."
        )
    return (
        f"{_name(user_id)} needs a short pause from your conversation — about "
        f"{logic.minutes_text(minutes)} — and wants to come back to it. Taking a breath is a "
        "good thing; I'll let you both know when the time is up."
    )


def pause_over_for_user(friend_id: int) -> str:
    return (
        f"Your pause with {_name(friend_id)} is over. When you feel ready, you could go back "
        "to the conversation — starting with what you heard from them helps."
    )


def pause_over_for_friend(user_id: int) -> str:
    return (
        f"{_name(user_id)}'s pause is over. They wanted to come back to your conversation — "
        "whenever you're both ready."
    )


def pause_over_in_thread(user_id: int, friend_id: int) -> str:
    return (
        f"{_name(user_id)} {_name(friend_id)} — the pause is over. Whenever you're both ready, "
        "pick it up gently: one speaks, the other reflects back."
    )


# --------------------------------------------------------------------------- validating


def validations_embed(cards: Sequence[Card]) -> discord.Embed:
    if not cards:
        return ui.embed(
            "Ways to validate a feeling",
            "Validating isn't agreeing: it's letting someone know their feeling makes sense. "
            "Try naming what you hear — “that sounds really hard” — before anything else.",
            practice=PRACTICE,
        )
    lines = []
    for card in cards:
        tip = f"\n{card.tip}" if card.tip else ""
        lines.append(f"**{card.text}**{tip}")
    return ui.embed(
        "Ways to validate a feeling",
        "Validating isn't agreeing: it's letting someone know their feeling makes sense. "
        "A few to try:\n\n" + "\n\n".join(lines),
        practice=PRACTICE,
        footer="Run it again for others. Only you can see this.",
    )
