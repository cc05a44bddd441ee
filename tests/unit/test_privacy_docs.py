"""README.md and PRIVACY.md say what each practice keeps — the same words as the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import DOC_FILES, privacy_docs
from bot.db.migrate import ROOT
from bot.privacy import DOCS_END, DOCS_START, discover_declarations


def test_the_docs_carry_every_declaration_as_written() -> None:
    declarations = discover_declarations()
    assert {d.key for d in declarations} >= {"core", "boundaries", "support", "phones_down"}
    for name in DOC_FILES:
        text = (ROOT / name).read_text("utf-8")
        for decl in declarations:
            assert decl.statement in text, (name, decl.key)
            assert decl.kept in text, (name, decl.key)
    assert privacy_docs(check=True) == 0, "run `python -m bot privacy-docs`"


def test_stale_docs_are_found_and_refreshed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in DOC_FILES:
        (tmp_path / name).write_text(f"# {name}\n\n{DOCS_START}\nold words\n{DOCS_END}\n")
    assert privacy_docs(check=True, root=tmp_path) == 1
    assert "Out of date" in capsys.readouterr().out
    assert privacy_docs(check=False, root=tmp_path) == 0
    assert privacy_docs(check=True, root=tmp_path) == 0
    assert "old words" not in (tmp_path / "PRIVACY.md").read_text()
