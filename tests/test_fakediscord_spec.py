"""Discord's OpenAPI spec travels with the emulator, and a run without it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakediscord import FakeDiscord, plugin, spec

SPEC_DIR = Path(spec.__file__).with_name("discord-api-spec")


def test_the_spec_its_licence_and_its_commit_are_in_the_repository() -> None:
    assert spec.DEFAULT_SPEC.parent == SPEC_DIR
    assert spec.DEFAULT_SPEC.is_file()
    assert "MIT License" in (SPEC_DIR / "LICENSE").read_text("utf-8")
    commit = (SPEC_DIR / "COMMIT").read_text("utf-8").split()[0]
    assert len(commit) == 40
    assert int(commit, 16) >= 0
    assert FakeDiscord().spec is spec.default_validator()


def test_a_missing_spec_refuses_to_start_the_emulator(tmp_path: Path) -> None:
    with pytest.raises(spec.SpecUnavailable, match="could not be read"):
        FakeDiscord(spec=tmp_path / "openapi.json")


def test_an_unreadable_spec_refuses_to_start_the_emulator(tmp_path: Path) -> None:
    broken = tmp_path / "openapi.json"
    broken.write_text('{"paths": {', "utf-8")
    with pytest.raises(spec.SpecUnavailable):
        FakeDiscord(spec=broken)
    broken.write_text("[]", "utf-8")  # JSON, but not a spec
    with pytest.raises(spec.SpecUnavailable):
        FakeDiscord(spec=broken)


def test_a_missing_spec_fails_the_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spec, "DEFAULT_SPEC", tmp_path / "gone.json")
    with pytest.raises(pytest.UsageError, match="OpenAPI spec"):
        plugin.pytest_sessionstart(None)  # type: ignore[arg-type]
