"""The layout's rules (docs/architecture.md), enforced: a practice's `logic.py` is pure rules
that import no discord, not even through another module; a cog never imports another cog.

Read from the source, so a new practice is covered without a list here: every import a
`logic.py` makes (inside its functions too), then what each module it reaches imports when
it is imported (not inside its functions, nor under `if TYPE_CHECKING:`, which never runs).
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COGS = sorted(p.name for p in (ROOT / "cogs").iterdir() if (p / "__init__.py").exists())
DISCORD = ("discord",)


def module_path(name: str) -> Path | None:
    """The file of a Hearth module (bot.*, cogs.*), or None for anything else."""
    if name.split(".")[0] not in ("bot", "cogs"):
        return None
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


@cache
def imports_of(name: str, *, in_functions: bool = True) -> frozenset[str]:
    """Every module `name` imports (absolute names, submodules included): when it is
    imported, and with `in_functions` also when its functions run."""
    path = module_path(name)
    if path is None:
        return frozenset()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if not in_functions and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.add(base)
            # `from bot import textfit` imports the module bot.textfit.
            found.update(
                f"{base}.{alias.name}"
                for alias in node.names
                if module_path(f"{base}.{alias.name}") is not None
            )
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    # Importing a.b.c runs a/__init__ and a/b/__init__ too.
    for full in list(found):
        parts = full.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(found)


def chain_to_discord(name: str) -> list[str] | None:
    """The import path from `name` to discord.py, or None if it never gets there."""
    # Importing a.b.logic runs a/__init__ and a/b/__init__ first.
    parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
    seen = {name, *parents}
    paths = [[name], *([name, parent] for parent in parents)]
    while paths:
        path = paths.pop(0)
        for imported in sorted(imports_of(path[-1], in_functions=len(path) == 1)):
            if imported.split(".")[0] in DISCORD:
                return [*path, imported]
            if imported not in seen and module_path(imported) is not None:
                seen.add(imported)
                paths.append([*path, imported])
    return None


def test_every_practice_has_its_rules_in_a_logic_module() -> None:
    practices = [c for c in COGS if c not in ("setup",)]
    assert len(practices) >= 6
    assert [c for c in practices if not (ROOT / "cogs" / c / "logic.py").exists()] == []


def test_no_logic_module_imports_discord_even_through_another_module() -> None:
    chains = {
        f"cogs.{cog}.logic": chain_to_discord(f"cogs.{cog}.logic")
        for cog in COGS
        if (ROOT / "cogs" / cog / "logic.py").exists()
    }
    bad = {name: " → ".join(chain) for name, chain in chains.items() if chain is not None}
    assert bad == {}, f"logic.py must stay pure (no discord): {bad}"


def test_logic_modules_really_import_without_discord() -> None:
    # The same, at run time: import every logic module in a fresh interpreter.
    names = [f"cogs.{c}.logic" for c in COGS if (ROOT / "cogs" / c / "logic.py").exists()]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {DISCORD!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_no_cog_imports_another_cog() -> None:
    crossings = []
    for cog in COGS:
        for path in sorted((ROOT / "cogs" / cog).rglob("*.py")):
            name = module_name(path)
            for imported in imports_of(name):
                parts = imported.split(".")
                if parts[0] == "cogs" and len(parts) > 1 and parts[1] != cog:
                    crossings.append(f"{name} imports {imported}")
    assert crossings == [], "cogs talk through the core (bot/), never directly: " + "; ".join(
        crossings
    )


def test_the_checks_see_what_they_look_for() -> None:
    # A test that cannot fail is a bug: the checks find discord through a chain, and a
    # crossing, when there is one.
    assert chain_to_discord("bot.ui") == ["bot.ui", "discord"]
    chain = chain_to_discord("cogs.support.views")
    assert chain is not None
    assert chain[-1].split(".")[0] == "discord"
    assert "cogs.support.logic" in imports_of("cogs.support.cog")
    assert "bot.textfit" in imports_of("bot.cog")  # `from bot import textfit`
    assert "cogs" in imports_of("cogs.support.cog")  # parents of what it imports
    assert chain_to_discord("cogs.support.cog") is not None


def _calls(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every call in a module: `store.get`, `b.acting`, …"""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            found.append((node.lineno, ast.unparse(node.func)))
    return found


def test_views_only_parse_and_show() -> None:
    # Convention 1: a button, select, panel or modal hands the click to one method of its
    # cog; the cog reads, writes and decides. So no views module calls its store or opens
    # a unit of work.
    found = []
    for cog in COGS:
        path = ROOT / "cogs" / cog / "views.py"
        if not path.exists():
            continue
        for line, func in _calls(path):
            last = func.rsplit(".", 1)[-1]
            if func.startswith("store.") or last in ("transaction", "acting"):
                found.append(f"cogs/{cog}/views.py:{line} {func}(…)")
            if last == "get_cog":
                found.append(f"cogs/{cog}/views.py:{line} finds its cog by name")
    assert found == [], "views that act instead of asking their cog: " + ", ".join(found)


def test_every_component_names_the_cog_that_registers_it() -> None:
    # `IdItem["SupportCog"]` is what `self.cog(interaction)` is typed as; the core hands the
    # item the cog that listed it in `dynamic_items`. Both must be the same class.
    import typing

    from bot.cog import HearthCog, HearthItem

    wrong = []
    for cog_name in COGS:
        module = importlib.import_module(f"cogs.{cog_name}.cog")
        for cls in vars(module).values():
            if not (isinstance(cls, type) and issubclass(cls, HearthCog)) or cls is HearthCog:
                continue
            for item in cls.dynamic_items:
                declared = [
                    typing.get_args(base)
                    for klass in item.__mro__
                    for base in getattr(klass, "__orig_bases__", ())
                    if isinstance(typing.get_origin(base), type)
                    and issubclass(typing.get_origin(base), HearthItem)
                ]
                names = {
                    arg.__forward_arg__ if isinstance(arg, typing.ForwardRef) else arg.__name__
                    for args in declared
                    for arg in args
                    if not isinstance(arg, typing.TypeVar)  # IdItem's own HearthItem[CogT]
                }
                if names != {cls.__name__}:
                    wrong.append(f"{item.__qualname__} says {names or 'nothing'}, {cls.__name__}")
    assert wrong == [], "components typed for another cog: " + "; ".join(wrong)
