"""Junos apply-groups expanded as Junos inherits them: the configuration's own statements win,
groups apply in the order listed, wildcards match the configuration's own names, inherited
policies come after a zone pair's own, apply-groups-except stops inheritance below it; what is
not decided (a policy field set both by the configuration and a group, a group applying
groups) is unknown, naming the group."""

from __future__ import annotations

from pathlib import Path

from _support.vendor import addrs, probe

ZONES = """\
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security zones security-zone dmz interfaces ge-0/0/2.0
set security address-book global address EOP 40.92.0.0/15
"""
EOP_ONLY = """\
set security policies from-zone untrust to-zone trust policy eop match source-address EOP
set security policies from-zone untrust to-zone trust policy eop match destination-address any
set security policies from-zone untrust to-zone trust policy eop match application junos-smtp
set security policies from-zone untrust to-zone trust policy eop then permit
"""
DENY_LOG = """\
set groups DENY-LOG security policies from-zone <*> to-zone <*> policy deny-log match source-address any
set groups DENY-LOG security policies from-zone <*> to-zone <*> policy deny-log match destination-address any
set groups DENY-LOG security policies from-zone <*> to-zone <*> policy deny-log match application any
set groups DENY-LOG security policies from-zone <*> to-zone <*> policy deny-log then deny
"""
PERMIT_DMZ = """\
set groups DMZ security policies from-zone dmz to-zone trust policy all match source-address any
set groups DMZ security policies from-zone dmz to-zone trust policy all match destination-address any
set groups DMZ security policies from-zone dmz to-zone trust policy all match application any
set groups DMZ security policies from-zone dmz to-zone trust policy all then permit
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "srx.set"
    path.write_text(text)
    return path


def test_wildcard_deny_log_goes_after_each_pairs_own_policies(tmp_path: Path) -> None:
    text = ZONES + EOP_ONLY + DENY_LOG + "set security policies default-policy permit-all\n" \
        + "set apply-groups DENY-LOG\n"
    path = _write(tmp_path, text)
    row = probe(path, "192.0.2.25", 25, "untrust -> trust")
    assert row.allowed == addrs("40.92.0.0/15") and not row.unknown
    assert row.missing == addrs("0.0.0.0/0") - addrs("40.92.0.0/15")
    (denial,) = {d.origin.line for d in row.denials}
    assert denial == 9  # the group's deny-log statement line: the inherited policy decides
    # A pair without policies of its own inherits nothing: the default policy (permit-all) decides
    assert probe(path, "192.0.2.25", 25, "dmz -> trust").allowed == addrs("0.0.0.0/0")


def test_group_adds_a_pair_and_groups_apply_in_order(tmp_path: Path) -> None:
    path = _write(tmp_path, ZONES + EOP_ONLY + PERMIT_DMZ + DENY_LOG
                  + "set apply-groups DENY-LOG\nset apply-groups DMZ\n")
    # DMZ's pair exists only through the group; the DENY-LOG wildcard matches the pairs the
    # configuration itself has, so the DMZ pair gets only its permit
    assert probe(path, "192.0.2.25", 25, "dmz -> trust").allowed == addrs("0.0.0.0/0")
    same_pair = PERMIT_DMZ.replace("dmz to-zone trust", "untrust to-zone trust")
    path = _write(tmp_path, ZONES + EOP_ONLY + same_pair + DENY_LOG
                  + "set apply-groups DENY-LOG\nset apply-groups DMZ\n")
    row = probe(path, "192.0.2.25", 25, "untrust -> trust")
    # eop first (own), then DENY-LOG's deny-log (listed first), then DMZ's all
    assert row.allowed == addrs("40.92.0.0/15") and row.missing
    path = _write(tmp_path, path.read_text().replace("set apply-groups DENY-LOG\nset apply-groups DMZ\n",
                                                     "set apply-groups DMZ\nset apply-groups DENY-LOG\n"))
    assert probe(path, "192.0.2.25", 25, "untrust -> trust").allowed == addrs("0.0.0.0/0")


def test_own_statements_win_and_except_stops_inheritance(tmp_path: Path) -> None:
    wide = "set groups ADDR security address-book global address EOP 0.0.0.0/0\n"
    path = _write(tmp_path, ZONES + EOP_ONLY + wide + "set apply-groups ADDR\n")
    assert probe(path, "192.0.2.25", 25, "untrust -> trust").allowed == addrs("40.92.0.0/15")
    text = (ZONES + EOP_ONLY + DENY_LOG + "set security policies default-policy permit-all\n"
            "set apply-groups DENY-LOG\n"
            "set security policies from-zone untrust to-zone trust apply-groups-except DENY-LOG\n")
    assert probe(_write(tmp_path, text), "192.0.2.25", 25, "untrust -> trust").allowed == addrs("0.0.0.0/0")


def test_applied_below_the_top(tmp_path: Path) -> None:
    text = ZONES + EOP_ONLY + DENY_LOG + ("set security policies default-policy permit-all\n"
                                          "set security policies from-zone untrust to-zone trust "
                                          "apply-groups DENY-LOG\n")
    path = _write(tmp_path, text)
    assert probe(path, "192.0.2.25", 25, "untrust -> trust").missing
    # not applied to dmz -> trust (it would add nothing there anyway: no own policies)
    assert probe(path, "192.0.2.25", 25, "dmz -> trust").allowed == addrs("0.0.0.0/0")


def test_a_field_both_set_is_unknown_naming_the_group(tmp_path: Path) -> None:
    group = ("set groups WIDE security policies from-zone untrust to-zone trust policy eop match "
             "source-address any\n")
    path = _write(tmp_path, ZONES + EOP_ONLY + group + "set apply-groups WIDE\n")
    row = probe(path, "192.0.2.25", 25, "untrust -> trust")
    assert not row.allowed and row.unknown == addrs("0.0.0.0/0")  # EOP only, or any: unknown
    assert "WIDE also sets match source-address of policy eop" in " ".join(row.evidence["unknown"])


def test_a_group_applying_groups_stays_unknown(tmp_path: Path) -> None:
    text = ZONES + EOP_ONLY + DENY_LOG + "set groups OUTER apply-groups DENY-LOG\n" \
        + "set groups OUTER security policies from-zone untrust to-zone trust policy x then deny\n" \
        + "set apply-groups OUTER\n"
    row = probe(_write(tmp_path, text), "192.0.2.25", 25, "untrust -> trust")
    assert not row.allowed and row.unknown == addrs("0.0.0.0/0")
    assert "apply-groups OUTER may add security policies" in " ".join(row.evidence["unknown"])


HIERARCHICAL = """\
groups {
    DENY-LOG {
        security {
            policies {
                from-zone <*> to-zone <*> {
                    policy deny-log {
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
        }
    }
}
apply-groups [ DENY-LOG ];
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
        }
        default-policy {
            permit-all;
        }
    }
    zones {
        security-zone untrust;
        security-zone trust;
    }
}
"""


def test_hierarchical_form(tmp_path: Path) -> None:
    path = tmp_path / "srx.conf"
    path.write_text(HIERARCHICAL)
    row = probe(path, "192.0.2.25", 25, "untrust -> trust")
    assert row.allowed == addrs("40.92.0.0/15") and not row.unknown
    assert {d.origin.line for d in row.denials} == {8}  # deny-log's first statement
    assert probe(path, "192.0.2.25", 25, "trust -> untrust").allowed == addrs("0.0.0.0/0")


def test_wildcard_policy_name_adds_logging_without_touching_the_action(tmp_path: Path) -> None:
    text = ZONES + EOP_ONLY + ("set groups LOG security policies from-zone <*> to-zone <*> policy <*> "
                               "then log session-close\nset apply-groups LOG\n")
    row = probe(_write(tmp_path, text), "192.0.2.25", 25, "untrust -> trust")
    assert row.allowed == addrs("40.92.0.0/15") and not row.unknown
    deny = ZONES + EOP_ONLY + ("set groups D security policies from-zone <*> to-zone <*> policy <*> "
                               "then deny\nset apply-groups D\n")
    row = probe(_write(tmp_path, deny), "192.0.2.25", 25, "untrust -> trust")
    assert not row.allowed and row.unknown == addrs("40.92.0.0/15")
    assert "D also sets then permit|deny|reject of policy eop" in " ".join(row.evidence["unknown"])
