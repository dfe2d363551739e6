"""pfSense config.xml: aliases (nested, ranges, ports), floating quick and non-quick rules,
interface groups, negation, disabled rules, address families, order, undecidable parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import DATA, addrs, probe
from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.rulesets import parse_files, parse_text

FEATURES = DATA / "pfsense-features.xml"
MAIL = "203.0.113.10"
EOP = addrs("10.0.0.0/8", "192.0.2.10-192.0.2.20")


def test_port_25_floating_group_alias_and_url_table() -> None:
    row = probe(FEATURES, MAIL, 25, "wan")
    assert row.allowed == addrs("198.18.0.0/15") | (EOP - addrs("10.9.9.9"))
    assert row.missing == addrs("10.9.9.9")  # the floating quick block comes first
    # the later reject of 10.1/16 changes nothing; the URL table rule makes the rest unknown
    assert row.unknown == AddressSet.any(4) - row.allowed - row.missing
    assert "urltable alias URLT" in " ".join(row.evidence["unknown"])
    assert [s.addresses for s in row.shadowed] == [addrs("10.9.9.9")]


def test_nested_port_alias_and_ipv6_member() -> None:
    assert probe(FEATURES, MAIL, 2526, "wan").allowed == EOP - addrs("10.9.9.9")
    v6 = probe(FEATURES, "2001:db8::10", 587, "wan")
    assert v6.allowed == AddressSet.empty() and v6.missing == AddressSet.any(6)  # EOP has no IPv6


def test_negated_source_and_family() -> None:
    row = probe(FEATURES, MAIL, 8025, "wan")
    assert row.allowed == AddressSet.any(4) - addrs("172.16.0.0/12", "10.9.9.9")
    assert probe(FEATURES, "2001:db8::10", 8025, "wan").missing == AddressSet.any(6)  # inet only


def test_host_alias_by_name_is_unknown() -> None:
    row = probe(FEATURES, MAIL, 9999, "wan")
    assert row.unknown == AddressSet.any(4) - addrs("10.9.9.9")
    assert "relay.example.com" in " ".join(row.evidence["unknown"])


def test_lan_non_quick_floating_rule_decides_when_no_quick_rule_matches() -> None:
    row = probe(FEATURES, MAIL, 25, "lan")
    # "Default allow LAN to any" (quick: pfSense interface rules always are) passes the LAN
    # net 192.168.1.0/24; every other source reaches pf's last-match stage, where the
    # non-quick floating pass is the last match: allowed, not unknown. But for 10.9.9.9: the
    # floating quick block on wan (direction any) drops it where it leaves on wan, which
    # routing decides: unknown, named.
    assert row.allowed == AddressSet.any(4) - addrs("10.9.9.9") and row.unknown == addrs("10.9.9.9")
    assert "leaving on wan" in " ".join(row.evidence["unknown"])
    assert any("floating without quick" in e for e in row.evidence["allowed"])


def test_non_quick_floating_last_match_wins_and_disabled_interface_is_left_out() -> None:
    text = FEATURES.read_text().replace(
        "<descr>floating without quick</descr>",
        "<descr>floating without quick</descr></rule><rule><type>block</type>"
        "<interface>lan</interface><ipprotocol>inet</ipprotocol><floating>yes</floating>"
        "<direction>in</direction><source><address>10.0.0.0/8</address></source>"
        "<destination><any></any></destination><descr>later non-quick block</descr>").replace(
        "<lan><enable></enable>", "<opt1><if>igb2</if></opt1><lan><enable></enable>")
    ruleset = parse_text(text, "pf.xml", "pfsense")
    assert sorted(e.name for e in ruleset.entries) == ["lan", "wan"]  # opt1 is not enabled
    assert any(f.code == "audit.interface-disabled" for f in ruleset.findings)
    lan = next(c for c in ruleset.chains.values() if c.name == "lan")
    tail = [r.origin.text for r in lan.rules][-2:]
    assert tail == ["later non-quick block", "floating without quick"]  # last match first


def test_disabled_rule_and_entries() -> None:
    ruleset = parse_files([FEATURES])
    assert (ruleset.format, ruleset.platform) == ("pfsense", "pf")
    assert sorted(e.name for e in ruleset.entries) == ["lan", "wan"]
    (disabled,) = [f for f in ruleset.findings if f.code == "audit.rule-disabled"]
    assert disabled.evidence[0].endswith(":45")
    assert probe(FEATURES, MAIL, 443, "wan").missing == AddressSet.any(4)


@pytest.mark.parametrize(("text", "needle"), [
    ("<pfsense><filter><rule><type>pass</rule></filter></pfsense>", "not well-formed"),
    ("<opnsense><filter/></opnsense>", "not <pfsense>"),
    ("<pfsense><aliases><alias><name>A</name><type>host</type><address>B</address></alias>"
     "<alias><name>B</name><type>host</type><address>A</address></alias></aliases>"
     "<filter><rule><interface>wan</interface><source><address>A</address></source></rule></filter>"
     "</pfsense>", "nests too deep"),
])
def test_bad_config(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        parse_text(text, "config.xml", "pfsense")


def test_interface_networks_static_exact_dynamic_unknown(tmp_path: Path) -> None:
    path = tmp_path / "config.xml"
    path.write_text("""<pfsense><interfaces>
