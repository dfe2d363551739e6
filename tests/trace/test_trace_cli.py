"""`hybridfw trace` end to end: exit codes, --json keys, --text, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _support.cli_runner import Ran, run_here
from _support.trace import TRACE_DATA, cases


def run(*args: str) -> Ran:
    """Through `cli.main`, the entry point that maps errors to one line and exit 2."""
    return run_here("trace", *args)


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
    assert set(doc) == {"schema_version", "exit_code", "files", "failures", "undecided", "causes", "groups",
                        "observed_senders", "sender_rules", "notes", "findings"}
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


def test_undecided_statuses_are_not_an_all_clear() -> None:
    """GettingStatus and None are neither failures nor deliveries: the text, --json and the exit
    code say that some outcomes are not known yet, never a bare "No failures found"."""
    path = str(TRACE_DATA / "corpus" / "message-trace-getting-status.csv")
    code, stdout = run_in_process(path)
    text = " ".join(stdout.split())
    assert code == 1
    assert "No failures found." not in text and "not an all-clear" in text
    assert "2 message(s) have no final status yet" in text and "Get-MessageTraceDetailV2" in text
    code, stdout = run_in_process(path, "--json")
    doc = json.loads(stdout)
    assert code == doc["exit_code"] == 1 and doc["failures"] == 0
    assert doc["undecided"] == {"count": 2, "statuses": {"GettingStatus": 1, "None": 1}}
    (finding,) = doc["findings"]
    assert finding["code"] == "trace.undecided.status-not-final" and finding["severity"] == "warning"
    assert "<u1@contoso.com>" in " ".join(finding["evidence"]) or "a1b2c3d4" in " ".join(finding["evidence"])


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

    res = run_here("trace", "--help", env={"COLUMNS": "200"})
    assert res.returncode == 0
    assert "Exit codes" in res.stdout and "--text" in res.stdout and "--format" in res.stdout
    for name in format_names():
        assert name in res.stdout


def test_interrupt_inside_duckdb_becomes_keyboard_interrupt(monkeypatch: Any) -> None:
    """DuckDB's Python client turns Ctrl-C during a query into RuntimeError("Query interrupted")
    (seen on a 1M-row report: traceback, exit 1), or InterruptException; both must reach the CLI
    as KeyboardInterrupt (exit 130, no traceback), not as an input error or a crash."""
    import duckdb
    import pytest

    from hybridfw.trace import diagnose_files

    for error in (RuntimeError("Query interrupted"), duckdb.InterruptException("INTERRUPT Error")):
        class Interrupted:
            def execute(self, *_: object, error: Exception = error) -> None:
                raise error

            def close(self) -> None:
                pass

        monkeypatch.setattr(duckdb, "connect", lambda *a, **k: Interrupted())
        with pytest.raises(KeyboardInterrupt):
            diagnose_files([TRACE_DATA / "message_trace_v2_utf8.csv"])


def test_ctrl_c_during_a_large_read_exits_130_without_traceback(tmp_path: Path) -> None:
    """A real child reading a protocol log from a FIFO that never ends, interrupted with SIGINT."""
    import contextlib
    import signal
    import time

    fifo = tmp_path / f"SEND-{os.getpid()}.LOG"
    os.mkfifo(fifo)
    # SIGINT at its default in the child, as under a terminal: a suite run in the background
    # inherits it ignored, Python then installs no KeyboardInterrupt handler, and the child
    # read on (a background CI-like run waited 30 s for it).
    child = subprocess.Popen([sys.executable, "-m", "hybridfw", "trace", str(fifo)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    row = b"2024-01-25T15:14:40.508Z,Outbound to Office 365,08DC1DB8591B229F,1,,203.0.113.10:25,*,,x\n"
    head = (b"#Log-type: SMTP Send Protocol Log\n#Fields: date-time,connector-id,session-id,"
            b"sequence-number,local-endpoint,remote-endpoint,event,data,context\n")
    head += row * ((65_536 - len(head)) // len(row) + 1)
    writer = os.open(fifo, os.O_WRONLY)  # waits for the child to open the log
    try:
        for chunk, pause in ((head, 0.5), (row * 1000, 1.0)):
            # The child reads the head, closes and re-opens the log to stream it; a write that
            # finds no reader in between is lost, which only leaves the child waiting in read().
            with contextlib.suppress(BrokenPipeError):
                os.write(writer, chunk)
            time.sleep(pause)
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=30)
    finally:
        os.close(writer)
    assert child.returncode == 130, err
    assert "Traceback" not in err


def test_a_success_status_is_no_failure() -> None:
    queued = "250 2.6.0 <x@contoso.com> [InternalId=1, Hostname=EX01] Queued mail for delivery"
    code, out = run_in_process("--text", queued, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["failures"] == 0 and doc["causes"] == []
    assert any("success statuses" in note for note in doc["notes"])
