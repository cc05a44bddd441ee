"""A local Discord for tests: REST + gateway on 127.0.0.1 that real discord.py talks to.

See README.md in this folder for a ten-line example and what is (not) modelled.
"""

from ._util import DiscordError, ManualClock
from .actors import FakeInteraction, FakeModal, InteractionResult, NoResponse, NotPermitted
from .mentions import Pings
from .models import (
    FakeAttachment,
    FakeChannel,
    FakeCommand,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
)
from .server import FakeDiscord, RequestRecord, fast_startup

__all__ = [
    "DiscordError",
    "FakeAttachment",
    "FakeChannel",
    "FakeCommand",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeModal",
    "FakeRole",
    "FakeUser",
    "InteractionResult",
    "ManualClock",
    "NoResponse",
    "NotPermitted",
    "Pings",
    "RequestRecord",
    "fast_startup",
]
