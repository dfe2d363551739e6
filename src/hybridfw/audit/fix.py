"""The part of a flow an audited firewall blocks, as a flow the rules renderer can draw."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from hybridfw.addresses import AddressSet
from hybridfw.audit.interface import FlowCoverage
from hybridfw.model import Flow


def missing_flow(flow: Flow, rows: Sequence[FlowCoverage]) -> Flow | None:
    """The part of `flow` the firewall blocks: only the missing remote addresses, only the
    on-premises addresses and ports that lack them. None when nothing is missing."""
    lacking = [r for r in rows if r.missing]
    if not lacking:
        return None
    remote = AddressSet.union_all(r.missing for r in lacking)
    local = AddressSet.parse(sorted({r.address for r in lacking}))
    ports = tuple(sorted({r.port for r in lacking}))
    if flow.direction == "inbound":
        return dataclasses.replace(flow, sources=remote, destinations=local, ports=ports,
                                   source_fqdns=(), override_sources=AddressSet.empty())
    return dataclasses.replace(flow, sources=local, destinations=remote, ports=ports,
                               destination_fqdns=())
