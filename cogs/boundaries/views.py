"""What people click: the private boundaries panel, its modals, and the consent buttons.

Everything here shows and parses; every change is one call to a method of the cog
(`BoundariesCog`), which owns the write. The panel's controls are persistent items whose
ids say whose panel it is (`PanelControl`), so no view is kept per panel; modals are
handed the cog by whoever opens them; persistent buttons find it with
`self.cog(interaction)`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
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


# --------------------------------------------------------------------------- the panel

# hearth:bd:panel:<control>[.<pause>][:<server id>] — what a control does and in which
# server, so the panel holds nothing between clicks (and keeps working after a restart). It
# always acts on the boundaries of whoever presses it, so no person's id is needed, and none
# is sent: nothing Hearth sends may tie a person to a setting (or a vote) but their own
# screen.
PANEL_PREFIX = "hearth:bd:panel:"
_PANEL_ID = re.compile(r"([a-z_]+)(?:\.([a-z_]+))?(?::(.*))?", re.DOTALL)
_PANEL_ACTIONS = frozenset(a.value for a in PanelAction)


def panel_custom_id(control: PanelAction, guild_id: int | None, pause: str | None = None) -> str:
    what = f"{control}.{pause}" if pause is not None else str(control)
    where = f":{guild_id}" if guild_id is not None else ""
    return f"{PANEL_PREFIX}{what}{where}"


def parse_panel_id(rest: str) -> tuple[PanelAction, str | None, int | None] | None:
    """(what the control does, which pause for a pause button, server id or None in DMs)
    from what follows the prefix; None if it's malformed."""
    match = _PANEL_ID.fullmatch(rest)
    if match is None or match[1] not in _PANEL_ACTIONS:
        return None
    guild_id = parse_id(match[3]) if match[3] is not None else None
    if match[3] is not None and guild_id is None:
        return None
    return PanelAction(match[1]), match[2], guild_id


class PanelControl(
    IdItem["BoundariesCog"],
    discord.ui.DynamicItem[discord.ui.Item[Any]],
    # Everything under the prefix reaches us, so a forged id gets a kind word.
    template=re.compile(re.escape(PANEL_PREFIX) + r"(?P<rest>.*)", re.DOTALL),
):
    """A button or select on someone's boundaries panel. Its id says what it does and in
    which server; the cog checks the server against where it was pressed, and changes the
    boundaries of whoever pressed it. No view is kept per panel: one that was answered or
    left open holds nothing."""

    tail_arity = 3
    example_tail = "dms_off:1"

    def __init__(
        self,
        action: PanelAction | None,
        pause: str | None,
        guild_id: int | None,
        *,
        custom_id: str | None = None,
        item: discord.ui.Item[Any] | None = None,
    ) -> None:
        if item is None:
            item = discord.ui.Button(label="Boundaries", custom_id=custom_id)
        super().__init__(item)
        self.action = action
        self.pause = pause
        self.guild_id = guild_id

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[PanelAction, str | None, int | None] | None:
        return parse_panel_id(rest)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PanelControl:
        parsed = cls.parse_tail(match["rest"]) or (None, None, None)
        custom_id = match[0][: textfit.CUSTOM_ID]
        # A fresh item of the clicked kind; the select's chosen values arrive on it.
        clicked: discord.ui.Item[Any] = (
            discord.ui.Select(custom_id=custom_id)
            if isinstance(item, discord.ui.Select)
            else discord.ui.Button(label="Boundaries", custom_id=custom_id)
        )
        return cls(*parsed, item=clicked)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if self.action is None:
            await send_ephemeral(interaction, ui.NOT_YOURS)
            return
        values = list(self.item.values) if isinstance(self.item, discord.ui.Select) else []
        await self.cog(interaction).on_panel(
            interaction, self.action, self.pause, self.guild_id, values
        )


def _option(label: str, value: str, description: str) -> tuple[str, str, str]:
    """A select option's words, fitted once: they are the same for everyone."""
    return (
        textfit.one_line(label, textfit.OPTION_LABEL),
        value,
        textfit.one_line(description, textfit.OPTION_DESCRIPTION),
    )


_DEPTHS = (
    _option(logic.FOLLOW_LABEL, logic.FOLLOW, logic.FOLLOW_HINT),
    *(_option(depth_label(d), str(d), level.hint) for d, level in DEPTH_LEVELS.items()),
)
_TOPICS = tuple((label, key) for key, label in SENSITIVE_TOPICS.items())


@functools.lru_cache(maxsize=4)
def _opt_in_options(declared: tuple[OptIn, ...]) -> tuple[tuple[str, str, str], ...]:
    """What the practices declare people may take part in, fitted once (the same for
    everyone, and fixed once the cogs are loaded)."""
    return tuple(_option(o.label, o.key, o.hint) for o in declared[: textfit.SELECT_OPTIONS])


