"""Mail between Exchange Online Protection and the on-premises transport servers (TCP 25)."""

from __future__ import annotations

from hybridfw.endpoints.select import smtp_sets
from hybridfw.flows.interface import FlowBuilder, set_ids, union_ips, union_urls
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import Topology


def _role(topology: Topology) -> str:
    return "Edge Transport" if topology.smtp.edge else "Mailbox"


class SmtpFlows(FlowBuilder):
    """smtp-inbound and smtp-outbound: only the Full modes carry mail between the premises."""

    def build(self, topology: Topology, data: EndpointData) -> list[Flow]:
        if not topology.is_full:
            return []
        sets = smtp_sets(data.sets)
        eop = union_ips(sets)
        overrides = topology.overrides.smtp_inbound
        central = (" Centralized mail transport is on: Exchange Online also routes Internet-bound "
                   "mail through these servers." if topology.centralized_transport else "")
        inbound = Flow(
            id="smtp-inbound", direction="inbound", protocol="tcp", ports=(25,),
            sources=eop | overrides, destinations=topology.smtp.addresses,
            endpoint_set_ids=set_ids(sets), override_sources=overrides,
            reason=(f"Exchange Online Protection delivers mail to the on-premises {_role(topology)} "
                    f"servers on TCP 25 with forced TLS (certificate name "
                    f"{topology.smtp.tls_certificate_name}); HCW connector validation also "
                    f"connects from these addresses.{central}"),
        )
        outbound = Flow(
            id="smtp-outbound", direction="outbound", protocol="tcp", ports=(25,),
            sources=topology.smtp.addresses, destinations=eop,
            destination_fqdns=union_urls(sets), endpoint_set_ids=set_ids(sets),
            reason=(f"The on-premises {_role(topology)} servers send mail for cloud mailboxes to "
                    "<tenant>.mail.protection.outlook.com on TCP 25 with forced TLS."),
        )
        return [inbound, outbound]
