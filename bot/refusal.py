"""`HearthError`: a kind refusal, its message written for the person who caused it.

Here rather than in `bot.errors` (which answers interactions, so imports discord) so that
pure rules and the database layer can raise it without importing discord; `bot.errors`
shows its message as the one ephemeral sentence.
"""

from __future__ import annotations


class HearthError(Exception):
    """An error whose message is written for the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
