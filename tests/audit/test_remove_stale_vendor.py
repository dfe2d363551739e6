"""`--remove-stale` for pfSense, OPNsense, FortiGate, SRX and Windows Defender Firewall: a rule
that admits only stale or foreign addresses is deleted where hybridfw can do it safely (a whole
`<rule>` element, a whole FortiOS policy), and otherwise named in a note saying it was NOT
removed and why; the note never claims a removal that did not happen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.patch import PatchOutcome, patch_files
from hybridfw.model import Flow

FLOW = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
            AddressSet.parse(["203.0.113.10"]), "test")
STALE = "23.103.132.0"


def _xml_rule(src: str, bits: int, tail: str = "\n") -> str:
    return (f"    <rule>\n      <type>pass</type>\n      <interface>wan</interface>\n"
            f"      <ipprotocol>inet</ipprotocol>\n      <protocol>tcp</protocol>\n"
            f"      <source><address>{src}/{bits}</address></source>\n"
            f"      <destination><address>203.0.113.10</address><port>25</port></destination>\n"
            f"    </rule>{tail}")


def _config_xml(root: str, rules: str) -> str:
    return (f"<?xml version=\"1.0\"?>\n<{root}>\n  <interfaces>\n    <wan><if>igb0</if></wan>\n"
            f"  </interfaces>\n  <filter>\n{rules}  </filter>\n</{root}>\n")


def _patch(tmp_path: Path, name: str, text: str, interfaces: Interfaces) -> tuple[str, PatchOutcome]:
    path = tmp_path / name
    path.write_text(text)
    assert any(r.stale for r in audit_files([path], [FLOW], interfaces=interfaces).flows)
    outcome = patch_files([path], [FLOW], interfaces=interfaces, remove_stale=True)
    patched = outcome.texts[str(path)]
    again = tmp_path / f"again-{name}"
    again.write_text(patched)
    assert not [r for r in audit_files([again], [FLOW], interfaces=interfaces).flows if r.missing]
    return patched, outcome


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("root", ["pfsense", "opnsense"])
def test_config_xml_rule_admitting_only_stale_addresses_is_deleted(root: str, split: bool,
                                                                   tmp_path: Path) -> None:
    # split: the stale rule's start tag spans two lines (its evidence names the line of its
    # '>'): the whole element goes, from the line its '<rule' opens on.
    stale = _xml_rule(STALE, 22)
    if split:
        stale = stale.replace("<rule>", '<rule\n      uuid="00000000-0000-4000-8000-0000000000aa">')
    text = _config_xml(root, stale + _xml_rule("40.92.0.0", 15))
    patched, outcome = _patch(tmp_path, "config.xml", text, Interfaces())
    assert STALE not in patched and "40.92.0.0/15" in patched and "0000aa" not in patched
    assert "removed 1 rule(s)" in " ".join(outcome.notes) and "NOT" not in " ".join(outcome.notes)
    kept = patched.splitlines()
    assert all(line in kept for line in _config_xml(root, _xml_rule("40.92.0.0", 15)).splitlines())


def test_config_xml_rule_sharing_a_line_is_named_not_removed(tmp_path: Path) -> None:
    text = _config_xml("pfsense", _xml_rule(STALE, 22, tail="<!-- old relay -->\n")
                       + _xml_rule("40.92.0.0", 15))
    patched, outcome = _patch(tmp_path, "config.xml", text, Interfaces())
    assert STALE in patched
    (note,) = [n for n in outcome.notes if "NOT remove" in n]
    assert "line 7" in note and "web interface" in note
    assert not any(n.startswith("removed") for n in outcome.notes)


FORTIGATE = """\
config firewall address
    edit "old-eop"
        set subnet 23.103.132.0 255.255.252.0
    next
    edit "eop"
        set subnet 40.92.0.0 255.254.0.0
    next
end
config firewall policy
    edit 1
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "old-eop"
        set dstaddr "all"
        set action accept
        set service "SMTP"
        set schedule "always"
    next
    edit 2
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "eop"
        set dstaddr "all"
        set action accept
        set service "SMTP"
        set schedule "always"
    next
end
"""


def test_fortigate_policy_admitting_only_stale_addresses_is_deleted(tmp_path: Path) -> None:
    ports = Interfaces("port1", "port2")
    patched, outcome = _patch(tmp_path, "fw.conf", FORTIGATE, ports)
    assert "    edit 1\n" not in patched and '"old-eop"\n        set dstaddr' not in patched
    assert "    edit 2\n" in patched and "removed 1 rule(s)" in " ".join(outcome.notes)
    moved = FORTIGATE + "config firewall policy\n    move 1 before 2\nend\n"
    patched, outcome = _patch(tmp_path, "moved.conf", moved, ports)
    assert "    edit 1\n" in patched
    (note,) = [n for n in outcome.notes if "NOT remove" in n]
    assert "line 10 (edit 1)" in note and "move" in note


SRX = """\
set security address-book global address OLD 23.103.132.0/22
set security address-book global address EOP 40.92.0.0/15
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security policies from-zone untrust to-zone trust policy old match source-address OLD
set security policies from-zone untrust to-zone trust policy old match destination-address any
set security policies from-zone untrust to-zone trust policy old match application junos-smtp
set security policies from-zone untrust to-zone trust policy old then permit
set security policies from-zone untrust to-zone trust policy eop match source-address EOP
set security policies from-zone untrust to-zone trust policy eop match destination-address any
set security policies from-zone untrust to-zone trust policy eop match application junos-smtp
set security policies from-zone untrust to-zone trust policy eop then permit
"""


def _windows_json() -> str:
    def rule(name: str, remote: list[str]) -> dict[str, object]:
        return {"Name": name, "DisplayName": name, "Enabled": "True", "Direction": "Inbound",
                "Profile": "Any", "Action": "Allow", "LocalAddress": "Any", "RemoteAddress": remote,
                "Protocol": "TCP", "LocalPort": "25", "RemotePort": "Any", "Program": "Any",
                "Service": "Any", "InterfaceType": "Any", "Authentication": "NotRequired",
                "Encryption": "NotRequired", "OverrideBlockRules": False}

    profiles = [{"Name": n, "Enabled": 1, "DefaultInboundAction": 4, "DefaultOutboundAction": 2}
                for n in ("Domain", "Private", "Public")]
    return json.dumps({"Profiles": profiles, "Rules": [rule("old relay", ["23.103.132.0/22"]),
                                                       rule("EOP", ["40.92.0.0/15"])]}, indent=2)


@pytest.mark.parametrize(("name", "text", "interfaces", "needle"), [
    ("srx.set", SRX, Interfaces("untrust", "trust"), "delete security policies"),
    ("windows.json", _windows_json(), Interfaces(), "Disable-NetFirewallRule"),
])
def test_formats_that_cannot_remove_say_so(name: str, text: str, interfaces: Interfaces, needle: str,
                                           tmp_path: Path) -> None:
    patched, outcome = _patch(tmp_path, name, text, interfaces)
    assert STALE in patched
    (note,) = [n for n in outcome.notes if "NOT remove" in n]
    assert needle in note and "1 rule(s)" in note
    assert not any(n.startswith("removed") for n in outcome.notes)
