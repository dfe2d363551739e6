"""`hybridfw check` end to end: the founding story's stale firewall, a correct one, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _support.check import STALE_V4, STALE_V6, TOPOLOGY, exact_firewall, seed_history
from _support.cli_runner import Ran, run_here
from hybridfw.addresses import AddressSet
from hybridfw.check import Verdict, run_check

FRESH = "2026112800"


def run_cli(*args: str | Path) -> Ran:
    return run_here(*map(str, args))


def check_json(*args: str | Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = run_cli("check", "--topology", TOPOLOGY, "--json", *args)
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, json.loads(res.stdout)


def flow(doc: dict, flow_id: str) -> dict:  # type: ignore[type-arg]
    return next(f for f in doc["flows"] if f["flow"] == flow_id)


def test_stale_firewall_breaks_smtp_inbound(_isolated_home: Path) -> None:
    seed_history(_isolated_home, FRESH)
    code, doc = check_json("--firewall", STALE_V4, "--firewall", STALE_V6)
    assert code == 1
    assert doc["verdict"] == "broken" and doc["exit_code"] == 1
    smtp = flow(doc, "smtp-inbound")
    assert smtp["verdict"] == "broken"
    missing = AddressSet.parse(smtp["missing"])
    # What the 2015 EOP list lacks: 40.92.0.0/15, 52.100.0.0/14 and most of EOP's IPv6.
    assert AddressSet.parse(["40.92.0.0/15", "52.100.0.0/14"]) <= missing
    assert missing.family(6).num_addresses() > 0
    assert not missing & AddressSet.parse(["40.107.0.0/16", "104.47.0.0/17"])  # still in the list
    stale = AddressSet.parse(smtp["stale"])
    assert AddressSet.parse(["23.103.132.0/22", "216.32.180.0/24"]) <= stale
    cov = {c["family"]: c for c in smtp["coverage"]}
    assert cov[4]["missing"] == 2 ** 17 + 2 ** 18  # /15 + /14
    assert cov[4]["allowed"] + cov[4]["missing"] == cov[4]["required"]
    codes = {f["code"] for f in smtp["findings"]}
    assert "audit.missing" in codes and "audit.stale" in codes
    assert {"endpoint-freshness", "firewall-audit"} <= set(doc["steps"])


def test_stale_firewall_fix_has_the_missing_ranges_for_its_platform(_isolated_home: Path) -> None:
    seed_history(_isolated_home, FRESH)
    result = run_check(TOPOLOGY, firewalls=[STALE_V4, STALE_V6])
    assert len(result.fixes) == 1, [f.to_dict() for f in result.findings if f.subject == "fix"]
    text = "\n".join(result.fixes[0].files.values())
    assert "40.92.0.0/15" in text and "52.100.0.0/14" in text
    assert "40.107.0.0/16" not in text  # already allowed: not part of the fix


def test_exact_firewall_with_fresh_data_is_ready(_isolated_home: Path, tmp_path: Path) -> None:
    seed_history(_isolated_home, FRESH)
    from hybridfw.check.run import build_context

    flows = build_context(TOPOLOGY).flows
    v4, v6 = exact_firewall(flows, tmp_path)
    # crl-outbound is published as names only: no address audit can check it.
    code, doc = check_json("--firewall", v4, "--firewall", v6)
    assert code == 1 and doc["verdict"] == "not checked" and doc["not_checked"] == ["crl-outbound"]
    code, doc = check_json("--firewall", v4, "--firewall", v6, "--allow-unchecked", "crl-outbound")
    assert code == 0, [f for f in doc["findings"] if f["severity"] != "info"]
    assert doc["verdict"] == "ready"
    crl = flow(doc, "crl-outbound")
    assert crl["verdict"] == "not checked" and crl["waived"] and crl["checked_by"] == []
    others = [f for f in doc["flows"] if f["flow"] != "crl-outbound"]
    assert all(f["verdict"] == "ready" and f["checked_by"] == ["firewall-audit"] for f in others)
    assert all(not f["missing"] for f in doc["flows"])
    assert doc["fixes"] == []


def test_timeline_comes_from_store_history(_isolated_home: Path) -> None:
    seed_history(_isolated_home, FRESH)
    result = run_check(TOPOLOGY)
    assert [v.version for v in result.timeline] == ["2025040900", "2025073100", "2026033100", FRESH]
    assert result.timeline[0].added == result.timeline[0].removed == 0
    assert sum(v.added + v.removed for v in result.timeline) > 0


def test_snapshot_only_is_not_checked_exit_1(_isolated_home: Path) -> None:
    code, doc = check_json()
    assert code == 1
    assert {f["verdict"] for f in doc["flows"]} == {"not checked"}
    assert any(f["code"] == "endpoints.stale-data" for f in doc["findings"])
    assert doc["timeline"] == []
    assert all(not f["audited"] for f in doc["flows"])


def test_fresh_data_without_firewall_is_not_checked(_isolated_home: Path) -> None:
    """The founding false all-clear: nothing was checked, so nothing is ready."""
    seed_history(_isolated_home, FRESH)
    result = run_check(TOPOLOGY)
    assert result.exit_code == 1
    assert result.verdict is Verdict.NOT_CHECKED
    assert {f.verdict for f in result.flows} == {Verdict.NOT_CHECKED}
    res = run_cli("check", "-t", TOPOLOGY)
    assert res.returncode == 1 and "Overall: not checked" in res.stdout
    assert "ready" not in res.stdout.replace("already", "")


def test_every_flow_waived_is_ready_but_still_says_not_checked(_isolated_home: Path) -> None:
    seed_history(_isolated_home, FRESH)
    code, doc = check_json("--allow-unchecked", "smtp-inbound,smtp-outbound",
                           "--allow-unchecked", "https-inbound,https-outbound,crl-outbound")
    assert code == 0 and doc["verdict"] == "ready"
    assert {f["verdict"] for f in doc["flows"]} == {"not checked"}
    assert len(doc["not_checked"]) == 5


def test_allow_unchecked_typo_is_an_input_error(_isolated_home: Path) -> None:
    res = run_cli("check", "-t", TOPOLOGY, "--allow-unchecked", "smtp-inbund")
    assert res.returncode == 2 and "smtp-inbund" in res.stderr and "smtp-inbound" in res.stderr
    assert "Traceback" not in res.stderr


def test_outbound_open_to_any_is_info_not_stale(_isolated_home: Path) -> None:
    seed_history(_isolated_home, FRESH)
    _, doc = check_json("--firewall", STALE_V4, "--firewall", STALE_V6)
    out = flow(doc, "smtp-outbound")
    assert out["stale"] == [] and all(c["open_to_any"] and c["stale"] in (0, "0")
                                      for c in out["coverage"])
    open_findings = [f for f in out["findings"] if f["code"] == "audit.open"]
    assert open_findings and {f["severity"] for f in open_findings} == {"info"}
    res = run_cli("check", "-t", TOPOLOGY, "-f", STALE_V4, "-f", STALE_V6)
    assert "open to any destination" in res.stdout and "2^" not in res.stdout


def test_findings_sorted_by_severity_then_flow(_isolated_home: Path) -> None:
    seed_history(_isolated_home, FRESH)
    _, doc = check_json("--firewall", STALE_V4, "--firewall", STALE_V6)
    rank = {"error": 0, "warning": 1, "info": 2}
    keys = [(rank[f["severity"]], f["subject"]) for f in doc["findings"]]
    assert keys == sorted(keys) and len(set(keys)) > 2


def test_terminal_output_and_html_file(_isolated_home: Path, tmp_path: Path) -> None:
    seed_history(_isolated_home, FRESH)
    out = tmp_path / "reports" / "ready.html"
    out.parent.mkdir()
    res = run_cli("-v", "check", "-t", TOPOLOGY, "-f", STALE_V4, "-f", STALE_V6, "--html", out)
    assert res.returncode == 1, res.stderr
    assert "smtp-inbound" in res.stdout and "broken" in res.stdout
    assert "Overall: broken" in res.stdout
    assert "check step firewall-audit" in res.stderr  # -v logging reaches stderr
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["ready.html"]  # no temp files left
    assert out.stat().st_mode & 0o044 == 0o044  # readable by whoever serves or mails it


@pytest.mark.parametrize("case", ["missing-topology", "bad-topology", "missing-firewall",
                                  "garbage-firewall", "html-into-missing-dir"])
def test_input_errors_exit_2_with_one_line(case: str, tmp_path: Path) -> None:
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('instance = "Worldwide"\nmode = "sideways"\n')
    garbage = tmp_path / "garbage.rules"
    garbage.write_bytes(b"\x00\x01 this is not a ruleset {{{\n")
    args = {
        "missing-topology": ["-t", tmp_path / "nope.toml"],
        "bad-topology": ["-t", bad_toml],
        "missing-firewall": ["-t", TOPOLOGY, "-f", tmp_path / "nope.rules"],
        "garbage-firewall": ["-t", TOPOLOGY, "-f", garbage],
        "html-into-missing-dir": ["-t", TOPOLOGY, "--html", tmp_path / "no" / "dir" / "r.html"],
    }[case]
    res = run_cli("check", *args)
    assert "Traceback" not in res.stderr
    if case == "html-into-missing-dir":  # the directory is created, like any atomic writer's
        assert res.returncode == 1
        return
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hybridfw: error:"), res.stderr
