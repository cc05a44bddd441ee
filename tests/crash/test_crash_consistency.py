"""Crash consistency: the real bot, its own process, killed at the named moments between
"state written" and "message delivered" — then started again. Nothing is lost, nothing is
doubled, and everything that carries someone's words can still be deleted.

(`make soak` runs the same story with kills at random moments, many times.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crash.scenario import afternoon
from tests.fakediscord import FakeDiscord


@pytest.mark.parametrize(
    ("crash_at", "in_the_reveal"),
    [
        # Committed, not yet sent (the prompt's post): the restart sends it.
        ("outbox.before_send:2:KILL", False),
        # Discord made an answer's message, Hearth never recorded it: the nonce finds it.
        ("outbox.after_send:3:KILL", True),
        # A deploy in the middle of a reveal: in-flight work finishes, the rest waits.
        ("outbox.after_send:2:TERM", True),
    ],
)
async def test_a_kill_at_any_named_moment_loses_and_doubles_nothing(
    fake_discord: FakeDiscord, tmp_path: Path, crash_at: str, in_the_reveal: bool
) -> None:
    story = await afternoon(fake_discord, tmp_path)
    if in_the_reveal:
        story.plan = crash_at  # for the start two days later, when the reveal runs
    await story.bot.start(crash_at=None if in_the_reveal else crash_at)
    try:
        await story.run()
        report = story.check()
    finally:
        await story.bot.stop()
    assert report.kills == 1, f"the crash point never fired; see {story.bot.log}"
    assert report.clean, (report.lost, report.doubled)