<wan><if>igb0</if><ipaddr>dhcp</ipaddr><ipaddrv6>dhcp6</ipaddrv6></wan>
<lan><if>igb1</if><ipaddr>192.168.1.1</ipaddr><subnet>24</subnet>
<ipaddrv6>2001:db8:1::1</ipaddrv6><subnetv6>64</subnetv6></lan>
<dmz><if>igb2</if><ipaddr>172.20.0.1</ipaddr><subnet>24</subnet></dmz>
</interfaces>
<virtualip><vip><mode>ipalias</mode><interface>dmz</interface><subnet>172.20.0.2</subnet></vip></virtualip>
<filter>
<rule><type>pass</type><interface>lan</interface><ipprotocol>inet46</ipprotocol><protocol>tcp</protocol>
<source><network>lan</network></source><destination><network>lanip</network><port>25</port></destination></rule>
<rule><type>pass</type><interface>wan</interface><protocol>tcp</protocol>
<source><any/></source><destination><network>wanip</network><port>25</port></destination></rule>
<rule><type>pass</type><interface>dmz</interface><protocol>tcp</protocol>
<source><network>dmz</network></source><destination><any/></destination></rule>
</filter></pfsense>
""")
    assert probe(path, "192.168.1.1", 25, "lan").allowed == addrs("192.168.1.0/24")
    assert probe(path, "2001:db8:1::1", 25, "lan").allowed == addrs("2001:db8:1::/64")
    assert not probe(path, "192.168.1.2", 25, "lan").allowed  # not the interface address
    wan = probe(path, "198.51.100.7", 25, "wan")
    assert wan.unknown == AddressSet.any(4) and "interface network wanip" in " ".join(wan.evidence["unknown"])
    assert probe(path, "198.51.100.7", 25, "dmz").unknown == AddressSet.any(4)  # has a virtual IP


def _pf(rules: str, root: str = "pfsense") -> str:
    return (f"<?xml version='1.0'?><{root}><interfaces><wan><if>igb0</if><enable/></wan><lan><if>igb1</if>"
            "<enable/><ipaddr>192.168.1.1</ipaddr><subnet>24</subnet></lan></interfaces>"
            f"<filter>{rules}<rule><type>pass</type><interface>wan</interface><ipprotocol>inet</ipprotocol>"
            "<protocol>tcp</protocol><source><any/></source><destination><address>203.0.113.10</address>"
            f"<port>25</port></destination><descr>smtp in</descr></rule></filter></{root}>")


@pytest.mark.parametrize("root", ["pfsense", "opnsense"])
@pytest.mark.parametrize(("where", "unknown"), [
    ("<interface>lan</interface><floating>yes</floating><quick>yes</quick><direction>out</direction>", True),
    ("<interface>lan</interface><floating>yes</floating><quick>yes</quick><direction>any</direction>", True),
    ("<floating>yes</floating><quick>yes</quick><direction>out</direction>", True),
    ("<interface>wan</interface><floating>yes</floating><quick>yes</quick><direction>out</direction>", False),
])
def test_block_rule_for_leaving_traffic_makes_the_flow_unknown(tmp_path: Path, root: str, where: str,
                                                               unknown: bool) -> None:
    """pf filters a routed packet again on the interface it leaves through: a floating block
    for traffic leaving on lan may drop what wan passes in. Which interface the flow leaves
    through is routing's choice: unknown, named (such rules were ignored: 'allowed'). A block
    leaving on wan itself is left to the flows that arrive elsewhere."""
    block = (f"<rule><type>block</type>{where}<ipprotocol>inet</ipprotocol><protocol>tcp</protocol>"
             "<source><any/></source><destination><address>203.0.113.10</address><port>25</port>"
             "</destination><descr>no smtp out</descr></rule>")
    path = tmp_path / "config.xml"
    path.write_text(_pf(block, root))
    row = probe(path, MAIL, 25, "wan", fmt=root)
    if unknown:
        assert not row.allowed and row.unknown == AddressSet.any(4)
        assert "leaving on" in " ".join(row.evidence["unknown"])
    else:
        assert row.allowed == AddressSet.any(4)
    assert probe(path, MAIL, 443, "wan", fmt=root).missing == AddressSet.any(4)  # nothing passes 443


def test_opnsense_interface_rule_for_leaving_traffic_does_not_pass_arriving_traffic(tmp_path: Path) -> None:
    """OPNsense interface rules may have direction out: a pass out on wan does not admit what
    arrives on wan (it was read as an inbound rule: 'allowed')."""
    rule = ("<rule><type>pass</type><interface>wan</interface><direction>out</direction>"
            "<ipprotocol>inet</ipprotocol><protocol>tcp</protocol><source><any/></source>"
            "<destination><address>203.0.113.10</address><port>587</port></destination></rule>")
    path = tmp_path / "config.xml"
    path.write_text(_pf(rule, "opnsense"))
    assert probe(path, MAIL, 587, "wan", fmt="opnsense").missing == AddressSet.any(4)
    assert probe(path, MAIL, 25, "wan", fmt="opnsense").allowed == AddressSet.any(4)
