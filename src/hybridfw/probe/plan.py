"""Which hosts a topology asks to probe, and probing them all at once.

SMTP: every single address in `[smtp] addresses` on TCP 25, judged against the topology's
`tls_certificate_name` (a plain FQDN or Exchange's `<I>issuer<S>subject` form). HTTPS: every
name in `[web] names` on 443. Address ranges cannot be probed host by host and are noted.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, replace
from typing import Any

from hybridfw.probe.https import probe_https
from hybridfw.probe.interface import HttpsOptions, ProbeResult, SmtpOptions, SmtpTarget
from hybridfw.probe.loop import run
from hybridfw.probe.smtp import probe_smtp_hosts


@dataclass(frozen=True)
class ProbePlan:
    smtp_targets: tuple[SmtpTarget, ...]
    cert_name: str
    web_names: tuple[str, ...]
    skipped: tuple[str, ...]  # ranges that are not single hosts

    def to_dict(self) -> dict[str, Any]:
        return {"smtp": [str(t) for t in self.smtp_targets], "cert_name": self.cert_name,
                "https": list(self.web_names), "skipped": list(self.skipped)}


def plan_from_topology(topology: Any) -> ProbePlan:
    """Targets from a `hybridfw.topology.Topology` (duck-typed: smtp/web sections)."""
    targets: list[SmtpTarget] = []
    skipped: list[str] = []
    for text in topology.smtp.address_strings:
        network = ipaddress.ip_network(text, strict=False)
        if network.num_addresses == 1:
            targets.append(SmtpTarget(str(network.network_address), 25))
        else:
            skipped.append(text)
    return ProbePlan(tuple(targets), topology.smtp.tls_certificate_name, tuple(topology.web.names),
                     tuple(skipped))


async def probe_plan(plan: ProbePlan, smtp: SmtpOptions, https: HttpsOptions) -> list[ProbeResult]:
    """All SMTP and HTTPS probes of the plan, concurrently; SMTP results first, in plan order."""
    smtp = replace(smtp, tls=replace(smtp.tls, cert_name=smtp.tls.cert_name or plan.cert_name))
    web = [asyncio.create_task(probe_https(name, https)) for name in plan.web_names]
    results = await probe_smtp_hosts(plan.smtp_targets, smtp)
    return results + [await task for task in web]


def probe_plan_sync(plan: ProbePlan, smtp: SmtpOptions, https: HttpsOptions) -> list[ProbeResult]:
    return run(probe_plan(plan, smtp, https))
