"""The fix for FortiGate, SRX, OPNsense and Windows Defender Firewall: the commands shown under
"Rules to add", applied to the configuration, and the `--fixed-out` copy both re-audit with
nothing missing or shadowed, on every real sample and purpose-made fixture of these formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import addrs, probe
from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.fix import fix_to_show
from hybridfw.audit.interface import AuditResult
from hybridfw.audit.patch import patch_files
from hybridfw.endpoints import load_current
from hybridfw.flows import required_flows
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import load_topology

pytestmark = pytest.mark.slow  # ~20 audits of the full flow set
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "audit_edge"
NAMED = {"fortigate": Interfaces("wan1", "internal")}


@pytest.fixture(scope="module")
def data() -> EndpointData:
    return load_current()


@pytest.fixture(scope="module")
def flows(data: EndpointData) -> list[Flow]:
    return required_flows(load_topology(REPO / "examples" / "hybrid.toml"), data)


def _clean(result: AuditResult) -> list[str]:
    return [f"{r.flow} {r.address}:{r.port} {r.entry}" for r in result.flows
            if r.missing or r.shadowed]


def _keeps_every_line(original: str, patched: str) -> bool:
    """Every original line is in the patched copy, in order."""
    lines = iter(patched.splitlines())
    return all(any(line == kept for kept in lines) for line in original.splitlines())


def as_display_set(text: str) -> str:
    """A hierarchical Junos configuration as `| display set` would show it."""
    from hybridfw.rulesets._junos_tree import statements

    def word(w: str) -> str:
        return f'"{w}"' if " " in w or not w else w

    return "".join(f"{s.verb} {' '.join(word(w) for w in s.words)}\n"
                   for s in statements(text, "conf"))


def check_fix(path: Path, flows: list[Flow], data: EndpointData, tmp_path: Path,
              interfaces: Interfaces | None = None) -> tuple[str, str]:
    """Both forms of the fix re-audit clean; returns (commands, patched copy). Commands are
    applied by appending them (SRX: to the `display set` form of the configuration)."""
    interfaces = interfaces or Interfaces()
    before = audit_files([path], flows, interfaces=interfaces)
    assert any(r.missing for r in before.flows), "the fixture must need a fix"
    shown = fix_to_show(before, flows, data)
    commands = ""
    if shown["form"] == "commands":
        commands = shown["files"]["commands"]
        applied = tmp_path / f"applied-{path.name}"
        base = path.read_text()
        if path.suffix == ".conf" and "security {" in base:
            base = as_display_set(base)
        applied.write_text(base + commands)
        assert not _clean(audit_files([applied], flows, interfaces=interfaces))
    else:  # a diff: the patched copy below is what applying it gives
        assert shown["form"] == "diff" and shown["files"], shown
    outcome = patch_files([path], flows, interfaces=interfaces)
    assert not outcome.still_missing and outcome.rounds == 1
    patched = tmp_path / path.name
    patched.write_text(outcome.texts[str(path)])
    assert not _clean(audit_files([patched], flows, interfaces=interfaces))
    assert _keeps_every_line(path.read_text(), patched.read_text())
    return commands, outcome.texts[str(path)]


@pytest.mark.parametrize("named", [False, True])
@pytest.mark.parametrize("name", ["fortigate-features.conf", "fortigate__batfish__firewall_policy.conf"])
def test_fortigate_fix_reaudits_clean(name: str, named: bool, flows: list[Flow],
                                      data: EndpointData, tmp_path: Path) -> None:
    commands, _ = check_fix(DATA / name, flows, data, tmp_path,
                            NAMED["fortigate"] if named else None)
    assert "config firewall policy" in commands and 'set action accept' in commands


FORTIGATE_DENY_FIRST = """\
config vdom
edit root
next
edit edge
next
end
config vdom
edit edge
config firewall address
    edit "eop-old"
        set subnet 40.92.0.0 255.254.0.0
    next
end
config firewall policy
    edit 7
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set action deny
        set service "SMTP"
        set schedule "always"
    next
    edit 3
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "eop-old"
        set dstaddr "all"
        set action accept
        set service "SMTP"
        set schedule "always"
    next
