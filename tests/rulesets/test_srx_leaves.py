"""Junos ``set`` commands that set several leaves at once (``protocol tcp destination-port
2525``, ``match source-address any destination-address mx application smtp``, ``[ a b ]``) read
as the same leaves one per line; a keyword that cannot be split is unknown, never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import addrs, probe
from hybridfw.rulesets._junos_leaves import split_statement
from hybridfw.rulesets.groups_srx import srx_groups

ANY4 = addrs("0.0.0.0/0")
_HEAD = """set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security address-book global address mx 203.0.113.10/32
set security address-book global address eop 40.92.0.0/15
set security address-book global address eop2 40.107.0.0/16
"""
_ONE_LINE = """set applications application alt-smtp protocol tcp destination-port 2525
set security address-book global address-set EOPS address eop address eop2
set security policies from-zone untrust to-zone trust policy p1 match source-address EOPS \
destination-address mx application [ alt-smtp junos-smtp ]
set security policies from-zone untrust to-zone trust policy p1 then permit
"""
_PER_LEAF = """set applications application alt-smtp protocol tcp
set applications application alt-smtp destination-port 2525
set security address-book global address-set EOPS address eop
set security address-book global address-set EOPS address eop2
set security policies from-zone untrust to-zone trust policy p1 match source-address EOPS
set security policies from-zone untrust to-zone trust policy p1 match destination-address mx
set security policies from-zone untrust to-zone trust policy p1 match application alt-smtp
set security policies from-zone untrust to-zone trust policy p1 match application junos-smtp
set security policies from-zone untrust to-zone trust policy p1 then permit
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(_HEAD + text)
    return path


@pytest.mark.parametrize(("address", "port"), [("203.0.113.10", 25), ("203.0.113.10", 2525),
                                               ("203.0.113.10", 443), ("203.0.113.99", 25)])
def test_several_leaves_on_a_line_read_as_one_per_line(tmp_path: Path, address: str, port: int) -> None:
    one, per = _write(tmp_path, "one.set", _ONE_LINE), _write(tmp_path, "per.set", _PER_LEAF)
    a, b = probe(one, address, port, "untrust -> trust"), probe(per, address, port, "untrust -> trust")
    assert (a.allowed, a.unknown, a.missing) == (b.allowed, b.unknown, b.missing)
    admitted = address == "203.0.113.10" and port in (25, 2525)
    assert a.allowed == (addrs("40.92.0.0/15", "40.107.0.0/16") if admitted else addrs())


def test_an_application_with_its_port_on_the_protocol_line_is_not_any_port(tmp_path: Path) -> None:
    # Juniper's own example form: read as protocol only, this admitted TCP 25 (a false all-clear).
    path = _write(tmp_path, "app.set", "set applications application alt-smtp protocol tcp "
                  "source-port 0-65535 destination-port 2525-2525 inactivity-timeout 10\n"
                  "set security policies from-zone untrust to-zone trust policy p1 match "
                  "source-address any destination-address any application alt-smtp\n"
                  "set security policies from-zone untrust to-zone trust policy p1 then permit\n")
    assert not probe(path, "203.0.113.10", 25, "untrust -> trust").allowed
    assert probe(path, "203.0.113.10", 2525, "untrust -> trust").allowed == ANY4


@pytest.mark.parametrize(("line", "said"), [
    ("match source-address any destination-address any frobnicate x y application any",
     "frobnicate x y application any"),
    ("match source-address any destination-address any application odd", "application odd"),
])
def test_what_cannot_be_split_is_unknown(tmp_path: Path, line: str, said: str) -> None:
    path = _write(tmp_path, "odd.set", "set applications application odd protocol tcp bogus 1 2\n"
                  f"set security policies from-zone untrust to-zone trust policy p1 {line}\n"
                  "set security policies from-zone untrust to-zone trust policy p1 then permit\n")
    row = probe(path, "203.0.113.10", 25, "untrust -> trust")
    assert row.unknown == ANY4 and not row.allowed
    assert said in " ".join(row.evidence["unknown"])


def test_nat_match_with_a_port_on_the_address_line_is_a_condition(tmp_path: Path) -> None:
    nat = ("set security nat destination pool inside address 192.168.1.10/32\n"
           "set security nat destination rule-set rs from zone untrust\n"
           "set security nat destination rule-set rs rule r match destination-address 203.0.113.30/32 "
           "destination-port 25\n"
           "set security nat destination rule-set rs rule r then destination-nat pool inside\n"
           "set security address-book global address in 192.168.1.10/32\n"
           "set security policies from-zone untrust to-zone trust policy p1 match source-address any "
           "destination-address in application junos-smtp\n"
           "set security policies from-zone untrust to-zone trust policy p1 then permit\n")
    row = probe(_write(tmp_path, "nat.set", nat), "203.0.113.30", 25, "untrust -> trust")
    assert row.unknown == ANY4
    assert "destination NAT rs/r destination-port 25" in " ".join(row.evidence["unknown"])


def test_split_keeps_single_leaves_and_other_statements() -> None:
    assert split_statement(("security", "policies", "from-zone", "a", "to-zone", "b", "policy", "p",
                            "match", "application", "x")) is None
    assert split_statement(("security", "policies", "from-zone", "a", "to-zone", "b", "policy", "p",
                            "then", "permit")) is None
    assert split_statement(("logical-systems", "L", "applications", "application", "x", "term", "t",
                            "protocol", "udp", "destination-port", "53")) == [
        ("logical-systems", "L", "applications", "application", "x", "term", "t", "protocol", "udp"),
        ("logical-systems", "L", "applications", "application", "x", "term", "t", "destination-port", "53")]


def test_members_sharing_a_line_are_never_exact_for_removal() -> None:
    text = _HEAD + "set security address-book global address-set EOPS address eop address eop2\n" \
        "set security address-book global address-set ONE address eop\n"
    index = srx_groups(text, "t.set")
    shared = index.groups["address-book global|EOPS"].members
    assert [(m.name, m.addresses) for m in shared] == [("eop", None), ("eop2", None)]
    (alone,) = index.groups["address-book global|ONE"].members
    assert alone.addresses == addrs("40.92.0.0/15")
