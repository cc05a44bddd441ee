"""What people see and click: the lobby, the running card, the results, the answer modal.

Buttons on channel posts are one `IdItem` (`hearth:pd:<action>:<challenge id>`), so they
keep working after a restart. The item only parses its id; the cog decides, after
re-reading the challenge, whether the click may do anything.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, ui
from bot.cog import IdItem, parse_action
from bot.decks import Prompt
from bot.errors import send_ephemeral
from bot.timeutil import discord_timestamp
from cogs.phones_down import logic
from cogs.phones_down.logic import Action

if TYPE_CHECKING:
    from cogs.phones_down.cog import PhonesDownCog

PRACTICE = "phones_down"
PREFIX = "hearth:pd:"

NOT_FOUND = (
    "That phones-down challenge isn't around any more. Start a fresh one with `/phonesdown start`."
)

# action → (label, emoji, style)
_LOOK: dict[Action, tuple[str, str, discord.ButtonStyle]] = {
    Action.JOIN: ("Join", "📵", discord.ButtonStyle.success),
    Action.LEAVE: ("Leave", "👋", discord.ButtonStyle.secondary),
    Action.GO: ("Start now", "▶️", discord.ButtonStyle.primary),
    Action.AWAY: ("I had to step away", "🚶", discord.ButtonStyle.secondary),
    Action.ANSWER: ("Answer", "💬", discord.ButtonStyle.primary),
}
_LATE_JOIN_LABEL = "Join late"


def challenge_custom_id(action: Action, challenge_id: int) -> str:
    return f"{PREFIX}{action}:{challenge_id}"


def parse_custom_id(rest: str) -> tuple[Action, int] | None:
    """(action, challenge id) from what follows the prefix; None if malformed."""
    return parse_action(Action, rest)


class ChallengeButton(
    IdItem["PhonesDownCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Everything under the prefix reaches us, so a forged or broken id gets a kind word.
    template=re.compile(re.escape(PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """Join / Leave / Start now / I had to step away / Answer, on a challenge's posts."""

    def __init__(
        self,
        action: Action | None,
        challenge_id: int | None,
        *,
        label: str | None = None,
        custom_id: str | None = None,
    ) -> None:
        look = (
            _LOOK[action]
            if action is not None
            else ("Phones down", "📵", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(
                label=textfit.one_line(label or look[0], textfit.BUTTON_LABEL),
                emoji=look[1],
                style=look[2],
                custom_id=custom_id
                or challenge_custom_id(
                    action or Action.JOIN, challenge_id if challenge_id is not None else 0
                ),
            )
        )
        self.action = action
        self.challenge_id = challenge_id

    tail_arity = 2
    example_tail = "join:1"

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[Action, int] | None:
        return parse_custom_id(rest)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None or self.challenge_id is None:
            await send_ephemeral(interaction, NOT_FOUND)
            return
        await self.cog(interaction).on_button(interaction, self.action, self.challenge_id)


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    # Never stopped and no timeout: the DynamicItem answers clicks after restarts too.
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def lobby_view(challenge_id: int, *, scheduled: bool) -> discord.ui.View:
    items: list[discord.ui.Item[Any]] = [
        ChallengeButton(Action.JOIN, challenge_id),
        ChallengeButton(Action.LEAVE, challenge_id),
    ]
    if not scheduled:
        items.append(ChallengeButton(Action.GO, challenge_id))
    return _view(*items)


def running_view(challenge_id: int) -> discord.ui.View:
    return _view(
        ChallengeButton(Action.JOIN, challenge_id, label=_LATE_JOIN_LABEL),
        ChallengeButton(Action.AWAY, challenge_id),
    )


def results_view(challenge_id: int) -> discord.ui.View:
    return _view(ChallengeButton(Action.ANSWER, challenge_id))


# --------------------------------------------------------------------------- cards


def heading(title: str | None) -> str:
    return f"Phones down: {title}" if title else "Phones down together"


def lobby_embed(
    *,
    title: str | None,
    duration_minutes: int,
    starts_at: datetime,
    starter_id: int | None,
) -> discord.Embed:
    length = logic.describe_minutes(duration_minutes)
    if starter_id is not None:
        text = (
            f"Let's put our phones away for **{length}** and just be together.\n\n"
            f"Tap **Join** to be in. We start {discord_timestamp(starts_at, 'R')}, or as soon "
            f"as <@{starter_id}> taps **Start now**."
        )
    else:
        text = (
            f"Your weekly phones-down time starts {discord_timestamp(starts_at, 'R')} "
            f"({discord_timestamp(starts_at, 't')}): **{length}** together, screens away.\n\n"
            "Tap **Join** to be in."
        )
    text += (
        "\n\nOnce we start I'll stay completely quiet until the end, and you can still "
        "join until half-time."
    )
    return ui.embed(heading(title), text, practice=PRACTICE)


def running_embed(
    *, title: str | None, ends_at: datetime, started_at: datetime, joined: int
) -> discord.Embed:
    friends = "friend is" if joined == 1 else "friends are"
    half = logic.late_join_until(started_at, ends_at)
    text = (
        f"Phones down until {discord_timestamp(ends_at, 't')} "
        f"({discord_timestamp(ends_at, 'R')}). **{joined}** {friends} in.\n\n"
        "I'll stay quiet until then. Enjoy each other. 🌿\n\n"
        "Something came up? Tap **I had to step away**, no explanation needed. "
        f"Late joins are open until {discord_timestamp(half, 't')}."
    )
    return ui.embed(heading(title), text, practice=PRACTICE)


def cancelled_embed(title: str | None, reason: str) -> discord.Embed:
    return ui.embed(heading(title), reason, practice=PRACTICE)


def ended_embed(title: str | None, *, results_here: bool) -> discord.Embed:
    text = "This one's done. Thank you for the time together."
    if results_here:
        text += " The results are just below."
    return ui.embed(heading(title), text, practice=PRACTICE)


def results_embed(
    *,
    title: str | None,
    res: logic.Results,
    streak_weeks: int,
    late: bool,
    prompt: Prompt | None,
    answers_here: bool,
) -> discord.Embed:
    fields: list[tuple[str, str]] = []
    if prompt is not None:
        question = prompt.text + (f"\n_{prompt.tip}_" if prompt.tip else "")
        fields.append(("A question to talk about", question))
    footer = (
        "Tap Answer to add your thoughts in a thread, only if you'd like to."
        if prompt is not None and answers_here
        else None
    )
    name = f"{title}: done!" if title else "Phones down: done!"
    return ui.embed(
        name,
        "\n".join(logic.results_lines(res, streak_weeks, late=late)),
        practice=PRACTICE,
        fields=fields,
        footer=footer,
    )


# Discord accepts at most 100 users in allowed_mentions.
MAX_PINGS = 100


def reminder_pings(user_ids: list[int]) -> tuple[str, list[int]]:
    """The line above a session's card pinging only people who asked for reminders, and
    exactly who it pings (as many as fit one message and Discord's limit of 100)."""
    if not user_ids:
        return "", []
    lead = "Phones-down time soon 📵"
    content, pinged = lead, []
    for uid in user_ids[:MAX_PINGS]:
        piece = f" <@{uid}>"
        if len(content) + len(piece) > textfit.CONTENT:
            break
        content += piece
        pinged.append(uid)
    return content, pinged


# --------------------------------------------------------------------------- answer modal


class AnswerModal(ui.HearthModal):
    """The debrief question and a box for an answer; it goes into the results' thread."""

    def __init__(self, cog: PhonesDownCog, challenge_id: int, question: str) -> None:
        super().__init__(title="Your debrief answer")
        self.cog = cog
        self.challenge_id = challenge_id
        self.add_item(discord.ui.TextDisplay(textfit.fit(question, 4000)))
        self.answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            style=discord.TextStyle.paragraph,
            max_length=1500,
            placeholder="Whatever comes to mind. It'll be posted with your name.",
        )
        self.add_item(discord.ui.Label(text="Your answer", component=self.answer))

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.cog.post_answer(interaction, self.challenge_id, self.answer.value)


