"""Certificate revocation and trust-list retrieval over plain HTTP (TCP 80), needed in every mode."""

from __future__ import annotations

from hybridfw.addresses import AddressSet
from hybridfw.flows.interface import FlowBuilder, onprem_servers, set_ids, sets_covering, union_urls
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import Topology

CRL_HOSTS = ("crl.microsoft.com", "crl3.digicert.com", "ocsp.digicert.com",
             "crl.globalsign.com", "ocsp.globalsign.com")
# Windows' certificate trust list; from 2026-03-15 Exchange Online moves to DigiCert Global Root
# G2, so servers must be able to refresh their roots (hybrid facts §1.1 F5, §1.7).
EXTRA_CRL_NAMES = ("ctldl.windowsupdate.com",)


class CrlOutbound(FlowBuilder):
    def build(self, topology: Topology, data: EndpointData) -> list[Flow]:
        sets = sets_covering(data.sets, CRL_HOSTS, service_area="Common", port=80)
        sources = onprem_servers(topology, include_edge=True) | topology.hybrid_agent.addresses
        return [Flow(
            id="crl-outbound", direction="outbound", protocol="tcp", ports=(80,),
            sources=sources or AddressSet.any(), destinations=AddressSet.union_all(s.ips for s in sets),
            destination_fqdns=union_urls(sets, EXTRA_CRL_NAMES), endpoint_set_ids=set_ids(sets),
            reason=("Certificate revocation (CRL/OCSP) and trust-list checks for the TLS "
                    "certificates of Exchange Online and your own; the HCW requires TCP 80 "
                    "outbound in every mode."),
        )]
