"""The conventions every practice follows (docs/architecture.md, "Adding a practice"),
checked from the source, so a new practice is held to them without a list here.

- Stores: a function that writes takes the transaction (`tx`) first and never opens one;
  reads take the Database; aggregates (COUNT, MIN…) are read with `db.aggregate`.
- One codec (`bot.db.codec`) for stored times and sealed text: no copies.
- Closed value sets are enums: no comparing a status, kind or reason with a bare string.
- Events cogs exchange are declared in `bot.events`, with their arguments.
- Names line up: a cog's personal-data key and outbox handlers carry its folder's name;
  its practice is one of the seven; opt-in keys are unique; job ids come from `*_job_id`.
- Every job says whose it is (`guild=`, `person=`, `housekeeping=`), so one process runs it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import HearthBot
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COGS = sorted(p.name for p in (ROOT / "cogs").iterdir() if (p / "__init__.py").exists())
STORES = [
    *(ROOT / "cogs" / c / "store.py" for c in COGS if (ROOT / "cogs" / c / "store.py").exists()),
    ROOT / "bot" / "guilds.py",
    ROOT / "bot" / "outbox_store.py",
]
CODE = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")])
WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE)\b")
AGGREGATES = re.compile(r"\b(COUNT|MIN|MAX|SUM|AVG|TOTAL|GROUP_CONCAT)\s*\(", re.IGNORECASE)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def strings_in(node: ast.AST) -> str:
    """Every string constant inside `node`, joined: the SQL a call passes, say."""
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def calls(node: ast.AST) -> Iterator[ast.Call]:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            yield n


# --------------------------------------------------------------------------- stores


def store_problems(path: Path) -> list[str]:
    found = []
    for fn in tree(path).body:
        if not isinstance(fn, ast.AsyncFunctionDef):
            continue
        first = fn.args.args[0].arg if fn.args.args else None
        for call in calls(fn):
            name = ast.unparse(call.func)
            if name.endswith(".transaction"):
                found.append(f"{rel(path)}:{call.lineno} {fn.name} opens a transaction")
            if re.fullmatch(r"\w*db\.(execute|executemany)", name):
                found.append(f"{rel(path)}:{call.lineno} {fn.name} writes through the Database")
        writes = any(
            WRITES.search(strings_in(call))
            for call in calls(fn)
            if ast.unparse(call.func).endswith(("execute", "executemany"))
        )
        if writes and first != "tx":
            found.append(f"{rel(path)}:{fn.lineno} {fn.name} writes but doesn't take tx first")
        annotation = fn.args.args[0].annotation if fn.args.args else None
        if first == "tx" and annotation is not None and ast.unparse(annotation) != "Tx":
            found.append(f"{rel(path)}:{fn.lineno} {fn.name}'s tx isn't typed Tx")
    return found


def test_store_functions_that_write_take_the_transaction() -> None:
    problems = [p for path in STORES for p in store_problems(path)]
    assert problems == [], "; ".join(problems)


def test_nobody_reads_an_aggregate_on_the_loops_fast_path() -> None:
    found = []
    for path in CODE:
        for call in calls(tree(path)):
            name = ast.unparse(call.func)
            on_db = re.fullmatch(r"(\w+\.)*db\.(fetchone|fetchval)", name)
            if on_db and AGGREGATES.search(strings_in(call)):
                found.append(f"{rel(path)}:{call.lineno} {name}")
    assert found == [], "aggregates go through db.aggregate: " + ", ".join(found)


# --------------------------------------------------------------------------- one codec

CODEC = ROOT / "bot" / "db" / "codec.py"
COPIES = {"ts", "_ts", "dt", "_dt", "need_dt", "_need", "_req", "_parse_dt", "_hhmm_store"}


def test_one_codec_for_times_and_sealed_text() -> None:
    found = []
    for path in CODE:
        if path == CODEC:
            continue
        module = tree(path)
        for node in ast.walk(module):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in COPIES:
                found.append(f"{rel(path)}:{node.lineno} defines {node.name}")
        for call in calls(module):
            name = ast.unparse(call.func)
            if name.endswith(".fromisoformat"):
                found.append(f"{rel(path)}:{call.lineno} parses a stored time itself")
            if name in ("crypto.seal", "crypto.unseal") and path.parent.name != "bot":
                found.append(f"{rel(path)}:{call.lineno} {name} (use codec.sealed/opened)")
    assert found == [], "copies of bot.db.codec: " + "; ".join(found)


# --------------------------------------------------------------------------- closed sets

# Attributes (and names) that hold a closed value set somewhere in Hearth.
CLOSED = {
    "status",
    "kind",
    "op",
    "pause_reason",
    "paused_reason",
    "results_where",
    "visibility",
    "frequency",
    "action",
    "outcome",
    "why",
}


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return bool(node.elts) and all(_is_text(e) for e in node.elts)
    return False


def _closed(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in CLOSED
    if isinstance(node, ast.Name):
        return node.id in CLOSED
    if isinstance(node, ast.Subscript):  # row["status"]
        return isinstance(node.slice, ast.Constant) and node.slice.value in CLOSED
    return False


def bare_comparisons(source: str, where: str = "<code>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if any(_closed(s) for s in sides) and any(_is_text(s) for s in sides):
            found.append(f"{where}:{node.lineno} {ast.unparse(node)}")
    return found


def test_closed_value_sets_are_never_compared_with_bare_strings() -> None:
    found = [f for path in CODE for f in bare_comparisons(path.read_text(), rel(path))]
    assert found == [], "compare with the enum's members: " + "; ".join(found)


def test_the_closed_set_check_sees_what_it_looks_for() -> None:
    assert bare_comparisons('if ch.status == "lobby": pass')
    assert bare_comparisons('if row["status"] != "running": pass')
    assert bare_comparisons('ok = outcome in ("failed", "dropped")')
    assert not bare_comparisons("if ch.status is ChallengeStatus.LOBBY: pass")
    assert not bare_comparisons('if name == "user_id": pass')


# --------------------------------------------------------------------------- events


def test_every_event_is_declared_with_its_arguments() -> None:
    from bot.events import EVENTS

    declared = {e.name: e.args for e in EVENTS}
    found = []
    for path in CODE:
        if path.name == "events.py" and path.parent.name == "bot":
            continue
        # discord.py's own parsers, overridden there, send discord.py's own events.
        if path.name == "discord_internals.py" and path.parent.name == "bot":
            continue
        for call in calls(tree(path)):
            name = ast.unparse(call.func)
            first = call.args[0] if call.args else None
            if name.endswith(".dispatch") and isinstance(first, ast.Constant):
                found.append(f"{rel(path)}:{call.lineno} dispatches {first.value!r} by hand")
    for cog in COGS:
        module = importlib.import_module(f"cogs.{cog}.cog")
        for cls in vars(module).values():
            if not isinstance(cls, type) or cls.__module__ != module.__name__:
                continue
            for attr, fn in vars(cls).items():
                if not attr.startswith("on_hearth_"):
                    continue
                event = attr.removeprefix("on_")
                args = tuple(inspect.signature(fn).parameters)[1:]
                if event not in declared:
                    found.append(f"cogs/{cog}: {attr} listens for an undeclared event")
                elif args != declared[event]:
                    found.append(f"cogs/{cog}: {attr}{args} ≠ {declared[event]}")
    assert found == [], "; ".join(found)


# --------------------------------------------------------------------------- names


def _hearth_cog(folder: str) -> type:
    from bot.cog import HearthCog

    module = importlib.import_module(f"cogs.{folder}.cog")
    [cls] = [
        c
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, HearthCog) and c.__module__ == module.__name__
    ]
    return cls


def test_keys_line_up_with_folders() -> None:
    from bot.practices import KEYS
    from bot.privacy import PersonalData

    found = []
    keys: dict[str, str] = {}
    for folder in COGS:
        cls = _hearth_cog(folder)
        decl = getattr(cls, "personal_data", None)
        if isinstance(decl, PersonalData) and decl.key != folder:
            found.append(f"cogs/{folder}: personal_data key {decl.key!r}")
        if cls.practice is not None and cls.practice not in KEYS:
            found.append(f"cogs/{folder}: practice {cls.practice!r} isn't one of the seven")
        for opt_in in cls.opt_ins:
            if opt_in.key in keys:
                found.append(f"opt-in {opt_in.key!r} in cogs/{folder} and cogs/{keys[opt_in.key]}")
            keys[opt_in.key] = folder
    assert found == [], "; ".join(found)


@pytest.mark.parametrize("folder", COGS)
async def test_outbox_handlers_carry_their_cogs_name(folder: str) -> None:
    bot = HearthBot(Settings.model_construct(), auto_sync=False)
    await importlib.import_module(f"cogs.{folder}").setup(bot)
    wrong = [name for name in bot.outbox.handlers if name.split(".")[0] != folder]
    assert wrong == []


def test_job_ids_come_from_job_id_helpers() -> None:
    found = []
    for path in CODE:
        module = tree(path)
        for node in ast.walk(module):
            if isinstance(node, ast.FunctionDef) and "job" in node.name:
                returns = [r for r in ast.walk(node) if isinstance(r, ast.Return)]
                makes_id = any(isinstance(r.value, ast.JoinedStr) for r in returns)
                if makes_id and not node.name.endswith("_job_id"):
                    found.append(f"{rel(path)}:{node.lineno} {node.name}")
        for call in calls(module):
            name = ast.unparse(call.func)
            if re.search(r"(scheduler|sched)\.(at|cancel)$", name) and call.args:
                first = call.args[0]
                if isinstance(first, ast.JoinedStr | ast.Constant):
                    found.append(f"{rel(path)}:{call.lineno} a job id written in place")
                if isinstance(first, ast.Call) and not ast.unparse(first.func).endswith("job_id"):
                    found.append(f"{rel(path)}:{call.lineno} {ast.unparse(first.func)}")
    assert found == [], "job ids come from `*_job_id` helpers: " + "; ".join(found)


# Jobs that belong to this process alone, whatever shards it holds (bot/scheduler.py).
PROCESS_JOBS = {"WAKE_JOB"}  # the outbox waking for what this process delivers


def test_every_job_says_whose_it_is() -> None:
    """With several processes, a job runs where its shard's lease is held: a server's
    (`guild=`), a person's (`person=`), or shard 0's housekeeping. A job that says none
    runs in every process (docs/scaling.md)."""
    owners = {"guild", "person", "housekeeping"}
    found = []
    for path in CODE:
        for call in calls(tree(path)):
            if not re.search(r"(scheduler|sched)\.at$", ast.unparse(call.func)):
                continue
            if call.args and ast.unparse(call.args[0]) in PROCESS_JOBS:
                continue
            if not owners & {k.arg for k in call.keywords if k.arg}:
                found.append(f"{rel(path)}:{call.lineno}")
    assert found == [], "jobs without guild=/person=/housekeeping=: " + ", ".join(found)


# --------------------------------------------------------------------------- tests


def hand_polls(source: str, where: str = "<test>") -> list[str]:
    """Loops that sleep and look again: waits a test should leave to `fake.until` (or to
    `outbox.idle`, `hearth.deliver`), which wake on every change instead of on a timer."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.For | ast.AsyncFor | ast.While):
            continue
        for call in calls(node):
            sleeps = ast.unparse(call.func) == "asyncio.sleep"
            zero = bool(call.args) and isinstance(call.args[0], ast.Constant)
            if sleeps and not (zero and call.args[0].value == 0):  # type: ignore[attr-defined]
                found.append(f"{where}:{call.lineno}")
    return found


def test_no_test_polls_by_hand() -> None:
    tests = ROOT / "tests"
    found = [
        poll
        for path in sorted([*(tests / "unit").rglob("*.py"), *(tests / "e2e").rglob("*.py")])
        for poll in hand_polls(path.read_text(), rel(path))
    ]
    assert found == [], "wait with fake.until, not a sleep in a loop: " + ", ".join(found)
    assert hand_polls("for _ in range(9):\n    if done(): break\n    await asyncio.sleep(0.01)")
    assert not hand_polls("while True:\n    await asyncio.sleep(0)")  # yielding, not waiting
