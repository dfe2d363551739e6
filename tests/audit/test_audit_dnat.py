"""The gateway path follows PREROUTING DNAT to the inside address (iptables ``-j DNAT``, nft
``dnat to``, text and the kernel's ``nft -j``): the forward rules are matched against the
translated destination and port; a DNAT that cannot be decided (a mark, an interface not
named, a range) is unknown, never allowed; the host path is unchanged. Expected verdicts are
written by hand from each ruleset (comments say why)."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.audit import MAIL_V4, smtp_inbound
from _support.netns import netns, nft_json_of, run
from hybridfw.addresses import AddressSet
from hybridfw.audit import AuditResult, Interfaces, audit_files
from hybridfw.audit.coverage import FlowCoverage
from hybridfw.audit.dnat import translation
from hybridfw.audit.patch import patch_files
from hybridfw.model import Flow
from hybridfw.rulesets.model import Origin

pytestmark = pytest.mark.slow  # full endpoint data; two tests load rulesets in a namespace
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "data" / "firewall-samples"
EXO = "40.92.0.0/15"  # one of the EOP ranges the forward rules below admit

# The mail server's public address is DNATed to 10.0.0.5; FORWARD admits one EOP range to the
# inside address only. The accept for the public address (line 12) never sees the packet.
IPTABLES = """*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 203.0.113.10/32 -p tcp --dport 25 -j DNAT --to-destination 10.0.0.5
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -d 203.0.113.10/32 -p tcp --dport 25 -j ACCEPT
-A FORWARD -s 40.92.0.0/15 -d 10.0.0.5/32 -p tcp --dport 25 -j ACCEPT
-A INPUT -p tcp --dport 25 -j ACCEPT
COMMIT
"""

# The same with a port change (25 -> 2525), in nft.
NFT = """table ip nat {
\tchain prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tip daddr 203.0.113.10 tcp dport 25 dnat to 10.0.0.5:2525 comment "publish mail"
\t}
}
table inet filter {
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t\tip daddr 203.0.113.10 tcp dport 25 accept
\t\tip daddr 10.0.0.5 tcp dport 25 accept
\t\tip saddr 40.92.0.0/15 ip daddr 10.0.0.5 tcp dport 2525 accept
\t}
}
"""


def _v4_row(result: AuditResult, entry: str = "forward") -> FlowCoverage:
    (row,) = [r for r in result.flows if r.address == MAIL_V4 and r.entry == entry]
    return row


def _audit(tmp_path: Path, name: str, text: str, placement: str = "gateway",
           flows: list[Flow] | None = None, outside: str | None = None) -> AuditResult:
    path = tmp_path / name
    path.write_text(text)
    return audit_files([path], flows or [smtp_inbound(MAIL_V4)],
                       interfaces=Interfaces(outside, None, placement))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "text"), [("dnat.rules", IPTABLES), ("dnat.nft", NFT)])
def test_gateway_follows_dnat_to_the_inside_address(tmp_path: Path, name: str, text: str) -> None:
    row = _v4_row(_audit(tmp_path, name, text))
    flow = smtp_inbound(MAIL_V4)
    assert row.allowed == AddressSet.parse([EXO])
    assert row.missing == flow.sources.family(4) - AddressSet.parse([EXO])
    assert not row.unknown
    # Evidence names the forward rule and the DNAT it followed.
    assert any("after DNAT to 10.0.0.5" in e for e in row.evidence["allowed"])


def test_host_placement_ignores_dnat(tmp_path: Path) -> None:
    # INPUT accepts port 25 from anywhere (line 14): the host path is evaluated as written.
    row = _v4_row(_audit(tmp_path, "dnat.rules", IPTABLES, "host"), "input")
    assert row.allowed == smtp_inbound(MAIL_V4).sources.family(4)


@pytest.mark.root
def test_nft_json_from_the_kernel_follows_dnat(tmp_path: Path) -> None:
    text = nft_json_of(NFT, "dnatjson")
    assert '"dnat": {"addr": "10.0.0.5", "port": 2525}' in text  # what the reader expects
    row = _v4_row(_audit(tmp_path, "dnat.json", text))
    assert row.allowed == AddressSet.parse([EXO])


@pytest.mark.parametrize("condition", ["meta mark 0x1", 'iifname "eth9"'])
def test_undecidable_dnat_is_unknown_never_allowed(tmp_path: Path, condition: str) -> None:
    # Whether the DNAT happens depends on a mark / an interface the audit was not told: with
    # it, only 40.92/15 passes; without it, the accept for the public address (line 10) admits
    # all. Neither may be reported: every required source is unknown.
    text = NFT.replace("ip daddr 203.0.113.10 tcp dport 25 dnat",
                       f"ip daddr 203.0.113.10 tcp dport 25 {condition} dnat")
    row = _v4_row(_audit(tmp_path, "dnat.nft", text))
    assert not row.allowed
    assert row.unknown == smtp_inbound(MAIL_V4).sources.family(4)
    assert any(condition.split()[0] in e for e in row.evidence["unknown"])


def test_named_interface_decides_the_dnat(tmp_path: Path) -> None:
    text = NFT.replace("ip daddr 203.0.113.10 tcp dport 25 dnat",
                       'iifname "eth9" ip daddr 203.0.113.10 tcp dport 25 dnat')
    # Arriving on eth0: not translated, the public-address accept (line 10) admits all.
    row = _v4_row(_audit(tmp_path, "dnat.nft", text, outside="eth0"))
    assert row.allowed == smtp_inbound(MAIL_V4).sources.family(4)
    row = _v4_row(_audit(tmp_path, "dnat.nft", text, outside="eth9"))
    assert row.allowed == AddressSet.parse([EXO])


@pytest.mark.parametrize("target", ["10.0.0.5-10.0.0.6", "10.0.0.5:2525-2526",
                                    "ip saddr map { 40.92.0.0/15 : 10.0.0.5 }"])
def test_dnat_target_not_followed_is_unknown(tmp_path: Path, target: str) -> None:
    text = NFT.replace("dnat to 10.0.0.5:2525", f"dnat to {target}")
    row = _v4_row(_audit(tmp_path, "dnat.nft", text))
    assert not row.allowed and not row.missing
    assert any("not followed" in e for e in row.evidence["unknown"])


def test_iptables_dnat_behind_a_user_chain_and_a_no_op_jump(tmp_path: Path) -> None:
    # kube/docker style: PREROUTING jumps (on an undecidable addrtype) into a chain whose DNAT
    # is for another port; a second chain publishes port 25. The first jump changes nothing
    # for port 25, so the verdict is exact.
    text = IPTABLES.replace(
        ":POSTROUTING ACCEPT [0:0]\n",
        ":POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n:PUBLISH - [0:0]\n"
        "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n"
        "-A DOCKER -p tcp --dport 8080 -j DNAT --to-destination 192.168.0.2:80\n"
        "-A PREROUTING -j PUBLISH\n").replace(
        "-A PREROUTING -d 203.0.113.10/32", "-A PUBLISH -d 203.0.113.10/32")
    row = _v4_row(_audit(tmp_path, "dnat.rules", text))
    assert row.allowed == AddressSet.parse([EXO]) and not row.unknown


def test_outbound_dnat_translates_the_varying_destinations(tmp_path: Path) -> None:
    # Outbound mail from the server is DNATed to a relay (10.0.0.9); FORWARD admits the relay
    # only: every EOP destination is allowed, because the relay is.
    flow = smtp_inbound(MAIL_V4)
    out = Flow(id="smtp-outbound", direction="outbound", protocol="tcp", ports=(25,),
               sources=flow.destinations, destinations=flow.sources, reason="test")
    text = ("*nat\n:PREROUTING ACCEPT [0:0]\n"
            "-A PREROUTING -s 203.0.113.10 -p tcp --dport 25 -j DNAT --to-destination 10.0.0.9\n"
            "COMMIT\n*filter\n:FORWARD DROP [0:0]\n"
            "-A FORWARD -s 203.0.113.10 -d 10.0.0.9 -p tcp --dport 25 -j ACCEPT\nCOMMIT\n")
    row = _v4_row(_audit(tmp_path, "out.rules", text, flows=[out]))
    assert row.allowed == flow.sources.family(4)
    # Without the relay's accept every destination is missing.
    row = _v4_row(_audit(tmp_path, "out.rules", text.replace("10.0.0.9 -p", "10.0.0.8 -p"),
                         flows=[out]))
    assert row.missing == flow.sources.family(4)


@pytest.mark.root
@pytest.mark.parametrize(("name", "text"), [("dnat.rules", IPTABLES), ("dnat.nft", NFT)])
def test_fix_after_dnat_matches_the_inside_address_and_loads(tmp_path: Path, name: str,
                                                             text: str) -> None:
    source = tmp_path / name
    source.write_text(text)
    flows = [smtp_inbound(MAIL_V4)]
    interfaces = Interfaces(placement="gateway")
    outcome = patch_files([source], flows, interfaces=interfaces)
    patched = outcome.texts[str(source)]
    added = [line for line in patched.split("\n") if "hybridfw fix:" in line]
    assert added and all("10.0.0.5" in line and "203.0.113.10" not in line for line in added)
    assert all(("2525" in line) == name.endswith(".nft") for line in added)
    again = tmp_path / "again" / name
    again.parent.mkdir()
    again.write_text(patched)
    row = _v4_row(audit_files([again], flows, interfaces=interfaces))
    assert row.complete
    tool = ["nft", "-c", "-f", "-"] if name.endswith(".nft") else ["iptables-restore", "--test"]
    with netns("dnatfix") as ns:
        run(*tool, ns=ns, stdin=patched)


def test_real_samples_dnat() -> None:
    assert SAMPLES.is_dir(), f"{SAMPLES} is missing"
    https = Flow(id="https-outbound", direction="outbound", protocol="tcp", ports=(443,),
                 sources=AddressSet.parse(["172.16.0.50"]),
                 destinations=AddressSet.parse(["52.96.0.0/14"]), reason="test")
    path = SAMPLES / "iptables-save__firemanxbr_firewall-services__iptables"
    # firemanxbr: LAN (eth1) https is DNATed to squid 172.16.0.2:3128 (line 12). Without
    # interface names that DNAT is undecidable: unknown.
    (row,) = audit_files([path], [https], interfaces=Interfaces(placement="gateway")).flows
    assert row.unknown == https.destinations and row.needs_interface_names
    # Leaving the LAN by eth1: translated; FORWARD's `-m string` DROP (line 56) cannot be
    # decided and the `-i eth1` ACCEPT after it differs: still unknown, now after the DNAT.
    (row,) = audit_files([path], [https], interfaces=Interfaces("eth0", "eth1", "gateway")).flows
    assert row.unknown == https.destinations
    assert any("after DNAT to 172.16.0.2 port 3128" in e for e in row.evidence["unknown"])
    # moby: PREROUTING jumps on `addrtype LOCAL` (undecidable) into DOCKER, whose only DNAT is
    # for port 8080: for port 25 the jump changes nothing and the nat stage decides.
    moby = SAMPLES / "iptables-save__moby_docker-bridge__iptables.golden"
    result = audit_files([moby], [smtp_inbound(MAIL_V4)], interfaces=Interfaces(placement="gateway"))
    assert not any("addrtype" in e for r in result.flows for e in r.evidence["unknown"])
    port_8080 = Flow(id="web-8080", direction="inbound", protocol="tcp", ports=(8080,),
                     sources=AddressSet.parse(["198.51.100.0/24"]),
                     destinations=AddressSet.parse([MAIL_V4]), reason="test")
    (row,) = audit_files([moby], [port_8080], interfaces=Interfaces(placement="gateway")).flows
    assert row.unknown == port_8080.sources and not row.allowed


def test_translation_reads_targets() -> None:
    origin = Origin("f", 1)
    found = translation("[2001:db8::5]:2525", 6, 25, origin)
    assert not isinstance(found, str) and (found.address_text, found.port) == ("2001:db8::5", 2525)
    found = translation("2001:db8::5", 6, 25, origin)
    assert not isinstance(found, str) and found.port == 25
    assert isinstance(translation("10.0.0.5", 6, 25, origin), str)  # another family
    assert isinstance(translation(":2525", 4, 25, origin), str)  # no address
    assert isinstance(translation("", 4, 25, origin), str)


@pytest.mark.root
def test_inet_dnat_ip_leaves_ipv6_alone(tmp_path: Path) -> None:
    # `dnat ip to` in an inet table translates IPv4 packets only: the IPv6 address of the same
    # server is filtered as written (forward accepts port 25 to it), not unknown.
    text = ("table inet nat {\n\tchain prerouting {\n"
            "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
            "\t\ttcp dport 25 dnat ip to 10.0.0.5\n\t}\n}\n"
            "table inet filter {\n\tchain forward {\n"
            "\t\ttype filter hook forward priority filter; policy drop;\n"
            "\t\tip daddr 10.0.0.5 tcp dport 25 accept\n"
            "\t\tip6 daddr 2001:db8::10 tcp dport 25 accept\n\t}\n}\n")
    flow = smtp_inbound()
    for name, body in (("inet.nft", text), ("inet.json", nft_json_of(text, "inetj"))):
        path = tmp_path / name
        path.write_text(body)
        rows = audit_files([path], [flow], interfaces=Interfaces(placement="gateway")).flows
        assert all(r.complete for r in rows), [(r.address, r.evidence) for r in rows]
        assert {r.address for r in rows} == {MAIL_V4, "2001:db8::10"}


@pytest.mark.parametrize("table", ["nat", "gw"])
def test_scoped_parse_keeps_forward_rules_for_the_dnat_target(tmp_path: Path, table: str) -> None:
    # A scoped parse leaves out rules for addresses the audit does not name; the forward DROP
    # for the inside address (10.0.0.5) must stay, whatever the table holding the nat chain is
    # called (moby's is `docker-bridges`): else the flow would read as allowed.
    text = (f"table ip {table} {{\n\tchain pre {{\n"
            "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
            "\t\tip daddr 203.0.113.10 tcp dport 25 jump publish\n\t}\n"
            "\tchain publish {\n\t\tdnat to 10.0.0.5\n\t}\n"
            "\tchain fwd {\n\t\ttype filter hook forward priority filter; policy accept;\n"
            "\t\tip daddr 10.0.0.5 tcp dport 25 drop\n\t}\n}\n")
    row = _v4_row(_audit(tmp_path, "gw.nft", text))
    assert row.missing == smtp_inbound(MAIL_V4).sources.family(4) and not row.allowed


@pytest.mark.parametrize("call", ["jump", "goto"])
@pytest.mark.parametrize("name", ["gw.nft", "gw.json"])
def test_scoped_parse_follows_a_conditional_jump_to_the_dnat(tmp_path: Path, call: str,
                                                             name: str) -> None:
    # The DNAT sits behind a jump with a source match (a scoped parse keeps that rule as a
    # record whose shape names its target as written, not by chain key): only the EOP ranges
    # in 40/8 are translated, and FORWARD drops them at the inside address; the others reach
    # the public address untranslated, and the policy accepts them (checked with the kernel
    # in test_audit_kernel_routed). The DROP for 10.0.0.5 must survive the scoped parse.
    text = ("table ip gw {\n\tchain pre {\n"
            "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
            f"\t\tip saddr 40.0.0.0/8 {call} publish\n\t}}\n"
            "\tchain publish {\n\t\tip daddr 203.0.113.10 tcp dport 25 dnat to 10.0.0.5\n\t}\n"
            "\tchain gwforward {\n\t\ttype filter hook forward priority filter; policy accept;\n"
            "\t\tip daddr 10.0.0.5 tcp dport 25 drop\n\t}\n}\n")
    if name.endswith(".json"):
        text = nft_json_of(text, "dnatjump")
    row = _v4_row(_audit(tmp_path, name, text))
    eop = smtp_inbound(MAIL_V4).sources.family(4)
    translated = eop & AddressSet.parse(["40.0.0.0/8"])
    assert translated and row.missing == translated
    assert row.allowed == eop - translated and not row.unknown
