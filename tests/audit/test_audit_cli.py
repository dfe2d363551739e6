"""`hybridfw audit` as a user runs it: exit codes 0/1/2, --json keys, rules to add, -v."""

from __future__ import annotations

import json
from pathlib import Path

from _support.audit import AUDIT_DATA, TOPOLOGY, run_cli


def _topology(tmp_path: Path) -> str:
    path = tmp_path / "topology.toml"
    path.write_text(TOPOLOGY)
    return str(path)


def test_missing_ranges_exit_1_and_print_rules_to_add(tmp_path: Path) -> None:
    res = run_cli("audit", str(AUDIT_DATA / "gateway.rules.v4"), str(AUDIT_DATA / "gateway.rules.v6"),
                  "--topology", _topology(tmp_path))
    assert res.returncode == 1, res.stderr
    assert "audit.shadowed" in res.stdout and "audit.missing" in res.stdout
    tail = res.stdout[res.stdout.index("Rules to add"):]
    assert "iptables" in tail and "40.107.66.0/24" in tail


def test_json_document_has_stable_keys(tmp_path: Path) -> None:
    res = run_cli("audit", str(AUDIT_DATA / "host.nft"), "--topology", _topology(tmp_path), "--json",
                  "--format", "nft")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert {"flows", "findings", "format", "rules_to_add"} <= set(doc)
    smtp = [r for r in doc["flows"] if r["flow"] == "smtp-inbound" and r["destination"] == "203.0.113.10"]
    assert smtp and smtp[0]["missing"] == ["40.107.66.0/24"] and smtp[0]["entry"] == "input"
    assert set(smtp[0]) >= {"flow", "destination", "port", "allowed", "missing", "stale", "shadowed",
                            "unknown"}
    assert doc["rules_to_add"]["platform"] == "nftables"


def test_open_firewall_exits_0(tmp_path: Path) -> None:
    # Both families: with only the IPv4 file the IPv6 addresses would be unknown (exit 1).
    open_all = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    rules = tmp_path / "open.rules"
    rules.write_text(open_all)
    rules6 = tmp_path / "open.v6.rules"
    rules6.write_text(open_all)
    res = run_cli("-v", "audit", str(rules), str(rules6), "--topology", _topology(tmp_path), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert all(not row["missing"] for row in doc["flows"])
    assert doc["rules_to_add"]["files"] == {}
    assert "hybridfw.audit: parsed" in res.stderr  # -v logs to stderr, stdout stays JSON


def test_unknown_required_addresses_exit_1(tmp_path: Path) -> None:
    """Conservative verdict: required sources hybridfw cannot decide are not 'fully allowed'."""
    rules = tmp_path / "open.rules"
    rules.write_text("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n")
    res = run_cli("audit", str(rules), "--topology", _topology(tmp_path), "--json")
    assert res.returncode == 1, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    unknown = [f for f in doc["findings"] if f["code"] == "audit.unknown"]
    assert unknown and all(f["severity"] == "error" for f in unknown)
    assert not any(row["missing"] for row in doc["flows"])


def test_bad_ruleset_is_one_line_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "bad.rules"
    rules.write_text("*filter\n-A INPUT -s 300.1.1.1 -j ACCEPT\nCOMMIT\n")
    res = run_cli("audit", str(rules), "--topology", _topology(tmp_path))
    assert res.returncode == 2
    assert res.stderr.startswith("hybridfw: error: ") and "bad.rules:2 [-s]" in res.stderr
    assert "Traceback" not in res.stderr


def test_unsure_format_and_missing_file_exit_2(tmp_path: Path) -> None:
    odd = tmp_path / "odd.txt"
    odd.write_text("something else entirely\n")
    res = run_cli("audit", str(odd), "--topology", _topology(tmp_path))
    assert res.returncode == 2 and "use --format" in res.stderr
    res = run_cli("audit", str(tmp_path / "nope.rules"), "--topology", _topology(tmp_path))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    res = run_cli("audit", str(odd), "--topology", _topology(tmp_path), "--format", "cisco-ios")
    assert res.returncode == 2 and "unknown ruleset format" in res.stderr


def test_help_documents_exit_codes() -> None:
    res = run_cli("audit", "--help")
    assert res.returncode == 0 and "Exit codes" in res.stdout and "--format" in res.stdout
