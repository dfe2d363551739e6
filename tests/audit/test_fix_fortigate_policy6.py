"""FortiGate fixes for IPv6: FortiOS before 6.4 keeps IPv6 policies in ``config firewall policy6``
and refuses IPv6 addresses in ``config firewall policy``; the fix follows the configuration's form
(FortiOS 7 keeps both families in ``policy``). Both the printed commands appended to the
configuration and the `--fixed-out` copy re-audit with nothing missing or shadowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.fix import fix_to_show
from hybridfw.audit.patch import patch_files
from hybridfw.endpoints import load_current
from hybridfw.flows import required_flows
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import load_topology

pytestmark = pytest.mark.slow  # a few audits of the SMTP flow
REPO = Path(__file__).resolve().parents[2]
PORTS = Interfaces("port1", "port2")

DENY_FIRST_6X = """\
#config-version=FG100F-6.2.10-FW-build1263-211117:opmode=0:vdom=0:user=admin
config firewall address
    edit "eop-old"
        set subnet 40.92.0.0 255.254.0.0
    next
end
config firewall address6
    edit "eop6-old"
        set ip6 2a01:111:f400::/48
    next
end
config firewall policy
    edit 4
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set action deny
        set service "SMTP"
        set schedule "always"
    next
    edit 3
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "eop-old"
        set dstaddr "all"
        set action accept
        set service "SMTP"
        set schedule "always"
    next
end
config firewall policy6
    edit 4
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set action deny
        set service "SMTP"
        set schedule "always"
    next
    edit 9
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "eop6-old"
        set dstaddr "all"
        set action accept
        set service "SMTP"
        set schedule "always"
    next
end
"""


@pytest.fixture(scope="module")
def data() -> EndpointData:
    return load_current()


@pytest.fixture(scope="module")
def smtp(data: EndpointData) -> list[Flow]:
    flows = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), data)
    return [f for f in flows if f.id == "smtp-inbound"]


def _fix(text: str, flows: list[Flow], data: EndpointData, tmp_path: Path) -> str:
    """The printed commands; both they (appended) and the patched copy re-audit clean."""
    path = tmp_path / "fortigate.conf"
    path.write_text(text)
    before = audit_files([path], flows, interfaces=PORTS)
    assert any(r.missing and ":" in r.address for r in before.flows), "an IPv6 fix is needed"
    commands = str(fix_to_show(before, flows, data)["files"]["commands"])
    applied = tmp_path / "applied.conf"
    applied.write_text(text + commands)
    outcome = patch_files([path], flows, interfaces=PORTS)
    patched = tmp_path / "patched.conf"
    patched.write_text(outcome.texts[str(path)])
    for result in (audit_files([applied], flows, interfaces=PORTS),
                   audit_files([patched], flows, interfaces=PORTS)):
        assert not [r for r in result.flows if r.missing or r.shadowed]
    return commands


def _policies(commands: str, table: str) -> list[list[str]]:
    """The blocks of `config firewall <table>` in the script, their lines stripped."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in commands.splitlines():
        if line == f"config firewall {table}":
            current = []
        elif current is not None and line == "end":
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line.strip())
    return blocks


def test_fortios_6_ipv6_fix_goes_into_policy6_before_its_deny(smtp: list[Flow], data: EndpointData,
                                                              tmp_path: Path) -> None:
    commands = _fix(DENY_FIRST_6X, smtp, data, tmp_path)
    assert "srcaddr6" not in commands and "dstaddr6" not in commands  # 6.2 refuses them
    (v4,) = _policies(commands, "policy")
    (v6,) = _policies(commands, "policy6")
    assert v4[0] == "edit 10" and "move 10 before 4" in v4
    assert v6[0] == "edit 11" and "move 11 before 4" in v6
    assert 'set srcaddr "HYBRIDFW_FIX_11_SRC"' in v6 and 'set name "hybridfw-fix-11"' in v6


def test_fortios_6_version_header_alone_selects_policy6(smtp: list[Flow], data: EndpointData,
                                                        tmp_path: Path) -> None:
    """No policies yet, but a 6.2 header: the implicit deny denies both families, and the one
    fix for them is split: IPv4 into policy, IPv6 into policy6 (no moves: the tables' ends)."""
    text = DENY_FIRST_6X[:DENY_FIRST_6X.index("config firewall policy")]
    commands = _fix(text, smtp, data, tmp_path)
    assert "srcaddr6" not in commands
    (v4,) = _policies(commands, "policy")
    (v6,) = _policies(commands, "policy6")
    assert v4[0] == "edit 1" and v6[0] == "edit 2" and not any("move" in line for line in v4 + v6)
    assert 'set srcaddr "HYBRIDFW_FIX_1_SRC"' in v4 and 'set srcaddr "HYBRIDFW_FIX_1_SRC"' in v6


def test_fortios_7_keeps_both_families_in_policy(smtp: list[Flow], data: EndpointData,
                                                 tmp_path: Path) -> None:
    text = DENY_FIRST_6X.replace("-6.2.10-", "-7.4.3-")
    text = text[:text.index("config firewall policy6")]
    commands = _fix(text, smtp, data, tmp_path)
    assert "config firewall policy6" not in commands
    assert any("set srcaddr6" in line for block in _policies(commands, "policy") for line in block)
