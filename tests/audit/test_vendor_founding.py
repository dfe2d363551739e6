"""The founding scenario in every vendor format: a firewall admitting exactly the 2015 EOP list
on TCP 25 to the mail server. `missing` must be the current EOP set minus that list, `stale` the
retired ranges it still admits, per address family; computed here from the data files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from _support.founding import assert_founding_rows
from _support.vendor import MAIL_V4, MAIL_V6, REPO, current_smtp_sources, eop_2015, smtp_inbound
from _support.vendor_writers import WRITERS
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_files


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_founding_scenario(tmp_path: Path, fmt: str) -> None:
    old, now = eop_2015(), current_smtp_sources()
    assert AddressSet.parse(["40.92.0.0/15", "52.100.0.0/14"]) <= now - old
    path = WRITERS[fmt](tmp_path, old)
    result = audit_files([path], [smtp_inbound()], fmt="auto")
    assert result.format == fmt
    rows = assert_founding_rows(result, old, now, MAIL_V4, MAIL_V6)
    evidence = " ".join(rows[MAIL_V4].evidence["allowed"])
    assert str(path) in evidence


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_founding_scenario_cli(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path, eop_2015())
    proc = subprocess.run([sys.executable, "-m", "hybridfw", "audit", str(path), "--topology",
                           str(REPO / "examples" / "hybrid.toml"), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    smtp = [f for f in doc["flows"] if f["flow"] == "smtp-inbound"]
    assert {f["destination"] for f in smtp} == {MAIL_V4, MAIL_V6}
    v4 = next(f for f in smtp if f["destination"] == MAIL_V4)
    assert "40.92.0.0/15" in v4["missing"] and "23.103.132.0/22" in v4["stale"]
