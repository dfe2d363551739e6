"""The RemoteIPRanges check: findings and Set-ReceiveConnector fix lines from the coverage rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hybridfw.addresses import AddressSet, Family
from hybridfw.connectors.interface import Exports, ReceiveConnector
from hybridfw.connectors.receive_audit import SMTP_PORT, audit_receive, primary_connector, range_update
from hybridfw.connectors.result import Check, ConnectorFinding, ReceiveCoverage, finding, not_checked
from hybridfw.model import Flow, Severity
from hybridfw.render.exchange import receive_connector_update

NAME, TITLE = "receive.remote-ip-ranges", "Receive connectors take mail from every Exchange Online address"
_SHOWN = 6


def _ranges(addresses: AddressSet) -> str:
    cidrs = addresses.to_cidrs()
    return ", ".join(cidrs[:_SHOWN]) + (f" and {len(cidrs) - _SHOWN} more" if len(cidrs) > _SHOWN else "")


def _where(row: ReceiveCoverage) -> str:
    return f"{row.server or 'server'} {row.address}:{row.port}"


def row_findings(row: ReceiveCoverage, fixable: bool) -> list[ConnectorFinding]:
    out = []
    how = ("add them to the connector's RemoteIPRanges (see fixes)" if fixable else
           "scope a dedicated receive connector (AnonymousUsers, Tls) to the Exchange Online "
           "ranges on this binding: 'hybridfw rules --platform exchange' writes the script")
    uncovered = row.missing - AddressSet.union_all(a for _, a in row.captured)
    if uncovered:
        out.append(finding(
            Severity.ERROR, "connectors.receive.missing",
            f"{_where(row)}: no receive connector that takes Exchange Online mail is chosen for "
            f"{_ranges(uncovered)}; Exchange Online gets 450 4.4.316/4.4.317 deferrals from them",
            fix=how, page="receive", subject=_where(row)))
    for who, addresses in row.captured:
        out.append(finding(
            Severity.ERROR, "connectors.receive.captured",
            f"{_where(row)}: connector {who} (no AnonymousUsers permission) has the most specific "
            f"range for Exchange Online sources {_ranges(addresses)}, so Exchange chooses it",
            fix=f"remove those ranges from {who}'s RemoteIPRanges (or narrow them)",
            page="receive", subject=who))
    if row.unknown:
        out.append(finding(
            Severity.ERROR, "connectors.receive.unknown",
            f"{_where(row)}: equally specific ranges of two connectors claim {_ranges(row.unknown)};"
            " which one Exchange chooses is not documented",
            fix="make one connector's range more specific than the other's", page="receive",
            subject=_where(row)))
    if row.stale:
        out.append(finding(
            Severity.WARNING, "connectors.receive.stale",
            f"{_where(row)}: the Exchange Online connector(s) {', '.join(row.connectors)} accept "
            f"sources in no current Exchange Online set: {_ranges(row.stale)}",
            fix="remove them (see fixes), or list them under the topology's [overrides] if meant",
            page="endpoints", subject=_where(row)))
    if not (row.missing or row.captured or row.unknown or row.stale):
        out.append(finding(
            Severity.INFO, "connectors.receive.allowed",
            f"{_where(row)}: every Exchange Online source reaches {', '.join(row.connectors)}",
            subject=_where(row)))
    return out


def fix_lines(rows: Sequence[ReceiveCoverage], connectors: Sequence[ReceiveConnector],
              required: AddressSet) -> tuple[list[str], set[int]]:
    """One Set-ReceiveConnector line per connector to change, and the rows it fixes."""
    add: dict[str, AddressSet] = defaultdict(AddressSet.empty)
    drop: dict[str, AddressSet] = defaultdict(AddressSet.empty)
    by_id = {c.identity: c for c in connectors}
    fixed: set[int] = set()
    for index, row in enumerate(rows):
        target = primary_connector(row, connectors, required)
        if target is None:
            continue
        fixed.add(index)
        add[target.identity] |= row.missing - AddressSet.union_all(a for _, a in row.captured)
        drop[target.identity] |= row.stale
    lines = []
    for identity in sorted(set(add) | set(drop)):
        to_add, to_remove = range_update(by_id[identity], add[identity], drop[identity])
        if to_add or to_remove:
            lines.append(receive_connector_update(identity, to_add, to_remove))
    return lines, fixed


def check_remote_ranges(exports: Exports, addresses: Sequence[str], flow: Flow | None
                        ) -> tuple[Check, list[ReceiveCoverage], list[str]]:
    if flow is None:
        return Check(NAME, TITLE, (not_checked(
            "RemoteIPRanges", "the topology's mode has no smtp-inbound flow", "use a -full mode"),)), [], []
    if not exports.receive:
        return Check(NAME, TITLE, (not_checked(
            "RemoteIPRanges", "no Get-ReceiveConnector export given",
            "export it with the commands of 'hybridfw connectors --collect-script'"),)), [], []
    rows = audit_receive(exports.receive, addresses, flow.sources)
    lines, fixed = fix_lines(rows, exports.receive, flow.sources)
    found: list[ConnectorFinding] = []
    for index, row in enumerate(rows):
        found += row_findings(row, index in fixed)
    listening = {row.address for row in rows}
    found += [unbound(address, exports) for address in addresses if address not in listening]
    return Check(NAME, TITLE, tuple(found)), rows, lines


def unbound(address: str, exports: Exports) -> ConnectorFinding:
    """No connector binds the topology address on 25. When others bind explicit addresses on 25,
    the topology's address may be a NAT'd one: which connector takes it is then unknown."""
    family: Family = 6 if ":" in address else 4
    others = sorted({b.text for c in exports.receive if c.enabled for b in c.bindings
                     if b.port == SMTP_PORT and b.addresses.family(family)
                     and not b.addresses.covers(family)})
    if others:
        return not_checked(
            f"receive connectors for {address}:25", f"no connector binds it; connectors bind "
            f"{', '.join(others)} (is {address} translated to one of them?)",
            "put the server's own address in the topology's [smtp] addresses", subject=address)
    return finding(
        Severity.ERROR, "connectors.receive.no-listener",
        f"no enabled receive connector in the exports is bound to {address}:25 (the "
        "topology's SMTP address): Exchange Online cannot deliver there",
        fix="bind a receive connector to port 25 on that address (or export the "
            "connectors of the server that has it)", page="receive", subject=address)
