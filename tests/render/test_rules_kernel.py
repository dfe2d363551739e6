"""Load the rendered rules into a real kernel (a throw-away network namespace) and read them back.

Needs root and the Debian nftables/iptables/iproute2 tools; the tests fail when they are absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridfw.addresses import AddressSet
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.render import render_flows
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parents[2]
DATA = load_snapshot()
FLOWS = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), DATA)
EOP = eop_smtp_addresses(DATA.sets)


def _run(*argv: str, stdin: str | None = None) -> str:
    tool = shutil.which(argv[0])
    assert tool, f"{argv[0]} is not installed (Debian packages nftables, iptables, iproute2)"
    res = subprocess.run([tool, *argv[1:]], input=stdin, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, f"{' '.join(argv)}: {res.stderr}"
    return res.stdout


@pytest.fixture
def netns(request: pytest.FixtureRequest) -> Iterator[str]:
    assert os.geteuid() == 0, "these tests need root (network namespaces)"
    name = f"hfw-rules-{os.getpid()}-{request.node.name[-20:]}".replace("[", "").replace("]", "")
    _run("ip", "netns", "add", name)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=60)


@pytest.mark.root
def test_nftables_loads_and_sets_hold_the_eop_ranges(netns: str, tmp_path: Path) -> None:
    path = tmp_path / "hybridfw.nft"
    path.write_text(render_flows(FLOWS, "nftables", data=DATA).files["hybridfw.nft"])
    _run("ip", "netns", "exec", netns, "nft", "-f", str(path))
    found = AddressSet.empty()
    for name in ("smtp_inbound_s4", "smtp_inbound_s6"):
        listing = _run("ip", "netns", "exec", netns, "nft", "list", "set", "inet",
                       "filtering_policies", name)
        elements = re.search(r"elements = \{(.*?)\}", listing, re.S)
        assert elements
        found |= AddressSet.parse(e.strip() for e in elements.group(1).split(","))
    assert found == EOP
    chains = _run("ip", "netns", "exec", netns, "nft", "list", "chain", "inet",
                  "filtering_policies", "smtp-inbound")
    assert chains.count("accept") == 2  # one IPv4 and one IPv6 rule, no duplicates


@pytest.mark.root
def test_iptables_restore_loads_both_families(netns: str) -> None:
    files = render_flows(FLOWS, "iptables", data=DATA).files
    found = AddressSet.empty()
    for restore, save, name in (("iptables-restore", "iptables-save", "hybridfw-v4.ipt"),
                                ("ip6tables-restore", "ip6tables-save", "hybridfw-v6.ipt")):
        _run("ip", "netns", "exec", netns, restore, "--noflush", stdin=files[name])
        saved = _run("ip", "netns", "exec", netns, save, "-t", "filter")
        found |= AddressSet.parse(re.findall(r"^-A h_smtp-inbound -s (\S+)", saved, re.M))
    assert found == EOP
