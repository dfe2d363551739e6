"""Run `hybridfw ...` in this process, the way `main()` runs it, capturing output and exit code.

Cheaper than a subprocess (no interpreter start-up), so most CLI tests use it; a few tests still
run the real executable to check what a user sees on a terminal.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from hybridfw.cli import main


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                   *args: str) -> Ran:
    capsys.readouterr()  # drop anything printed before
    monkeypatch.setattr(sys, "argv", ["hybridfw", *args])
    monkeypatch.setenv("COLUMNS", "200")
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def run_subprocess(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hybridfw", *args], capture_output=True, text=True,
                          env={**env, "COLUMNS": "200"}, timeout=60)
