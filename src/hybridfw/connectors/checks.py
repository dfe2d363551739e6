"""Run every connectors check on the exports against the topology and the endpoint data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from hybridfw.connectors.interface import Exports
from hybridfw.connectors.ranges_check import check_remote_ranges
from hybridfw.connectors.result import Check, ConnectorsResult
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import Topology

Resolver = Callable[[str], Sequence[str]]


def check_connectors(exports: Exports, topology: Topology, data: EndpointData,
                     flows: Sequence[Flow], *, now: datetime | None = None,
                     resolve: Resolver | None = None,
                     live: Sequence[Any] | None = None) -> ConnectorsResult:
    """Every check, in order: RemoteIPRanges, certificates and TLS names, routing, and (given
    `live`, the `probe smtp` results for the topology's SMTP addresses) the live certificate."""
    from hybridfw.connectors.live_check import judge_live
    from hybridfw.connectors.routing_check import check_routing
    from hybridfw.connectors.tls_check import check_tls, presented_by_receive

    now = now or datetime.now(UTC)
    inbound = next((f for f in flows if f.id == "smtp-inbound"), None)
    ranges, rows, fixes = check_remote_ranges(exports, topology.smtp.address_strings, inbound)
    tls_checks = check_tls(exports, topology, rows, now)
    routing_checks = check_routing(exports, topology, resolve,
                                   {name for row in rows for name in row.connectors})
    checks: tuple[Check, ...] = (ranges, *tls_checks, *routing_checks)
    if live is not None:
        checks += (judge_live(live, exports, topology, presented_by_receive(exports, rows)),)
    fixes += [f.fix for c in checks[1:] for f in c.findings if f.fix.startswith(_CMDLETS)]
    return ConnectorsResult(
        checks, tuple(rows), tuple(dict.fromkeys(fixes)),
        inputs={**exports.to_dict(), "topology": topology.path, "checked_at": now.isoformat()},
        data=data.summary())


_CMDLETS = ("Set-", "Enable-", "New-")


def system_resolver(name: str) -> list[str]:
    """The addresses the system resolver gives for `name` (raises OSError when it gives none)."""
    import socket

    return sorted({str(info[4][0]) for info in socket.getaddrinfo(name, 25, type=socket.SOCK_STREAM)})
