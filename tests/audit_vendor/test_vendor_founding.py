"""The founding scenario in every vendor format: a firewall admitting exactly the 2015 EOP list
on TCP 25 to the mail server. `missing` must be the current EOP set minus that list, `stale` the
retired ranges it still admits, per address family; computed here from the data files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from vendor_helpers import MAIL_V4, MAIL_V6, REPO, current_smtp_sources, eop_2015, smtp_inbound
from vendor_writers import WRITERS

from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_files


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_founding_scenario(tmp_path: Path, fmt: str) -> None:
    old, now = eop_2015(), current_smtp_sources()
    assert AddressSet.parse(["40.92.0.0/15", "52.100.0.0/14"]) <= now - old
    path = WRITERS[fmt](tmp_path, old)
    result = audit_files([path], [smtp_inbound()], fmt="auto")
    assert result.format == fmt
    rows = {r.address: r for r in result.flows}
    assert set(rows) == {MAIL_V4, MAIL_V6}
    for address, fam in ((MAIL_V4, 4), (MAIL_V6, 6)):
        row = rows[address]
        assert row.port == 25
        assert row.missing == (now - old).family(fam)
        assert row.stale == (old - now).family(fam)
        assert row.allowed == (now & old).family(fam)
        assert not row.unknown and not row.shadowed
    assert "23.103.132.0/22" in rows[MAIL_V4].stale.to_cidrs()
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
