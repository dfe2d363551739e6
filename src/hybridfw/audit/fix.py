"""The part of a flow an audited firewall blocks, as a flow the rules renderer can draw."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from hybridfw.addresses import AddressSet
from hybridfw.audit.interface import AuditResult, FlowCoverage
from hybridfw.model import EndpointData, Flow


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


def rules_to_add(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> dict[str, Any]:
    """The missing part of each flow, rendered for the audited ruleset's platform."""
    from hybridfw.errors import InputError
    from hybridfw.render import render_flows

    partial = [m for f in flows
               if (m := missing_flow(f, [r for r in result.flows if r.flow == f.id])) is not None]
    if not partial:
        return {"platform": result.platform, "files": {}, "note": ""}
    try:
        rendered = render_flows(partial, result.platform, data=data)
    except InputError as exc:
        return {"platform": result.platform, "files": {},
                "note": f"cannot render rules for {result.platform}: {exc}"}
    notes = "; ".join(f.message for f in rendered.findings)
    return {"platform": rendered.platform, "files": dict(rendered.files), "note": notes}
