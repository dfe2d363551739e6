"""FortiGate reader: objects, VIPs, policy order, families, VDOMs and what stays unknown, on the
purpose-made fixture and small inline configurations."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import addrs, probe
from hybridfw.errors import InputError
from hybridfw.rulesets import detect_format, parsers

DATA = Path(__file__).parent.parent / "data" / "audit_edge"
FEATURES = DATA / "fortigate-features.conf"
WAN_IN = "wan1 -> internal"
EOP = addrs("40.92.0.0/15", "52.100.0.0/14")
PARTNER = addrs("198.18.0.10-198.18.0.20")


def test_detected() -> None:
    assert detect_format(FEATURES.read_text()).name == "fortigate"


def test_vip_external_address_admits_eop_and_names_the_unknowns() -> None:
    row = probe(FEATURES, "203.0.113.10", 25, WAN_IN)
    assert row.allowed == EOP
    # Policy 6 (schedule "weekdays") and policy 8 (Internet Service source) cannot be decided;
    # policy 7 (geography) is a deny without match-vip: VIP traffic skips it.
    assert row.unknown == addrs("0.0.0.0/0") - EOP
    evidence = " ".join(row.evidence["unknown"])
    assert "schedule weekdays" in evidence and "Microsoft-Outlook" in evidence


def test_mapped_address_is_matched_and_the_deny_without_match_vip_is_unknown() -> None:
    row = probe(FEATURES, "192.168.10.10", 25, WAN_IN)
    assert not row.allowed  # the geography deny comes first and may or may not apply
    assert row.unknown == addrs("0.0.0.0/0")
    assert "without match-vip" in " ".join(row.evidence["unknown"])


def test_port_forward_vip() -> None:
    inside = probe(FEATURES, "192.168.10.20", 443, WAN_IN)
    assert not inside.missing and not inside.allowed  # geography deny: unknown for the mapped side
    outside = probe(FEATURES, "203.0.113.20", 443, WAN_IN)
    assert outside.unknown == addrs("0.0.0.0/0")
    assert "port-forward VIP owa-vip" in " ".join(outside.evidence["unknown"])


def test_ipv6_policy_fields() -> None:
    row = probe(FEATURES, "2001:db8::10", 25, WAN_IN)
    assert row.allowed == addrs("2a01:111:f400::/48")
    assert not row.unknown  # the IPv4-only policies do not match IPv6 traffic


def test_disabled_policy_is_reported_not_applied() -> None:
    ruleset = parsers()["fortigate"].parse(FEATURES.read_text(), "f.conf")
    assert any(f.code == "audit.rule-disabled" and "policy 5" in f.message for f in ruleset.findings)


def _conf(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "fgt.conf"
    path.write_text("#config-version=FGT60F-7.0.12-FW\n" + body)
    return path


POLICY_ORDER = """config firewall address
    edit "net"
        set subnet 10.1.0.0 255.255.0.0
    next
    edit "few"
        set subnet 10.1.2.0/24
    next
end
config firewall addrgrp
    edit "net-but-few"
        set member "net"
        set exclude enable
        set exclude-member "few"
    next
end
config firewall policy
    edit 50
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "net-but-few"
        set dstaddr "all"
        set action accept
        set schedule "always"
        set service "SMTP"
    next
    edit 2
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set schedule "always"
        set service "ALL"
    next
    edit 9
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set srcaddr6 "all"
        set dstaddr6 "all"
        set action accept
        set schedule "always"
        set service "ALL"
    next
end
"""


def test_table_order_default_deny_and_exclude(tmp_path: Path) -> None:
    path = _conf(tmp_path, POLICY_ORDER)
    row = probe(path, "192.0.2.1", 25, "port1 -> port2")
    # 50 first (the ID is a name), then 2 (no action: deny) ends everything else.
    assert row.allowed == addrs("10.1.0.0/16") - addrs("10.1.2.0/24")
    assert not row.unknown
    row6 = probe(path, "2001:db8::1", 25, "port1 -> port2")
    assert row6.allowed == addrs("::/0")  # 9 matches IPv6 through srcaddr6/dstaddr6 "all"


def test_service_with_source_ports_and_undefined_names(tmp_path: Path) -> None:
    path = _conf(tmp_path, """config firewall service custom
    edit "smtp-hi"
        set tcp-portrange 25:1024-65535
    next
end
config firewall policy
    edit 1
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "mystery"
        set action accept
        set service "smtp-hi"
    next
