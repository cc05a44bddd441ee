"""The Makefile and the small things an operator reads: a `.venv` built by the wrong Python
is rebuilt (never reused), `make help`, `migrate` reports each migration once, and
`python -m bench --help` tells the truth."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.ops.helpers import PYTHON, ROOT, checkout, child_env, hearth, make

FAKE_PYTHON = """#!/bin/sh
# A stand-in for Python {version}: answers Makefile's version check, makes a "venv" whose
# python is itself, and records everything else it is asked to do.
case "$1" in
  -c) exit {too_old} ;;
  -V) echo "Python {version}"; exit 0 ;;
  -m) if [ "$2" = venv ]; then mkdir -p "$3/bin" && ln -sf "{path}" "$3/bin/python"; exit 0; fi ;;
esac
echo "{version} $*" >> "{log}"
"""


def fake_python(folder: Path, version: str, log: Path) -> Path:
    path = folder / f"python{version}"
    too_old = int(tuple(map(int, version.split(".")[:2])) < (3, 11))
    path.write_text(FAKE_PYTHON.format(version=version, too_old=too_old, path=path, log=log))
    path.chmod(0o755)
    return path


def fake_checkout(tmp_path: Path) -> tuple[Path, Path]:
    here = tmp_path / "hearth"
    here.mkdir()
    shutil.copy(ROOT / "Makefile", here / "Makefile")
    (here / "pyproject.toml").write_text("")
    return here, here / "calls.log"


def test_an_old_python_is_refused_before_it_builds_anything(tmp_path: Path) -> None:
    here, log = fake_checkout(tmp_path)
    old = fake_python(tmp_path, "3.10.14", log)
    ran = make("run", f"PYTHON={old}", cwd=here)
    assert ran.code != 0
    assert f"Hearth needs Python 3.11 or newer, and '{old}' is Python 3.10.14." in ran.out, ran.out
    assert "make run PYTHON=python3.12" in ran.out
    assert not (here / ".venv").exists()
    assert not log.exists()


def test_a_venv_built_by_the_wrong_python_is_rebuilt(tmp_path: Path) -> None:
    here, log = fake_checkout(tmp_path)
    old = fake_python(tmp_path, "3.10.14", log)
    new = fake_python(tmp_path, "3.12.3", log)
    # What an older Makefile left after `make run PYTHON=python3.10` failed half-way.
    (here / ".venv" / "bin").mkdir(parents=True)
    (here / ".venv" / "bin" / "python").symlink_to(old)

    ran = make("run", f"PYTHON={new}", cwd=here)
    assert ran.code == 0, ran.said
    assert "Rebuilding .venv: it was made with a Python Hearth can't use" in ran.out
    assert (here / ".venv" / "bin" / "python").resolve() == new
    calls = log.read_text().splitlines()
    assert calls[0] == "3.12.3 -m pip install --quiet --upgrade pip"
    assert all(c.startswith("3.12.3 ") for c in calls)  # the old Python did nothing
    assert calls[-1] == "3.12.3 -m bot run"

    # Built once, it is reused as it is.
    log.unlink()
    assert make("run", f"PYTHON={new}", cwd=here).code == 0
    assert log.read_text().splitlines() == [
        "3.12.3 -m bot ensure-data-key --env-file .env --quiet",
        "3.12.3 -m bot run",
    ]


def test_make_help_lists_every_target(tmp_path: Path) -> None:
    here = checkout(tmp_path)
    for ran in (make("help", cwd=here), make(cwd=here)):  # plain `make` is help too
        assert ran.code == 0
        for target in ("run", "test", "bench", "bench-doc", "backup", "check-config", "clean"):
            assert f"  make {target} " in ran.out, target
        assert ".venv/bin/python -m bot --help" in ran.out


def test_migrate_reports_each_migration_once(tmp_path: Path) -> None:
    here = checkout(tmp_path)
    ran = hearth("migrate", cwd=here).clean()
    assert ran.code == 0
    assert ran.said.count("core 0001") == 1, ran.said
    assert "applied core 0001_core" in ran.out
    assert ran.err == ""
    assert hearth("migrate", cwd=here).clean().out == "data/hearth.sqlite3 is up to date.\n"


def test_bench_help_names_every_benchmark(tmp_path: Path) -> None:
    from bench.__main__ import BENCHMARKS

    done = subprocess.run(
        [PYTHON, "-m", "bench", "--help"],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
    assert f"The {len(BENCHMARKS)} benchmarks:" in done.stdout
    for name, _ in BENCHMARKS.values():
        assert name in done.stdout
    assert f"(1–{len(BENCHMARKS)})" in done.stdout
    assert "Without --doc nothing tracked by git changes." in done.stdout


def test_bench_figures_go_where_git_doesnt_look() -> None:
    from bench.__main__ import parse

    args = parse([])
    assert not args.doc
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(args.out.relative_to(ROOT))],
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0, f"{args.out} would dirty the checkout"


def test_the_command_line_help_says_how_to_run_it() -> None:
    ran = hearth("--help", cwd=ROOT).clean()
    assert ".venv/bin/python -m bot COMMAND" in ran.out
    for command in ("run", "migrate", "backup", "restore", "rotate-key", "ensure-data-key"):
        assert command in ran.out
