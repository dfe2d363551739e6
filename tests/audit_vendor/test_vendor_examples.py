"""The vendor example files shipped in examples/ give what docs/audit.md says they give."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from vendor_helpers import MAIL_V4, current_smtp_sources, eop_2015

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["asa-running-config.txt", "running-config.xml"])
def test_founding_story_example(name: str) -> None:
    done = subprocess.run([sys.executable, "-m", "hybridfw", "audit", str(EXAMPLES / name),
                           "-t", str(EXAMPLES / "hybrid.toml"), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    rows = [r for r in json.loads(done.stdout)["flows"]
            if r["flow"] == "smtp-inbound" and r["destination"] == MAIL_V4]
    assert rows, "no smtp-inbound row for the IPv4 mail server"
    expected_missing = (current_smtp_sources() - eop_2015()).family(4).to_cidrs()
    assert all(r["missing"] == expected_missing for r in rows)
    assert expected_missing == ["40.92.0.0/15", "52.100.0.0/14"]