end
next
end
"""


def test_fortigate_fix_is_moved_before_the_deny_in_its_vdom(flows: list[Flow], data: EndpointData,
                                                           tmp_path: Path) -> None:
    """A deny-all for SMTP comes first (the accept after it is shadowed): the new policy gets an
    ID above every ID in the file and is moved before policy 7, inside VDOM edge."""
    path = tmp_path / "deny-first.conf"
    path.write_text(FORTIGATE_DENY_FIRST)
    smtp = [f for f in flows if f.id == "smtp-inbound"]
    commands, _ = check_fix(path, smtp, data, tmp_path, Interfaces("port1", "port2"))
    lines = commands.splitlines()
    assert lines[:2] == ["config vdom", "edit edge"] and lines[-2:] == ["next", "end"]
    assert "    move 8 before 7" in lines and "    edit 8" in lines


@pytest.mark.parametrize("name", ["srx-features.conf", "srx-features.set",
                                  "srx__batfish__firewall-global-address-book.set"])
def test_srx_samples_fix_reaudits_clean(name: str, flows: list[Flow], data: EndpointData,
                                        tmp_path: Path) -> None:
    path = DATA / name
    if not any(r.missing for r in audit_files([path], flows).flows):
        # Nothing to add: the fix is empty and the copy unchanged.
        assert not fix_to_show(audit_files([path], flows), flows, data)["files"]
        assert patch_files([path], flows).texts[str(path)] == path.read_text()
        return
    commands, patched = check_fix(path, flows, data, tmp_path)
    if name.endswith(".conf"):
        # The policy that goes before block-old-relay is written right before it.
        lines = patched.splitlines()
        new = next(i for i, ln in enumerate(lines) if ln.strip() == "policy hybridfw-fix-1 {")
        assert lines[new + 10].strip() == "policy block-old-relay {"
        # Destination NAT: the policy names the pool address the public one is translated to.
        assert "hybridfw-fix-1-d0 192.168.10.10/32" in commands


SRX_SET = """\
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security zones security-zone trust address-book address mail 192.0.2.25/32
set security zones security-zone untrust address-book address eop-old 40.92.0.0/15
set security nat destination pool mail-pool address 192.0.2.25/32
set security nat destination rule-set in from zone untrust
set security nat destination rule-set in rule r1 match destination-address 203.0.113.10/32
set security nat destination rule-set in rule r1 then destination-nat pool mail-pool
set security policies from-zone untrust to-zone trust policy no-smtp match source-address any
set security policies from-zone untrust to-zone trust policy no-smtp match destination-address any
set security policies from-zone untrust to-zone trust policy no-smtp match application junos-smtp
set security policies from-zone untrust to-zone trust policy no-smtp then deny
set security policies from-zone untrust to-zone trust policy eop match source-address eop-old
set security policies from-zone untrust to-zone trust policy eop match destination-address mail
set security policies from-zone untrust to-zone trust policy eop match application junos-smtp
set security policies from-zone untrust to-zone trust policy eop then permit
set security policies global policy deny-all match source-address any
set security policies global policy deny-all match destination-address any
set security policies global policy deny-all match application any
set security policies global policy deny-all then deny
"""


def test_srx_fix_inserted_before_the_deny_with_zone_books_and_nat(
        flows: list[Flow], data: EndpointData, tmp_path: Path) -> None:
    """A zone-pair deny comes first; the zones keep their own address books (so the fix must
    too); the public address is translated to 192.0.2.25 before the policy lookup."""
    path = tmp_path / "deny-first.set"
    path.write_text(SRX_SET)
    smtp = [f for f in flows if f.id in ("smtp-inbound", "smtp-outbound")]
    commands, _ = check_fix(path, smtp, data, tmp_path)
    assert ("insert security policies from-zone untrust to-zone trust policy hybridfw-fix-1 "
            "before policy no-smtp") in commands
    assert "security address-book global" not in commands
    assert ("set security zones security-zone trust address-book address hybridfw-fix-1-d0 "
            "192.0.2.25/32") in commands
    assert "203.0.113.10" not in commands.split("from-zone untrust to-zone trust")[0]


def test_srx_policy_naming_the_public_address_does_not_see_translated_traffic(
        tmp_path: Path) -> None:
    """Destination NAT comes before the policy lookup: a permit naming the public address of
    an unconditional DNAT rule never matches it (it was counted as allowing before); with a
    condition on the NAT rule it may or may not: unknown."""

    lines = [ln.replace("destination-address mail", "destination-address 203.0.113.10/32")
             for ln in SRX_SET.splitlines() if "no-smtp" not in ln]
    path = tmp_path / "public.set"
    path.write_text("\n".join(lines) + "\n")
    row = probe(path, "203.0.113.10", 25, "untrust -> trust")
    assert not row.allowed and not row.unknown
    lines.append("set security nat destination rule-set in rule r1 match destination-port 25")
    path.write_text("\n".join(lines) + "\n")
    row = probe(path, "203.0.113.10", 25, "untrust -> trust")
    assert row.unknown == addrs("40.92.0.0/15") and not row.allowed


@pytest.mark.parametrize("named", [False, True])
def test_opnsense_sample_fix_reaudits_clean(named: bool, flows: list[Flow], data: EndpointData,
                                            tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    interfaces = Interfaces("wan", "lan") if named else None
    _, patched = check_fix(DATA / "opnsense-features.xml", flows, data, tmp_path, interfaces)
    added = [r for r in ET.fromstring(patched).iter("rule")
             if "hybridfw fix" in (r.findtext("descr") or "")]
    assert added and all(r.findtext("type") == "pass" for r in added)


OPNSENSE = """\
<?xml version="1.0"?>
<opnsense>
  <interfaces>
    <wan><if>vtnet0</if></wan>
    <lan><if>vtnet1</if></lan>
  </interfaces>
  <ifgroups>
    <ifgroupentry><ifname>edge</ifname><members>wan</members></ifgroupentry>
  </ifgroups>
  <OPNsense>
    <Firewall>
      <Filter>
        <rules>
          <rule uuid="00000000-0000-4000-8000-000000000001">
            <enabled>1</enabled>
            <sequence>5</sequence>
            <action>pass</action>
            <interface>wan</interface>
            <direction>in</direction>
            <ipprotocol>inet</ipprotocol>
            <protocol>tcp</protocol>
            <source_net>198.51.100.0/24</source_net>
            <destination_net>any</destination_net>
            <destination_port>22</destination_port>
          </rule>
          <rule uuid="00000000-0000-4000-8000-000000000002">
            <enabled>1</enabled>
            <sequence>10</sequence>
            <action>block</action>
            <interface>wan</interface>
            <direction>in</direction>
            <ipprotocol>inet</ipprotocol>
            <protocol>tcp</protocol>
            <source_net>40.92.0.0/15</source_net>
            <destination_net>any</destination_net>
            <destination_port>25</destination_port>
          </rule>
        </rules>
      </Filter>
    </Firewall>
  </OPNsense>
  <filter>
    <rule>
      <type>block</type>
      <interface>wan</interface>
      <floating>yes</floating>
      <quick>1</quick>
      <direction>in</direction>
      <ipprotocol>inet</ipprotocol>
      <protocol>tcp</protocol>
      <source><address>52.100.0.0/14</address></source>
      <destination><any/></destination>
    </rule>
    <rule>
      <type>block</type>
      <interface>edge</interface>
      <ipprotocol>inet</ipprotocol>
      <protocol>tcp</protocol>
      <source><address>104.47.0.0/17</address></source>
      <destination><any/></destination>
    </rule>
    <rule>
      <type>pass</type>
      <interface>wan</interface>
      <ipprotocol>inet</ipprotocol>
      <protocol>tcp</protocol>
      <source><any/></source>
      <destination><address>203.0.113.10</address><port>25</port></destination>
    </rule>
  </filter>
