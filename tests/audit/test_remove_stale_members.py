"""`--remove-stale` member by member: a retired Microsoft range is taken out of the address group
(FortiGate addrgrp, Junos address-set, pfSense/OPNsense alias) an accept rule admits it through;
the rule stays, and the patched copy re-audits with nothing stale left of it and every other
verdict unchanged. A member of a group something else also uses, a foreign (never published)
member and a member Microsoft still publishes are named and kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.patch import PatchOutcome, patch_files
from hybridfw.model import Flow

FLOW = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
            AddressSet.parse(["203.0.113.10"]), "test")
RETIRED = AddressSet.parse(["23.103.132.0/22"])  # in the 2015 EOP list, no longer published
PARTNER = AddressSet.parse(["198.51.100.7/32"])  # never a Microsoft range


Verdicts = list[tuple[AddressSet, AddressSet, AddressSet, AddressSet]]


def _verdicts(path: Path, interfaces: Interfaces) -> Verdicts:
    rows = audit_files([path], [FLOW], interfaces=interfaces).flows
    return sorted(((r.allowed, r.missing, r.unknown, r.stale) for r in rows), key=repr)


def _patch(tmp_path: Path, name: str, text: str, interfaces: Interfaces) -> tuple[str, PatchOutcome]:
    """Patch with --remove-stale; the copy re-audits with the same allowed / missing / unknown
    as the original, and its stale part is the original's without what the notes say went."""
    path = tmp_path / name
    path.write_text(text)
    before = _verdicts(path, interfaces)
    assert any(stale & RETIRED for *_rest, stale in before)
    outcome = patch_files([path], [FLOW], interfaces=interfaces, remove_stale=True)
    patched = outcome.texts[str(path)]
    again = tmp_path / f"again-{name}"
    again.write_text(patched)
    after = _verdicts(again, interfaces)
    assert [v[:3] for v in after] == [v[:3] for v in before]
    removed = any(n.startswith("--remove-stale removed") for n in outcome.notes)
    gone = RETIRED if removed else AddressSet.empty()
    assert [v[3] for v in after] == [v[3] - gone for v in before]
    return patched, outcome


def _said(outcome: PatchOutcome, start: str) -> list[str]:
    return [n for n in outcome.notes if n.startswith(f"--remove-stale {start}")]


FORTIGATE = """\
config firewall address
    edit "old-eop"
        set subnet 23.103.132.0 255.255.252.0
    next
    edit "eop-a"
        set subnet 40.92.0.0 255.254.0.0
    next
    edit "eop-b"
        set subnet 40.107.0.0 255.255.0.0
    next
    edit "partner"
        set subnet 198.51.100.7 255.255.255.255
    next
end
config firewall addrgrp
    edit "EOP"
        set member "old-eop" "eop-a" "partner" "eop-b"
    next
end
config firewall policy
    edit 1
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "EOP"
        set dstaddr "all"
        set action accept
        set service "SMTP"
        set schedule "always"
    next
end
"""
SHARED_POLICY = """\
config firewall policy
    edit 2
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "EOP"
        set dstaddr "all"
        set action accept
        set service "HTTPS"
        set schedule "always"
    next
end
"""


def test_fortigate_retired_member_leaves_the_group_the_policy_stays(tmp_path: Path) -> None:
    patched, outcome = _patch(tmp_path, "fw.conf", FORTIGATE, Interfaces("port1", "port2"))
    assert '        set member "eop-a" "partner" "eop-b"\n' in patched
    assert patched.replace('set member "eop-a" "partner" "eop-b"',
                           'set member "old-eop" "eop-a" "partner" "eop-b"') == FORTIGATE
    (removed,) = _said(outcome, "removed")
    assert "'old-eop' (23.103.132.0/22) from 'EOP' (fw.conf:17)" in removed
    assert 'config firewall addrgrp / edit "EOP" / unselect member "old-eop" / next / end' in removed
    (kept,) = _said(outcome, "did NOT")
    assert "'partner'" in kept and "partner or another purpose" in kept
    assert outcome.still_retired == []  # the re-audit: no retired range admitted any more


