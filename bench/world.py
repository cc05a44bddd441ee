"""Building the emulator's world for a benchmark: many small friend-group servers."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember

# Wednesday 14 January 2026: a plain winter week, far from any DST change.
BASE = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


@dataclass
class Server:
    guild: FakeGuild
    channel: FakeChannel  # Hearth's channel
    owner: FakeMember
    members: list[FakeMember]  # everyone but the bot, owner first


def build_servers(
    fake: FakeDiscord, count: int, members: int, *, prefix: str = "s"
) -> list[Server]:
    """`count` servers like a friend group's: a few channels, a role, `members` people."""
    servers: list[Server] = []
    for i in range(count):
        guild = fake.add_guild(f"{prefix}{i}", owner=f"{prefix}{i}-owner")
        guild.add_category("Text")
        guild.add_text_channel("general")
        channel = guild.add_text_channel("hearth")
        guild.add_text_channel("memes")
        guild.add_role("friends", mentionable=True)
        owner = guild.owner
        people = [owner]
        for j in range(members - 1):
            people.append(guild.add_member(f"{prefix}{i}-m{j}"))
        servers.append(Server(guild, channel, owner, people))
    return servers


@asynccontextmanager
async def emulator(*, spec: bool = True, clock: Any = None) -> AsyncIterator[FakeDiscord]:
    """A started emulator (its own clock unless given), stopped afterwards."""
    from tests.fakediscord import FakeDiscord

    fake = FakeDiscord(spec=bool(spec), clock=clock)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@contextmanager
def workspace(keep: Path | None = None) -> Iterator[Path]:
    """A scratch folder for databases and bot logs."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        yield Path(tmp)


# "Unknown interaction": an answer that came after Discord's 3 s.
LATE = 10062


def unexpected(fake: FakeDiscord, *, late_is_timing: bool = False) -> list[str]:
    """4xx answers the bot got that nobody provoked on purpose (as the tests' check). With
    `late_is_timing`, answers past Discord's 3 s are left to `too_late`: a busy machine
    makes those, and timing is what the figures judge."""
    bad = [r for r in fake.unexpected_errors() if not (late_is_timing and r.code == LATE)]
    found = [f"the bot got an unexpected error: {r}" for r in bad[:5]]
    if len(bad) > 5:
        found.append(f"…and {len(bad) - 5} more unexpected errors")
    return found


def ready_late(wait: float, due: str) -> list[str]:
    """A remark when the bot came up with under half a second to spare before `due`."""
    if wait >= 0.5:
        return []
    if wait < 0:
        return [f"the bot was ready only {-wait:.1f} s after {due}"]
    return [f"the bot was ready only {wait:.1f} s before {due}"]


def too_late(fake: FakeDiscord) -> list[str]:
    """Interactions answered after Discord's 3 s (see `unexpected`)."""
    late = sum(1 for r in fake.unexpected_errors() if r.code == LATE)
    return [f"{late} interaction answers came after Discord's 3 s"] if late else []


def fresh(path: Path) -> Path:
    """A database path with nothing left from an earlier run (nor its WAL files)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def quiet_emulator_logs() -> None:
    # aiohttp's access log is off already; keep the emulator's own chatter out of stdout.
    logging.getLogger("tests.fakediscord").setLevel(logging.WARNING)
