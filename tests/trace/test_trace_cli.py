"""`hybridfw trace` end to end: exit codes, --json keys, --text, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from trace_support import TRACE_DATA, cases


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process (what maps errors to one line and exit 2)."""
    return subprocess.run([sys.executable, "-m", "hybridfw", "trace", *args], capture_output=True,
                          text=True, timeout=60)


def run_in_process(*args: str) -> tuple[int, str]:
    """Success paths in-process: the same typer app, without a child's start-up cost."""
    from typer.testing import CliRunner

    from hybridfw.cli import app

    result = CliRunner().invoke(app, ["trace", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def test_text_founding_story_json() -> None:
    code, stdout = run_in_process("--text", cases.FOUNDING, "--json")
    assert code == 1
    doc = json.loads(stdout)
    assert set(doc) == {"exit_code", "files", "failures", "causes", "groups", "observed_senders",
                        "sender_rules", "notes", "findings"}
    (cause,) = doc["causes"]
    assert cause["id"] == "winsock-refused" and cause["category"] == "firewall"
    assert cause["chain"] == ["4.4.101", "4.4.1", "winsock:10061"]
    assert cause["check"] == "hybridfw audit"
    assert cause["flow"] == "smtp-inbound"
    assert doc["findings"][0]["code"] == "trace.firewall.winsock-refused"


def test_files_terminal_output_and_override_hint() -> None:
    res = run(str(TRACE_DATA / "RECV2026052908-1.LOG"), str(TRACE_DATA / "trace_detail_utf16_type.csv"))
    assert res.returncode == 1, res.stderr
    assert "winsock-refused" in res.stdout
    assert "smtp_inbound = [\"2a01:111:f406:1c01::25/128\"]" in res.stdout
    assert "protocol-log" in res.stdout and "trace-detail" in res.stdout


def test_no_failures_exit_zero(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text('"Received","SenderAddress","RecipientAddress","Status","FromIP"\n'
                    '"5/29/2026 8:00:00 AM","a@fabrikam.com","b@contoso.com","Delivered",""\n')
    code, stdout = run_in_process(str(path), "--json")
    assert code == 0
    assert json.loads(stdout)["failures"] == 0


def test_input_errors_are_one_line_exit_two(tmp_path: Path) -> None:
    bad = tmp_path / "colours.csv"
    bad.write_text("Name,Colour,Weight\nrose,red,3\n")
    errors = {}
    for args in ([str(bad)], [], ["--text", "nothing to see"], [str(bad), "--format", "xml"]):
        res = run(*args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert res.stderr.startswith("hybridfw: error: ") and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        errors[" ".join(args)] = res.stderr
    assert "Name, Colour, Weight" in errors[str(bad)]
    assert "unknown format 'xml'" in errors[f"{bad} --format xml"]
    assert "FILE" in errors[""]


def test_help_documents_exit_codes_and_every_format() -> None:
    from hybridfw.trace import format_names

    res = subprocess.run([sys.executable, "-m", "hybridfw", "trace", "--help"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 0
    assert "Exit codes" in res.stdout and "--text" in res.stdout and "--format" in res.stdout
    for name in format_names():
        assert name in res.stdout