def test_fortigate_group_another_policy_uses_keeps_its_members(tmp_path: Path) -> None:
    text = FORTIGATE + SHARED_POLICY
    path = tmp_path / "fw.conf"
    path.write_text(text)
    outcome = patch_files([path], [FLOW], interfaces=Interfaces("port1", "port2"), remove_stale=True)
    assert outcome.texts[str(path)] == text
    assert not _said(outcome, "removed")
    notes = " ".join(_said(outcome, "did NOT"))
    assert "'old-eop'" in notes and "also used by policy 2 srcaddr (line 35)" in notes
    assert outcome.still_retired == ["smtp-inbound 203.0.113.10 port 25 (port1 -> port2): "
                                     "23.103.132.0/22 by fw.conf:21"]


def test_fortigate_nested_group_and_vdom(tmp_path: Path) -> None:
    nested = FORTIGATE.replace('set member "old-eop" "eop-a" "partner" "eop-b"',
                               'set member "OLD" "eop-a" "eop-b"\n    next\n    edit "OLD"\n'
                               '        set member "old-eop" "partner"')
    vdom = "config vdom\nedit root\n" + nested + "end\n"
    patched, outcome = _patch(tmp_path, "fw.conf", vdom, Interfaces("port1", "port2"))
    assert 'set member "partner"\n' in patched
    (removed,) = _said(outcome, "removed")
    assert "config vdom / edit root / config firewall addrgrp / edit \"OLD\"" in removed


def test_group_left_empty_is_named_not_emptied(tmp_path: Path) -> None:
    text = FORTIGATE.replace('"old-eop" "eop-a" "partner" "eop-b"', '"old-eop"').replace(
        'set srcaddr "EOP"', 'set srcaddr "EOP" "eop-a" "eop-b"')
    path = tmp_path / "fw.conf"
    path.write_text(text)
    outcome = patch_files([path], [FLOW], interfaces=Interfaces("port1", "port2"), remove_stale=True)
    assert outcome.texts[str(path)] == text
    (note,) = _said(outcome, "did NOT")
    assert "a group needs one" in note


SRX_SET = """\
set security address-book global address OLD 23.103.132.0/22
set security address-book global address EOP-A 40.92.0.0/15
set security address-book global address EOP-B 40.107.0.0/16
set security address-book global address-set EOP address OLD
set security address-book global address-set EOP address EOP-A
set security address-book global address-set EOP address EOP-B
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security policies from-zone untrust to-zone trust policy smtp match source-address EOP
set security policies from-zone untrust to-zone trust policy smtp match destination-address any
set security policies from-zone untrust to-zone trust policy smtp match application junos-smtp
set security policies from-zone untrust to-zone trust policy smtp then permit
"""
SRX_TREE = """\
security {
    address-book {
        global {
            address OLD 23.103.132.0/22;
            address EOP-A 40.92.0.0/15;
            address EOP-B 40.107.0.0/16;
            address-set EOP {
                address OLD;
                address EOP-A;
                address EOP-B;
            }
        }
    }
    policies {
        from-zone untrust to-zone trust {
            policy smtp {
                match {
                    source-address EOP;
                    destination-address any;
                    application junos-smtp;
                }
                then {
                    permit;
                }
            }
        }
    }
    zones {
        security-zone untrust {
            interfaces {
                ge-0/0/0.0;
            }
        }
        security-zone trust {
            interfaces {
                ge-0/0/1.0;
            }
        }
    }
}
"""


@pytest.mark.parametrize(("text", "line"), [(SRX_SET, 4), (SRX_TREE, 8)])
def test_srx_retired_member_leaves_the_address_set(text: str, line: int, tmp_path: Path) -> None:
    patched, outcome = _patch(tmp_path, "srx.conf", text, Interfaces())
    rows = text.split("\n")
    assert patched.split("\n") == rows[:line - 1] + rows[line:]
    (removed,) = _said(outcome, "removed")
    assert f"(srx.conf:{line})" in removed
    assert "delete security address-book global address-set EOP address OLD" in removed