def _options(
    fitted: tuple[tuple[str, str, str], ...], chosen: frozenset[str]
) -> list[discord.SelectOption]:
    return [
        discord.SelectOption(label=label, value=value, description=hint, default=value in chosen)
        for label, value, hint in fitted
    ]


def _select(
    action: PanelAction,
    guild_id: int,
    options: list[discord.SelectOption],
    placeholder: str,
    *,
    row: int,
    many: bool,
) -> PanelControl:
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=panel_custom_id(action, guild_id),
        placeholder=placeholder,
        options=options,
        min_values=0 if many else 1,
        max_values=len(options) if many else 1,
        row=row,
    )
    return PanelControl(action, None, guild_id, item=select)


def _button(
    action: PanelAction,
    guild_id: int | None,
    label: str,
    *,
    row: int,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    emoji: str | None = None,
    pause: str | None = None,
) -> PanelControl:
    button: discord.ui.Button[Any] = discord.ui.Button(
        label=textfit.one_line(label, textfit.BUTTON_LABEL),
        style=style,
        emoji=emoji,
        row=row,
        custom_id=panel_custom_id(action, guild_id, pause),
    )
    return PanelControl(action, pause, guild_id, item=button)


def panel(
    guild_id: int | None,
    person: PersonPrefs,
    member: MemberPrefs | None,
    now: datetime,
    declared: tuple[OptIn, ...],
) -> tuple[discord.Embed, discord.ui.View]:
    """Someone's own boundaries: ephemeral, and every control saves at once. In a server
    (`member` given) it has that server's depth, topics and what the practices `declared`
    people may take part in."""
    embed = ui.embed(
        logic.PANEL_TITLE,
        logic.PANEL_INTRO,
        practice="boundaries",
        fields=logic.panel_fields(person, member, now, list(declared)),
        footer=logic.PANEL_FOOTER_GUILD if member is not None else logic.PANEL_FOOTER_DM,
    )
    items: list[discord.ui.Item[Any]] = []
    if member is not None and guild_id is not None:
        depth = logic.FOLLOW if member.comfort_depth is None else str(member.comfort_depth)
        topics = [
            discord.SelectOption(label=label, value=key, default=key in member.skip_topics)
            for label, key in _TOPICS
        ]
        items += [
            _select(
                PanelAction.DEPTH,
                guild_id,
                _options(_DEPTHS, frozenset((depth,))),
                "Your comfort depth here",
                row=0,
                many=False,
            ),
            _select(
                PanelAction.TOPICS,
                guild_id,
                topics,
                "Topics to skip here (none chosen)",
                row=1,
                many=True,
            ),
        ]
        if declared:
            items.append(
                _select(
                    PanelAction.FEATURES,
                    guild_id,
                    _options(_opt_in_options(declared), member.opt_ins),
                    "What you take part in here (nothing chosen)",
                    row=2,
                    many=True,
                )
            )
    items.append(_button(PanelAction.QUIET, guild_id, "Quiet hours…", row=3, emoji="🌙"))
    if person.quiet_hours is not None:
        items.append(_button(PanelAction.NO_QUIET, guild_id, "No quiet hours", row=3))
    if person.dms_allowed:
        items.append(_button(PanelAction.DMS_OFF, guild_id, "Stop DMs", row=3, emoji="✉️"))
    else:
        items.append(
            _button(
                PanelAction.DMS_ON,
                guild_id,
                "Allow DMs",
                row=3,
                emoji="✉️",
                style=discord.ButtonStyle.primary,
            )
        )
    items.append(_button(PanelAction.TIMEZONE, guild_id, "Time zone…", row=3, emoji="🕰️"))
    if is_paused(person, now):
        items.append(
            _button(
                PanelAction.RESUME, guild_id, "Resume", row=4, style=discord.ButtonStyle.success
            )
        )
    else:
        for key, (label, _) in PAUSES.items():
            items.append(_button(PanelAction.PAUSE, guild_id, label, row=4, emoji="⏸️", pause=key))
    return embed, ui.stateless_view(*items)


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

    def __init__(self, cog: BoundariesCog, guild_id: int | None, person: PersonPrefs) -> None:
        super().__init__(title="Quiet hours")
        self.cog = cog
        self.guild_id = guild_id
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
        start, end = _read_time(self.start, "Quiet from"), _read_time(self.end, "Until")
        zone = self.zone.value if self.zone is not None else None
        await self.cog.on_quiet_hours(interaction, self.guild_id, start, end, zone)


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
