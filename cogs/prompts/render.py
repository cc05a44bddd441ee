"""What the weekly prompt looks like: the post, the private answer panel and the reveal.

Anonymous answers are built from their text alone: no name, id, avatar, timestamp or
position that could point back at the person who wrote them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import discord

from bot import textfit, timeutil, ui
from bot.boundaries_rules import depth_label
from bot.decks import Prompt
from bot.practices import practice as practice_info
from cogs.prompts import logic
from cogs.prompts.logic import RoundKind, RoundStatus

HOW_IT_WORKS = (
    "Answer privately, whenever it suits you. Nobody sees anything until the reveal, when all "
    "the answers appear together in a thread, each with a name or anonymously, as its "
    "writer chose. Not feeling this one? Skip it, no reason needed."
)

# The early-reveal rule in words (`logic.early_reveal_at`), said the same way everywhere.
EARLY_RULE = (
    "sooner only once it has been up a day, at least two have answered, and everyone who "
    "answered or skipped one of the last three prompts here has answered or skipped it"
)
STAYS_OPEN = "It stays open until then, so everyone has time to find it."

ANSWER_LABEL = "Answer privately"
MINE_LABEL = "What happened to my answer?"
SKIP_LABEL = "Skip this one"


def post_title(practice: str, kind: RoundKind) -> str:
    name = practice_info(practice).name
    return (
        f"{name}: this week's prompt"
        if kind is RoundKind.WEEKLY
        else f"{name}: a prompt for you all"
    )


def tip_line(prompt: Prompt) -> str:
    return prompt.tip or practice_info(prompt.practice).idea


def post_embed(
    prompt: Prompt,
    *,
    kind: RoundKind,
    closes_at: datetime,
    state: RoundStatus = RoundStatus.OPEN,
    answer_count: int | None = None,
    early: bool = False,
) -> discord.Embed:
    """The prompt as posted in the channel, and as it reads once closed. `early`: whether
    this round can be revealed before its deadline (`logic.early_reveal_possible`)."""
    fields: list[tuple[str, str]] = []
    if state in logic.LIVE_STATUSES:
        fields.append(("How it works", HOW_IT_WORKS))
        fields.append(("Reveal", reveal_line(closes_at, early=early)))
    elif state is RoundStatus.REVEALED:
        count = f"{answer_count} answers" if answer_count else "The answers"
        fields.append(("Revealed", f"{count} are in the thread under this post. Thank you all."))
    else:
        fields.append(
            (
                "Closed",
                "Not enough answers came in to share, so they stay private. "
                "That's okay: there's always next week. Answered? The button below tells "
                "you privately what became of yours.",
            )
        )
    return ui.embed(
        post_title(prompt.practice, kind),
        f"**{prompt.text}**\n\n💡 {tip_line(prompt)}",
        practice=prompt.practice,
        fields=fields,
        footer=f"Depth {depth_label(prompt.depth)}",
    )


def reveal_line(closes_at: datetime, *, early: bool) -> str:
    """When the answers come out, exactly as the rule will decide it."""
    when = (
        f"{timeutil.discord_timestamp(closes_at, 'f')} "
        f"({timeutil.discord_timestamp(closes_at, 'R')})"
    )
    return f"{when}, or {EARLY_RULE}." if early else f"{when}. {STAYS_OPEN}"


def deadline_rule(hours: int) -> str:
    """The general rule for `/hearth settings` and `/hearth prompt deadline`."""
    if timedelta(hours=hours) <= logic.EARLY_REVEAL_AFTER:
        return f"revealed {hours} h after each prompt is posted"
    return (
        f"revealed {hours} h after each prompt is posted, or {EARLY_RULE} (if nobody did, it "
        "stays open the whole time)"
    )


def thread_name(prompt: Prompt) -> str:
    return textfit.one_line(f"Answers: {prompt.text}", textfit.THREAD_NAME)


def reveal_intro(count: int) -> str:
    return (
        f"Here's what {count} of you shared, in no particular order. Thank you for opening up. 💛"
    )


def answer_embed(body: str, *, practice: str, user_id: int | None) -> discord.Embed:
    """One revealed answer. `user_id` None means anonymous: the embed then carries nothing
    but the words and the practice colour."""
    signature = f"— <@{user_id}>" if user_id is not None else "— shared anonymously"
    return discord.Embed(
        description=textfit.fit(body, logic.MAX_ANSWER_CHARS + 100) + f"\n\n{signature}",
        colour=ui.colour_for(practice),
    )


def panel_embed(
    prompt: Prompt, *, closes_at: datetime, body: str | None, anonymous: bool
) -> discord.Embed:
    """The private panel behind "Answer privately"."""
    reveal = timeutil.discord_timestamp(closes_at, "R")
    if body is None:
        text = (
            f"> {textfit.one_line(prompt.text, 300)}\n\n"
            f"Your answer stays private until the reveal ({reveal}); then everyone's answers "
            "appear together. If fewer than two people answer, nothing is shown at all.\n\n"
            "How would you like yours shown?"
        )
        return ui.embed("Your answer, privately", text, practice=prompt.practice)
    shown = "anonymously" if anonymous else "with your name"
    text = (
        f"> {textfit.one_line(prompt.text, 300)}\n\n"
        f"**Your answer** (shown {shown} at the reveal, {reveal}):\n"
        f"{textfit.quote_block(body, 1200)}\n\n"
        "You can change it, switch how it's shown, or take it back until then."
    )
    return ui.embed("Your answer, privately", text, practice=prompt.practice)


def quoted_back(body: str) -> str:
    """Someone's own words shown back to them (so nothing they wrote is lost)."""
    return textfit.quote_block(body, 1500)
