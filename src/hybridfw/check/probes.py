"""Step: probe the inbound paths the way Exchange Online does.

SMTP: the topology's SMTP addresses on TCP 25 with STARTTLS and the certificate name Exchange
Online expects (connector validation). HTTPS: the published web names (Autodiscover / EWS).
Probe findings are re-filed under the flow they prove (`smtp-inbound`, `https-inbound`), the
host kept in the evidence, so a refused or TLS-less server breaks that flow's verdict.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from hybridfw.check.interface import CheckContext, ReadinessStep
from hybridfw.model import Finding


def _plan(ctx: CheckContext) -> Any:
    """What `probe --topology` probes: single SMTP addresses (ranges noted), web names and URLs."""
    from hybridfw.probe.plan import plan_from_topology

    return plan_from_topology(ctx.topology)


def _skipped_ranges(ctx: CheckContext, flow: str) -> list[Finding]:
    """The topology's SMTP ranges: a probe of single hosts says nothing about the hosts in them."""
    from hybridfw.probe.plan import not_probed

    if ctx.probe_targets:
        return []
    return [dataclasses.replace(f, subject=flow) for f in not_probed(_plan(ctx))]


def _probe_smtp(ctx: CheckContext) -> list[Any]:
    from hybridfw.probe.interface import SmtpOptions, TlsOptions
    from hybridfw.probe.smtp import parse_target, probe_smtp_hosts_sync

    plan = _plan(ctx)
    targets = [parse_target(t) for t in ctx.probe_targets] or list(plan.smtp_targets)
    if not targets:
        return []
    options = SmtpOptions(timeout=ctx.probe_timeout,
                          tls=TlsOptions(cert_name=plan.cert_name, check_legacy_versions=False))
    return probe_smtp_hosts_sync(targets, options)


def _probe_https(ctx: CheckContext) -> list[Any]:
    from hybridfw.probe.https import probe_https
    from hybridfw.probe.interface import HttpsOptions, TlsOptions
    from hybridfw.probe.loop import run

    options = HttpsOptions(timeout=ctx.probe_timeout, tls=TlsOptions(check_legacy_versions=False))
    # each published name with the paths as Exchange Online calls them: the URLs `[web] urls`
    # configures, the default spelling for the rest
    jobs = ([(t, options) for t in ctx.probe_web_targets] if ctx.probe_web_targets else
            [(f"{t.host}:{t.port}", dataclasses.replace(options, paths=t.paths, overrides=t.overrides))
             for t in _plan(ctx).web_targets])

    async def all_targets() -> list[Any]:
        return list(await asyncio.gather(*(probe_https(t, o) for t, o in jobs)))

    return run(all_targets()) if jobs else []


@dataclasses.dataclass(frozen=True)
class ProbedFlow:
    flow: str
    probe: Callable[[CheckContext], list[Any]]
    not_probed: Callable[[CheckContext, str], list[Finding]] = lambda ctx, flow: []


# Which flow each probe proves and how to probe it (explicit targets first: tests and `host:port`
# overrides; else the topology, as `probe --topology` reads it).
PROBED_FLOWS = (
    ProbedFlow("smtp-inbound", _probe_smtp, _skipped_ranges),
    ProbedFlow("https-inbound", _probe_https),
)


def _about_flow(finding: Finding, flow: str, target: str) -> Finding:
    return dataclasses.replace(finding, subject=flow, evidence=(f"probe of {target}", *finding.evidence))


class ProbeStep(ReadinessStep):
    name = "probe"

    def applies(self, ctx: CheckContext) -> bool:
        return ctx.probe

    def run(self, ctx: CheckContext) -> None:
        for probed in PROBED_FLOWS:
            if probed.flow not in {f.id for f in ctx.flows}:
                continue
            results = probed.probe(ctx)
            ctx.findings.extend(probed.not_probed(ctx, probed.flow))
            if not results:
                continue
            ctx.mark_checked(probed.flow, self.name)
            for result in results:
                ctx.findings.extend(_about_flow(f, probed.flow, result.target) for f in result.findings)
