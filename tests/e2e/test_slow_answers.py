"""A handler still working near Discord's 3 s deadline: Hearth answers for it in time
(bot.discord_internals.StandInResponse), and what the handler says next still reaches the
person — instead of "This interaction failed" for something that was in fact done.

Time is the emulator's: the handler is held until Hearth's stand-in answer has arrived,
then the shared clock moves past the deadline, so a first answer sent only then would be
refused (10062) as on Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.discord_internals import ANSWER_FOR_IT_AFTER
from tests.e2e.conftest import Friends, make_friends
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


@pytest.fixture
async def friends(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Friends:
    world = await make_friends(fake_discord, hearth_unstarted, ("Aurelia",), set_up=False)
    # Hearth stands in after 50 ms here (2 s in production); a first answer that never
    # comes is given up on after a second of real time, not Discord's three.
    world.bot.answer_for_it_after = 0.05
    world.fake.response_timeout = 1.0
    return world


class Held:
    """Wraps an async method so each call waits until the test lets it go on."""

    def __init__(self, method: Callable[..., Awaitable[Any]]) -> None:
        self.method = method
        self.entered = asyncio.Event()
        self.go = asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        await self.go.wait()
        return await self.method(*args, **kwargs)


@pytest.fixture
async def hold(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[[Any, str], Held]]:
    """`hold(obj, "method")`: that method waits for the test; let go at the end whatever
    happened, so a failing test never leaves a handler (and the bot's shutdown) waiting."""
    made: list[Held] = []

    def hold(owner: Any, name: str) -> Held:
        held = Held(getattr(owner, name))
        monkeypatch.setattr(owner, name, held)
        made.append(held)
        return held

    yield hold
    for held in made:
        held.go.set()


async def test_a_slow_command_is_answered_in_time_and_then_says_what_it_did(
    friends: Friends, hold: Callable[[Any, str], Held]
) -> None:
    boundaries = friends.bot.boundaries
    held = hold(boundaries, "set_timezone")

    r = await friends.ana.slash("boundaries timezone", zone="Berlin")
    assert held.entered.is_set()
    assert r.deferred, r.rejections  # "Hearth is thinking…", only for her
    assert r.ephemeral

    friends.hearth.advance(seconds=5)  # past Discord's deadline for a first answer
    held.go.set()
    answer = await r.wait_original()
    assert "Europe/Berlin" in answer.text
    assert r.rejections == []
    assert (await boundaries.person(friends.ana.id)).timezone == "Europe/Berlin"


async def test_a_slow_button_is_acknowledged_and_its_panel_still_updates(
    friends: Friends, hold: Callable[[Any, str], Held]
) -> None:
    boundaries = friends.bot.boundaries
    panel = await friends.ana.slash("boundaries mine")
    held = hold(boundaries, "set_dms_allowed")

    clicked = await friends.ana.click(panel, "Allow DMs")
    assert held.entered.is_set()
    assert clicked.type == 6, clicked.rejections  # acknowledged; the panel stays as it was

    friends.hearth.advance(seconds=5)
    held.go.set()
    await friends.fake.until(
        lambda: "Stop DMs" in [b.get("label") for b in clicked.buttons],
        what="the panel to say DMs are on",
    )
    assert clicked.rejections == []
    assert (await boundaries.person(friends.ana.id)).dms_allowed


async def test_a_quick_answer_is_the_handlers_own(friends: Friends) -> None:
    """Nothing changes for a handler that answers in time: no "thinking…" first."""
    friends.bot.answer_for_it_after = ANSWER_FOR_IT_AFTER
    r = await friends.ana.slash("boundaries timezone", zone="Berlin")
    assert r.type == 4, r.type
    assert "Europe/Berlin" in r.text