def test_srx_set_a_nat_rule_names_is_shared(tmp_path: Path) -> None:
    text = SRX_SET + ("set security nat source rule-set out from zone trust\n"
                      "set security nat source rule-set out rule r1 match destination-address-name EOP\n")
    path = tmp_path / "srx.set"
    path.write_text(text)
    outcome = patch_files([path], [FLOW], remove_stale=True)
    assert outcome.texts[str(path)] == text
    notes = " ".join(_said(outcome, "did NOT"))
    assert "also used by security nat source rule-set out rule (line 14)" in notes


LEGACY_ALIAS = """\
  <aliases>
    <alias>
      <name>EOP</name>
      <type>network</type>
      <address>23.103.132.0/22 40.92.0.0/15 40.107.0.0/16</address>
      <descr><![CDATA[Exchange Online Protection]]></descr>
      <detail><![CDATA[retired 2016||EOP A||EOP B]]></detail>
    </alias>
  </aliases>
"""
PFSENSE = """\
<?xml version="1.0"?>
<pfsense>
  <interfaces>
    <wan><if>igb0</if></wan>
  </interfaces>
""" + LEGACY_ALIAS + """\
  <filter>
    <rule>
      <type>pass</type>
      <interface>wan</interface>
      <ipprotocol>inet</ipprotocol>
      <protocol>tcp</protocol>
      <source><address>EOP</address></source>
      <destination><address>203.0.113.10</address><port>25</port></destination>
    </rule>
  </filter>
</pfsense>
"""
OPNSENSE_MVC = PFSENSE.replace("pfsense>", "opnsense>").replace(LEGACY_ALIAS, """  <OPNsense>
    <Firewall>
      <Alias version="1.0.1">
        <aliases>
          <alias uuid="7c4a0c3e-1111-4b0e-8c57-0a1b2c3d4e5f">
            <enabled>1</enabled>
            <name>EOP</name>
            <type>network</type>
            <content>40.92.0.0/15
23.103.132.0/22
40.107.0.0/16</content>
          </alias>
        </aliases>
      </Alias>
    </Firewall>
  </OPNsense>
""")


def test_pfsense_alias_member_and_its_detail_go(tmp_path: Path) -> None:
    patched, outcome = _patch(tmp_path, "config.xml", PFSENSE, Interfaces())
    assert "<address>40.92.0.0/15 40.107.0.0/16</address>" in patched
    assert "<detail><![CDATA[EOP A||EOP B]]></detail>" in patched
    assert len(patched.splitlines()) == len(PFSENSE.splitlines())
    assert "Firewall > Aliases > EOP" in _said(outcome, "removed")[0]


def test_opnsense_alias_content_line_goes(tmp_path: Path) -> None:
    patched, _outcome = _patch(tmp_path, "config.xml", OPNSENSE_MVC, Interfaces())
    assert "<content>40.92.0.0/15\n40.107.0.0/16</content>" in patched
    assert patched.replace("40.92.0.0/15\n40.107", "40.92.0.0/15\n23.103.132.0/22\n40.107") == OPNSENSE_MVC


def test_pfsense_alias_in_a_nat_rule_is_shared(tmp_path: Path) -> None:
    nat = ("  <nat>\n    <rule>\n      <source><address>EOP</address></source>\n"
           "      <target>192.168.1.10</target>\n    </rule>\n  </nat>\n")
    text = PFSENSE.replace("  <filter>\n", nat + "  <filter>\n")
    path = tmp_path / "config.xml"
    path.write_text(text)
    outcome = patch_files([path], [FLOW], remove_stale=True)
    assert outcome.texts[str(path)] == text
    assert "nat/rule/source/address (line 17)" in " ".join(_said(outcome, "did NOT"))


# The purpose-made feature fixtures of the edge formats (tests/data/audit_edge, see its README),
# with a retired range added to a group their Exchange policy uses, audited for every flow of
# examples/hybrid.toml; and the real pfSense default configuration.
REPO = Path(__file__).resolve().parents[2]
EDGE = REPO / "tests" / "data" / "audit_edge"
SAMPLES = REPO.parent / "shared" / "data" / "firewall-samples"
OLD_FORTI = ('config firewall address\n    edit "OLD"\n        set subnet 23.103.132.0 255.255.252.0\n'
             '    next\nend\n')
