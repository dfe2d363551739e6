"""What a flow builder is: one per kind of traffic Exchange hybrid needs (see exchange-hybrid-facts §1)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from fnmatch import fnmatchcase

from hybridfw.addresses import AddressSet
from hybridfw.model import EndpointData, EndpointSet, Flow
from hybridfw.topology import Topology


class FlowBuilder(ABC):
    """Derives zero or more flows from a topology and one version of the endpoint data."""

    @abstractmethod
    def build(self, topology: Topology, data: EndpointData) -> list[Flow]:
        """The flows this builder contributes for this topology (empty when the mode needs none)."""


def sets_covering(sets: Iterable[EndpointSet], hosts: Iterable[str], *, service_area: str,
                  port: int) -> list[EndpointSet]:
    """Required sets of `service_area` on TCP `port` whose URL patterns cover any of `hosts`.

    Selection is by content (names and ports), never by set id: Microsoft has renumbered sets.
    """
    wanted = [h.lower() for h in hosts]
    return [
        s for s in sets
        if s.service_area == service_area and port in s.tcp_ports and s.required
        and any(covers(u.lower(), h) for u in s.urls for h in wanted)
    ]


def covers(pattern: str, host: str) -> bool:
    """`fnmatchcase(host, pattern)` or equal; a pattern whose only wildcard is `*` (all of
    Microsoft's) is matched without compiling it to a regex (132 of them: one-rule audit CPU
    -10 ms)."""
    if "?" in pattern or "[" in pattern:
        return fnmatchcase(host, pattern) or host == pattern
    if "*" not in pattern:
        return host == pattern
    first, *middle, last = pattern.split("*")
    if len(host) < len(first) + len(last) or not host.startswith(first) or not host.endswith(last):
        return False
    at, end = len(first), len(host) - len(last)
    for piece in middle:  # leftmost match of each piece between the fixed ends: exact for '*'
        found = host.find(piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def union_ips(sets: Iterable[EndpointSet]) -> AddressSet:
    return AddressSet.union_all(s.ips for s in sets)


def union_urls(sets: Iterable[EndpointSet], extra: Iterable[str] = ()) -> tuple[str, ...]:
    """All URL patterns of `sets` plus `extra`, sorted, without duplicates."""
    names = {u.lower() for s in sets for u in s.urls} | {e.lower() for e in extra}
    return tuple(sorted(names))


def set_ids(*groups: Iterable[EndpointSet]) -> tuple[int, ...]:
    return tuple(sorted({s.id for group in groups for s in group}))


def onprem_servers(topology: Topology, *, include_edge: bool) -> AddressSet:
    """The on-premises Exchange servers the topology names (web endpoint, SMTP servers)."""
    smtp = topology.smtp.addresses if include_edge or not topology.smtp.edge else AddressSet.empty()
    return topology.web.addresses | smtp
