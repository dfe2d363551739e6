"""Class every remote address of a flow: published, published-elsewhere, exchange-unlisted,
retired or not-microsoft.

One lookup table per flow, built once: layers in priority order (the flow's own published
sets and overrides, every other current set, the unlisted Exchange ranges, then the history
newest first), each layer keeping only what no earlier layer claimed. A lookup is one bisect
on disjoint intervals, so classing costs the same whatever the size of the lists.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hybridfw.addresses import AddressSet, Family
from hybridfw.drops.reference import HistoryVersion, UnlistedRange
from hybridfw.model import EndpointData, Flow


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a remote address is. `block` is the published CIDR it lies in ("" = use /24, /48)."""

    klass: str
    block: str = ""
    set_id: int | None = None
    set_name: str = ""
    version: str = ""  # retired: the last version that listed it; unlisted: source and date


NOT_MICROSOFT = Verdict("not-microsoft")


def _cidr_entries(ips: AddressSet, verdict: Verdict) -> Iterable[tuple[AddressSet, Verdict]]:
    for cidr in ips.to_cidrs():
        yield AddressSet.parse([cidr]), Verdict(verdict.klass, cidr, verdict.set_id, verdict.set_name,
                                                verdict.version)


class Classifier:
    """Maps an address to a `Verdict` through disjoint intervals (per family)."""

    def __init__(self, entries: Iterable[tuple[AddressSet, Verdict]]) -> None:
        pieces: dict[Family, list[tuple[int, int, Verdict]]] = {4: [], 6: []}
        covered = AddressSet.empty()
        for ips, verdict in entries:
            fresh = ips - covered
            if not fresh:
                continue
            pieces[4].extend((lo, hi, verdict) for lo, hi in fresh.v4)
            pieces[6].extend((lo, hi, verdict) for lo, hi in fresh.v6)
            covered = covered | fresh
        self._starts: dict[Family, list[int]] = {}
        self._rows: dict[Family, list[tuple[int, int, Verdict]]] = {}
        for family, rows in pieces.items():
            rows.sort(key=lambda row: row[0])
            self._rows[family] = rows
            self._starts[family] = [row[0] for row in rows]

    def rows(self, family: Family) -> list[tuple[int, int, Verdict]]:
        """The disjoint intervals (first, last, verdict) of `family`, sorted: `verdict`'s table."""
        return self._rows[family]

    def verdict(self, family: Family, value: int) -> Verdict:
        i = bisect_right(self._starts[family], value) - 1
        if i >= 0:
            _, hi, verdict = self._rows[family][i]
            if value <= hi:
                return verdict
        return NOT_MICROSOFT


def block_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address, verdict: Verdict) -> str:
    """The aggregation block: the published CIDR, else the address's /24 (IPv4) or /48 (IPv6)."""
    if verdict.block:
        return verdict.block
    if address.version == 4:
        return f"{ipaddress.IPv4Address(int(address) & 0xFFFFFF00)}/24"
    return f"{ipaddress.IPv6Address(int(address) >> 80 << 80)}/48"


def _set_name(set_id: int, data: EndpointData) -> str:
    found = data.by_id(set_id)
    area = found.service_area_display_name or found.service_area if found else "?"
    return f"set {set_id} ({area})"


def remote_side(flow: Flow) -> AddressSet:
    """The Microsoft end of a flow: its sources inbound, its destinations outbound."""
    return flow.sources if flow.direction == "inbound" else flow.destinations


def _ports(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.replace(" ", "").split(",") if p.isdigit())


def build_classifier(flow: Flow | None, current: EndpointData, history: Sequence[HistoryVersion],
                     unlisted: Sequence[UnlistedRange], port: int = 0) -> Classifier:
    """The classifier for `flow` (None: for drops tied to no flow, which cannot be `published`).

    Where several sets hold an address, the ones carrying `port` (the flow's) are named first.
    """
    entries: list[tuple[AddressSet, Verdict]] = []
    port = flow.ports[0] if flow and flow.ports else port
    own = set(flow.endpoint_set_ids) if flow else set()
    if flow is not None:
        remote = remote_side(flow)
        for endpoint_set in current.sets:
            if endpoint_set.id in own:
                entries += _cidr_entries(endpoint_set.ips & remote,
                                         Verdict("published", "", endpoint_set.id,
                                                 _set_name(endpoint_set.id, current)))
        entries += _cidr_entries(flow.override_sources, Verdict("published", set_name="topology override"))
        entries.append((remote, Verdict("published", set_name=f"flow {flow.id}")))
    for endpoint_set in sorted(current.sets, key=lambda s: (port not in s.tcp_ports + s.udp_ports, s.id)):
        entries += _cidr_entries(endpoint_set.ips, Verdict("published-elsewhere", "", endpoint_set.id,
                                                           _set_name(endpoint_set.id, current)))
    for pool in unlisted:
        entries.append((pool.ips, Verdict("exchange-unlisted", set_name=f"{pool.cidr} {pool.name}",
                                          version=f"{pool.source} (recorded {pool.date})")))
    for version in sorted(history, key=lambda v: v.date, reverse=True):
        if version.date >= current.data_date:
            continue  # not older than the data in use: cannot have been retired by it
        for old in sorted(version.sets, key=lambda s: port not in _ports(s.ports)):
            entries += _cidr_entries(old.ips, Verdict("retired", "", old.set_id, old.name, version.label))
    return Classifier(entries)