WITH_RETIRED = {
    "fortigate-features.conf": (lambda t: OLD_FORTI + t.replace('set member "EOP-A" "EOP-B"',
                                                                'set member "EOP-A" "OLD" "EOP-B"'),
                                Interfaces("wan1", "internal"), 'set member "EOP-A" "EOP-B"'),
    "srx-features.conf": (lambda t: t.replace("address EOP6 2a01:111:f400::/48;",
                                              "address EOP6 2a01:111:f400::/48;\n            address OLD "
                                              "23.103.132.0/22;").replace(
        "address EOP-B;", "address EOP-B;\n                address OLD;"), Interfaces(),
        "address-set EOP {\n                address EOP-A;\n                address EOP-B;\n"),
}


@pytest.fixture(scope="module")
def all_flows() -> list[Flow]:
    from hybridfw.endpoints import load_current
    from hybridfw.flows import required_flows
    from hybridfw.topology import load_topology

    return required_flows(load_topology(REPO / "examples" / "hybrid.toml"), load_current())


def _rows(path: Path, flows: list[Flow], interfaces: Interfaces) -> list[tuple[str, ...]]:
    rows = audit_files([path], flows, interfaces=interfaces).flows
    return sorted((r.flow, r.entry, r.address, str(r.port), repr(r.allowed), repr(r.missing),
                   repr(r.unknown), repr(r.stale - RETIRED)) for r in rows)


@pytest.mark.parametrize("name", sorted(WITH_RETIRED))
def test_feature_fixtures_lose_the_retired_member_only(name: str, all_flows: list[Flow],
                                                       tmp_path: Path) -> None:
    edit, interfaces, expected = WITH_RETIRED[name]
    path = tmp_path / name
    path.write_text(edit((EDGE / name).read_text()))
    outcome = patch_files([path], all_flows, interfaces=interfaces, remove_stale=True)
    assert len(_said(outcome, "removed")) == 1, outcome.notes
    again = tmp_path / "again" / name
    again.parent.mkdir()
    again.write_text(outcome.texts[str(path)])
    assert expected in again.read_text()
    # The same fix without --remove-stale: every verdict the same, but the retired range.
    plain = tmp_path / "plain" / name
    plain.parent.mkdir()
    plain.write_text(patch_files([path], all_flows, interfaces=interfaces).texts[str(path)])
    assert _rows(again, all_flows, interfaces) == _rows(plain, all_flows, interfaces)
    # The rule naming the group admits the retired range no more (a wide rule may still).
    before, after = (_admitting_retired(p, all_flows, interfaces) for p in (plain, again))
    assert after < before, (before, after)


def _admitting_retired(path: Path, flows: list[Flow], interfaces: Interfaces) -> set[str]:
    rows = audit_files([path], flows, interfaces=interfaces).flows
    return {o.raw.strip() for r in rows for o, stale in r.stale_by if stale & RETIRED}


def test_pfsense_default_config_keeps_its_lan_rule(all_flows: list[Flow], tmp_path: Path) -> None:
    """The real default config.xml: 'Default allow LAN to any' admits only the LAN (foreign to the
    audited flows) on the LAN entry; it is not a stale Microsoft rule and stays."""
    sample = SAMPLES / "pfsense-config__pfsense__default-config.xml"
    outcome = patch_files([sample], all_flows, remove_stale=True)
    assert "Default allow LAN to any rule" in outcome.texts[str(sample)]
    assert not any("remove" in n for n in outcome.notes)


def test_rule_admitting_retired_and_partner_addresses_is_named(tmp_path: Path) -> None:
    text = PFSENSE.replace("<source><address>EOP</address></source>",
                           "<source><address>OLDP</address></source>").replace(
        "  </aliases>", "    <alias>\n      <name>OLDP</name>\n      <type>network</type>\n"
        "      <address>23.103.132.0/22 198.51.100.7/32</address>\n    </alias>\n  </aliases>").replace(
        "  </filter>", "    <rule>\n      <type>pass</type>\n      <interface>wan</interface>\n"
        "      <source><address>40.92.0.0/15</address></source>\n"
        "      <destination><address>203.0.113.10</address><port>25</port></destination>\n"
        "    </rule>\n  </filter>")
    path = tmp_path / "config.xml"
    path.write_text(text)
    outcome = patch_files([path], [FLOW], remove_stale=True)
    assert "<address>OLDP</address>" in outcome.texts[str(path)]
    assert any("next to addresses no Microsoft list has" in n for n in outcome.notes), outcome.notes


