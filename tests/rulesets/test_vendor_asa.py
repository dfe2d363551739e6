"""Cisco ASA: objects, nested groups, named ports, order and shadowing, undecidable conditions,
bindings (interface + global), inactive entries and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import DATA, addrs, probe
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_ruleset
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parse_files, parse_text

FEATURES = DATA / "asa-features.cfg"
MX = "198.51.100.25"
OUTER = addrs("10.1.0.0/16", "192.0.2.10-192.0.2.19", "172.16.0.1")


def test_port_25_order_shadow_and_unknowns() -> None:
    row = probe(FEATURES, MX, 25, "outside in")
    # OUTER minus the host denied first, MIXED's tcp/25 part, the sure part of WITH-FQDN, and
    # 5.5.5.5: the FQDN rule cannot be decided for it, but the global ACL appended after
    # OUTSIDE_IN permits it on 25 anyway, so it is accepted either way.
    allowed = (OUTER - addrs("10.1.2.3")) | addrs("192.0.2.128/25", "100.64.0.0/10", "5.5.5.5")
    assert row.allowed == allowed
    assert row.missing == addrs("10.1.2.3")
    # source port (9.9.9.9), interface operand (11/8) and the FQDN object (everything else).
    assert row.unknown == AddressSet.any(4) - allowed - addrs("10.1.2.3")
    (shadow,) = row.shadowed
    assert shadow.addresses == addrs("10.1.2.3")
    assert shadow.denied_by.line == 38 and shadow.accepted_by.line == 39
    unknown_evidence = " ".join(row.evidence["unknown"])
    assert "source port" in unknown_evidence and "fqdn object relay.partner.example" in unknown_evidence
    assert "address of interface outside" in unknown_evidence


def test_named_port_group_and_global_acl() -> None:
    row = probe(FEATURES, MX, 587, "outside in")
    # 587 is in MAIL; 8.8.8.8 may use any port but 25; the global ACL follows the interface's.
    expected = OUTER | addrs("5.5.5.5", "8.8.8.8")
    assert row.allowed == expected
    assert row.missing == AddressSet.any(4) - expected
    assert not row.unknown


def test_neq_operator_and_protocol_group() -> None:
    assert probe(FEATURES, MX, 26, "outside in").allowed == addrs("8.8.8.8")
    assert not probe(FEATURES, MX, 25, "outside in", sources=addrs("8.8.8.8")).allowed


def test_ipv6_time_range_is_unknown() -> None:
    row = probe(FEATURES, "2001:db8::25", 25, "outside in")
    assert row.unknown == AddressSet.any(6)
    assert "time-range BUSINESS" in " ".join(row.evidence["unknown"])
    assert probe(FEATURES, "2001:db8::25", 27, "outside in").missing == AddressSet.any(6)


def test_bindings_inactive_and_unbound_findings() -> None:
    ruleset = parse_files([FEATURES])
    assert ruleset.format == "asa" and ruleset.platform == "ciscoasa"
    assert {e.name for e in ruleset.entries} == {"outside in", "inside in", "global"}
    codes = {(f.code, f.evidence[0].rsplit(":", 1)[1]) for f in ruleset.findings}
    assert ("audit.rule-inactive", "41") in codes
    assert ("audit.acl-not-bound", "48") in codes
    # the inactive line (203.0.113.0/24) does not admit anything
    assert not probe(FEATURES, MX, 25, "outside in", sources=addrs("203.0.113.7")).allowed


def test_excerpt_without_access_group_is_evaluated_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "acl.txt"
    path.write_text("access-list MAIL_IN extended permit tcp 40.92.0.0 255.254.0.0 any4 eq smtp\n")
    ruleset = parse_files([path], "asa")
    assert [e.name for e in ruleset.entries] == ["(not bound) MAIL_IN in"]
    assert any(f.code == "audit.acl-not-bound" for f in ruleset.findings)
    row = probe(path, "203.0.113.10", 25, "(not bound) MAIL_IN in", fmt="asa")
    assert row.allowed == addrs("40.92.0.0/15")


def test_undefined_object_is_a_warning_and_its_entry_undecidable() -> None:
    """The ASA itself refuses an ACL naming an undefined object; excerpts have them. The entry
    becomes undecidable (its addresses unknown), with a warning naming the line: not exit 2."""
    text = ("ASA Version 9.18(2)\nhostname fw\n"
            "access-list A extended permit tcp object-group NOPE any eq 25\n"
            "access-group A in interface outside\n")
    ruleset = parse_text(text, "fw.cfg", "asa")
    (found,) = [f for f in ruleset.findings if f.code == "audit.acl-undefined-object"]
    assert "'NOPE' is not defined" in found.message and found.evidence[0].endswith(":3")
    (rule,) = [r for c in ruleset.chains.values() for r in c.rules]
    assert rule.match.undecidable == ("object 'NOPE' is not defined",)


@pytest.mark.parametrize(("line", "field", "needle"), [
    ("access-list A extended permit tcp 10.0.0.0 255.0.255.0 any eq 25", "mask", "non-contiguous"),
    ("access-list A extended permit tcp any any eq nosuchport", "port", "unknown port"),
    ("access-list A extended permit tcp any host", "address", "cannot read"),
    ("access-list A extended permit tcp any any eq", "port", "needs 1 port"),
    ("access-list A extended allow tcp any any", "access-list", "permit|deny"),
    ("access-list A extended permit tcp any any eq 25 bogus", "access-list", "unexpected 'bogus'"),
    ("access-list A extended permit ip any any eq 25", "access-list", "unexpected 'eq'"),
    ("access-group A sideways interface outside", "access-group", "binding"),
])
def test_bad_lines_name_line_and_field(line: str, field: str, needle: str) -> None:
    text = f"ASA Version 9.18(2)\nhostname fw\n{line}\naccess-group A in interface outside\n"
    with pytest.raises(InputError) as caught:
        parse_text(text, "fw.cfg", "asa")
    message = str(caught.value)
    assert message.startswith(f"fw.cfg:3 [{field}]: ") and needle.split("|")[0] in message


def test_group_loop_is_an_input_error() -> None:
    text = ("object-group network A\n group-object B\nobject-group network B\n group-object A\n"
            "access-list X extended permit tcp object-group A any eq 25\n"
            "access-group X in interface outside\n")
    with pytest.raises(InputError, match="nests too deep"):
        parse_text(text, "loop.cfg", "asa")


def test_interfaces_without_acl_follow_security_levels(tmp_path: Path) -> None:
    path = tmp_path / "levels.cfg"
    path.write_text("ASA Version 9.18(2)\n"
                    "interface Gi0/0\n nameif outside\n security-level 0\n"
                    "interface Gi0/1\n nameif inside\n security-level 100\n"
                    " ip address 192.168.1.1 255.255.255.0\n ipv6 address 2001:db8:1::1/64\n"
                    "interface Gi0/2\n nameif guest\n security-level 0\n"
                    "interface Gi0/3\n nameif lab\n security-level 50\n"
                    "route outside 0.0.0.0 0.0.0.0 198.51.100.1 1\n"
                    "route inside 10.0.0.0 255.0.0.0 192.168.1.254 1\n"
                    "access-list OUT_IN extended permit tcp any host 203.0.113.10 eq smtp\n"
                    "access-group OUT_IN in interface outside\n")
    ruleset = parse_files([path])
    inside = "inside in (no access-list, security-level 100)"
    guest = "guest in (no access-list, security-level 0)"
    assert {e.name for e in ruleset.entries} == {"outside in", inside, guest}
    assert any(f.code == "audit.interface-not-evaluated" and "lab" in f.message for f in ruleset.findings)
    # outbound: a host behind inside (connected or routed) may send anywhere
    for host in ("10.1.2.3", "192.168.1.20"):
        flow = Flow(id="out", direction="outbound", protocol="tcp", ports=(25,),
                    sources=addrs(host), destinations=addrs("40.92.0.0/15"), reason="test")
        (row,) = audit_ruleset(ruleset, [flow], entry=inside).flows
        assert row.allowed == addrs("40.92.0.0/15")
    # inbound: Internet sources do not enter through inside
    row = probe(path, "192.168.1.20", 25, inside)
    assert row.allowed == addrs("192.168.1.0/24", "10.0.0.0/8")
    assert probe(path, "2001:db8:1::5", 25, inside).allowed == addrs("2001:db8:1::/64")
    guest_row = probe(path, "198.51.100.9", 25, guest)
    assert guest_row.missing == AddressSet.any(4)
    assert "implicit deny on guest: no lower" in " ".join(guest_row.evidence["missing"])
    # a global ACL replaces the implicit permit: no such entries then
    path.write_text(path.read_text() + "access-list G extended deny ip any any\naccess-group G global\n")
    assert {e.name for e in parse_files([path]).entries} == {"outside in", "global"}


def test_port_object_without_operator_is_an_input_error() -> None:
    text = ("object-group service S tcp\n port-object any eq smtp\n"
            "access-list A extended permit tcp any any object-group S\n"
            "access-group A in interface outside\n")
    with pytest.raises(InputError, match=r"x.cfg:2 \[port\]: expected eq\|neq\|lt\|gt\|range, not 'any'"):
        parse_text(text, "x.cfg", "asa")


def test_file_without_access_lists_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"rules.v4 \[access-list\]: no extended access-list"):
        parse_text("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 25 -j ACCEPT\nCOMMIT\n",
                   "rules.v4", "asa")


def test_service_object_and_line_insertion(tmp_path: Path) -> None:
    path = tmp_path / "svc.cfg"
    path.write_text("object service SMTP-SVC\n service tcp destination eq smtp\n"
                    "access-list A extended permit object SMTP-SVC any host 203.0.113.10\n"
                    "access-list A line 1 extended deny tcp host 40.92.0.1 any eq 25\n"
                    "access-group A in interface outside\n")
    row = probe(path, "203.0.113.10", 25, "outside in")
    assert row.allowed == AddressSet.any(4) - addrs("40.92.0.1")  # the inserted line comes first
    assert row.missing == addrs("40.92.0.1")
    assert probe(path, "203.0.113.10", 587, "outside in").missing == AddressSet.any(4)


def test_icmp_types_are_read_past() -> None:
    text = ("access-list A extended permit icmp any any echo-reply\n"
            "access-list A extended permit tcp any any eq 25\naccess-group A in interface outside\n")
    ruleset = parse_text(text, "icmp.cfg", "asa")
    assert [r.match.protocols for r in ruleset.chains["icmp.cfg/access-group/outside in"].rules] == [
        frozenset({"icmp"}), frozenset({"tcp"})]


def test_control_plane_and_ethertype_bindings_do_not_replace_the_interface_acl(tmp_path: Path) -> None:
    """`access-group CP in interface outside control-plane` filters traffic to the ASA itself,
    and an ethertype access-list is bound beside the extended one (Cisco ASA configuration
    guide, access-group): neither replaces OUTSIDE_IN, which denies port 25."""
    path = tmp_path / "cp.cfg"
    path.write_text("access-list OUTSIDE_IN extended deny tcp any host 203.0.113.10 eq 25\n"
                    "access-list OUTSIDE_IN extended permit tcp any host 203.0.113.10 eq 443\n"
                    "access-group OUTSIDE_IN in interface outside\n"
                    "access-list CP extended permit ip any any\n"
                    "access-group CP in interface outside control-plane\n"
                    "access-list ETH ethertype permit bpdu\n"
                    "access-group ETH in interface outside\n")
    ruleset = parse_files([path], "asa")
    assert [e.name for e in ruleset.entries] == ["outside in"]
    row = probe(path, "203.0.113.10", 25, "outside in", fmt="asa")
    assert not row.allowed and row.missing == AddressSet.any(4)
    assert probe(path, "203.0.113.10", 443, "outside in", fmt="asa").allowed == AddressSet.any(4)
    messages = [f.message for f in ruleset.findings if f.code == "audit.acl-line-not-evaluated"]
    assert any("control-plane" in m for m in messages) and any("ETH binds" in m for m in messages)
    assert not any(f.code in ("audit.acl-rebound", "audit.acl-not-bound", "audit.acl-missing")
                   for f in ruleset.findings)