</opnsense>
"""


def _split_start_tags(text: str) -> str:
    """Every `<rule>` start tag over two lines: its uuid, or the bare '>', on the next one."""
    return text.replace("<rule uuid=", "<rule\n            uuid=").replace(
        "    <rule>\n", "    <rule\n    >\n")


@pytest.mark.parametrize("split", [False, True])
def test_opnsense_fix_goes_where_each_deny_sits(flows: list[Flow], data: EndpointData,
                                                tmp_path: Path, split: bool) -> None:
    """An automation block (sequence 10), a quick floating block and an interface-group block
    each deny part of EOP before the pass: each fix is of the denier's kind, before it; also
    when the start tags span lines (a rule's evidence names the line of its '>')."""
    import xml.etree.ElementTree as ET

    path = tmp_path / "config.xml"
    text = _split_start_tags(OPNSENSE) if split else OPNSENSE
    assert not split or text.count("<rule\n") == 5
    path.write_text(text)
    smtp = [f for f in flows if f.id == "smtp-inbound"]
    _, patched = check_fix(path, smtp, data, tmp_path, Interfaces("wan", "lan"))
    root = ET.fromstring(patched)
    automation = root.findall("./OPNsense/Firewall/Filter/rules/rule")
    assert [r.findtext("sequence") for r in automation][:2] == ["5", "6"]
    assert automation[1].findtext("source_net") == "40.92.0.0/15"
    legacy = root.findall("./filter/rule")
    fixes = [r for r in legacy if "hybridfw fix" in (r.findtext("descr") or "")]
    floating = next(r for r in fixes if r.findtext("source/address") == "52.100.0.0/14")
    assert floating.findtext("floating") == "yes" and floating.findtext("quick") == "1"
    grouped = next(r for r in fixes if r.findtext("source/address") == "104.47.0.0/17")
    assert grouped.findtext("interface") == "edge"
    assert legacy.index(floating) < 2 and legacy.index(grouped) < legacy.index(legacy[-1])


WINDOWS_NETSH = """\\
Domain Profile Settings:
----------------------------------------------------------------------
State                                 ON
Firewall Policy                       BlockInbound,AllowOutbound

Private Profile Settings:
----------------------------------------------------------------------
State                                 ON
Firewall Policy                       BlockInbound,AllowOutbound

Public Profile Settings:
----------------------------------------------------------------------
State                                 ON
Firewall Policy                       BlockInbound,BlockOutbound
Ok.

Rule Name:                            Block retired relay
----------------------------------------------------------------------
Enabled:                              Yes
Direction:                            In
Profiles:                             Domain,Private,Public
Grouping:
LocalIP:                              Any
RemoteIP:                             40.92.4.0/255.255.255.0
Protocol:                             TCP
LocalPort:                            25
RemotePort:                           Any
Edge traversal:                       No
InterfaceTypes:                       Any
Security:                             NotRequired
Rule source:                          Local Setting
Action:                               Block

Rule Name:                            Old EOP list
----------------------------------------------------------------------
Enabled:                              Yes
Direction:                            In
Profiles:                             Domain,Private,Public
Grouping:
LocalIP:                              Any
RemoteIP:                             40.92.0.0/255.254.0.0
Protocol:                             TCP
LocalPort:                            25
RemotePort:                           Any
Edge traversal:                       No
InterfaceTypes:                       Any
Security:                             NotRequired
Rule source:                          Local Setting
Action:                               Allow
Ok.
"""


def _windows_json() -> str:
    import json

    rules = [{"Name": "block-relay", "DisplayName": "Block retired relay", "Enabled": "True",
              "Direction": "Inbound", "Profile": "Any", "Action": "Block", "LocalAddress": "Any",
              "RemoteAddress": "40.92.4.0/255.255.255.0", "Protocol": "TCP", "LocalPort": "25",
              "RemotePort": "Any", "Program": "Any", "Service": "Any", "InterfaceType": "Any",
              "Authentication": "NotRequired", "Encryption": "NotRequired",
              "OverrideBlockRules": False}]
    profiles = [{"Name": n, "Enabled": 1, "DefaultInboundAction": "Block",
                 "DefaultOutboundAction": "Allow" if n != "Public" else "Block"}
                for n in ("Domain", "Private", "Public")]
    return json.dumps({"Profiles": profiles, "Rules": rules}, indent=2)


@pytest.mark.parametrize("fmt", ["windows-netsh", "windows-json"])
@pytest.mark.parametrize("profile", [None, "domain"])
def test_windows_fix_adds_allow_rules_and_names_the_block_rule_that_still_wins(
        fmt: str, profile: str | None, flows: list[Flow], data: EndpointData,
        tmp_path: Path) -> None:
    """The profile default denies most of EOP and a block rule denies 40.92.4.0/24: the allow
    rules fix the first (netsh lines from aerleon, New-NetFirewallRule lines); the block rule
    wins over any allow rule, so it is named and what it denies is all that stays missing."""

    path = tmp_path / ("fw.txt" if fmt == "windows-netsh" else "fw.json")
    path.write_text(WINDOWS_NETSH if fmt == "windows-netsh" else _windows_json())
    interfaces = Interfaces(profile) if profile else Interfaces()
    before = audit_files([path], flows, interfaces=interfaces)
    assert any(r.missing for r in before.flows)
    shown = fix_to_show(before, flows, data)
    commands = shown["files"]["commands"]
    assert "no rule order" in shown["note"]
    assert "netsh advfirewall firewall add rule name=i_hybridfw-fix-1 " in commands
    assert "New-NetFirewallRule -Name hybridfw-fix-1 " in commands
    blocked = "Block retired relay"
    assert f"still denied, no allow rule can change it: block rule '{blocked}'" in commands
    outcome = patch_files([path], flows, interfaces=interfaces)
    patched = tmp_path / f"patched-{path.name}"
    patched.write_text(outcome.texts[str(path)])
    again = audit_files([patched], flows, interfaces=interfaces)
    # Only what the block rule takes is still missing (and shadowed: the old allow rule
    # covers it too).
    assert all(s.addresses <= addrs("40.92.4.0/24") for r in again.flows for s in r.shadowed)
    left = [r for r in again.flows if r.missing]
    assert left and all(r.missing == addrs("40.92.4.0/24") for r in left)
    assert {r.flow for r in left} == {"smtp-inbound"}
    assert all(d.origin.raw == f"block rule {blocked!r}" for r in left for d in r.denials)
    # The allow rules in the copy are those the commands add.
    for rule in ("hybridfw-fix-1", "hybridfw-fix-2"):
        assert rule in outcome.texts[str(path)] and rule in commands
