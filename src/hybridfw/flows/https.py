"""EWS / Autodiscover / MRS traffic between Exchange Online and the on-premises servers (TCP 443)."""

from __future__ import annotations

from hybridfw.addresses import AddressSet
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

# Names from the hybrid prerequisites page; the sets that cover them are found in the data.
EXO_WEB_HOSTS = ("outlook.office365.com", "autodiscover-s.outlook.com")
IDENTITY_HOSTS = ("login.microsoftonline.com", "login.windows.net",
                  "accounts.accesscontrol.windows.net", "nexus.microsoftonline-p.com")
# Federation Gateway names not carried by the endpoints web service.
EXTRA_OUTBOUND_NAMES = ("domains.live.com",)


class HttpsInbound(FlowBuilder):
    """Exchange Online calls the published EWS/Autodiscover/MRSProxy endpoint."""

    def build(self, topology: Topology, data: EndpointData) -> list[Flow]:
        if not topology.web.addresses:
            return []  # modern modes without a published endpoint need no inbound 443
        exo = [s for s in sets_covering(data.sets, EXO_WEB_HOSTS, service_area="Exchange",
                                        port=443) if s.ips]
        overrides = topology.overrides.https_inbound
        if topology.is_classic:
            why = ("Exchange Online reaches the published EWS, Autodiscover and MRSProxy endpoint "
                   f"({', '.join(topology.web.names) or 'web.addresses'}) on TCP 443 for free/busy, "
                   "MailTips, message tracking, multi-mailbox search and mailbox moves.")
        else:
            why = ("Modern hybrid: free/busy and moves use the Hybrid Agent; inbound TCP 443 is "
                   "needed only for Autodiscover (and message tracking / multi-mailbox search) "
                   "if you use them.")
        return [Flow(
            id="https-inbound", direction="inbound", protocol="tcp", ports=(443,),
            sources=union_ips(exo) | overrides, destinations=topology.web.addresses,
            endpoint_set_ids=set_ids(exo), override_sources=overrides,
            required=topology.is_classic, reason=why,
        )]


class HttpsOutbound(FlowBuilder):
    """The on-premises servers call Exchange Online EWS/Autodiscover and the identity endpoints."""

    def build(self, topology: Topology, data: EndpointData) -> list[Flow]:
        exo = sets_covering(data.sets, EXO_WEB_HOSTS, service_area="Exchange", port=443)
        identity = sets_covering(data.sets, IDENTITY_HOSTS, service_area="Common", port=443)
        sources = onprem_servers(topology, include_edge=False)
        note = ""
        if not sources:
            # The Mailbox servers behind an Edge are not in the topology: say so, admit any.
            sources = AddressSet.any()
            note = " The topology names no Mailbox servers, so any source is allowed."
        return [Flow(
            id="https-outbound", direction="outbound", protocol="tcp", ports=(443,),
            sources=sources, destinations=union_ips(exo) | union_ips(identity),
            destination_fqdns=union_urls(exo + identity, EXTRA_OUTBOUND_NAMES),
            endpoint_set_ids=set_ids(exo, identity),
            reason=("The on-premises Exchange servers call Exchange Online EWS/Autodiscover "
                    "(free/busy to the cloud, OAuth) and the Microsoft identity and federation "
                    "endpoints on TCP 443." + note),
        )]
