"""The user guide builds as a site with no broken link, and everything it points at exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def _nav_pages(node: object) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, list):
        return set().union(*(_nav_pages(item) for item in node)) if node else set()
    if isinstance(node, dict):
        return set().union(*(_nav_pages(value) for value in node.values())) if node else set()
    return set()


def _config() -> dict[str, object]:
    # mkdocs.yml is plain YAML (no !!python tags), so the safe loader reads it.
    loaded = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.slow
def test_site_builds_strict(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(REPO / "mkdocs.yml"),
         "-d", str(tmp_path / "site")],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cli = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "hybridfw audit" in cli and "hybridfw probe smtp" in cli


def test_every_page_is_in_the_nav() -> None:
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
             if "hooks" not in p.relative_to(DOCS).parts}
    missing = pages - _nav_pages(_config()["nav"])
    assert not missing, f"docs pages not reachable from the site's nav: {sorted(missing)}"


def test_example_files_named_in_the_docs_exist() -> None:
    named = set()
    for page in [REPO / "README.md", *DOCS.rglob("*.md")]:
        named |= set(re.findall(r"\bexamples/[\w./-]*[\w]", page.read_text(encoding="utf-8")))
    absent = sorted(name for name in named if not (REPO / name).exists())
    assert not absent, f"the docs name example files that are not shipped: {absent}"
