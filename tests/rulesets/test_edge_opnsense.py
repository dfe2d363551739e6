"""OPNsense reader: MVC and legacy aliases, automation rules before floating and interface
rules, quick defaults (floating rules are not quick unless they say so), unknown alias types."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import addrs, probe
from hybridfw.errors import InputError
from hybridfw.rulesets import detect_format, parsers

DATA = Path(__file__).parent.parent / "data" / "audit_edge"
XML = DATA / "opnsense-features.xml"
EOP4 = addrs("40.92.0.0/15", "52.100.0.0/14")


def test_detected_apart_from_pfsense() -> None:
    assert detect_format(XML.read_text()).name == "opnsense"
    assert parsers()["pfsense"].detect(XML.read_text()) == 0.0


def test_urltable_block_first_makes_everything_unknown() -> None:
    row = probe(XML, "192.168.10.10", 25, "wan")
    # The urltable block cannot be decided. Where the rules after it would drop anyway (the
    # default deny), both outcomes agree: missing (issue 11's precision). Only the sources a
    # later rule would admit (40.92.0.0/15, 52.100.0.0/14) depend on the list: unknown.
    assert row.unknown == addrs("40.92.0.0/15", "52.100.0.0/14") and not row.allowed
    assert row.missing == addrs("0.0.0.0/0") - row.unknown
    assert "urltable alias Spamhaus" in " ".join(row.evidence["unknown"])


def test_rules_after_the_automation_rule(tmp_path: Path) -> None:
    text = XML.read_text().replace("<enabled>1</enabled>\n            <sequence>10</sequence>",
                                   "<enabled>0</enabled>\n            <sequence>10</sequence>")
    path = tmp_path / "config.xml"
    path.write_text(text)
    row = probe(path, "192.168.10.10", 587, "wan")
    # The floating block is not quick (last match): unknown for 40.92.0.0/16, not a sure drop.
    assert row.unknown == addrs("40.92.0.0/16")
    assert row.allowed == EOP4 - addrs("40.92.0.0/16")
    assert not probe(path, "2001:db8::10", 25, "wan").allowed  # the rule names an IPv4 destination
    assert probe(path, "192.168.10.77", 443, "wan").allowed == addrs("0.0.0.0/0") - addrs("40.92.0.0/16")
    ruleset = parsers()["opnsense"].parse(path.read_text(), str(path))
    assert sum(f.code == "audit.rule-disabled" for f in ruleset.findings) == 2


@pytest.mark.parametrize(("text", "message"), [
    ("<pfsense></pfsense>", "not <opnsense>"),
    ("<opnsense><filter>", "not well-formed"),
])
def test_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parsers()["opnsense"].parse(text, "config.xml")
