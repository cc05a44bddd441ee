"""Across a whole scenario — every practice, then show, export and delete — Hearth's logs
(at DEBUG for its own code, INFO for discord.py) hold ids and events, never what anyone
wrote, their names, the token or the data key."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.e2e.test_privacy import (
    ANA_ANSWER,
    ANA_DEBRIEF,
    ANA_FRIEND_NOTE,
    ANA_NOTE,
    ANA_PRIVATE_SHARE,
    ANA_SHARE,
    ANA_TITLE,
    BEN_ANSWER,
    BEN_NOTE,
    make_story,
    until_done,
)
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import TEST_DATA_KEY, HearthHarness


class Everything(logging.Handler):
    """Every record, formatted the way an operator's log file would show it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # tracebacks included


@pytest.fixture
def logs() -> Iterator[Everything]:
    handler = Everything()
    levels = {"bot": logging.DEBUG, "cogs": logging.DEBUG, "discord": logging.INFO}
    saved = {name: logging.getLogger(name).level for name in levels}
    for name, level in levels.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
    yield handler
    for name, level in saved.items():
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_logs_never_hold_words_names_or_secrets(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness, logs: Everything
) -> None:
    story = await make_story(fake_discord, hearth_unstarted)
    await story.everything()
    await story.ana.slash("checkin history")
    await story.ana.slash("privacy show")
    await story.export(story.ana)
    asked = await story.ana.slash("privacy delete")
    await until_done(await story.ana.click(asked, "Delete everything"))
    await story.hearth.restart()

    text = "\n".join(logs.lines)
    assert len(logs.lines) > 30  # the scenario really was logged
    assert f"user={story.ana.id}" in text  # ids are how events are told apart
    forbidden = [
        ANA_NOTE,
        ANA_FRIEND_NOTE,
        ANA_DEBRIEF,
        ANA_TITLE,
        ANA_ANSWER,
        ANA_SHARE,
        ANA_PRIVATE_SHARE,
        BEN_NOTE,
        BEN_ANSWER,
        fake_discord.token,
        fake_discord.token.split(".")[-1],  # even the token's secret part alone
        TEST_DATA_KEY,
        "Aurelia",
        "Bramwell",
    ]
    for secret in forbidden:
        assert secret not in text, secret
