"""Step: probe the inbound paths the way Exchange Online does.

SMTP: the topology's SMTP addresses on TCP 25 with STARTTLS and the certificate name Exchange
Online expects (connector validation). HTTPS: the published web names (Autodiscover / EWS).
Probe findings are re-filed under the flow they prove (`smtp-inbound`, `https-inbound`), the
host kept in the evidence, so a refused or TLS-less server breaks that flow's verdict.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from hybridfw.check.interface import CheckContext, ReadinessStep
from hybridfw.model import Finding


def _cert_name(ctx: CheckContext) -> str:
    return str(getattr(getattr(ctx.topology, "smtp", None), "tls_certificate_name", "") or "")


def _topology_list(ctx: CheckContext, section: str, key: str) -> list[str]:
    return list(getattr(getattr(ctx.topology, section, None), key, ()) or ())


def _probe_smtp(ctx: CheckContext, targets: Sequence[str]) -> list[Any]:
    from hybridfw.probe.interface import SmtpOptions, TlsOptions
    from hybridfw.probe.smtp import parse_target, probe_smtp_hosts_sync

    options = SmtpOptions(timeout=ctx.probe_timeout,
                          tls=TlsOptions(cert_name=_cert_name(ctx), check_legacy_versions=False))
    return probe_smtp_hosts_sync([parse_target(t) for t in targets], options)


def _probe_https(ctx: CheckContext, targets: Sequence[str]) -> list[Any]:
    from hybridfw.probe.https import probe_https
    from hybridfw.probe.interface import HttpsOptions, TlsOptions
    from hybridfw.probe.loop import run

    options = HttpsOptions(timeout=ctx.probe_timeout, tls=TlsOptions(check_legacy_versions=False))

    async def all_targets() -> list[Any]:
        return list(await asyncio.gather(*(probe_https(t, options) for t in targets)))

    return run(all_targets())


@dataclasses.dataclass(frozen=True)
class ProbedFlow:
    flow: str
    targets: Callable[[CheckContext], list[str]]
    probe: Callable[[CheckContext, Sequence[str]], list[Any]]


# Which flow each probe proves, where its targets come from (explicit ones first: tests and
# `host:port` overrides), and how to probe them.
PROBED_FLOWS = (
    ProbedFlow("smtp-inbound",
               lambda ctx: list(ctx.probe_targets) or _topology_list(ctx, "smtp", "address_strings"),
               _probe_smtp),
    ProbedFlow("https-inbound",
               lambda ctx: list(ctx.probe_web_targets) or _topology_list(ctx, "web", "names"),
               _probe_https),
)


def _about_flow(finding: Finding, flow: str, target: str) -> Finding:
    return dataclasses.replace(finding, subject=flow, evidence=(f"probe of {target}", *finding.evidence))


class ProbeStep(ReadinessStep):
    name = "probe"

    def applies(self, ctx: CheckContext) -> bool:
        return ctx.probe

    def run(self, ctx: CheckContext) -> None:
        for probed in PROBED_FLOWS:
            targets = probed.targets(ctx)
            if not targets or probed.flow not in {f.id for f in ctx.flows}:
                continue
            ctx.mark_checked(probed.flow, self.name)
            for result in probed.probe(ctx, targets):
                ctx.findings.extend(_about_flow(f, probed.flow, result.target) for f in result.findings)
