"""The shipped stale firewall is a real iptables-save dump of the 2015 EOP list, loadable as is."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from _support.check import REPO, STALE_V4, STALE_V6
from hybridfw.addresses import AddressSet


def eop_2015(kind: str) -> AddressSet:
    root = ET.parse(REPO / "tests" / "data" / "audit" / "o365ipaddresses-2015-07-01.xml").getroot()
    return AddressSet.parse(a.text or "" for p in root if p.get("name") == "EOP"
                            for lst in p if lst.get("type") == kind for a in lst)


@pytest.mark.parametrize(("path", "tool", "kind"), [(STALE_V4, "iptables-restore", "IPv4"),
                                                    (STALE_V6, "ip6tables-restore", "IPv6")])
def test_stale_example_is_the_2015_eop_list_and_loads(path: object, tool: str, kind: str) -> None:
    text = path.read_text()  # type: ignore[attr-defined]
    allowed = AddressSet.parse(re.findall(r"^-A EOP-SMTP -s (\S+) -j ACCEPT$", text, re.M))
    assert allowed == eop_2015(kind)
    binary = shutil.which(tool)
    assert binary, f"{tool} is missing (make system-deps installs iptables)"
    res = subprocess.run([binary, "--test", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
