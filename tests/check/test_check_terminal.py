"""Terminal output an admin can copy: at 80 and 120 columns, in a pipe and in a real pty, every
CIDR, host and finding code appears whole on one line; NO_COLOR, -q and -v after the command."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _support.check import STALE_V4, STALE_V6, TOPOLOGY, seed_history
from _support.cli_runner import Ran, run_here

FRESH = "2026112800"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(args: list[str], columns: int | None = None) -> Ran:
    return run_here(*args, env={"COLUMNS": str(columns) if columns else None, "NO_COLOR": None})


def expected_tokens(args: list[str]) -> set[str]:
    """Every CIDR and finding code the JSON of the same command names (all must be shown)."""
    doc = json.loads(run([*args, "--json"]).stdout)
    tokens: set[str] = {f["code"] for f in doc["findings"] if f["severity"] != "info"}
    for flow in doc["flows"]:
        tokens.add(flow["flow"])
        for finding in flow["findings"]:
            tokens.update(re.findall(r"[0-9a-f:.]+/\d+", finding["message"]))
    return tokens


@pytest.mark.parametrize("columns", [80, 120])
def test_check_never_cuts_a_cidr_or_code(_isolated_home: Path, columns: int) -> None:
    seed_history(_isolated_home, FRESH)
    args = ["check", "-t", str(TOPOLOGY), "-f", str(STALE_V4), "-f", str(STALE_V6)]
    res = run(args, columns)
    assert res.returncode == 1 and "\x1b[" not in res.stdout  # a pipe gets no colour
    tokens = expected_tokens(args)
    assert {"2a01:111:f400::/50", "40.92.0.0/15", "audit.missing", "audit.stale"} <= tokens
    text = res.stdout
    missing = sorted(t for t in tokens if t not in text)
    assert not missing, missing
    # The table (or list) lines drawn by hybridfw fit; only whole copied lines may be longer.
    for line in text.splitlines():
        if line.startswith(("┃", "│", "┏", "┡", "└")):
            assert len(line) <= columns, line
    assert "2^" not in text


@pytest.mark.parametrize("columns", [80, 120])
def test_flows_never_cut_a_cidr(columns: int) -> None:
    res = run(["flows", "-t", str(TOPOLOGY)], columns)
    assert res.returncode == 0
    doc = json.loads(run(["flows", "-t", str(TOPOLOGY), "--json"]).stdout)
    smtp = next(f for f in doc["flows"] if f["id"] == "smtp-inbound")
    assert smtp["sources"] and all(c in res.stdout for c in smtp["sources"])
    assert "2a01:111:f400::/48" in res.stdout


def _script(command: str, columns: int, **env: str) -> str:
    """Run `command` in a real pseudo-terminal of `columns` columns (util-linux script)."""
    script = shutil.which("script")
    assert script, "script (util-linux) is needed for the pty test"
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    environ.update(env, TERM="xterm-256color")
    res = subprocess.run([script, "-qec", f"stty cols {columns} rows 50; {command}", "/dev/null"],
                         capture_output=True, text=True, timeout=120, env=environ)
    return res.stdout.replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 120])
def test_real_pty_width_colour_and_no_color(_isolated_home: Path, columns: int) -> None:
    seed_history(_isolated_home, FRESH)
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "hybridfw", "check", "-t",
                                           str(TOPOLOGY), "-f", str(STALE_V4), "-f", str(STALE_V6)])
    coloured = _script(cmd, columns)
    assert "\x1b[" in coloured  # a terminal gets colour ...
    plain = ANSI.sub("", coloured)
    for token in ("2a01:111:f400::/50", "40.92.0.0/15", "audit.missing", "smtp-inbound"):
        assert token in plain, token
    assert max(len(line) for line in plain.splitlines() if line.startswith("│")) <= columns
    no_color = _script(cmd, columns, NO_COLOR="1")
    assert "\x1b[" not in no_color and "Overall: broken" in no_color  # ... unless NO_COLOR


def test_quiet_prints_only_the_verdict_and_v_works_after_the_command(_isolated_home: Path) -> None:
    res = run(["check", "-t", str(TOPOLOGY), "-q", "-v"])
    assert res.returncode == 1
    assert res.stdout.splitlines() == ["Overall: not checked  (steps: endpoint-freshness)"]
    assert "check step endpoint-freshness" in res.stderr


def test_version_short_option_help_topic_and_completion() -> None:
    assert run(["-V"]).stdout.startswith("hybridfw ")
    assert run(["help", "check"], 100).stdout == run(["check", "--help"], 100).stdout
    bad = run(["help", "nope"])
    assert bad.returncode == 2 and "check" in bad.stderr
    # Completion detects the user's shell from the process tree, so run it from a real bash (the
    # suite itself may run without a shell above it: a detached run failed "Shell  not supported").
    completion = subprocess.run(["bash", "-c", '"$0" -m hybridfw --show-completion; exit $?', sys.executable],
                                capture_output=True, text=True, timeout=120)
    assert completion.returncode == 0 and "complete -o" in completion.stdout, completion.stderr


@pytest.mark.parametrize("columns", [80, 120])
def test_audit_table_never_cuts_and_counts_like_check(columns: int) -> None:
    res = run(["audit", "-t", str(TOPOLOGY), str(STALE_V4), str(STALE_V6)], columns)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    for token in ("smtp-inbound", "https-outbound", "203.0.113.10", "2001:db8::10",
                  "393,216 addresses", "audit.missing", "40.92.0.0/15"):
        assert token in res.stdout, token
    assert "…" not in res.stdout and "2^" not in res.stdout
