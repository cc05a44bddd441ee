"""Running Hearth the way its operator does: `python -m bot …` or `make …` as a subprocess,
in a folder of its own with a given `.env`, and looking at what a person would see.

Discord is never the real one: `site/sitecustomize.py` (on the child's PYTHONPATH) points
discord.py at a closed local port — a machine without network — unless a test gives the
emulator's address instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(__file__).resolve().parent / "site"
PYTHON = sys.executable  # the .venv's, which runs the tests
# Shaped like a bot token (three base64url parts); no Discord ever sees it.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def discord_at(api: str, gateway: str) -> dict[str, str]:
    return {"HEARTH_TEST_DISCORD_API": api, "HEARTH_TEST_DISCORD_GATEWAY": gateway}


def no_network() -> tuple[dict[str, str], int]:
    port = closed_port()
    return discord_at(f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/"), port


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment without any Hearth or Discord setting (the child reads its
    own .env), the sitecustomize on the path, and no network unless `extra` says so."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "DISCORD_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(SITE), str(ROOT)])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(no_network()[0])
    env.update(extra or {})
    return env


def as_a_plain_user() -> None:
    """In the child, before exec: file permissions apply even to root (the tests may run as
    root, who can write anywhere) — drop the two capabilities that bypass them."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for cap in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@functools.cache
def permissions_apply() -> bool:
    """Whether a read-only folder stops the children here (as root, only where the
    capabilities can be dropped): tried once, for real."""
    if os.geteuid() != 0:
        return True
    with tempfile.TemporaryDirectory() as scratch:
        locked = Path(scratch) / "locked"
        locked.mkdir(mode=0o555)
        try:
            done = subprocess.run(
                [PYTHON, "-c", f"open({str(locked / 'x')!r}, 'w')"],
                preexec_fn=as_a_plain_user,
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        finally:
            locked.chmod(0o755)
        return done.returncode != 0


@dataclass(frozen=True, slots=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        return self.out + self.err

    def clean(self) -> Ran:
        """No traceback anywhere: what a person sees is our own words."""
        assert "Traceback" not in self.said, self.said
        return self


def hearth(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 30,
    plain_user: bool = False,
    limit: Callable[[], None] | None = None,
) -> Ran:
    """`python -m bot ARGS` in `cwd`; a hang fails the test after `timeout` seconds."""
    return _run([PYTHON, "-m", "bot", *args], cwd, env, timeout, plain_user, limit)


def make(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60) -> Ran:
    return _run(["make", "--no-print-directory", *args], cwd, env, timeout, False, None)


def _run(
    argv: list[str],
    cwd: Path,
    env: dict[str, str] | None,
    timeout: float,
    plain_user: bool,
    limit: Callable[[], None] | None,
) -> Ran:
    def before() -> None:
        if plain_user:
            as_a_plain_user()
        if limit is not None:
            limit()

    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=child_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=before if plain_user or limit else None,
        start_new_session=True,  # so a hang takes make's children down with it
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        raise AssertionError(f"{argv[-1]} hung for {timeout} s:\n{out}{err}") from None
    return Ran(proc.returncode, out, err)


def checkout(tmp_path: Path, env_text: str | None = None) -> Path:
    """A folder set up like a fresh clone after `make`: the Makefile, .env.example and
    pyproject.toml, and the already-built .venv (linked, so nothing installs)."""
    here = tmp_path / "hearth"
    here.mkdir()
    for name in ("Makefile", ".env.example"):
        shutil.copy(ROOT / name, here / name)
    (here / "pyproject.toml").symlink_to(ROOT / "pyproject.toml")
    (here / ".venv").symlink_to(ROOT / ".venv")
    if env_text is not None:
        (here / ".env").write_text(env_text)
    return here


def quickstart_env(here: Path, token: str = TOKEN) -> Path:
    """Quickstart step 3: `cp .env.example .env` and set DISCORD_TOKEN."""
    env = here / ".env"
    shutil.copy(here / ".env.example", env)
    env.write_text(env.read_text().replace("DISCORD_TOKEN=\n", f"DISCORD_TOKEN={token}\n"))
    return env


def env_key(env: Path) -> str:
    for line in env.read_text().splitlines():
        if line.startswith("HEARTH_DATA_KEY="):
            return line.split("=", 1)[1]
    return ""


# --------------------------------------------------------------------------- long-running


class Running:
    """A `python -m bot run` (or `make run`) in the background, its stderr read line by
    line, so a test can wait for what the log says."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.out = ""

    @classmethod
    def start(cls, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Running:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream, in order
            text=True,
            start_new_session=True,  # its own process group, as a terminal gives `make run`
        )
        os.set_blocking(proc.stdout.fileno(), False)  # type: ignore[union-attr]
        return cls(proc)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with contextlib.suppress(BlockingIOError, TypeError):
            chunk = self.proc.stdout.read()
            if chunk:
                self.out += chunk
                self.lines = self.out.splitlines()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._read()
            if predicate(self.lines):
                return
            if self.proc.poll() is not None:
                self._read()
                if predicate(self.lines):
                    return
                raise AssertionError(f"exited {self.proc.returncode} first:\n{self.out}")
            time.sleep(0.02)
        raise AssertionError(f"not seen in {timeout} s:\n{self.out}")

    def stop(self, sig: int, timeout: float = 10) -> int:
        """Send `sig` to the whole group (as Ctrl-C in a terminal does); its exit code."""
        os.killpg(self.proc.pid, sig)
        code = self.proc.wait(timeout)
        self._read()
        return code

    def kill(self) -> None:
        """The whole group, even if its leader (make) has already gone."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, 9)
        self.proc.wait(10)
        self._read()


@contextlib.contextmanager
def running(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Iterator[Running]:
    started = Running.start(argv, cwd=cwd, env=env)
    try:
        yield started
    finally:
        started.kill()


async def spawn(
    argv: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """For tests that run the emulator in their own event loop."""
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=child_env(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
