"""Local copies of url/urltable alias lists (``--alias-file NAME=FILE``): pfSense url and
urltable aliases resolve from them as OPNsense's do, and `hybridfw check` and the automation
API take them as `hybridfw audit` does (an empty copy is an input error, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _support.audit import run_cli
from _support.vendor import addrs, probe
from hybridfw import automation
from hybridfw.errors import InputError
from hybridfw.rulesets.alias_lists import alias_lists, read_alias_file

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO / "examples" / "hybrid.toml"
OPNSENSE = REPO / "tests" / "data" / "audit_edge" / "opnsense-features.xml"

PFSENSE = """<?xml version="1.0"?>
<pfsense>
  <interfaces><wan><if>igb0</if><ipaddr>dhcp</ipaddr></wan></interfaces>
  <aliases>
    <alias><name>Spamhaus</name><type>urltable</type>
      <url>https://www.spamhaus.org/drop/drop.txt</url><updatefreq>1</updatefreq></alias>
    <alias><name>Partners</name><type>url</type>
      <aliasurl>https://example.invalid/partners.txt</aliasurl></alias>
  </aliases>
  <filter>
    <rule><type>block</type><interface>wan</interface><ipprotocol>inet</ipprotocol>
      <source><address>Spamhaus</address></source><destination><any/></destination></rule>
    <rule><type>pass</type><interface>wan</interface><ipprotocol>inet</ipprotocol>
      <protocol>tcp</protocol><source><address>Partners</address></source>
      <destination><address>192.168.1.25</address><port>25</port></destination></rule>
  </filter>
</pfsense>
"""


def test_pfsense_url_and_urltable_aliases_resolve_from_local_copies(tmp_path: Path) -> None:
    path = tmp_path / "config.xml"
    path.write_text(PFSENSE)
    drop, partners = tmp_path / "drop.txt", tmp_path / "partners.txt"
    drop.write_text("; Spamhaus DROP List\n40.92.0.0/16 ; SBL1\n")
    partners.write_text("40.92.0.0/15\n52.100.0.0/14\n")
    without = probe(path, "192.168.1.25", 25, "wan")
    assert not without.allowed and without.unknown  # neither list known: nothing decided
    assert "--alias-file Spamhaus=FILE" in " ".join(without.evidence["unknown"])
    lists = [read_alias_file(f"Spamhaus={drop}"), read_alias_file(f"Partners={partners}")]
    with alias_lists(lists):
        row = probe(path, "192.168.1.25", 25, "wan")
    assert not row.unknown
    assert row.allowed == addrs("40.93.0.0/16", "52.100.0.0/14")  # the DROP block comes first


def test_check_takes_alias_files(tmp_path: Path) -> None:
    listed = tmp_path / "drop.txt"
    listed.write_text("40.92.0.0/16\n")

    def check(*more: str) -> tuple[int, str]:
        done = run_cli("check", "--topology", str(TOPOLOGY), "--firewall", str(OPNSENSE), "--json",
                       *more)
        return done.returncode, done.stdout + done.stderr

    code, out = check()
    assert code == 1 and "urltable alias Spamhaus" in out
    code, out = check("--alias-file", f"Spamhaus={listed}")
    assert "urltable alias Spamhaus" not in out and json.loads(out)  # still a full report
    empty = tmp_path / "empty.txt"
    empty.write_text("# downloaded 2026-12-01\n")
    code, out = check("--alias-file", f"Spamhaus={empty}")
    assert code == 2 and "holds no address" in out and len(out.strip().splitlines()) == 1


def test_automation_audit_takes_alias_files(tmp_path: Path) -> None:
    listed = tmp_path / "drop.txt"
    listed.write_text("40.92.0.0/16\n")
    ctx = automation.load(TOPOLOGY)
    assert "urltable alias Spamhaus" in json.dumps(automation.audit(ctx, paths=[OPNSENSE]))
    resolved = automation.audit(ctx, paths=[OPNSENSE], alias_files=[f"Spamhaus={listed}"], fixed=True)
    assert "urltable alias Spamhaus" not in json.dumps(resolved)
    listed.write_text("")
    with pytest.raises(InputError, match="holds no address"):
        automation.audit(ctx, paths=[OPNSENSE], alias_files=[f"Spamhaus={listed}"])
