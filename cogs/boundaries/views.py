"""What people click: the private boundaries panel, its modals, and the consent buttons.

Everything here shows and parses; every change is one call to a method of the cog
(`BoundariesCog`), which owns the write. The panel and modals are handed the cog by
whoever opens them; persistent buttons find it with `self.cog(interaction)`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import time
from typing import TYPE_CHECKING, Any

import discord

from bot import textfit, timeutil, ui
from bot.boundaries import TIMEZONE_BUTTON_ID
from bot.boundaries_rules import (
    DEPTH_LEVELS,
    PAUSES,
    BoundaryError,
    MemberPrefs,
    OptIn,
    PersonPrefs,
    depth_label,
    is_paused,
)
from bot.cog import HearthItem, IdItem, parse_id
from bot.decks import SENSITIVE_TOPICS
from bot.errors import HearthError, send_ephemeral
from cogs.boundaries import logic
from cogs.boundaries.logic import PanelAction

if TYPE_CHECKING:
    from cogs.boundaries.cog import BoundariesCog

# Called with the interaction to answer and the one line that confirms a change.
Saved = Callable[[discord.Interaction[Any], str], Awaitable[None]]


@contextmanager
def kindly() -> Iterator[None]:
    """A refused setting becomes the kind sentence the person sees, and changes nothing."""
    try:
        yield
    except (BoundaryError, timeutil.UnknownTimezone) as exc:
        raise HearthError(str(exc)) from None


def _option(label: str, value: str, description: str, *, default: bool) -> discord.SelectOption:
    return discord.SelectOption(
        label=textfit.one_line(label, textfit.OPTION_LABEL),
        value=value,
        description=textfit.one_line(description, textfit.OPTION_DESCRIPTION),
        default=default,
    )


# --------------------------------------------------------------------------- the panel


async def build_panel(
    cog: BoundariesCog, user_id: int, guild_id: int | None
) -> tuple[discord.Embed, PanelView]:
    bot = cog.bot
    person = await bot.boundaries.person(user_id)
    member: MemberPrefs | None = None
    if guild_id is not None:
        # The caller touched them, so the row exists; the defaults cover a lost race.
        member = await bot.boundaries.member(guild_id, user_id) or MemberPrefs(guild_id, user_id)
    now = bot.clock.now()
    declared = list(bot.boundaries.opt_ins.values())
    embed = ui.embed(
        logic.PANEL_TITLE,
        logic.PANEL_INTRO,
        practice="boundaries",
        fields=logic.panel_fields(person, member, now, declared),
        footer=logic.PANEL_FOOTER_GUILD if member is not None else logic.PANEL_FOOTER_DM,
    )
    return embed, PanelView(cog, user_id, guild_id, person, member)


class DepthSelect(discord.ui.Select["PanelView"]):
    def __init__(self, current: int | None) -> None:
        options = [
            _option(logic.FOLLOW_LABEL, logic.FOLLOW, logic.FOLLOW_HINT, default=current is None)
        ]
        options += [
            _option(depth_label(d), str(d), level.hint, default=current == d)
            for d, level in DEPTH_LEVELS.items()
        ]
        super().__init__(placeholder="Your comfort depth here", options=options, row=0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        await self.view.set_comfort(interaction, self.values[0])


class TopicsSelect(discord.ui.Select["PanelView"]):
    def __init__(self, current: frozenset[str]) -> None:
        options = [
            discord.SelectOption(label=label, value=key, default=key in current)
            for key, label in SENSITIVE_TOPICS.items()
        ]
        super().__init__(
            placeholder="Topics to skip here (none chosen)",
            options=options,
            min_values=0,
            max_values=len(options),
            row=1,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        await self.view.set_topics(interaction, self.values)


class FeaturesSelect(discord.ui.Select["PanelView"]):
    """What you take part in here: built from what the practices declare (`opt_ins`)."""

    def __init__(self, declared: list[OptIn], current: frozenset[str]) -> None:
        options = [
            _option(o.label, o.key, o.hint, default=o.key in current)
            for o in declared[: textfit.SELECT_OPTIONS]
        ]
        super().__init__(
            placeholder="What you take part in here (nothing chosen)",
            options=options,
            min_values=0,
            max_values=len(options),
            row=2,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        await self.view.set_features(interaction, self.values)


class PanelButton(discord.ui.Button["PanelView"]):
    def __init__(
        self,
        label: str,
        action: PanelAction,
        *,
        row: int,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
        pause: str | None = None,
    ) -> None:
        super().__init__(
            label=textfit.one_line(label, textfit.BUTTON_LABEL), style=style, emoji=emoji, row=row
        )
        self.action = action
        self.pause = pause  # for PanelAction.PAUSE: one of `PAUSES`

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        await self.view.act(interaction, self.action, self.pause)


class PanelView(ui.HearthView):
    """Someone's own boundaries. Ephemeral and owner-only; every control saves at once."""

    def __init__(
        self,
        cog: BoundariesCog,
        user_id: int,
        guild_id: int | None,
        person: PersonPrefs,
        member: MemberPrefs | None,
    ) -> None:
        super().__init__(owner_id=user_id, timeout=900)
        self.cog = cog
        self.user_id = user_id
        self.guild_id = guild_id
        self.person = person
        if member is not None:
            self.add_item(DepthSelect(member.comfort_depth))
            self.add_item(TopicsSelect(member.skip_topics))
            declared = list(cog.bot.boundaries.opt_ins.values())
            if declared:
                self.add_item(FeaturesSelect(declared, member.opt_ins))
        self.add_item(PanelButton("Quiet hours…", PanelAction.QUIET, row=3, emoji="🌙"))
        if person.quiet_hours is not None:
            self.add_item(PanelButton("No quiet hours", PanelAction.NO_QUIET, row=3))
        if person.dms_allowed:
            self.add_item(PanelButton("Stop DMs", PanelAction.DMS_OFF, row=3, emoji="✉️"))
        else:
            self.add_item(
                PanelButton(
                    "Allow DMs",
                    PanelAction.DMS_ON,
                    row=3,
                    emoji="✉️",
                    style=discord.ButtonStyle.primary,
                )
            )
        self.add_item(PanelButton("Time zone…", PanelAction.TIMEZONE, row=3, emoji="🕰️"))
        if is_paused(person, cog.bot.clock.now()):
            self.add_item(
                PanelButton("Resume", PanelAction.RESUME, row=4, style=discord.ButtonStyle.success)
            )
        else:
            for key, (label, _) in PAUSES.items():
                self.add_item(PanelButton(label, PanelAction.PAUSE, row=4, emoji="⏸️", pause=key))

    async def refresh(self, interaction: discord.Interaction[Any], line: str) -> None:
        """Show the saved state in place, with one line saying what changed."""
        embed, view = await build_panel(self.cog, self.user_id, self.guild_id)
        await interaction.response.edit_message(
            content=textfit.fit(line, textfit.CONTENT), embed=embed, view=view
        )

    def _guild(self) -> int:
        if self.guild_id is None:  # the per-server controls only exist in a server panel
            raise HearthError("That one is set inside a server — open `/boundaries mine` there.")
        return self.guild_id

    async def set_comfort(self, interaction: discord.Interaction[Any], value: str) -> None:
        line = await self.cog.save_comfort(self._guild(), self.user_id, value)
        await self.refresh(interaction, line)

    async def set_topics(self, interaction: discord.Interaction[Any], values: list[str]) -> None:
        line = await self.cog.save_topics(self._guild(), self.user_id, values)
        await self.refresh(interaction, line)

    async def set_features(self, interaction: discord.Interaction[Any], values: list[str]) -> None:
        line = await self.cog.save_features(self._guild(), self.user_id, values)
        await self.refresh(interaction, line)

    async def act(
        self, interaction: discord.Interaction[Any], action: PanelAction, pause: str | None
    ) -> None:
        if action is PanelAction.QUIET:
            person = await self.cog.bot.boundaries.person(self.user_id)
            await interaction.response.send_modal(QuietHoursModal(self, person))
            return
        if action is PanelAction.TIMEZONE:
            await self.cog.ask_timezone(interaction, on_saved=self.refresh)
            return
        line = await self.cog.panel_action(self.guild_id, self.user_id, action, pause)
        await self.refresh(interaction, line)


