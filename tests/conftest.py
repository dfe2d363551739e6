"""Shared test fixtures: an isolated data home for every test, and paths to test data."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
DATA = TESTS / "data"
REPO = TESTS.parent


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hybridfw-home"
    monkeypatch.setenv("HYBRIDFW_HOME", str(home))
    monkeypatch.delenv("HYBRIDFW_SERVICE_URL", raising=False)
    return home
