"""`probe dns --follow-mx`: the domain's DNS, then an SMTP probe of each MX host it found, as the
Remote Connectivity Analyzer does. With the tenant's MX at Exchange Online this tests the
outbound path from here to Exchange Online (TCP 25, STARTTLS, its certificate).

The MX hosts are probed at the addresses the DNS probe resolved (so `--nameserver` decides them
too), each judged against its MX host name.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from hybridfw.probe.dns import probe_dns
from hybridfw.probe.interface import DnsOptions, ProbeResult, SmtpOptions, SmtpTarget
from hybridfw.probe.smtp import probe_smtp

MAX_ADDRESSES_PER_HOST = 8


async def probe_dns_following_mx(domain: str, dns: DnsOptions, smtp: SmtpOptions,
                                 port: int = 25) -> list[ProbeResult]:
    """The DNS result first, then one SMTP result per MX address, in MX order."""
    found = await probe_dns(domain, dns)
    mx_addresses: dict[str, list[str]] = found.facts.get("mx_addresses", {})
    probes = [probe_smtp(SmtpTarget(address, port),
                         replace(smtp, tls=replace(smtp.tls, cert_name=smtp.tls.cert_name or host)))
              for host, addresses in mx_addresses.items() for address in addresses[:MAX_ADDRESSES_PER_HOST]]
    return [found, *await asyncio.gather(*probes)]
