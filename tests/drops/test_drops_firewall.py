"""`--firewall`: the audit's evaluation names the dropping rule and flags 'allowed, yet dropped'."""

from __future__ import annotations

from pathlib import Path

from _support.drops import DATA, TOPOLOGY, analyse

EXAMPLES = TOPOLOGY.parent
STALE = (str(EXAMPLES / "stale-firewall.rules"), str(EXAMPLES / "stale-firewall6.rules"))


def _routed(tmp_path: Path) -> Path:
    """The syslog fixture as a gateway logs it: packets routed from eth0 to eth1 (FORWARD)."""
    routed = tmp_path / "routed.log"
    routed.write_text((DATA / "netfilter-syslog.log").read_text().replace(" OUT= ", " OUT=eth1 "))
    return routed


def test_dropping_rule_named_and_contradictions_flagged(tmp_path: Path) -> None:
    report = analyse(_routed(tmp_path), firewall=STALE)
    said = {b.source: b.firewall for b in report.buckets}
    # 52.100.0.0/14 is missing from the stale 2015 list: its EOP-SMTP chain ends in DROP.
    assert said["52.100.0.0/14"].startswith("dropped by forward: ")
    assert "stale-firewall.rules:53: -A EOP-SMTP -j DROP" in said["52.100.0.0/14"]
    assert "stale-firewall6.rules" in said["2a01:111:f403::/48"]
    # 40.107.0.0/16 and 65.55.88.0/24 are in the stale list: the audit says allowed, the log
    # shows drops (the log was written by another filter: a contradiction to report).
    contradictions = [f for f in report.findings if f.code == "drops.audit-contradiction"]
    assert sorted(f.evidence[1].rsplit(":", 1)[1] for f in contradictions) == ["1", "8"]
    assert "accepts it" in said["40.107.0.0/16"] and "-s 40.107.0.0/16 -j ACCEPT" in said["40.107.0.0/16"]
    assert said["198.51.100.0/24"] == ""  # not-microsoft aggregates are not replayed
    assert report.to_dict()["drops"][0]["firewall"]


def test_the_logged_hook_decides_where_the_packet_is_judged() -> None:
    # Logged on INPUT (OUT= empty): the gateway ruleset's INPUT policy drops it; no contradiction.
    report = analyse(DATA / "netfilter-syslog.log", firewall=STALE)
    said = {b.source: b.firewall for b in report.buckets}
    assert said["40.107.0.0/16"] == f"dropped by input: {STALE[0]}:6: :INPUT DROP [0:0]"
    assert not [f for f in report.findings if f.code == "drops.audit-contradiction"]


def test_without_firewall_nothing_is_replayed() -> None:
    report = analyse(DATA / "netfilter-syslog.log")
    assert all(not b.firewall for b in report.buckets)
    assert "firewall" not in report.to_dict()["drops"][0]
