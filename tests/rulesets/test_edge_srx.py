"""Juniper SRX reader: hierarchical and display-set forms, address books, applications, zone
pairs, global policies, default policy, inactive statements and destination NAT."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import addrs, probe
from hybridfw.errors import InputError
from hybridfw.rulesets import detect_format, parsers
from hybridfw.rulesets._junos_tree import statements

DATA = Path(__file__).parent.parent / "data" / "audit_edge"
CONF = DATA / "srx-features.conf"
SET = DATA / "srx-features.set"
EOP = addrs("40.92.0.0/15", "52.100.0.0/14")
PARTNERS = addrs("198.18.0.10-198.18.0.20")
ANY4 = addrs("0.0.0.0/0")


@pytest.mark.parametrize("path", [CONF, SET])
def test_detected(path: Path) -> None:
    assert detect_format(path.read_text()).name == "srx"


@pytest.mark.parametrize("address", ["192.168.10.10", "203.0.113.10"])
def test_policies_in_order_then_global_with_nat(address: str) -> None:
    # 203.0.113.10 is translated to mail-inside by the destination NAT rule-set from untrust.
    row = probe(CONF, address, 25, "untrust -> trust")
    assert row.allowed == EOP - addrs("40.92.4.0/24")  # block-old-relay comes first
    assert row.unknown == PARTNERS  # office-hours: scheduler and source-port conditions
    assert "scheduler-name weekdays" in " ".join(row.evidence["unknown"])
    assert not row.missing & PARTNERS  # the global reject ends the rest, not the default


def test_ipv6_and_excluded_sources() -> None:
    assert probe(CONF, "2001:db8::10", 25, "untrust -> trust").allowed == addrs("2a01:111:f400::/48")
    https = probe(CONF, "192.168.10.10", 443, "untrust -> trust")
    assert https.allowed == ANY4 - PARTNERS


def test_inactive_policy_and_default_policy() -> None:
    ruleset = parsers()["srx"].parse(CONF.read_text(), str(CONF))
    assert any(f.code == "audit.rule-disabled" and "old-partner" in f.message for f in ruleset.findings)
    # trust -> untrust: no policy, default-policy deny-all.
    assert not probe(CONF, "198.51.100.1", 25, "trust -> untrust").allowed


def test_set_form_reads_as_the_hierarchical_form(tmp_path: Path) -> None:
    flat = "\n".join(("deactivate " if s.verb == "deactivate" else "set ") + " ".join(s.words)
                     for s in statements(CONF.read_text(), str(CONF)))
    path = tmp_path / "flat.set"
    path.write_text(flat + "\n")
    assert detect_format(flat).name == "srx"
    for address, port in (("203.0.113.10", 25), ("192.168.10.10", 443), ("2001:db8::10", 25)):
        a, b = probe(CONF, address, port, "untrust -> trust"), probe(path, address, port, "untrust -> trust")
        assert (a.allowed, a.unknown, a.missing) == (b.allowed, b.unknown, b.missing)


def test_set_form_features() -> None:
    inside = probe(SET, "172.16.5.10", 25, "untrust -> dmz")
    # eop admits EOP-A; relay is deactivated; idp's dynamic-application is unknown.
    assert inside.allowed == addrs("40.92.0.0/15")
    assert inside.unknown == ANY4 - addrs("40.92.0.0/15")
    assert "junos:OFFICE365" in " ".join(inside.evidence["unknown"])
    # NAT with a destination-port condition: the public address is unknown for the policies.
    public = probe(SET, "203.0.113.30", 25, "untrust -> dmz")
    assert public.unknown and not public.missing  # permit-all is the default here
    assert "destination NAT rs1/smtp destination-port 25" in " ".join(public.evidence["unknown"])
    # default-policy permit-all decides what no policy does (dmz -> untrust).
    assert probe(SET, "198.51.100.1", 25, "dmz -> untrust").allowed == ANY4


@pytest.mark.parametrize(("text", "message"), [
    ("security {\n    policies {\n", "not closed"),
    ("security { }\n}\n", "closes no block"),
    ("security { policies { default-policy { deny-all } } }\n", "without ';'"),
    ("set security address-book global address x not-an-address\n", "cannot read address"),
])
def test_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parsers()["srx"].parse(text, "srx.conf")


def test_batfish_sample() -> None:
    """A real Junos test configuration (Batfish, Apache-2.0; see the fixtures' README)."""
    path = DATA / "srx__batfish__firewall-global-address-book.set"
    assert detect_format(path.read_text()).name == "srx"
    row = probe(path, "9.9.9.9", 25, "trust -> untrust")
    assert row.allowed == addrs("2.2.2.2")
    assert row.unknown == ANY4 - addrs("2.2.2.2")  # ADDR2 is a wildcard address: unknown
    assert "wildcard-address address ADDR2" in " ".join(row.evidence["unknown"])
    assert not probe(path, "9.9.9.9", 25, "untrust -> trust").allowed  # default-policy deny-all


def test_deactivated_clause_is_left_out_not_the_policy(tmp_path: Path) -> None:
    head = "set security policies from-zone a to-zone b policy p"
    path = tmp_path / "clause.set"
    path.write_text("\n".join([f"{head} match source-address 10.0.0.0/8", f"{head} match source-address any",
                               f"{head} match destination-address any", f"{head} match application any",
                               f"{head} then permit",
                               "deactivate security policies from-zone a to-zone b policy p match "
                               "source-address any"]) + "\n")
    assert probe(path, "192.0.2.1", 25, "a -> b").allowed == addrs("10.0.0.0/8")


@pytest.mark.parametrize("text", [";\n", "inactive: ;\n", "inactive: { }\nsecurity { policies { } }\n"])
def test_empty_statements_found_by_fuzzing(text: str) -> None:
    """benchmarks/fuzz_parsers.py found an IndexError on a lone ';': now an empty ruleset or an
    input error, never a crash."""
    try:
        ruleset = parsers()["srx"].parse(text, "srx.conf")
    except InputError as exc:
        assert str(exc).startswith("srx.conf")
    else:
        assert all(not c.rules for c in ruleset.chains.values())
