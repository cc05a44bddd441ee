"""Settings and the command line's first words to a new operator."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import Settings, token_problem

GOOD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


def _clear_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DISCORD_TOKEN", "HEARTH_DATABASE", "HEARTH_DEV_GUILD_ID", "HEARTH_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _clear_env(monkeypatch, tmp_path)
    s = Settings()
    assert s.database == Path("data/hearth.sqlite3")
    assert s.dev_guild_id is None
    assert s.log_level == "INFO"
    assert token_problem(s) is not None


def test_reads_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _clear_env(monkeypatch, tmp_path)
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={GOOD}\nHEARTH_DEV_GUILD_ID=\n")
    monkeypatch.setenv("HEARTH_LOG_LEVEL", "debug")
    s = Settings()
    assert token_problem(s) is None
    assert s.log_level == "DEBUG"
    assert s.dev_guild_id is None


@pytest.mark.parametrize("token", ["", "   ", "not-a-token", "abc.def", "client-secret-1234567890"])
def test_run_without_a_usable_token_explains_and_exits(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    token: str,
) -> None:
    _clear_env(monkeypatch, tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", token)
    code = main(["run"])
    err = capsys.readouterr().err
    assert code != 0
    assert "discord.com/developers/applications" in err
    assert ".env" in err
    assert "Traceback" not in err


def test_migrate_creates_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _clear_env(monkeypatch, tmp_path)
    monkeypatch.setenv("HEARTH_DATABASE", str(tmp_path / "x" / "h.sqlite3"))
    assert main(["migrate"]) == 0
    assert "applied core 0001_core" in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_config_reports_a_missing_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _clear_env(monkeypatch, tmp_path)
    assert main(["check-config"]) == 1
    assert "No Discord token" in capsys.readouterr().err


def test_bad_setting_is_explained_without_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _clear_env(monkeypatch, tmp_path)
    monkeypatch.setenv("HEARTH_DEV_GUILD_ID", "my-server")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "dev_guild_id" in err.lower() or "HEARTH_DEV_GUILD_ID" in err
    assert "Traceback" not in err


def test_shard_settings_read_ranges_and_lists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.config import parse_shard_ids

    _clear_env(monkeypatch, tmp_path)
    monkeypatch.setenv("HEARTH_SHARD_COUNT", "8")
    monkeypatch.setenv("HEARTH_SHARD_IDS", "0-1, 6")
    s = Settings()
    assert s.shard_count == 8
    assert s.shard_ids is not None
    assert parse_shard_ids(s.shard_ids) == [0, 1, 6]
    assert parse_shard_ids("4,5") == [4, 5]


@pytest.mark.parametrize(
    ("count", "ids", "says"),
    [
        ("", "0-1", "needs HEARTH_SHARD_COUNT"),
        ("4", "3-5", "shard 4, but shards are numbered 0 to 3"),
        ("4", "2-1", "runs backwards"),
        ("4", "one", "isn't a shard id"),
        ("0", "", "greater than or equal to 1"),
    ],
)
def test_shard_settings_that_cant_work_are_refused_in_plain_words(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    count: str,
    ids: str,
    says: str,
) -> None:
    _clear_env(monkeypatch, tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", GOOD)
    monkeypatch.setenv("HEARTH_SHARD_COUNT", count)
    monkeypatch.setenv("HEARTH_SHARD_IDS", ids)
    assert main(["check-config"]) != 0
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err