end
""")
    row = probe(path, "192.0.2.1", 25, "port1 -> port2")
    assert row.unknown == addrs("0.0.0.0/0")
    evidence = " ".join(row.evidence["unknown"])
    assert "mystery" in evidence


def test_vdoms_become_separate_entries(tmp_path: Path) -> None:
    body = "config vdom\n" + "".join(f"""edit {vd}
config firewall policy
    edit 1
        set srcintf "a"
        set dstintf "b"
        set srcaddr "all"
        set dstaddr "all"
        set action {action}
        set schedule "always"
        set service "ALL"
    next
end
next
""" for vd, action in (("root", "accept"), ("dmz", "deny"))) + "end\n"
    path = _conf(tmp_path, body)
    assert probe(path, "192.0.2.1", 25, "root: a -> b").allowed == addrs("0.0.0.0/0")
    assert not probe(path, "192.0.2.1", 25, "dmz: a -> b").allowed


def test_policy6_table_of_older_fortios(tmp_path: Path) -> None:
    path = _conf(tmp_path, """config firewall address6
    edit "eop6"
        set ip6 2a01:111:f400::/48
    next
end
config firewall policy6
    edit 1
        set srcintf "wan1"
        set dstintf "lan"
        set srcaddr "eop6"
        set dstaddr "all"
        set action accept
        set schedule "always"
        set service "SMTP"
    next
end
""")
    assert probe(path, "2001:db8::10", 25, "wan1 -> lan").allowed == addrs("2a01:111:f400::/48")
    assert not probe(path, "192.0.2.1", 25, "wan1 -> lan").allowed


@pytest.mark.parametrize(("body", "message"), [
    ("config firewall policy\n    edit 1\n        set action accept\n", "not closed"),
    ("config firewall policy\nend\nend\n", "closes no 'config'"),
    ("next\n", "closes no 'edit'"),
    ("just some words\n", "no FortiOS 'config' blocks"),
])
def test_broken_files_are_input_errors(tmp_path: Path, body: str, message: str) -> None:
    path = _conf(tmp_path, body)
    with pytest.raises(InputError, match=message) as caught:
        parsers()["fortigate"].parse(path.read_text(), str(path))
    assert str(caught.value).startswith(str(path))


def test_batfish_sample() -> None:
    """A real FortiOS test configuration (Batfish, Apache-2.0; see the fixtures' README)."""
    path = DATA / "fortigate__batfish__firewall_policy.conf"
    assert detect_format(path.read_text()).name == "fortigate"
    addr1, addr2 = addrs("10.0.1.0/24"), addrs("10.0.2.0/24")
    # Port 11: policy 1 (table order after the disabled 0 and the deny on port 12) and 2 admit all.
    assert probe(path, "10.0.2.5", 11, "port1 -> port2").allowed == addrs("0.0.0.0/0")
    # Port 12: 4294967294 (no action: deny; from addr1) and then 1 (accept; from addr2) match
    # only if the source port is 11. addr1: denied, or accepted by 2: unknown. addr2: accepted
    # by 1, or else by 2: accepted either way (an undecidable rule whose outcomes agree decides
    # nothing, issue 11). The rest goes on to 2.
    row = probe(path, "10.0.2.5", 12, "port1 -> port2")
    assert row.unknown == addr1
    assert row.allowed == addrs("0.0.0.0/0") - addr1 and addr2 <= row.allowed
    assert "source ports 11" in " ".join(row.evidence["unknown"])
    # zone1 -> zone1: only policy 3 (dstintf set anew to zone1, then zone3 appended) and 2.
    assert probe(path, "10.0.3.5", 80, "zone1 -> zone1").allowed == addrs("0.0.0.0/0")
    # port2 -> port1 holds policy 1 in the reverse direction too (appended interfaces).
    assert probe(path, "10.0.1.5", 11, "port2 -> port1").allowed == addrs("0.0.0.0/0")


def test_pairs_both_ways(tmp_path: Path) -> None:
    """Policies written port1 -> port2 only: traffic the other way has its own entry, which only
    the implicit deny decides (it does not borrow the port1 -> port2 policies)."""
    path = _conf(tmp_path, POLICY_ORDER)
    ruleset = parsers()["fortigate"].parse(path.read_text(), str(path))
    names = {e.name for e in ruleset.entries}
    assert names == {"port1 -> port1", "port1 -> port2", "port2 -> port1", "port2 -> port2"}
    back = probe(path, "192.0.2.1", 25, "port2 -> port1")
    assert not back.allowed and not back.unknown
    assert "implicit deny" in " ".join(back.evidence["missing"])
