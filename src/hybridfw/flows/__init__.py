"""The flows Exchange hybrid needs through the on-premises firewall, from a topology + endpoint data."""

from __future__ import annotations

import logging
from dataclasses import replace

from hybridfw.flows.crl import CrlOutbound
from hybridfw.flows.https import HttpsInbound, HttpsOutbound
from hybridfw.flows.hybrid_agent import HybridAgentFlows
from hybridfw.flows.interface import FlowBuilder
from hybridfw.flows.smtp import SmtpFlows
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import Topology

__all__ = ["BUILDERS", "FlowBuilder", "required_flows"]

log = logging.getLogger(__name__)

# Order is the order flows are listed and rendered in.
BUILDERS: tuple[FlowBuilder, ...] = (
    SmtpFlows(), HttpsInbound(), HttpsOutbound(), CrlOutbound(), HybridAgentFlows(),
)


def _ipv4_only(flow: Flow) -> Flow:
    """Drop IPv6 on purpose (topology says ipv6 = false) and say so in the flow's reason."""
    dropped = flow.sources.family(6) | flow.destinations.family(6)
    if not dropped:
        return flow
    count = len(dropped.to_cidrs())
    return replace(
        flow, sources=flow.sources.family(4), destinations=flow.destinations.family(4),
        override_sources=flow.override_sources.family(4),
        reason=(f"{flow.reason} IPv6 is off in the topology (ipv6 = false): {count} IPv6 "
                "range(s) deliberately left out."),
    )


def required_flows(topology: Topology, data: EndpointData) -> list[Flow]:
    """Every flow the topology's mode needs, addresses from `data` (selected by content)."""
    flows = [flow for builder in BUILDERS for flow in builder.build(topology, data)]
    if not topology.ipv6:
        flows = [_ipv4_only(flow) for flow in flows]
    for flow in flows:
        log.info("flow %s: %d source / %d destination range(s), %d name(s), sets %s", flow.id,
                 len(flow.sources.to_cidrs()), len(flow.destinations.to_cidrs()),
                 len(flow.destination_fqdns), list(flow.endpoint_set_ids))
    return flows
