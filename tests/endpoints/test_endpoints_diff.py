"""diff_endpoints on the real 2025-04-09 and 2026-05-29 answers.

The expected values are worked out here straight from the JSON files with the stdlib, not with
the code under test.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from _support.cli_runner import Ran, run_here
from hybridfw.endpoints.diff import diff_endpoints
from hybridfw.endpoints.files import load_answer_file
from hybridfw.endpoints.parse import parse_endpoints
from hybridfw.endpoints.update import import_file

DATA = Path(__file__).resolve().parent.parent / "data" / "endpoints"
OLD = DATA / "worldwide-endpoints-fetched-2025-04-09.json"
NEW = DATA / "worldwide-endpoints-fetched-2026-05-29.json"


def _ports(text: str | None) -> list[int]:
    return sorted({int(p) for p in (text or "").replace(" ", "").split(",") if p})


def _cidrs(items: set[str]) -> list[str]:
    nets = [ipaddress.ip_network(i) for i in items]
    out: list[str] = []
    for version in (4, 6):
        same = (n for n in nets if n.version == version)
        out += [str(n) for n in ipaddress.collapse_addresses(same)]  # type: ignore[type-var]
    return out


def expected_diff() -> dict[str, Any]:
    old = {s["id"]: s for s in json.loads(OLD.read_text())}
    new = {s["id"]: s for s in json.loads(NEW.read_text())}
    changed = {}
    for set_id in sorted(old.keys() & new.keys()):
        a, b = old[set_id], new[set_id]
        if a == b:
            continue
        changed[set_id] = {
            "added_ips": _cidrs(set(b.get("ips", [])) - set(a.get("ips", []))),
            "removed_ips": _cidrs(set(a.get("ips", [])) - set(b.get("ips", []))),
            "added_urls": sorted(set(b.get("urls", [])) - set(a.get("urls", []))),
            "removed_urls": sorted(set(a.get("urls", [])) - set(b.get("urls", []))),
            "ports_before": {"tcp": _ports(a.get("tcpPorts")), "udp": _ports(a.get("udpPorts"))},
            "ports_after": {"tcp": _ports(b.get("tcpPorts")), "udp": _ports(b.get("udpPorts"))},
        }
    return {"removed": sorted(old.keys() - new.keys()), "added": sorted(new.keys() - old.keys()),
            "changed": changed}


def test_expectation_matches_the_issue() -> None:
    # The issue's summary of the two files, checked against the stdlib computation.
    exp = expected_diff()
    assert exp["removed"] == [18, 33, 180] and exp["added"] == []
    assert exp["changed"][12]["removed_ips"] == ["52.238.119.141/32", "52.244.160.207/32"]
    assert exp["changed"][184]["ports_before"]["tcp"] == [80, 443]
    assert exp["changed"][184]["ports_after"]["tcp"] == [443]


def test_diff_reports_exactly_what_the_files_differ_by() -> None:
    exp = expected_diff()
    diff = diff_endpoints(load_answer_file(OLD, "Worldwide"), load_answer_file(NEW, "Worldwide"))
    doc = diff.to_dict()
    assert [s["id"] for s in doc["removed_sets"]] == exp["removed"]
    assert doc["added_sets"] == []
    got = {c["id"]: c for c in doc["changed_sets"]}
    assert sorted(got) == sorted(exp["changed"])
    for set_id, want in exp["changed"].items():
        for key, value in want.items():
            assert got[set_id][key] == value, (set_id, key)
    # Impact vocabulary of the service.
    assert all(s["impact"] == "RemovedIpOrUrl" for s in doc["removed_sets"])
    assert got[12]["impact"] == ["RemovedIpOrUrl"]
    assert got[32]["impact"] == ["RemovedIpOrUrl"]
    assert got[184]["impact"] == ["OtherNonPriorityChanges"]
    assert got[117]["impact"] == ["OtherNonPriorityChanges"]
    assert got[117]["other_changes"] == {"notes": {"before": "Yammer", "after": "Viva Engage"}}


def test_diff_the_other_way_round_adds() -> None:
    diff = diff_endpoints(load_answer_file(NEW, "Worldwide"), load_answer_file(OLD, "Worldwide")).to_dict()
    assert [s["id"] for s in diff["added_sets"]] == [18, 33, 180]
    assert diff["removed_sets"] == []
    got = {c["id"]: c for c in diff["changed_sets"]}
    assert got[12]["impact"] == ["AddedIp"]
    assert got[12]["added_ips"] == ["52.238.119.141/32", "52.244.160.207/32"]
    assert got[114]["impact"] == ["AddedUrl"]


def _sets(doc: list[dict[str, Any]]) -> Any:
    return parse_endpoints(json.dumps(doc).encode())


def test_impact_classification_on_small_cases() -> None:
    base = [{"id": 1, "serviceArea": "Exchange", "urls": ["a.example"], "ips": ["192.0.2.0/24"],
             "tcpPorts": "25", "expressRoute": False, "category": "Allow", "required": True},
            {"id": 2, "serviceArea": "Exchange", "urls": ["b.example"], "tcpPorts": "443",
             "category": "Allow", "required": True}]
    both = json.loads(json.dumps(base))
    both[0]["ips"].append("2001:db8::/48")
    both[0]["urls"].append("c.example")
    both[0]["expressRoute"] = True
    got = diff_endpoints(_sets(base), _sets(both)).to_dict()["changed_sets"]
    assert got[0]["impact"] == ["AddedIpAndUrl", "ChangedIsExpressRoute"]
    assert got[0]["added_ips"] == ["2001:db8::/48"]
    moved = json.loads(json.dumps(base))
    moved[0]["ips"] = ["192.0.2.0/25"]
    moved[1]["ips"] = ["192.0.2.128/25"]
    got = {c["id"]: c for c in diff_endpoints(_sets(base), _sets(moved)).to_dict()["changed_sets"]}
    assert got[1]["impact"] == ["MovedIpOrUrl"] and got[1]["removed_ips"] == ["192.0.2.128/25"]
    assert got[2]["impact"] == ["AddedIp"]
    assert not diff_endpoints(_sets(base), _sets(base))


def test_cli_diff_defaults_to_the_two_newest_stored(_isolated_home: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def _cli(home: Path, *args: str) -> Ran:
        return run_here("endpoints", *args, env={"COLUMNS": "200"})

    res = _cli(_isolated_home, "diff")
    assert res.returncode == 2 and "needs two stored" in res.stderr
    import_file(_isolated_home, "Worldwide", OLD, "2025040900")
    import_file(_isolated_home, "Worldwide", NEW, "2026052900")
    res = _cli(_isolated_home, "diff", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [s["id"] for s in doc["removed_sets"]] == [18, 33, 180]
    by_version = json.loads(_cli(_isolated_home, "diff", "2025040900", "2026052900", "--json").stdout)
    assert by_version["changed_sets"] == doc["changed_sets"]
    by_file = json.loads(_cli(_isolated_home, "diff", str(OLD), str(NEW), "--json").stdout)
    assert by_file["changed_sets"] == doc["changed_sets"]
    text = _cli(_isolated_home, "diff", str(OLD), "2026052900")
    assert text.returncode == 0 and "RemovedIpOrUrl" in text.stdout and "52.238.119.141/32" in text.stdout
    bad = _cli(_isolated_home, "diff", "no-such-thing")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
