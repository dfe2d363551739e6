"""What the FortiGate and SRX readers do not read is named, never silently passed over:
traffic to the FortiGate itself (local-in), and SRX apply-groups."""

from __future__ import annotations

from pathlib import Path

from _support.vendor import addrs, probe
from hybridfw.rulesets import parsers

FORTIGATE = """\
config system interface
    edit "wan1"
        set ip 198.51.100.2 255.255.255.0
        config ipv6
            set ip6-address 2001:db8:1::2/64
        end
    next
    edit "internal"
        set ip 192.168.10.1 255.255.255.0
    next
end
config firewall vip
    edit "mail"
        set extip 198.51.100.3
        set mappedip "192.168.10.10"
        set extintf "wan1"
    next
end
config firewall local-in-policy
    edit 1
        set intf "wan1"
        set srcaddr "all"
        set dstaddr "all"
        set action accept
        set service "ALL"
        set schedule "always"
    next
end
config firewall policy
    edit 1
        set srcintf "wan1"
        set dstintf "internal"
        set srcaddr "all"
        set dstaddr "all"
        set srcaddr6 "all"
        set dstaddr6 "all"
        set action accept
        set service "ALL"
        set schedule "always"
    next
end
"""


def test_fortigate_own_addresses_are_unknown_naming_local_in(tmp_path: Path) -> None:
    """The firewall policy admits all, but traffic to the FortiGate's own addresses is decided
    by local-in policies: unknown there, decided everywhere else (a VIP's external address is
    translated first, so the policy decides it)."""
    path = tmp_path / "fgt.conf"
    path.write_text(FORTIGATE)
    for own in ("198.51.100.2", "192.168.10.1", "2001:db8:1::2"):
        row = probe(path, own, 25, "wan1 -> internal")
        assert not row.allowed and row.unknown == addrs("0.0.0.0/0" if "." in own else "::/0")
        # local-in policy 1 (IPv4, wan1) accepts it to the box; for IPv6 none decides it
        said = " ".join(row.evidence["unknown"])
        assert ("local-in policy 1 accepts it to the FortiGate itself" in said if "." in own
                else "no local-in policy of the 1 in the file denies it" in said)
    assert probe(path, "192.168.10.10", 25, "wan1 -> internal").allowed == addrs("0.0.0.0/0")
    assert probe(path, "198.51.100.3", 25, "wan1 -> internal").allowed == addrs("0.0.0.0/0")


SRX = """\
set groups POLICIES security policies from-zone untrust to-zone trust policy d match source-address any
set groups POLICIES security policies from-zone untrust to-zone trust policy d match destination-address any
set groups POLICIES security policies from-zone untrust to-zone trust policy d match application any
set groups POLICIES security policies from-zone untrust to-zone trust policy d then deny
set groups LOGS system syslog file messages any any
set apply-groups [ LOGS POLICIES ]
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security policies from-zone untrust to-zone trust policy all match source-address any
set security policies from-zone untrust to-zone trust policy all match destination-address any
set security policies from-zone untrust to-zone trust policy all match application any
set security policies from-zone untrust to-zone trust policy all then permit
"""


def test_srx_apply_groups_are_expanded_not_unknown(tmp_path: Path) -> None:
    """The POLICIES group's deny policy is inherited after the pair's own permit-all policy (an
    ordered list: inherited entries are appended), so the permit decides; both groups are
    reported as expanded. More in test_srx_apply_groups.py."""
    path = tmp_path / "srx.set"
    path.write_text(SRX.replace("set apply-groups [ LOGS POLICIES ]",
                                "set apply-groups LOGS\nset apply-groups POLICIES"))
    row = probe(path, "192.0.2.25", 25, "untrust -> trust")
    assert row.allowed == addrs("0.0.0.0/0") and not row.unknown
    ruleset = parsers()["srx"].parse(path.read_text(), str(path))
    codes = [(f.code, f.message) for f in ruleset.findings]
    assert ("audit.apply-groups", "apply-groups LOGS expanded") in codes
    assert ("audit.apply-groups", "apply-groups POLICIES expanded") in codes


def test_srx_apply_groups_only_for_system_settings_leave_verdicts_decided(tmp_path: Path) -> None:
    path = tmp_path / "srx.set"
    path.write_text("\n".join(ln for ln in SRX.splitlines() if "POLICIES" not in ln)
                    + "\nset apply-groups LOGS\n")
    assert probe(path, "192.0.2.25", 25, "untrust -> trust").allowed == addrs("0.0.0.0/0")


OPNSENSE = Path(__file__).parent.parent / "data" / "audit_edge" / "opnsense-features.xml"


def test_opnsense_urltable_resolves_with_a_local_copy_of_its_list(tmp_path: Path) -> None:
    """Without a copy the Spamhaus urltable block is unknown; with one, it drops exactly the
    listed ranges and the rest is decided by the rules after it."""
    from hybridfw.errors import InputError
    from hybridfw.rulesets.alias_lists import alias_lists, read_alias_file

    listed = tmp_path / "drop.txt"
    listed.write_text("; Spamhaus DROP List\n40.92.0.0/16 ; SBL1\n\n# note\n198.18.0.0-198.18.0.255\n")
    with alias_lists([read_alias_file(f"Spamhaus={listed}")]):
        row = probe(OPNSENSE, "192.168.10.10", 25, "wan")
    assert not row.unknown
    assert row.allowed == addrs("40.93.0.0/16", "52.100.0.0/14")
    assert "40.92.0.0/16" in str(row.missing.to_cidrs())
    without = probe(OPNSENSE, "192.168.10.10", 25, "wan")
    assert "--alias-file Spamhaus=FILE" in " ".join(without.evidence["unknown"])
    listed.write_text("40.92.0.0/16\nnot-an-address\n")
    try:
        read_alias_file(f"Spamhaus={listed}")
    except InputError as exc:
        assert ":2" in str(exc) and "not-an-address" in str(exc)
    else:
        raise AssertionError("a bad line must be an input error")


def test_alias_file_option_on_the_command_line(tmp_path: Path) -> None:
    import json

    from _support.cli_runner import Ran, run_here

    repo = Path(__file__).resolve().parents[2]
    listed = tmp_path / "drop.txt"
    listed.write_text("40.92.0.0/16\n")

    def audit(*more: str) -> Ran:
        return run_here("audit", str(OPNSENSE), "--topology", str(repo / "examples" / "hybrid.toml"),
                        "--json", *more)

    def spamhaus_unknown(doc: dict[str, object]) -> bool:
        return "urltable alias Spamhaus" in json.dumps(doc)

    assert spamhaus_unknown(json.loads(audit().stdout))
    assert not spamhaus_unknown(json.loads(audit("--alias-file", f"Spamhaus={listed}").stdout))
    bad = audit("--alias-file", "Spamhaus")
    assert bad.returncode == 2 and "NAME=FILE" in bad.stderr and "Traceback" not in bad.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("# downloaded 2026-12-01\n")
    nothing = audit("--alias-file", f"Spamhaus={empty}")
    assert nothing.returncode == 2 and "holds no address" in nothing.stderr
    assert len(nothing.stderr.strip().splitlines()) == 1
