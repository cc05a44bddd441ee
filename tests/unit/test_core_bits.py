"""Small core promises: error wording, the invite permissions, logging hygiene, cog discovery."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.app import discover_cogs, intents
from bot.errors import HearthError, NotAdmin, describe
from bot.logs import RedactTokens
from bot.permissions import INVITE_PERMISSIONS, NEEDED

ROOT = Path(__file__).resolve().parents[2]


class _Resp:
    status = 403
    reason = "Forbidden"


def _http(code: int) -> discord.HTTPException:
    return discord.Forbidden(_Resp(), {"code": code, "message": "x"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "needle"),
    [
        (HearthError("Pick a time between 1 and 5."), "Pick a time between 1 and 5."),
        (NotAdmin(), "server admins"),
        (app_commands.NoPrivateMessage(), "inside a server"),
        (app_commands.MissingPermissions(["manage_guild"]), "Manage Server"),
        (app_commands.BotMissingPermissions(["embed_links"]), "Embed Links"),
        (_http(50013), "missing a permission"),
        (_http(50001), "can't see that channel"),
        (_http(50007), "DMs look closed"),
    ],
)
def test_known_errors_get_one_kind_sentence(error: Exception, needle: str) -> None:
    text, known = describe(error)
    assert known
    assert needle in text
    assert len(text) < 300


def test_wrapped_errors_are_unwrapped() -> None:
    cmd = app_commands.Command(name="x", description="x", callback=_noop)
    wrapped = app_commands.CommandInvokeError(cmd, HearthError("Kind words."))
    assert describe(wrapped) == ("Kind words.", True)


async def _noop(interaction: discord.Interaction) -> None:
    return None


def test_unknown_errors_are_not_dressed_up() -> None:
    assert describe(KeyError("x")) == ("", False)


def test_readme_invite_uses_the_exact_permissions() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.findall(r"permissions=(\d+)", readme)
    assert found, "README lost its invite URL"
    assert {int(v) for v in found} == {INVITE_PERMISSIONS.value}
    for flag in NEEDED:
        assert getattr(INVITE_PERMISSIONS, flag)


def test_no_privileged_intents() -> None:
    chosen = intents()
    assert not chosen.message_content
    assert not chosen.members
    assert not chosen.presences
    assert chosen.guilds
    assert chosen.guild_messages
    assert chosen.dm_messages


def test_every_cog_package_is_discovered() -> None:
    packages = sorted(
        f"cogs.{p.name}" for p in (ROOT / "cogs").iterdir() if (p / "__init__.py").exists()
    )
    assert discover_cogs() == packages
    assert "cogs.setup" in packages


def test_tokens_never_reach_the_log() -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "login with %s", (token,), None)
    RedactTokens().filter(record)
    assert token not in record.getMessage()
    assert "[token removed]" in record.getMessage()


def test_env_example_documents_every_setting() -> None:
    from bot.config import Settings

    example = (ROOT / ".env.example").read_text()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = getattr(alias, "choices", [])
        assert any(str(n) in example for n in names), f"{names} missing from .env.example"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("123", 123),
        ("1460241904435200036", 1460241904435200036),
        ("0", None),
        ("007", None),
        ("-5", None),
        ("12a", None),
        ("", None),
        ("99999999999999999999", None),  # past SQLite's INTEGER: refused, not a crash
        ("9223372036854775808", None),
        ("9223372036854775807", 2**63 - 1),
    ],
)
def test_custom_id_tails_parse_only_to_real_ids(tail: str, expected: int | None) -> None:
    from bot.cog import parse_id

    assert parse_id(tail) == expected
