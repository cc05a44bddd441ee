"""pytest fixtures: `fake_discord` (the emulator, discord.py pointed at it), `hearth` (the
real Hearth bot running against it) and `hearth_unstarted`.

A test fails when the bot received a 4xx it did not expect; declare expected ones with
`fake_discord.expect_errors(50007)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from pathlib import Path

import pytest

from .harness import HearthHarness
from .server import FakeDiscord
from .spec import SpecUnavailable, default_validator

_FAKE = pytest.StashKey[FakeDiscord]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """No run without Discord's OpenAPI spec: it fails here, before any test, rather than
    letting a dozen body checks switch off unnoticed."""
    try:
        default_validator()
    except SpecUnavailable as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture
async def fake_discord(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    fake.point_discord_here()
    request.node.stash[_FAKE] = fake
    try:
        yield fake
    finally:
        await fake.stop()  # closes bots it started, then puts discord.py's URLs back


@pytest.fixture
async def hearth_unstarted(
    fake_discord: FakeDiscord, tmp_path: Path
) -> AsyncIterator[HearthHarness]:
    """Build the world first, then `await hearth_unstarted.start()`."""
    harness = HearthHarness(fake_discord, tmp_path / "hearth.sqlite3")
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def hearth(hearth_unstarted: HearthHarness) -> HearthHarness:
    """Hearth, connected and ready. Guilds added later are joined live (GUILD_CREATE)."""
    await hearth_unstarted.start()
    return hearth_unstarted


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    fake = item.stash.get(_FAKE, None)
    if fake is not None:
        bad = fake.unexpected_errors()
        if bad:
            lines = "\n  ".join(str(r) for r in bad)
            pytest.fail(
                f"the bot received {len(bad)} unexpected error response(s) from fake Discord:"
                f"\n  {lines}\n(declare intended ones with fake_discord.expect_errors(code))",
                pytrace=False,
            )
    return result
