"""The Hybrid Agent (modern modes): outbound only, built on Entra application proxy."""

from __future__ import annotations

from hybridfw.flows.https import IDENTITY_HOSTS
from hybridfw.flows.interface import (
    FlowBuilder,
    onprem_servers,
    set_ids,
    sets_covering,
    union_ips,
    union_urls,
)
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import Topology

# Application proxy connector names (hybrid facts §1.3 row 11); not in the endpoints service.
AGENT_NAMES = ("*.msappproxy.net", "*.servicebus.windows.net")


class HybridAgentFlows(FlowBuilder):
    def build(self, topology: Topology, data: EndpointData) -> list[Flow]:
        if topology.is_classic:
            return []
        agent = topology.hybrid_agent.addresses
        identity = sets_covering(data.sets, IDENTITY_HOSTS, service_area="Common", port=443)
        flows = [Flow(
            id="hybrid-agent-outbound", direction="outbound", protocol="tcp", ports=(80, 443),
            sources=agent, destinations=union_ips(identity),
            destination_fqdns=union_urls(identity, AGENT_NAMES), endpoint_set_ids=set_ids(identity),
            reason=("The Hybrid Agent keeps an outbound connection to its application proxy "
                    "endpoint (<guid>.resource.mailboxmigration.his.msappproxy.net) and signs in "
                    "to Entra ID; Exchange Online free/busy and mailbox moves travel over it."),
        )]
        exchange = onprem_servers(topology, include_edge=False)
        if exchange:
            flows.append(Flow(
                id="hybrid-agent-exchange", direction="outbound", protocol="tcp",
                ports=(80, 443, 5985, 5986), sources=agent, destinations=exchange, required=False,
                reason=("The agent forwards to the Exchange server chosen in the HCW (HTTP/HTTPS "
                        "and WinRM); needed only if a firewall sits between them."),
            ))
        return flows
