"""`hybridfw connectors` end to end: JSON, exit codes, the collect script, one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from _support.cli_runner import Ran, run_here
from _support.connectors import DATA, MAIN_FILES, topology_file
from hybridfw.connectors.collect import EXPORTS
from hybridfw.schemas import load_schema

# Every command the collection script may use; none changes anything.
READ_ONLY_COMMANDS = ("Get-ReceiveConnector", "Get-SendConnector", "Get-ExchangeServer",
                      "Get-ExchangeCertificate", "Get-AcceptedDomain", "Get-HybridConfiguration",
                      "Get-InboundConnector", "Get-OutboundConnector", "Where-Object",
                      "ForEach-Object", "Select-Object", "ConvertTo-Json", "Out-File")


def run_cli(*args: str | Path) -> Ran:
    return run_here("connectors", *map(str, args))


def test_json_report_on_the_fixtures(tmp_path: Path) -> None:
    res = run_cli(*(DATA / n for n in MAIN_FILES), "--topology", topology_file(tmp_path), "--json")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    Draft202012Validator(load_schema("connectors")).validate(doc)
    assert next(iter(doc)) == "schema_version" and doc["data"]["instance"] == "Worldwide"
    status = {c["check"]: c["status"] for c in doc["checks"]}
    assert status["receive.remote-ip-ranges"] == "fail"
    assert status["onprem.certificates"] == "pass" and status["exo.inbound"] == "pass"
    assert status["exo.smart-hosts"] == "not checked"  # names are resolved only with --resolve
    assert doc["exit_code"] == 1 and doc["inputs"]["objects"]["receive-connector"] == 3
    (line,) = [f for f in doc["fixes"] if f.startswith("Set-ReceiveConnector")]
    assert line == ('Set-ReceiveConnector -Identity "EX1\\Inbound from Office 365" -RemoteIPRanges '
                    '@{Add="2a01:111:f403::/48"; Remove="23.103.132.0(255.255.252.0)"}')
    codes = {f["code"] for c in doc["checks"] for f in c["findings"]}
    assert {"connectors.receive.captured", "connectors.receive.missing", "connectors.receive.stale"} <= codes
    assert all(f["reference"] for c in doc["checks"] for f in c["findings"]
               if f["severity"] != "info" and f["code"] != "connectors.not-checked")


def test_human_output_names_checks_and_fixes(tmp_path: Path) -> None:
    res = run_cli(*(DATA / n for n in MAIN_FILES), "-t", topology_file(tmp_path))
    assert res.returncode == 1
    assert "Checks" in res.stdout and "Set-ReceiveConnector" in res.stdout
    assert "not checked" in res.stdout


def test_collect_script_uses_read_only_commands_only() -> None:
    res = run_cli("--collect-script")
    assert res.returncode == 0
    verb_noun = r"(?:^|\|\s*|\{\s*(?:\$s = \$_\.Name;\s*)?)([A-Z][A-Za-z]+-[A-Za-z]+)"
    commands = re.findall(verb_noun, res.stdout, re.M)
    assert commands and set(commands) <= set(READ_ONLY_COMMANDS), set(commands) - set(READ_ONLY_COMMANDS)
    for verb in ("Set-", "New-", "Remove-", "Enable-", "Disable-", "Add-"):
        assert verb not in res.stdout
    for _, cmdlet, name in EXPORTS:
        assert cmdlet in res.stdout and name in res.stdout


def test_bad_export_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "rc.json"
    bad.write_text('[{"Name": "x", "Bindings": ["0.0.0.0:25"], "RemoteIPRanges": ["1.2.3.0/24"]')
    res = run_cli(bad, "-t", topology_file(tmp_path))
    assert res.returncode == 2
    assert str(bad) in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


def test_usage_errors(tmp_path: Path) -> None:
    assert run_cli().returncode == 2
    res = run_cli(DATA / "inbound-connector.json")
    assert res.returncode == 2 and "--topology" in res.stderr
    assert run_cli("--help").returncode == 0
