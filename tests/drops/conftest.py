"""Fixtures for the drops tests: each flow's classifier built once per session."""

from __future__ import annotations

import pytest

from _support.drops import classifier_built_once
from hybridfw.drops import run


@pytest.fixture(autouse=True)
def _classifiers_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "build_classifier", classifier_built_once)
