"""`hybridfw check --connectors`: the connectors findings join the flow verdicts and the report."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from _support.cli_runner import run_here
from _support.connectors import DATA, MAIN_FILES, topology_file
from hybridfw.check import run_check
from hybridfw.report import renderer
from hybridfw.schemas import load_schema

FILES = [DATA / n for n in MAIN_FILES]


def test_findings_land_on_the_flow_they_decide(tmp_path: Path) -> None:
    without = run_check(topology_file(tmp_path))
    result = run_check(topology_file(tmp_path), connectors=FILES)
    flows = {f.flow.id: f for f in result.flows}
    inbound = {f.code for f in flows["smtp-inbound"].findings}
    assert {"connectors.receive.captured", "connectors.receive.missing",
            "connectors.receive.stale"} <= inbound
    assert not any(f.code.startswith("connectors.") for f in flows["https-inbound"].findings)
    assert flows["smtp-inbound"].verdict.value == "broken"
    # Exchange's settings are judged, the network path is not: no flow counts as checked by them.
    assert all("connectors" not in f.checked_by for f in result.flows)
    assert [f.flow.id for f in without.flows if f.checked_by] == [
        f.flow.id for f in result.flows if f.checked_by]
    assert "connectors" in result.steps
    (fix,) = [f for f in result.fixes if f.platform == "exchange-powershell"]
    assert "Set-ReceiveConnector" in fix.files["hybridfw-connectors-fix.ps1"]
    html = renderer("html").render(result)
    assert "connectors.receive.captured" in html and "Set-ReceiveConnector" in html


def test_missing_exports_are_information_in_check(tmp_path: Path) -> None:
    result = run_check(topology_file(tmp_path), connectors=[DATA / "inbound-connector.json"])
    unchecked = [f for f in result.findings if f.code == "connectors.not-checked"]
    assert unchecked and {str(f.severity) for f in unchecked} == {"info"}


def test_check_cli_with_connectors(tmp_path: Path) -> None:
    args = ["check", "-t", str(topology_file(tmp_path)), "--json"]
    for path in FILES:
        args += ["--connectors", str(path)]
    res = run_here(*args)
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert "connectors" in doc["steps"]
    inbound = next(f for f in doc["flows"] if f["flow"] == "smtp-inbound")
    assert any(f["code"] == "connectors.receive.missing" and f["evidence"][-1].startswith("see https://")
               for f in inbound["findings"])
    Draft202012Validator(load_schema("check")).validate(doc)
