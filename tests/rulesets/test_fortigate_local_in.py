"""FortiGate local-in policies decide traffic to the FortiGate's own interface addresses (in
table order): a local-in deny drops it (missing, naming the policy); a local-in accept, or no
local-in policy deciding it, lets it in to the box itself, not to a server behind it: unknown,
saying why and what to do, never allowed. The fix never offers a firewall policy for it."""

from __future__ import annotations

from pathlib import Path

from _support.vendor import addrs, probe
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces
from hybridfw.audit.patch import patch_files
from hybridfw.model import Flow

SYSTEM = """\
config system interface
    edit "wan1"
        set ip 198.51.100.2 255.255.255.0
    next
    edit "internal"
        set ip 192.168.10.1 255.255.255.0
    next
end
"""
ADDRESSES = """\
config firewall address
    edit "admins"
        set subnet 10.0.0.0 255.0.0.0
    next
end
"""
INTERFACES = SYSTEM + ADDRESSES
LOCAL_IN = """\
config firewall local-in-policy
    edit 5
        set intf "wan1"
        set srcaddr "admins"
        set dstaddr "all"
        set action accept
        set service "SMTP"
        set schedule "always"
    next
    edit 7
        set intf "wan1"
        set srcaddr "all"
        set dstaddr "all"
        set service "SMTP"
        set schedule "always"
    next
end
"""
POLICY = """\
config firewall policy
    edit 1
        set srcintf "wan1"
        set dstintf "internal"
        set srcaddr "all"
        set dstaddr "all"
        set action accept
        set service "ALL"
        set schedule "always"
    next
end
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fgt.conf"
    path.write_text(text)
    return path


def test_local_in_deny_drops_accept_is_unknown_rest_unknown(tmp_path: Path) -> None:
    path = _write(tmp_path, INTERFACES + LOCAL_IN + POLICY)
    row = probe(path, "198.51.100.2", 25, "wan1 -> internal")
    # policy 5 (action accept) lets the admins in to the box: unknown; policy 7 (no action set:
    # deny is the default) drops everyone else; the firewall policy accepting all never decides.
    assert not row.allowed
    assert row.unknown == addrs("10.0.0.0/8")
    assert row.missing == addrs("0.0.0.0/0") - addrs("10.0.0.0/8")
    assert "local-in policy 5 accepts it to the FortiGate itself" in " ".join(row.evidence["unknown"])
    assert any("local-in-policy 7" in e for e in row.evidence["missing"])
    # Port 443: no local-in policy matches; FortiOS lets it in to its own services
    row = probe(path, "198.51.100.2", 443, "wan1 -> internal")
    assert not row.allowed and not row.missing and row.unknown == addrs("0.0.0.0/0")
    assert "no local-in policy of the 2 in the file denies it" in " ".join(row.evidence["unknown"])
    # Arriving on another interface, policies 5 and 7 (intf wan1) do not apply
    row = probe(path, "192.168.10.1", 25, "internal -> wan1")
    assert not row.missing and row.unknown == addrs("0.0.0.0/0")
    # A server behind the FortiGate is decided by the firewall policy as before
    assert probe(path, "192.168.10.10", 25, "wan1 -> internal").allowed == addrs("0.0.0.0/0")


def test_no_local_in_policies_is_unknown_never_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path, INTERFACES + POLICY)
    row = probe(path, "198.51.100.2", 25, "wan1 -> internal")
    assert not row.allowed and row.unknown == addrs("0.0.0.0/0")
    assert "no local-in policies in the file" in " ".join(row.evidence["unknown"])


def test_disabled_and_scheduled_local_in(tmp_path: Path) -> None:
    text = INTERFACES + LOCAL_IN.replace('        set srcaddr "admins"\n',
                                         '        set srcaddr "admins"\n        set status disable\n'
                                         ).replace('set schedule "always"\n    next\nend',
                                                   'set schedule "weekdays"\n    next\nend') + POLICY
    row = probe(_write(tmp_path, text), "198.51.100.2", 25, "wan1 -> internal")
    assert not row.allowed and not row.missing and row.unknown == addrs("0.0.0.0/0")
    assert "schedule weekdays" in " ".join(row.evidence["unknown"])


def test_local_in_per_vdom(tmp_path: Path) -> None:
    """A local-in policy of VDOM a decides nothing in VDOM b."""
    vdoms = ("config vdom\nedit a\n" + ADDRESSES + LOCAL_IN + POLICY + "next\nedit b\n" + POLICY
             + "next\nend\n")
    path = _write(tmp_path, "config global\n" + SYSTEM + "end\n" + vdoms)
    assert probe(path, "198.51.100.2", 25, "a: wan1 -> internal").missing
    assert not probe(path, "198.51.100.2", 25, "b: wan1 -> internal").missing


def test_fix_for_a_local_in_denial_is_named_not_a_policy(tmp_path: Path) -> None:
    path = _write(tmp_path, INTERFACES + LOCAL_IN + POLICY)
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
                AddressSet.parse(["198.51.100.2"]), "test")
    outcome = patch_files([path], [flow], interfaces=Interfaces("wan1", "internal"))
    patched = outcome.texts[str(path)]
    added = patched[len(INTERFACES + LOCAL_IN + POLICY):]
    assert "# local-in-policy 7 denies smtp-inbound to 198.51.100.2" in added
    assert "config firewall policy" not in added and "move" not in added
    assert outcome.still_missing and "40.92.0.0/15" in outcome.still_missing[0]