# --------------------------------------------------------------------------- stats


def stats_embed(stats: logic.GroupStats) -> discord.Embed:
    if stats.sessions == 0:
        return ui.embed(
            "Our phones-down forest",
            "No phones-down time here yet. Start one with `/phonesdown start` and plant the "
            "first tree. 🌱",
            practice=PRACTICE,
        )
    sessions = f"{stats.sessions} session" + ("s" if stats.sessions != 1 else "")
    return ui.embed(
        "Our phones-down forest",
        "One tree for every session of the last 12 weeks, fuller the more of you made it "
        "the whole way.",
        practice=PRACTICE,
        fields=[
            ("Sessions together", sessions, True),
            ("Phone-free time", logic.describe_minutes(stats.free_minutes), True),
            ("Longest session", logic.describe_minutes(stats.longest_minutes), True),
            ("Most friends at once", str(stats.most_together), True),
            ("Streak", logic.streak_line(stats.streak), True),
        ],
    )


def personal_embed(stats: logic.PersonalStats) -> discord.Embed:
    if stats.sessions == 0:
        text = "You haven't joined one here yet. The next one is a lovely place to start."
    else:
        times = "once" if stats.whole_way == 1 else f"{stats.whole_way} times"
        joined = "1 session" if stats.sessions == 1 else f"{stats.sessions} sessions"
        text = (
            f"You've joined {joined} and spent **{logic.describe_minutes(stats.free_minutes)}** "
            "phone-free with your friends."
        )
        if stats.whole_way:
            text += f" You made it the whole way {times}. 🌳"
    return ui.embed("Just for you", text, practice=PRACTICE, footer="Only you can see this.")
