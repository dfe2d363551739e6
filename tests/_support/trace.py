"""Paths and the hand-labelled cases shared by the trace tests."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

TRACE_DATA = Path(__file__).resolve().parents[1] / "data" / "trace"
EXPECTED: dict[str, dict[str, int]] = json.loads((TRACE_DATA / "expected.json").read_text())


def _load_cases() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hybridfw_trace_test_cases", TRACE_DATA / "cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cases = _load_cases()
# Every labelled text with its expected catalog entry.
ALL_CASES: list[tuple[str, str]] = (
    [(cases.EXO_CASES[n], cases.EXO_EXPECTED[n]) for n in cases.EXO_CASES]
    + [(cases.ONPREM_CASES[n], cases.ONPREM_EXPECTED[n]) for n in cases.ONPREM_CASES]
    + [(text, name) for name, text in cases.PROTOCOL_CASES.items()]
)
