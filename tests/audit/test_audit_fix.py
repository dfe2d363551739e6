"""`--fixed-out`: the patched copies keep every original line, load (`iptables-restore --test`,
`nft -c -f` in a test-made namespace), re-audit with nothing missing or shadowed, and the
kernel, loaded with a patched random ruleset, answers SYNs from every required source."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from _support.kernel_lab import PROBE, Lab
from _support.netns import netns, nft_json_of, run
from _support.random_rulesets import (
    DST,
    IN_IFACE,
    GenRuleset,
    gen_ruleset,
    sample_sources,
    to_iptables,
    to_nft,
)
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.patch import patch_files
from hybridfw.endpoints import load_current
from hybridfw.flows import required_flows
from hybridfw.model import Flow
from hybridfw.topology import load_topology

pytestmark = [pytest.mark.root, pytest.mark.slow]  # namespaces, kernel SYNs
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "data" / "firewall-samples"
NETFILTER_SAMPLES = [
    "iptables-save__batfish__host1.iptables", "iptables-save__batfish__z2-firewall.v4",
    "iptables-restore__gmasse_emailgw__rules.v4", "ip6tables-restore__gmasse_emailgw__rules.v6",
    "iptables-save__firemanxbr_firewall-services__iptables",
    "iptables-save__moby_docker-bridge__iptables.golden",
    "iptables-save__kubernetes__cleanup-test-initial.rules",
    "iptables-S__moby__usernet-portmap-filter.txt", "nft-source__nftables-rs__nftables-init.nft",
    "nft-list-table__moby_docker-bridges__ip.golden",
    "nft-json-list-ruleset__nftables-rs__nftables-init.json",
]
# What the installed tools refuse in the *original* file already (see SOURCES.md): kube-proxy's
# `:INPUT -` file fails iptables-restore --test; nft 1.0.6 rejects `priority dstnat` on an
# output nat chain; `iptables -S` output is not iptables-restore input.
LOAD_REFUSED_AS_GIVEN = {"iptables-save__kubernetes__cleanup-test-initial.rules",
                         "nft-list-table__moby_docker-bridges__ip.golden",
                         "iptables-S__moby__usernet-portmap-filter.txt"}


@pytest.fixture(scope="module")
def flows() -> list[Flow]:
    assert SAMPLES.is_dir(), f"{SAMPLES} is missing: the real firewall samples must sit beside the repo"
    return required_flows(load_topology(REPO / "examples" / "hybrid.toml"), load_current())


def _loads(path: Path) -> None:
    text = path.read_text()
    if path.name.endswith(".json"):
        tool = ["nft", "-c", "-j", "-f", "-"]
    elif path.name.startswith("nft"):
        tool = ["nft", "-c", "-f", "-"]
    else:
        tool = ["ip6tables-restore" if path.name.startswith("ip6") else "iptables-restore", "--test"]
    with netns("fixload") as ns:
        run(*tool, ns=ns, stdin=text)


@pytest.mark.parametrize("placement", ["host", "gateway"])
@pytest.mark.parametrize("name", NETFILTER_SAMPLES)
def test_patched_sample_loads_and_reaudits_clean(flows: list[Flow], name: str, placement: str,
                                                 tmp_path: Path) -> None:
    source = SAMPLES / name
    interfaces = Interfaces(placement=placement)  # type: ignore[arg-type]
    outcome = patch_files([source], flows, interfaces=interfaces)
    text = outcome.texts[str(source)]
    original = source.read_text()
    # Every original line (JSON: item) is kept, in order; only hybridfw's accepts are added.
    if name.endswith(".json"):
        items = json.loads(text)["nftables"]
        added = [i for i in items if "hybridfw fix:" in i.get("rule", {}).get("comment", "")]
        assert [i for i in items if i not in added] == json.loads(original)["nftables"]
    else:
        added = [line for line in text.split("\n") if "hybridfw fix:" in line]
        kept = [line for line in text.split("\n") if "hybridfw fix:" not in line]
        assert kept == original.split("\n")
    patched = tmp_path / name
    patched.write_text(text)
    again = audit_files([patched], flows, interfaces=interfaces)
    assert not [r for r in again.flows if r.missing or r.shadowed], outcome.still_missing
    before = audit_files([source], flows, interfaces=interfaces)
    assert bool(added) == any(r.missing for r in before.flows)
    if name not in LOAD_REFUSED_AS_GIVEN:
        _loads(patched)


def test_remove_stale_deletes_only_rules_for_no_required_address(tmp_path: Path) -> None:
    path = tmp_path / "stale.rules"
    path.write_text("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                    "-A INPUT -s 23.103.132.0/22 -p tcp --dport 25 -j ACCEPT\n"
                    "-A INPUT -s 40.92.0.0/15 -p tcp --dport 25 -j ACCEPT\nCOMMIT\n")
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
                AddressSet.parse(["203.0.113.10"]), "test")
    outcome = patch_files([path], [flow], interfaces=Interfaces(placement="host"), remove_stale=True)
    text = outcome.texts[str(path)]
    assert "23.103.132.0/22" not in text and "-s 40.92.0.0/15 -p tcp --dport 25 -j ACCEPT" in text
    assert "-s 40.107.0.0/16 -d 203.0.113.10/32" in text and not outcome.still_missing
    assert any("removed 1 rule" in n for n in outcome.notes)


def test_remove_stale_from_nft_json(tmp_path: Path) -> None:
    text = nft_json_of("table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; "
                       "policy drop;\n\t\tip saddr 23.103.132.0/22 tcp dport 25 accept\n"
                       "\t\tip saddr 40.92.0.0/15 tcp dport 25 accept\n\t}\n}\n", "stalej")
    path = tmp_path / "stale.json"
    path.write_text(text)
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
                AddressSet.parse(["203.0.113.10"]), "test")
    outcome = patch_files([path], [flow], interfaces=Interfaces(placement="host"), remove_stale=True)
    patched = outcome.texts[str(path)]
    assert "23.103.132.0" not in patched and '"addr": "40.92.0.0", "len": 15' in patched
    assert not outcome.still_missing and any("removed 1 rule" in n for n in outcome.notes)
    (fix,) = [i["rule"] for i in json.loads(patched)["nftables"]
              if "hybridfw fix" in i.get("rule", {}).get("comment", "")]
    assert fix["chain"] == "input" and '"40.107.0.0"' in json.dumps(fix)


SOURCES = sample_sources()


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with netns("fsnd") as sender, netns("ffw") as firewall:
        made = Lab(sender, firewall)
        try:
            yield made
        finally:
            made.close()


def _kernel_accepts_all(lab: Lab, gen_text: str, fmt: str, tmp_path: Path) -> None:
    """Patch `gen_text` for SMTP from every sampled source to DST, load the patched copy, and
    ask the kernel: every source's SYN to port 25 must be answered."""
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,),
                AddressSet.parse([f"{s}/32" for s in SOURCES]), AddressSet.parse([DST]), "test")
    path = tmp_path / f"random.{fmt}"
    path.write_text(gen_text)
    outcome = patch_files([path], [flow], fmt=fmt,
                          interfaces=Interfaces(outside=IN_IFACE, placement="host"))
    assert not outcome.still_missing
    patched = outcome.texts[str(path)]
    run("nft", "flush", "ruleset", ns=lab.firewall)
    if fmt == "iptables":
        run("iptables-restore", ns=lab.firewall, stdin=patched)
        run("iptables", "-I", "INPUT", "1", "-p", "tcp", "!", "--syn", "-j", "ACCEPT", ns=lab.firewall)
    else:
        run("nft", *(["-j"] if fmt == "nft-json" else []), "-f", "-", ns=lab.firewall, stdin=patched)
        run("nft", "insert", "rule", "ip", "hfwtest", "INPUT", "tcp", "flags", "!=", "syn", "accept",
            ns=lab.firewall)
    pairs = [(src, 25) for src in SOURCES]
    out = run("ip", "netns", "exec", lab.sender, sys.executable, str(PROBE), DST, "0.6", json.dumps(pairs))
    refused = [src for (src, _), verdict in zip(pairs, json.loads(out), strict=True) if verdict != "accept"]
    assert not refused, f"the kernel still drops {refused}\n{patched}"


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(gen=gen_ruleset())
def test_patched_iptables_admits_every_source_in_the_kernel(lab: Lab, gen: GenRuleset,
                                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    _kernel_accepts_all(lab, to_iptables(gen), "iptables", tmp_path_factory.mktemp("ipt"))


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(gen=gen_ruleset())
def test_patched_nft_admits_every_source_in_the_kernel(lab: Lab, gen: GenRuleset,
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    _kernel_accepts_all(lab, to_nft(gen), "nft", tmp_path_factory.mktemp("nft"))


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(gen=gen_ruleset())
def test_patched_nft_json_admits_every_source_in_the_kernel(
        lab: Lab, gen: GenRuleset, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The kernel's own `nft -j list ruleset` of a random ruleset, patched as JSON, loads with
    `nft -j -f` and admits every source."""
    _kernel_accepts_all(lab, nft_json_of(to_nft(gen), "fjson"), "nft-json",
                        tmp_path_factory.mktemp("json"))



@pytest.mark.parametrize(("fmt", "text"), [
    ("nft", "table ip t {\n\tchain c1 {\n\t}\n\tchain INPUT {\n"
            "\t\ttype filter hook input priority 0; policy drop;\n\t\tlog\n\t\tgoto c1\n\t}\n}\n"),
    ("iptables", "*filter\n:INPUT DROP [0:0]\n:c1 - [0:0]\n-A INPUT -j LOG\n-A INPUT -g c1\n"
                 "-A INPUT -p udp -j ACCEPT\nCOMMIT\n"),
    ("iptables", "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j RETURN\n"
                 "-A INPUT -p udp -j ACCEPT\nCOMMIT\n"),
])
def test_policy_fix_goes_before_a_goto_or_return(tmp_path: Path, fmt: str, text: str) -> None:
    """A packet sent on by `goto` (or `return` in the base chain) meets the policy without the
    rest of the chain: a fix at the chain's end is never reached (found by the kernel test below,
    which patched such a ruleset five times over and still dropped every source)."""
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.107.0.0/16"]),
                AddressSet.parse(["10.99.0.1"]), "test")
    path = tmp_path / f"base.{fmt}"
    path.write_text(text)
    interfaces = Interfaces(outside=IN_IFACE, placement="host")
    outcome = patch_files([path], [flow], fmt=fmt, interfaces=interfaces)
    assert not outcome.still_missing and outcome.rounds == 1
    patched = outcome.texts[str(path)].splitlines()
    fix = next(i for i, line in enumerate(patched) if "hybridfw fix" in line)
    exit_line = next(i for i, line in enumerate(patched)
                     if "goto" in line or " -g " in line or "RETURN" in line)
    assert fix < exit_line
    path.write_text(outcome.texts[str(path)])
    again = audit_files([path], [flow], fmt=fmt, interfaces=interfaces)
    assert all(not r.missing for r in again.flows)


def test_asa_commands_with_positions_fix_the_acl_when_pasted(tmp_path: Path) -> None:
    """The ASA counts remarks as lines: the deny on file line 3 is ACL line 3. Pasting the
    commands (as the ASA would apply them, after the existing lines) leaves nothing missing."""
    from hybridfw.audit.commands_asa import asa_commands

    config = ("access-list OUT extended permit tcp host 10.0.0.1 host 203.0.113.10 eq 25\n"
              "access-list OUT remark block a bad range\n"
              "access-list OUT extended deny tcp 40.92.0.0 255.254.0.0 any eq 25\n"
              "access-list OUT extended permit tcp 40.92.0.0 255.254.0.0 host 203.0.113.10 eq 25\n"
              "access-group OUT in interface outside\n")
    path = tmp_path / "asa.cfg"
    path.write_text(config)
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
                AddressSet.parse(["203.0.113.10"]), "test")
    interfaces = Interfaces("outside", "inside")
    result = audit_files([path], [flow], interfaces=interfaces)
    commands = asa_commands(result, [flow])
    assert commands.splitlines() == [
        "access-list OUT line 3 extended permit tcp 40.92.0.0 255.254.0.0 host 203.0.113.10 eq 25",
        "access-list OUT extended permit tcp 40.107.0.0 255.255.0.0 host 203.0.113.10 eq 25"]
    path.write_text(config + commands)
    again = audit_files([path], [flow], interfaces=interfaces)
    assert all(r.complete for r in again.flows)


def test_panos_set_commands_fix_the_rulebase_when_pasted(flows: list[Flow], tmp_path: Path) -> None:
    """batfish move-rulebase-security: after its moves RULE3 (deny all) comes first, and a
    second vsys denies all. The commands add one rule per zone pair, moved before RULE3 /
    RULE7; appended to the file they leave nothing missing on any zone pair."""
    from hybridfw.audit.commands_panos import panos_commands

    source = SAMPLES / "paloalto-set__batfish__move-rulebase-security.set"
    result = audit_files([source], flows)
    commands = panos_commands(result, flows)
    assert "move rulebase security rules hybridfw-smtp-inbound-1 before RULE3" in commands
    assert "move vsys MY_VSYS rulebase security rules" in commands
    patched = tmp_path / source.name
    patched.write_text(source.read_text() + commands)
    again = audit_files([patched], flows)
    assert not [r for r in again.flows + again.off_path if r.missing or r.shadowed]


@pytest.mark.parametrize("named", [True, False])
def test_pfsense_patched_config_is_xml_and_reaudits_clean(flows: list[Flow], named: bool,
                                                         tmp_path: Path) -> None:
    """Factory default config: pass rules go before the rule that blocks (or at the end of
    <filter> for the default deny); the copy stays well-formed and nothing is missing after."""
    import xml.etree.ElementTree as ET

    source = SAMPLES / "pfsense-config__pfsense__default-config.xml"
    interfaces = Interfaces("wan", "lan") if named else Interfaces()
    outcome = patch_files([source], flows, interfaces=interfaces)
    text = outcome.texts[str(source)]
    root = ET.fromstring(text)
    added = [r for r in root.iter("rule") if "hybridfw fix" in (r.findtext("descr") or "")]
    assert added and all(r.findtext("type") == "pass" for r in added)
    patched = tmp_path / source.name
    patched.write_text(text)
    again = audit_files([patched], flows, interfaces=interfaces)
    assert not [r for r in again.flows if r.missing or r.shadowed] and not outcome.still_missing
    if named:
        assert {r.findtext("interface") for r in added} == {"wan", "lan"}


# A WAN block of one EOP range whose start tag spans two lines (an attribute on its own line, as
# a tool that wraps attributes writes it), then the WAN pass for the mail server; both go at the
# end of the factory default <filter>. The rule's evidence line is that of its '>' (libxml2's).
SPLIT_TAG_RULES = """\t\t<rule
\t\t\ttracker="1700000001">
\t\t\t<type>block</type>
\t\t\t<interface>wan</interface>
\t\t\t<ipprotocol>inet</ipprotocol>
\t\t\t<protocol>tcp</protocol>
\t\t\t<source><address>40.92.0.0/15</address></source>
\t\t\t<destination><any/></destination>
\t\t\t<descr><![CDATA[retired relays]]></descr>
\t\t</rule>
\t\t<rule>
\t\t\t<type>pass</type>
\t\t\t<interface>wan</interface>
\t\t\t<ipprotocol>inet</ipprotocol>
\t\t\t<protocol>tcp</protocol>
\t\t\t<source><any/></source>
\t\t\t<destination><address>203.0.113.10</address><port>25</port></destination>
\t\t\t<descr><![CDATA[mail]]></descr>
\t\t</rule>
\t</filter>"""


def test_pfsense_fix_goes_before_a_rule_whose_start_tag_spans_lines(tmp_path: Path) -> None:
    """<filter> is evaluated in document order: the pass for 40.92/15 must come before the
    block's element, i.e. before the line its start tag opens on (not the line of its '>',
    which would split the tag, and not the end of <filter>, where the block still wins)."""
    import xml.etree.ElementTree as ET

    flow = Flow("smtp-inbound", "inbound", "tcp", (25,),
                AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
                AddressSet.parse(["203.0.113.10"]), "test")
    default = (SAMPLES / "pfsense-config__pfsense__default-config.xml").read_text()
    assert default.count("\t</filter>") == 1
    source = tmp_path / "config.xml"
    source.write_text(default.replace("\t</filter>", SPLIT_TAG_RULES))
    interfaces = Interfaces("wan", "lan")
    (row,) = audit_files([source], [flow], interfaces=interfaces).flows
    assert row.missing == AddressSet.parse(["40.92.0.0/15"])
    outcome = patch_files([source], [flow], interfaces=interfaces)
    assert not outcome.still_missing
    text = outcome.texts[str(source)]
    rules = ET.fromstring(text).findall("./filter/rule")
    order = [(r.findtext("type"), r.findtext("source/address")) for r in rules]
    assert order[-3:] == [("pass", "40.92.0.0/15"), ("block", "40.92.0.0/15"), ("pass", None)]
    assert set(source.read_text().splitlines()) <= set(text.splitlines())
    patched = tmp_path / "patched.xml"
    patched.write_text(text)
    (again,) = audit_files([patched], [flow], interfaces=interfaces).flows
    assert again.complete and again.allowed == flow.sources
