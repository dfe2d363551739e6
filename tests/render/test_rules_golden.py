"""Golden files: every platform's output for examples/hybrid.toml on the shipped snapshot.

Regenerate after an intended change with `HYBRIDFW_REGEN_GOLDEN=1 pytest tests/render` and
review the diff. The snapshot pins the data date and version, so output is deterministic.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.render import platforms, render_flows
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "data" / "rules" / "golden"
DATA = load_snapshot()
FLOWS = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), DATA)
REGEN = os.environ.get("HYBRIDFW_REGEN_GOLDEN") == "1"


def rendered(platform: str) -> dict[str, str]:
    return render_flows(FLOWS, platform, data=DATA).files


@pytest.mark.parametrize("platform", sorted(platforms()))
def test_output_matches_golden_files(platform: str) -> None:
    files = rendered(platform)
    directory = GOLDEN / platform
    if REGEN:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for name, text in files.items():
            (directory / name).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.iterdir())}
    assert sorted(files) == sorted(expected)
    for name, text in files.items():
        assert text == expected[name], f"{platform}/{name} differs from the golden file"


def test_rendering_is_deterministic() -> None:
    assert rendered("nftables") == rendered("nftables")
    assert rendered("paloalto") == rendered("paloalto")


def _tool(name: str) -> str:
    path = shutil.which(name)
    # These tools are part of the test environment (the Makefile installs them): absent = fail.
    assert path, f"{name} is not installed; install the Debian packages nftables and iptables"
    return path


def _check(argv: list[str], text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, input=text, capture_output=True, text=True, timeout=60)


@pytest.mark.root
def test_nftables_output_accepted_by_nft(tmp_path: Path) -> None:
    path = tmp_path / "hybridfw.nft"
    path.write_text(rendered("nftables")["hybridfw.nft"])
    res = subprocess.run([_tool("nft"), "-c", "-f", str(path)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    broken = tmp_path / "broken.nft"
    broken.write_text(path.read_text().replace("type ipv6_addr", "type ipv4_addr", 1))
    res = subprocess.run([_tool("nft"), "-c", "-f", str(broken)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode != 0  # the check really looks at the text


@pytest.mark.root
@pytest.mark.parametrize(("tool", "name"), [("iptables-restore", "hybridfw-v4.ipt"),
                                            ("ip6tables-restore", "hybridfw-v6.ipt")])
def test_iptables_output_accepted_by_restore(tool: str, name: str) -> None:
    text = rendered("iptables")[name]
    res = _check([_tool(tool), "--test", "--noflush"], text)
    assert res.returncode == 0, res.stderr
    other = "hybridfw-v6.ipt" if name.endswith("v4.ipt") else "hybridfw-v4.ipt"
    res = _check([_tool(tool), "--test", "--noflush"], rendered("iptables")[other])
    assert res.returncode != 0  # each file belongs to its own family


def test_paloalto_xml_parses_and_names_every_rule() -> None:
    root = ET.fromstring(rendered("paloalto")["hybridfw.xml"])
    rules = {e.get("name") for e in root.iter("entry") if e.find("action") is not None}
    assert rules == {"smtp-inbound", "smtp-outbound", "https-inbound", "https-outbound"}


def test_nsxv_xml_parses() -> None:
    for name, text in rendered("nsxv").items():
        if name.endswith(".nsx"):
            ET.fromstring(text[text.index("<section"):])