# --------------------------------------------------------------------------- modals


def _ask(
    modal: discord.ui.Modal,
    text: str,
    *,
    placeholder: str,
    default: str | None = None,
    description: str | None = None,
) -> discord.ui.TextInput[Any]:
    """Add one short labelled text box to `modal` and return it."""
    box: discord.ui.TextInput[Any] = discord.ui.TextInput(
        placeholder=textfit.one_line(placeholder, textfit.TEXT_INPUT_PLACEHOLDER),
        default=default,
        max_length=64,
    )
    modal.add_item(
        discord.ui.Label(
            text=textfit.one_line(text, textfit.TEXT_INPUT_LABEL),
            description=description,
            component=box,
        )
    )
    return box


def _read_time(box: discord.ui.TextInput[Any], name: str) -> time:
    try:
        return timeutil.parse_local_time(box.value)
    except ValueError as exc:  # parse_local_time's messages are written for people
        raise HearthError(f"{name}: {exc}") from None


class QuietHoursModal(ui.HearthModal):
    """A local window when Hearth won't DM; asks for the time zone too if it's missing."""

    def __init__(self, panel: PanelView, person: PersonPrefs) -> None:
        super().__init__(title="Quiet hours")
        self.panel = panel
        window = person.quiet_hours
        self.start = _ask(
            self,
            "Quiet from",
            placeholder="e.g. 22:00 or 10pm",
            default=window[0].strftime("%H:%M") if window else None,
            description="From this time on, any DM from Hearth waits…",
        )
        self.end = _ask(
            self,
            "Until",
            placeholder="e.g. 07:00 or 7am",
            default=window[1].strftime("%H:%M") if window else None,
            description="…until this time. It can go past midnight.",
        )
        self.zone: discord.ui.TextInput[Any] | None = None
        if person.timezone is None:
            self.zone = _ask(
                self,
                "Your time zone",
                placeholder="A city or zone, e.g. Berlin or America/Chicago",
                description="Quiet hours follow your own clock.",
            )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        panel = self.panel
        start, end = _read_time(self.start, "Quiet from"), _read_time(self.end, "Until")
        zone = self.zone.value if self.zone is not None else None
        line = await panel.cog.save_quiet_hours(panel.guild_id, panel.user_id, start, end, zone)
        await panel.refresh(interaction, line)


