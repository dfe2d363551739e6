"""A fresh Python process running a snippet: what a test that asks "what does start-up import?"
needs (this process has imported everything already)."""

from __future__ import annotations

import subprocess
import sys


def python_output(code: str, *args: str) -> str:
    """The stdout of `python -c code args...`; fails the test with its stderr if it fails."""
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout
