"""The README and docs/ cite only what is in the repository: every relative link and every backticked
path under one of the repository's top-level folders names a file or folder that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted([ROOT / "README.md", ROOT / "scenarios" / "README.md", *(ROOT / "docs").glob("*.md")])
TOP_LEVEL = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
LINK = re.compile(r"\]\(([^)#\s]+)")
CODE_PATH = re.compile(r"`([A-Za-z0-9_./-]+)`")


def _cited(document: Path) -> list[Path]:
    text = document.read_text(encoding="utf-8")
    cited = [
        document.parent / target
        for target in LINK.findall(text)
        if "://" not in target and not target.startswith("mailto:")
    ]
    cited += [
        ROOT / path for path in CODE_PATH.findall(text) if "/" in path and path.split("/")[0] in TOP_LEVEL
    ]
    return cited


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_path_exists(document: Path) -> None:
    missing = [str(p.relative_to(ROOT)) for p in _cited(document) if not p.exists()]
    assert not missing, f"{document.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_the_readme_leads_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```", 2)[1]
    assert "make run" in first_block and "make test" in first_block
