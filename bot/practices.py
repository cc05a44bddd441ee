"""The seven practices: stable keys, the names people read, and each one's colour.

A practice key is not a folder: a practice may have several parts, each a cog in a folder
of its own (`cogs/prompts` and `cogs/sharing` both serve `sharing`). Which key means what
— practice, folder, personal-data key, opt-in, job id — is in docs/architecture.md,
"Adding a practice".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Practice:
    key: str
    number: int
    name: str
    emoji: str
    colour: int
    idea: str


PRACTICES: tuple[Practice, ...] = (
    Practice(
        "listening",
        1,
        "Active listening",
        "👂",
        0x6C8EBF,
        "Be fully there, reflect back what you heard, ask before advising.",
    ),
    Practice(
        "sharing",
        2,
        "Share authentically",
        "💬",
        0xE8A87C,
        "Start small and let others see a little more of you.",
    ),
    Practice(
        "curiosity",
        3,
        "Curious, not critical",
        "🔍",
        0x85C7A2,
        "Reach for “help me understand” before judgement.",
    ),
    Practice(
        "phones_down",
        4,
        "Phones down",
        "📵",
        0x8E7CC3,
        "Time together without the screen in between.",
    ),
    Practice(
        "support",
        5,
        "Steady support",
        "🤝",
        0xD98BA6,
        "Show up again and again — sometimes advice, often just “I'm here”.",
    ),
    Practice(
        "boundaries",
        6,
        "Boundaries and pace",
        "🌱",
        0x9CB380,
        "Nobody is rushed; the group moves at its slowest pace.",
    ),
    Practice(
        "repair",
        7,
        "Apologize and repair",
        "🩹",
        0xC9A66B,
        "Own it, hear how it landed, and mend it together.",
    ),
)

BY_KEY: dict[str, Practice] = {p.key: p for p in PRACTICES}
KEYS: tuple[str, ...] = tuple(p.key for p in PRACTICES)
HEARTH_COLOUR = 0xE07A5F


def practice(key: str) -> Practice:
    """The practice with this key; KeyError for an unknown one."""
    return BY_KEY[key]


def practice_order(key: str | None) -> int:
    """Where a practice comes in the seven (unknown or none: after them)."""
    found = BY_KEY.get(key or "")
    return found.number if found is not None else len(PRACTICES) + 1
