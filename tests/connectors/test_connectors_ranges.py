"""RemoteIPRanges audited like a firewall rule, and the founding story inside Exchange."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from _support.connectors import MAIL_V4, MAIL_V6, eop_2015, scoped_connector, write_json
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_files
from hybridfw.connectors import read_exports
from hybridfw.connectors.ranges_check import check_remote_ranges
from hybridfw.connectors.receive_audit import chosen_connectors
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.model import Flow

_EOP = eop_smtp_addresses(load_snapshot().sets)


def current_eop() -> AddressSet:
    return _EOP


def smtp_inbound(sources: AddressSet | None = None) -> Flow:
    return Flow(id="smtp-inbound", direction="inbound", protocol="tcp", ports=(25,),
                sources=current_eop() if sources is None else sources,
                destinations=AddressSet.parse([MAIL_V4, MAIL_V6]), reason="test", endpoint_set_ids=(10,))


def audit(tmp: Path, objects: list[dict[str, Any]],
          flow: Flow | None = None) -> tuple[Any, list[Any], list[str]]:
    exports = read_exports([write_json(tmp / "rc.json", objects)])
    return check_remote_ranges(exports, [MAIL_V4, MAIL_V6], flow or smtp_inbound())


def test_founding_story_equals_the_firewall_audit_of_the_same_list(tmp_path: Path) -> None:
    old, now = eop_2015(), current_eop()
    connector = scoped_connector(old.to_cidrs())
    check, rows, _ = audit(tmp_path, [connector])
    by_address = {r.address: r for r in rows}
    listed = tmp_path / "eop-2015.txt"
    listed.write_text("\n".join(old.to_cidrs()) + "\n")
    firewall = {r.address: r for r in audit_files([listed], [smtp_inbound()]).flows}
    for address, fam in ((MAIL_V4, 4), (MAIL_V6, 6)):
        row = by_address[address]
        assert row.missing == (now - old).family(fam) == firewall[address].missing
        assert row.stale == (old - now).family(fam) == firewall[address].stale
        assert row.allowed == firewall[address].allowed
    assert "23.103.132.0/22" in by_address[MAIL_V4].stale.to_cidrs()
    assert "40.92.0.0/15" in by_address[MAIL_V4].missing.to_cidrs()
    assert {f.code for f in check.findings} >= {"connectors.receive.missing", "connectors.receive.stale"}
    assert check.status == "fail"


def _apply(line: str, entries: list[str]) -> list[str]:
    """Apply a Set-ReceiveConnector -RemoteIPRanges @{Add=...; Remove=...} line to `entries`."""
    found = re.fullmatch(r'Set-ReceiveConnector -Identity "[^"]+" -RemoteIPRanges @\{(.*)\}', line)
    assert found, line
    parts = dict(p.split("=", 1) for p in found.group(1).split("; "))
    add = re.findall(r'"([^"]+)"', parts.get("Add", ""))
    remove = re.findall(r'"([^"]+)"', parts.get("Remove", ""))
    assert set(remove) <= set(entries)
    return [e for e in entries if e not in remove] + add


def test_fix_line_makes_the_audit_pass(tmp_path: Path) -> None:
    entries = [*eop_2015().to_ranges(4)[:3], *eop_2015().to_cidrs(6), "104.47.0.0(255.255.128.0)",
               "23.103.132.0-23.103.135.255"]
    _, rows, lines = audit(tmp_path, [scoped_connector(entries)])
    assert any(r.missing for r in rows) and any(r.stale for r in rows)
    (line,) = lines
    assert "23.103.132.0-23.103.135.255" in line  # removed exactly as the connector lists it
    check, rows, lines = audit(tmp_path, [scoped_connector(_apply(line, entries))])
    assert all(not r.missing and not r.stale for r in rows) and not lines
    assert check.status == "pass"


def test_most_specific_range_wins_whatever_the_order(tmp_path: Path) -> None:
    wide = scoped_connector(["0.0.0.0-255.255.255.255", "::/0"], name="Default Frontend EX1",
                            PermissionGroups=13, TlsDomainCapabilities=[])
    relay = scoped_connector(["40.107.7.0/24"], name="Relay", PermissionGroups=4, AuthMechanism=16)
    cloud = scoped_connector(current_eop().to_cidrs(), name="Inbound from Office 365")
    for order in ([wide, relay, cloud], [cloud, relay, wide], [relay, wide, cloud]):
        check, rows, _ = audit(tmp_path, order)
        v4 = next(r for r in rows if r.address == MAIL_V4)
        assert v4.captured == (("EX1\\Relay", AddressSet.parse(["40.107.7.0/24"])),)
        assert v4.missing == AddressSet.parse(["40.107.7.0/24"])
        assert v4.connectors == ("EX1\\Inbound from Office 365",)
        codes = {f.code for f in check.findings}
        assert "connectors.receive.captured" in codes and "connectors.receive.missing" not in codes


def test_wide_default_connector_catches_what_the_scoped_one_lacks(tmp_path: Path) -> None:
    """HCW's default: Default Frontend open to all, anonymous: every EOP source is taken, and a
    wide range is not reported as stale."""
    wide = scoped_connector(["0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
                            name="Default Frontend EX1", PermissionGroups=13)
    check, rows, lines = audit(tmp_path, [wide])
    assert all(not r.missing and not r.stale for r in rows) and not lines
    assert check.status == "pass"


def test_equal_ranges_on_two_connectors_are_unknown(tmp_path: Path) -> None:
    a = scoped_connector(current_eop().to_cidrs(), name="Inbound from Office 365")
    b = scoped_connector(["40.92.0.0/15"], name="Other", PermissionGroups=4)
    check, rows, _ = audit(tmp_path, [a, b])
    v4 = next(r for r in rows if r.address == MAIL_V4)
    assert v4.unknown == AddressSet.parse(["40.92.0.0/15"])
    assert "connectors.receive.unknown" in {f.code for f in check.findings}


def test_chosen_connectors_paints_smallest_last() -> None:
    from hybridfw.connectors.interface import Origin, ReceiveConnector
    from hybridfw.connectors.values import IpRange

    def conn(name: str, *ranges: str) -> ReceiveConnector:
        return ReceiveConnector(Origin("x", 1), name, name, "EX1", True, (), tuple(
            IpRange(r, AddressSet.parse([r])) for r in ranges), frozenset(), frozenset(), "", (), "", "")

    owned, unknown = chosen_connectors([conn("big", "10.0.0.0/8"), conn("mid", "10.1.0.0/16"),
                                        conn("small", "10.1.2.3")], 4)
    assert owned["small"] == AddressSet.parse(["10.1.2.3"])
    assert owned["mid"] == AddressSet.parse(["10.1.0.0/16"]) - owned["small"]
    assert owned["big"] == AddressSet.parse(["10.0.0.0/8"]) - AddressSet.parse(["10.1.0.0/16"])
    assert not unknown


def test_no_listener_on_the_topology_address(tmp_path: Path) -> None:
    check, rows, _ = audit(tmp_path, [scoped_connector(current_eop().to_cidrs(),
                                                       bindings=(f"{MAIL_V4}:587",))])
    assert not rows
    assert [f.code for f in check.findings] == ["connectors.receive.no-listener"] * 2
    assert check.status == "fail"


def test_other_explicit_binding_may_be_nat_so_not_checked(tmp_path: Path) -> None:
    check, rows, _ = audit(tmp_path, [scoped_connector(current_eop().to_cidrs(),
                                                       bindings=("10.0.0.10:25",))])
    assert not rows
    codes = [f.code for f in check.findings]
    assert codes == ["connectors.not-checked", "connectors.receive.no-listener"]
    assert "10.0.0.10:25" in check.findings[0].message and check.status == "fail"


def test_disabled_connector_does_not_listen(tmp_path: Path) -> None:
    check, rows, _ = audit(tmp_path, [scoped_connector(current_eop().to_cidrs(), Enabled=False)])
    assert not rows and check.status == "fail"
