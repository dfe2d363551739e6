"""Pick endpoint sets by what they contain, never by id (ids have changed over the years)."""

from __future__ import annotations

from collections.abc import Iterable

from hybridfw.addresses import AddressSet
from hybridfw.model import EndpointSet


def smtp_sets(sets: Iterable[EndpointSet]) -> list[EndpointSet]:
    """Exchange sets that carry TCP 25: the EOP sources of inbound SMTP and targets of outbound."""
    return [s for s in sets if s.service_area == "Exchange" and 25 in s.tcp_ports]


def eop_smtp_addresses(sets: Iterable[EndpointSet]) -> AddressSet:
    """The union of every Exchange TCP 25 set's addresses (today: set 10)."""
    return AddressSet.union_all(s.ips for s in smtp_sets(sets))


def filter_sets(
    sets: Iterable[EndpointSet],
    *,
    service_area: str | None = None,
    port: int | None = None,
    set_id: int | None = None,
    category: str | None = None,
    required_only: bool = False,
) -> list[EndpointSet]:
    out = []
    for s in sets:
        if service_area and s.service_area.lower() != service_area.lower():
            continue
        if port is not None and port not in s.tcp_ports and port not in s.udp_ports:
            continue
        if set_id is not None and s.id != set_id:
            continue
        if category and s.category.lower() != category.lower():
            continue
        if required_only and not s.required:
            continue
        out.append(s)
    return out
