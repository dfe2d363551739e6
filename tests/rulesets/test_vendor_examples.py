"""The vendor example files shipped in examples/ give what docs/audit.md says they give."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from _support import vendor_writers
from _support.cli_runner import run_here
from _support.vendor import MAIL_V4, current_smtp_sources, eop_2015
from hybridfw.addresses import AddressSet
from hybridfw.rulesets import detect_format

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["asa-running-config.txt", "running-config.xml"])
def test_founding_story_example(name: str) -> None:
    done = run_here("audit", str(EXAMPLES / name), "-t", str(EXAMPLES / "hybrid.toml"), "--json")
    assert done.returncode == 1, done.stderr
    rows = [r for r in json.loads(done.stdout)["flows"]
            if r["flow"] == "smtp-inbound" and r["destination"] == MAIL_V4]
    assert rows, "no smtp-inbound row for the IPv4 mail server"
    expected_missing = (current_smtp_sources() - eop_2015()).family(4).to_cidrs()
    assert all(r["missing"] == expected_missing for r in rows)
    assert expected_missing == ["40.92.0.0/15", "52.100.0.0/14"]


@pytest.mark.parametrize(("writer", "fmt"), [(vendor_writers.panos_xml, "panos"),
                                             (vendor_writers.pfsense, "pfsense")])
def test_xml_configs_with_a_comment_before_the_root_are_detected(
        tmp_path: Path, writer: Callable[[Path, AddressSet], Path], fmt: str) -> None:
    path = writer(tmp_path, eop_2015())
    text = path.read_text()
    head, _, rest = text.partition("?>")
    commented = f"{head}?>\n<!-- exported 2026-12-01 by the change board -->\n{rest}"
    assert detect_format(commented, path.name).name == fmt
