"""A PostgreSQL server for the tests: the binaries the `pgserver` package ships (a dev
dependency, so `make test` needs nothing installed by hand), started once per test
process in a temporary folder of its own, on a free loopback port; each test gets a new,
empty database in it.

Fixtures (loaded by tests/conftest.py):

- `postgres_url`: a fresh database's URL (skips when no server could start — but in CI,
  `CI=true`, a PostgreSQL test that would skip fails instead);
- `database_at`: parametrised over both engines — a SQLite path, then a PostgreSQL URL —
  for the database, store and privacy suites (`Database(database_at)`);
- `store_db`: an open `Database` there with every migration applied, for a store's tests.

PostgreSQL refuses to run as root: run as root, the server runs as `nobody`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database, discover_migrations

_SERVER = pytest.StashKey["_Server | str"]()
_names = itertools.count(1)


def _bin_dir() -> Path | None:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return found if (found / "postgres").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        # Not under pytest's tmp_path: as root the server runs as `nobody`, who can't
        # enter pytest's private folders.
        self.folder = Path(tempfile.mkdtemp(prefix="hearth-pg-"))
        self.folder.chmod(0o777)
        self.data = self.folder / "data"
        self.port = _free_port()
        self._user = pwd.getpwnam("nobody") if os.geteuid() == 0 else None

    def _as_server_user(self) -> None:
        if self._user is not None:
            os.setgid(self._user.pw_gid)
            os.setuid(self._user.pw_uid)

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            argv,
            preexec_fn=self._as_server_user,  # drops root for PostgreSQL, in the child
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-500:]}")

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "utf8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30",
            "-l", str(self.folder / "log"), "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def _server(config: pytest.Config) -> _Server | str:
    """The test process's server, started on first use; or why there is none."""
    found = config.stash.get(_SERVER, None)
    if found is not None:
        return found
    bin_dir = _bin_dir()
    server: _Server | str
    if bin_dir is None:
        server = "pgserver (PostgreSQL's binaries, a dev dependency) isn't installed"
    else:
        candidate = _Server(bin_dir)
        try:
            candidate.start()
        except Exception as exc:
            candidate.stop()
            server = f"PostgreSQL didn't start: {exc}"
        else:
            server = candidate
    config.stash[_SERVER] = server
    return server


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SERVER, None)
    if isinstance(server, _Server):
        server.stop()


def unavailable(why: str) -> None:
    """Skip — except in CI, where a PostgreSQL test that can't run is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests must run in CI: {why}")
    pytest.skip(why)


async def fresh_database(config: pytest.Config) -> str:
    """A new, empty database's URL."""
    import asyncpg

    server = _server(config)
    if isinstance(server, str):
        unavailable(server)
        raise AssertionError("unreachable")
    name = f"t{os.getpid()}_{next(_names)}"
    conn = await asyncpg.connect(server.url())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.url(name)


@pytest.fixture
async def postgres_url(request: pytest.FixtureRequest) -> str:
    return await fresh_database(request.config)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_at(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's database lives, once per engine: `Database(database_at)`."""
    if request.param == "sqlite":
        return tmp_path / "hearth.sqlite3"
    return await fresh_database(request.config)


@pytest.fixture
async def store_db(database_at: str | Path) -> AsyncIterator[Database]:
    """Every migration applied, once on SQLite and once on PostgreSQL."""
    database = Database(database_at)
    await database.connect()
    await database.migrate(discover_migrations())
    yield database
    await database.close()