class TimezoneModal(ui.HearthModal):
    """Type a city or zone; an unclear answer gets a short list to pick from."""

    def __init__(
        self, cog: BoundariesCog, *, current: str | None = None, on_saved: Saved | None = None
    ) -> None:
        super().__init__(title="Your time zone")
        self.cog = cog
        self.on_saved = on_saved
        self.zone = _ask(
            self,
            "City or time zone",
            placeholder="e.g. Berlin, New York or Asia/Tokyo",
            default=current,
            description="Quiet hours and any DMs from Hearth follow this clock.",
        )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        text = self.zone.value
        if _resolves(text):
            await self.cog.save_timezone(interaction, text, self.on_saved)
            return
        now = self.cog.bot.clock.now()
        matches = timeutil.timezone_choices(text, textfit.SELECT_OPTIONS, at=now)
        if not matches:
            raise HearthError(str(timeutil.UnknownTimezone(text)))
        await ui.reply(
            interaction,
            "A few places match — which one is yours?",
            view=TimezonePickView(self.cog, interaction.user.id, matches),
        )


def _resolves(text: str) -> bool:
    try:
        timeutil.resolve_timezone(text)
    except timeutil.UnknownTimezone:
        return False
    return True


class TimezonePickSelect(discord.ui.Select["TimezonePickView"]):
    def __init__(self, matches: list[tuple[str, str]]) -> None:
        options = [
            discord.SelectOption(label=textfit.one_line(label, textfit.OPTION_LABEL), value=value)
            for label, value in matches[: textfit.SELECT_OPTIONS]
        ]
        super().__init__(placeholder="Pick your time zone", options=options)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def edit(inter: discord.Interaction[Any], line: str) -> None:
            await inter.response.edit_message(content=line, view=None)

        assert self.view is not None
        await self.view.cog.save_timezone(interaction, self.values[0], edit)