def test_opnsense_feature_fixture_nested_alias(tmp_path: Path) -> None:
    """opnsense-features.xml: rule -> alias EOP (MVC networkgroup) -> EOP_B (MVC network) with a
    retired range added; its server is 192.168.10.10 and the Spamhaus urltable gets a copy."""
    from hybridfw.rulesets.alias_lists import alias_lists, parse_alias_list

    text = (EDGE / "opnsense-features.xml").read_text()
    path = tmp_path / "config.xml"
    path.write_text(text.replace("<content>52.100.0.0/14", "<content>52.100.0.0/14\n23.103.132.0/22"))
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "52.100.0.0/14"]),
                AddressSet.parse(["192.168.10.10"]), "test")
    with alias_lists([parse_alias_list("Spamhaus", "192.0.2.0/24\n", "drop.txt")]):
        before = audit_files([path], [flow]).flows
        outcome = patch_files([path], [flow], remove_stale=True)
        again = tmp_path / "again.xml"
        again.write_text(outcome.texts[str(path)])
        after = audit_files([again], [flow]).flows
    assert any(r.stale & RETIRED for r in before) and not any(r.stale & RETIRED for r in after)
    assert [(r.allowed, r.missing, r.unknown) for r in after] == [(r.allowed, r.missing, r.unknown)
                                                                  for r in before]
    assert again.read_text() == text
    assert "from 'EOP_B'" in _said(outcome, "removed")[0]


def test_srx_deactivated_match_of_an_unknown_policy_is_another_use(tmp_path: Path) -> None:
    """A deactivate statement naming the set in a policy with no set statements: another use
    (shared), not a crash."""
    text = SRX_SET + ("deactivate security policies from-zone trust to-zone untrust policy gone "
                      "match source-address EOP\n")
    path = tmp_path / "srx.set"
    path.write_text(text)
    outcome = patch_files([path], [FLOW], remove_stale=True)
    assert outcome.texts[str(path)] == text
    assert "also used by" in " ".join(_said(outcome, "did NOT"))


def test_cli_json_reports_what_the_re_audit_still_finds(tmp_path: Path) -> None:
    """`audit --fixed-out DIR --remove-stale --json`: the member is gone from the written copy,
    the note says so, and `still_retired` lists what the re-audit still finds admitted of the
    retired range (here: only the wide 'outbound' policy 9 of the fixture, nothing by the group's
    policy); the human output says the same."""
    import json

    from _support.audit import run_cli

    edit, _interfaces, _expected = WITH_RETIRED["fortigate-features.conf"]
    path = tmp_path / "fw.conf"
    path.write_text(edit((EDGE / "fortigate-features.conf").read_text()))
    args = ("audit", str(path), "--topology", str(REPO / "examples" / "hybrid.toml"),
            "--outside-interface", "wan1", "--inside-interface", "internal",
            "--fixed-out", str(tmp_path / "out"), "--remove-stale")
    res = run_cli(*args, "--json")
    assert res.returncode in (0, 1), res.stderr
    fixed = json.loads(res.stdout)["fixed_out"]
    assert 'set member "EOP-A" "EOP-B"' in (tmp_path / "out" / "fw.conf").read_text()
    assert any(n.startswith("--remove-stale removed retired member 'OLD'") for n in fixed["notes"])
    assert fixed["still_retired"] and all("fw.conf:" in s for s in fixed["still_retired"])
    lines = path.read_text().splitlines()
    group_policy = f"fw.conf:{lines.index('    edit 3') + 1}"  # srcaddr "EOP"
    assert not any(s.endswith(group_policy) for s in fixed["still_retired"])
    human = run_cli(*args)
    assert "retired ranges still admitted after patching" in human.stdout
