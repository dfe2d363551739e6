"""Junos logical systems and tenants are read as firewalls of their own (entries 'L: A -> B'),
with their own address book, policies and default policy; the fix for an entry of one goes into
that logical system (set form and hierarchical), and re-audits clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import addrs, probe
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.patch import patch_files
from hybridfw.model import Flow
from hybridfw.rulesets import parsers

LS1 = "set logical-systems LS1 security policies from-zone untrust to-zone trust policy"
SET_FORM = """\
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security policies from-zone untrust to-zone trust policy all match source-address any
set security policies from-zone untrust to-zone trust policy all match destination-address any
set security policies from-zone untrust to-zone trust policy all match application any
set security policies from-zone untrust to-zone trust policy all then permit
set logical-systems LS1 security zones security-zone untrust interfaces ge-0/0/2.0
set logical-systems LS1 security zones security-zone trust interfaces ge-0/0/3.0
set logical-systems LS1 security address-book global address EOP 40.92.0.0/15
""" + "".join(f"{LS1} {rest}\n" for rest in (
    "eop match source-address EOP", "eop match destination-address any",
    "eop match application junos-smtp", "eop then permit", "rest match source-address any",
    "rest match destination-address any", "rest match application any", "rest then deny")) + \
    "set logical-systems LS2 interfaces ge-0/0/4 unit 0 family inet address 192.0.2.1/24\n"


def test_each_logical_system_is_its_own_firewall(tmp_path: Path) -> None:
    path = tmp_path / "srx.set"
    path.write_text(SET_FORM)
    assert probe(path, "192.0.2.25", 25, "untrust -> trust").allowed == addrs("0.0.0.0/0")
    row = probe(path, "192.0.2.25", 25, "LS1: untrust -> trust")
    assert row.allowed == addrs("40.92.0.0/15")
    assert any("policy rest" in e for e in row.evidence["missing"])
    ruleset = parsers()["srx"].parse(SET_FORM, str(path))
    assert not any(e.name.startswith("LS2") for e in ruleset.entries)  # routing only
    assert [f.message for f in ruleset.findings if f.code == "audit.lsys"] == [
        "logical-systems LS1 read: its entries are named 'LS1: A -> B'"]


HIERARCHICAL = """\
logical-systems {
    LS1 {
        security {
            address-book {
                global {
                    address EOP 40.92.0.0/15;
                }
            }
            policies {
                from-zone untrust to-zone trust {
                    policy eop {
                        match {
                            source-address EOP;
                            destination-address any;
                            application junos-smtp;
                        }
                        then {
                            permit;
                        }
                    }
                    policy rest {
                        match {
                            source-address any;
                            destination-address any;
                            application any;
                        }
                        then {
                            deny;
                        }
                    }
                }
            }
            zones {
                security-zone untrust;
                security-zone trust;
            }
        }
    }
}
"""
FLOW = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
            AddressSet.parse(["192.0.2.25"]), "test")


@pytest.mark.parametrize(("name", "text"), [("srx.set", SET_FORM), ("srx.conf", HIERARCHICAL)])
def test_fix_goes_into_the_logical_system(name: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text)
    outcome = patch_files([path], [FLOW], entry="LS1: untrust -> trust", interfaces=Interfaces())
    patched = outcome.texts[str(path)]
    assert not outcome.still_missing, outcome.still_missing
    if name == "srx.set":
        added = patched[len(text):]
        assert "set logical-systems LS1 security policies from-zone untrust to-zone trust policy " \
               "hybridfw-fix-1 match source-address hybridfw-fix-1-src" in added
        assert "insert logical-systems LS1 security policies from-zone untrust to-zone trust policy " \
               "hybridfw-fix-1 before policy rest" in added
        assert "set logical-systems LS1 applications application hybridfw-fix-1" in added
    again = tmp_path / "again" / name
    again.parent.mkdir()
    again.write_text(patched)
    rows = audit_files([again], [FLOW], entry="LS1: untrust -> trust").flows
    assert rows and not any(r.missing for r in rows)


def test_unexpanded_group_applied_in_a_logical_system_is_unknown_there(tmp_path: Path) -> None:
    text = SET_FORM + ("set groups INNER security policies from-zone <*> to-zone <*> policy x then deny\n"
                       "set groups OUTER apply-groups INNER\n"
                       "set groups OUTER security policies from-zone untrust to-zone trust policy y "
                       "then deny\n"
                       "set logical-systems LS1 apply-groups OUTER\n")
    path = tmp_path / "srx.set"
    path.write_text(text)
    row = probe(path, "192.0.2.25", 25, "LS1: untrust -> trust")
    assert not row.allowed and row.unknown == addrs("0.0.0.0/0")
    assert "apply-groups OUTER may add security policies" in " ".join(row.evidence["unknown"])
