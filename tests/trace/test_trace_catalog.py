"""The diagnosis catalog: shipped data validates, covers every category, and bad entries fail."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from _support.trace import EXPECTED, TRACE_DATA
from hybridfw.errors import CatalogError
from hybridfw.trace.catalog import build_catalog, code_matches, load_catalog, parse_catalog
from hybridfw.trace.diagnose import diagnose_text
from hybridfw.trace.interface import CATEGORIES


def test_shipped_catalog_has_at_least_40_valid_entries() -> None:
    catalog = load_catalog()
    assert len(catalog.entries) >= 40
    assert {e.category for e in catalog.entries} == set(CATEGORIES)


@pytest.mark.parametrize("entry", load_catalog().entries, ids=lambda e: e.id)
def test_every_entry_is_complete_and_checkable(entry: Any) -> None:
    assert entry.cause.endswith(".") and entry.fix
    assert entry.code or entry.pattern or entry.event
    assert entry.check.split()[0] == "hybridfw"
    if entry.category == "firewall":
        assert entry.check == "hybridfw audit"
    if entry.category == "tls":
        assert entry.check.startswith("hybridfw probe smtp")
    if entry.category == "dns":
        assert entry.check == "hybridfw probe dns"


def test_every_entry_names_the_microsoft_page_it_follows() -> None:
    for entry in load_catalog().entries:
        pages = ("https://learn.microsoft.com/", "https://techcommunity.microsoft.com/")
        assert entry.source.startswith(pages), entry.id


def test_the_catalog_command_list_names_real_commands() -> None:
    """The catalog keeps its own list (a domain package does not import the command layer); each
    one must be a command of the real command line, subcommands too."""
    from typer.testing import CliRunner

    from hybridfw.cli import app
    from hybridfw.trace.catalog import CHECK_COMMANDS

    for command in CHECK_COMMANDS:
        words = command.split()[1:]
        result = CliRunner().invoke(app, [*words, "--help"], prog_name="hybridfw")
        assert result.exit_code == 0, command
        assert f"Usage: hybridfw {command.removeprefix('hybridfw ')}" in result.output, command
    for entry in load_catalog().entries:
        assert any(entry.check == c or entry.check.startswith(c + " ") for c in CHECK_COMMANDS), entry.id


def test_firewall_entries_say_which_direction_they_fix() -> None:
    catalog = load_catalog()
    refused = catalog.by_id("winsock-refused")
    assert "from every published EOP range" in refused.fix_for("inbound")
    assert "outbound TCP 25 from the hybrid send servers" in refused.fix_for("outbound")
    both = refused.fix_for("unknown")
    assert refused.fix in both and refused.fix_outbound in both


def test_every_entry_is_exercised_by_a_fixture() -> None:
    covered = {cause for counts in EXPECTED.values() for cause in counts}
    corpus = tomllib.loads((TRACE_DATA / "corpus" / "labels.toml").read_text(encoding="utf-8"))["case"]
    covered |= {cause for case in corpus for cause in case.get("causes", {})}
    assert {e.id for e in load_catalog().entries} <= covered


GOOD = {"id": "x-one", "code": "4.4.316", "category": "firewall", "cause": "c.", "fix": "f",
        "check": "hybridfw audit", "source": "https://learn.microsoft.com/en-us/x"}


@pytest.mark.parametrize(("change", "message"), [
    ({"category": "weather"}, "[category]"),
    ({"code": "4.4"}, "[code]"),
    ({"code": "winsock:abc"}, "[code]"),
    ({"code": "", "pattern": ""}, "needs a code, a pattern or both"),
    ({"pattern": "(unclosed"}, "[pattern]"),
    ({"check": "hybridfw nosuch"}, "[check]"),
    ({"check": "telnet host 25"}, "[check]"),
    ({"check": "hybridfw probe dns"}, "checked with 'hybridfw audit'"),
    ({"cause": ""}, "[cause]"),
    ({"id": "Bad Id"}, "[id]"),
    ({"severity": "fatal"}, "[severity]"),
    ({"colour": "red"}, "unknown keys"),
    ({"source": ""}, "[source]"),
    ({"source": "https://example.com/ndr"}, "[source]"),
    ({"wrapper": "yes"}, "[wrapper]"),
    ({"code": "", "event": "poison message"}, "[event]"),
])
def test_bad_entries_are_rejected_naming_the_field(change: dict[str, str], message: str) -> None:
    with pytest.raises(CatalogError) as info:
        build_catalog([GOOD | change])
    assert message in str(info.value)
    assert "x-one" in str(info.value) or change.get("id") == "Bad Id"


def test_duplicate_ids_and_empty_catalogs_are_rejected() -> None:
    with pytest.raises(CatalogError, match="duplicate"):
        build_catalog([GOOD, GOOD])
    with pytest.raises(CatalogError, match="event is named by two"):
        build_catalog([GOOD | {"event": "BADMAIL"}, GOOD | {"id": "x-two", "event": "BADMAIL"}])


def test_an_event_entry_names_a_failure_without_text_only() -> None:
    """An event-only entry never matches an error text; it names a row by its event id."""
    catalog = build_catalog([GOOD, GOOD | {"id": "x-two", "code": "", "event": "BADMAIL"}])
    assert catalog.by_event(" badmail ") is not None and catalog.by_event("FAIL") is None
    found = diagnose_text("BADMAIL 550 4.4.316 Connection refused", catalog).entry
    assert found is not None and found.id == "x-one"
    with pytest.raises(CatalogError, match="no \\[\\[diagnosis\\]\\]"):
        parse_catalog("title = 'nothing'\n")
    with pytest.raises(CatalogError, match="catalog"):
        parse_catalog("[[diagnosis]\n")


@pytest.mark.parametrize(("entry_code", "layer", "expected"), [
    ("4.7.500-699", "4.7.512", True), ("4.7.500-699", "4.7.700", False), ("4.7.500-699", "5.7.512", False),
    ("4.4.7", "4.4.7", True), ("4.4.7", "4.4.70", False), ("winsock:10061", "winsock:10061", True),
])
def test_code_ranges(entry_code: str, layer: str, expected: bool) -> None:
    assert code_matches(entry_code, layer) is expected
