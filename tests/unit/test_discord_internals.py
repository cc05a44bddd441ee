"""discord.py's private API stays in `bot/discord_internals.py`, checked against one version.

If one of these fails after an upgrade: reread every patch in bot/discord_internals.py
against the new discord.py's source (each says what it touches and why), fix what moved,
then set `CHECKED_VERSION` to the version you checked.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands
from discord.state import ConnectionState

from bot import discord_internals
from bot.app import HearthBot
from bot.config import Settings
from tests.fakediscord.harness import TEST_DATA_KEY

ROOT = Path(__file__).resolve().parents[2]


def test_discord_py_is_the_version_the_patches_were_checked_against() -> None:
    installed = discord.__version__
    assert installed == discord_internals.CHECKED_VERSION, (
        f"discord.py is {installed}, but bot/discord_internals.py was checked against "
        f"{discord_internals.CHECKED_VERSION}. Reread each patch there against {installed}'s "
        "source, fix what moved, then update CHECKED_VERSION."
    )


def test_every_private_name_a_patch_relies_on_is_still_there(tmp_path: Path) -> None:
    missing = [
        f"{owner.__name__}.{name}"
        for owner, name in discord_internals.RELIED_ON
        if not hasattr(owner, name)
    ]
    assert missing == [], f"discord.py no longer has {missing}: see bot/discord_internals.py"
    # The instance attributes, on a real bot.
    bot = HearthBot(
        Settings(database=tmp_path / "h.sqlite3", data_key=TEST_DATA_KEY), auto_sync=False
    )
    state = bot.gateway_state
    assert isinstance(state, discord_internals.GatewayState)
    assert callable(state._get_websocket)
    assert isinstance(bot._handlers, dict)
    assert isinstance(bot._hooks, dict)
    store = bot._connection._view_store
    assert isinstance(store, discord_internals.HearthViewStore)
    assert isinstance(store._modals, dict)
    assert isinstance(store._dynamic_items, dict)
    assert isinstance(store._views, dict)
    cog = commands.Cog()
    assert isinstance(discord_internals.cog_app_commands(cog), list)


def _private_uses(path: Path) -> list[str]:
    """`x._name` on anything but `self`/`cls`, and `__cog_…__`-style dunders of discord.py."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        dunder = re.fullmatch(r"__(cog|discord)_\w+__", node.attr) is not None
        private = node.attr.startswith("_") and not node.attr.startswith("__")
        if dunder or (private and owner not in ("self", "cls")):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    return found


def _modules() -> list[str]:
    names = []
    for folder in ("bot", "cogs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "bot" / "discord_internals.py" or path.name == "__main__.py":
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _subclass_problems(cls: type) -> list[str]:
    """A Hearth subclass of a discord.py class that reads or overrides one of discord.py's
    own underscore names through `self` (e.g. `self._connection`, `def _get_state`)."""
    ours = [k for k in cls.__mro__ if k.__module__.split(".")[0] in ("bot", "cogs")]
    theirs = [k for k in cls.__mro__ if k.__module__.split(".")[0] == "discord"]
    defined: set[str] = set()
    used: dict[str, int] = {}
    for klass in ours:
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                defined.add(node.name)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
                and node.attr.startswith("_")
            ):
                if isinstance(node.ctx, ast.Store):
                    defined.add(node.attr)
                elif klass is cls:
                    used.setdefault(node.attr, node.lineno)
    problems = [f"{cls.__qualname__} reads self.{name}" for name in used if name not in defined]
    problems += [
        f"{cls.__qualname__} overrides {name}"
        for name in vars(cls)
        if name.startswith("_")
        and not name.startswith("__")
        and any(name in vars(k) for k in theirs)
    ]
    return problems


def test_no_other_module_of_hearth_touches_discord_py_internals() -> None:
    # Hearth's own private names (`store._row`, `self._lock`) are fine; reaching into
    # discord.py's underscore names, on its objects or through `self` in a subclass of its
    # classes, belongs in bot/discord_internals.py.
    found: list[str] = []
    discord_classes = (
        discord.Client,
        commands.Cog,
        discord.ui.View,
        discord.ui.Modal,
        discord.ui.Item,
        app_commands.CommandTree,
        ConnectionState,
    )
    for name in _modules():
        module = importlib.import_module(name)
        path = Path(str(module.__file__))
        found += _private_uses(path)
        for cls in vars(module).values():
            if (
                isinstance(cls, type)
                and cls.__module__ == name
                and issubclass(cls, discord_classes)
            ):
                found += [f"{name}: {p}" for p in _subclass_problems(cls)]
    assert found == [], "discord.py internals outside bot/discord_internals.py: " + ", ".join(found)