class TimezonePickView(ui.HearthView):
    def __init__(self, cog: BoundariesCog, owner_id: int, matches: list[tuple[str, str]]) -> None:
        super().__init__(owner_id=owner_id, timeout=600)
        self.cog = cog
        self.add_item(TimezonePickSelect(matches))


class TimezoneAskButton(
    HearthItem["BoundariesCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(TIMEZONE_BUTTON_ID),
):
    """Answers the "Set my time zone" button any feature may attach (see `bot.boundaries`)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Set my time zone",
                emoji="🕰️",
                style=discord.ButtonStyle.primary,
                custom_id=TIMEZONE_BUTTON_ID,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> TimezoneAskButton:
        return cls()

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog(interaction).ask_timezone(interaction)


# --------------------------------------------------------------------------- group pace


class GroupView(ui.HearthView):
    """Under `/boundaries group`: one button to ask the group, anonymously."""

    def __init__(
        self, owner_id: int, on_propose: Callable[[discord.Interaction[Any]], Awaitable[None]]
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=600)
        self.on_propose = on_propose

    @discord.ui.button(label="Suggest going deeper", emoji="🌱", style=discord.ButtonStyle.primary)
    async def propose(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[GroupView]
    ) -> None:
        await self.on_propose(interaction)


VOTE_PREFIX = "hearth:depth:vote:"
_VOTE_ID = re.compile(r"(.*):(yes|no)", re.DOTALL)


def vote_custom_id(proposal_id: int, in_favour: bool) -> str:
    return f"{VOTE_PREFIX}{proposal_id}:{'yes' if in_favour else 'no'}"


def parse_vote(rest: str) -> tuple[int, bool] | None:
    """(proposal id, in favour) from what follows the prefix, or None if it's malformed."""
    match = _VOTE_ID.fullmatch(rest)
    proposal_id = None if match is None else parse_id(match[1])
    if match is None or proposal_id is None:
        return None
    return proposal_id, match[2] == "yes"


class VoteButton(
    IdItem["BoundariesCog"],
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Anything under the prefix reaches us, so a malformed id gets a kind word, not silence.
    template=re.compile(re.escape(VOTE_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """ "I'm in" / "Not yet" on a question about going deeper; works after restarts."""

    def __init__(
        self, proposal_id: int | None, in_favour: bool | None, *, custom_id: str | None = None
    ) -> None:
        if custom_id is None:
            assert proposal_id is not None
            assert in_favour is not None
            custom_id = vote_custom_id(proposal_id, in_favour)
        super().__init__(
            discord.ui.Button(
                label="I'm in" if in_favour is not False else "Not yet",
                style=discord.ButtonStyle.success if in_favour else discord.ButtonStyle.secondary,
                custom_id=custom_id,
            )
        )
        self.proposal_id = proposal_id
        self.in_favour = in_favour

    tail_arity = 2
    example_tail = "1:yes"

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[int, bool] | None:
        return parse_vote(rest)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        # Refusals are answered directly: the common error path logs user ids, and
        # nothing about a vote may reach a log line.
        if self.proposal_id is None or self.in_favour is None:
            await send_ephemeral(interaction, logic.VOTE_NOT_FOUND)
            return
        await self.cog(interaction).on_vote(interaction, self.proposal_id, self.in_favour)


def vote_view(proposal_id: int) -> discord.ui.View:
    """The two answers under a question. Never stopped: that would unregister the buttons."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(proposal_id, True))
    view.add_item(VoteButton(proposal_id, False))
    return view
