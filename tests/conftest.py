"""Shared test fixtures: an isolated data home for every test, and paths to test data."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from _support.hypo import PROFILE

TESTS = Path(__file__).parent
DATA = TESTS / "data"
REPO = TESTS.parent


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hybridfw-home"
    monkeypatch.setenv("HYBRIDFW_HOME", str(home))
    monkeypatch.delenv("HYBRIDFW_SERVICE_URL", raising=False)
    return home


# Hypothesis profiles for tests without their own max_examples: `dev` (the default) keeps daily
# runs quick; `ci` (chosen when CI is set, as in the CI run) tries hypothesis's usual 100.
# HYPOTHESIS_PROFILE overrides the choice.
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.load_profile(PROFILE)


# Test tiers (`make test-fast` deselects slow, root, browser and server). A new test module marks
# itself with `pytestmark = pytest.mark.<tier>`; the modules below predate the tiers and are
# marked here, by the time they took (slow) or what they drive (root, browser, server).
_TIERS: dict[str, tuple[str, ...]] = {
    "audit/test_audit_intervals.py": ("slow",),
    "audit/test_audit_differential.py": ("slow", "root"),
    "rulesets/test_audit_scoped.py": ("slow",),
    "rulesets/test_audit_fuzz.py": ("slow",),
    "audit/test_audit_kernel.py": ("slow", "root"),
    "audit/test_audit_founding.py": ("root",),
    "rulesets/test_audit_parsers.py": ("root",),
    "audit/test_audit_interfaces.py": ("slow", "root"),
    "audit/test_audit_cli.py": ("root",),
    "rulesets/test_vendor_differential.py": ("slow",),
    "rulesets/test_vendor_fuzz.py": ("slow",),
    "audit/test_vendor_founding.py": ("slow",),
    "report/test_report_html_browser.py": ("browser",),
    "check/test_check_examples.py": ("root",),
    "cli/test_cli_wheel.py": ("slow",),
    "cli/test_cli_new_user.py": ("slow",),
    "addresses/test_addresses_props.py": ("slow",),
    "render/test_rules_kernel.py": ("root",),
    "render/test_rules_render.py": ("root",),
    "render/test_rules_golden.py": ("root",),
    "serve/test_serve_cli.py": ("slow", "server"),
    "serve/test_serve_http.py": ("server",),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.path.relative_to(TESTS).as_posix()
        for tier in _TIERS.get(module, ()):
            item.add_marker(getattr(pytest.mark, tier))
