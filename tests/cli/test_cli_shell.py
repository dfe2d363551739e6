"""The CLI shell itself: version, help, start-up cost, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from _support.child import python_output
from _support.cli_runner import run_here
from hybridfw import __version__
from hybridfw.endpoints.parse import SchemaError, parse_endpoints, parse_ports
from hybridfw.endpoints.select import eop_smtp_addresses, smtp_sets
from hybridfw.endpoints.snapshot import load_snapshot


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `python -m hybridfw` (the other CLI tests run `cli.main` in-process)."""
    return subprocess.run([sys.executable, "-m", "hybridfw", *args], capture_output=True, text=True,
                          timeout=60)


def test_version_flag() -> None:
    res = run_cli("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"hybridfw {__version__}"


def test_help_lists_exit_codes() -> None:
    res = run_here("--help")
    assert res.returncode == 0
    assert "Exit codes" in res.stdout


def test_unknown_command_is_usage_error() -> None:
    res = run_here("no-such-command")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr


def test_startup_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; import hybridfw.cli; "
        "heavy = [m for m in ('httpx', 'aerleon', 'duckdb', 'starlette', 'uvicorn', 'cryptography', "
        "'dns.resolver', 'sqlite3') if m in sys.modules]; print(','.join(heavy))"
    )
    assert python_output(code).strip() == ""


def test_snapshot_smtp_set_found_by_content() -> None:
    data = load_snapshot()
    assert [s.id for s in smtp_sets(data.sets)] == [10]
    assert eop_smtp_addresses(data.sets).to_cidrs() == [
        "40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17",
        "2a01:111:f400::/48", "2a01:111:f403::/48",
    ]
    assert data.version is None
    assert data.source == "snapshot"


def test_ports_are_trimmed_and_ranges_expanded() -> None:
    assert parse_ports("143, 587, 993, 995", where="x") == (143, 587, 993, 995)
    assert parse_ports("443,80", where="x") == (80, 443)
    assert parse_ports("3478-3481", where="x") == (3478, 3479, 3480, 3481)
    with pytest.raises(SchemaError):
        parse_ports("0", where="x")
    with pytest.raises(SchemaError):
        parse_ports("https", where="x")


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"", "not valid JSON"),
        (b"<!DOCTYPE html><html>busy</html>", "looks like HTML"),
        (b"[]", "empty list"),
        (b'{"id": 1}', "expected a JSON array"),
        (b'[{"id": 1, "serviceArea": "Exchange", "ips": ["300.1.1.1/8"]}]', "endpoint set id 1"),
        (b'[{"id": 1, "serviceArea": "Exchange"}, {"id": 1, "serviceArea": "Common"}]', "appears twice"),
        (b'[{"serviceArea": "Exchange"}]', "non-integer 'id'"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_bad_answers_are_refused_with_one_line(raw: bytes, needle: str) -> None:
    with pytest.raises(SchemaError) as info:
        parse_endpoints(raw, source="answer.json")
    message = str(info.value)
    assert needle in message
    assert "\n" not in message
    assert message.startswith("answer.json")


def test_findings_table_prints_markup_like_text_verbatim() -> None:
    from io import StringIO

    from rich.console import Console

    from hybridfw.console import findings_table
    from hybridfw.model import Finding, Severity

    finding = Finding(Severity.ERROR, "audit.missing", "rule says [/bold] and [overrides]",
                      evidence=("fw.rules:3 -A INPUT [0:0]",), fix="add [overrides] smtp_inbound")
    buf = StringIO()
    Console(file=buf, width=200, no_color=True).print(findings_table([finding]))
    text = buf.getvalue()
    assert "[/bold]" in text
    assert "[overrides] smtp_inbound" in text
    assert "[0:0]" in text
