"""Step: probe the inbound SMTP path the way Exchange Online's connector validation does.

The topology's SMTP addresses are connected to on TCP 25 with STARTTLS and the certificate
name Exchange Online expects. Probe findings are re-filed under the `smtp-inbound` flow (the
host stays in the evidence), so a refused or TLS-less server breaks that flow's verdict.
"""

from __future__ import annotations

import dataclasses

from hybridfw.check.interface import CheckContext, ReadinessStep
from hybridfw.model import Finding

PROBED_FLOW = "smtp-inbound"


def smtp_targets(ctx: CheckContext) -> list[str]:
    """Explicit targets (tests, `host:port`) else the topology's SMTP addresses on port 25."""
    if ctx.probe_targets:
        return list(ctx.probe_targets)
    smtp = getattr(ctx.topology, "smtp", None)
    return list(getattr(smtp, "address_strings", ()) or ())


def _about_flow(finding: Finding, target: str) -> Finding:
    evidence = (f"probe of {target}", *finding.evidence)
    return dataclasses.replace(finding, subject=PROBED_FLOW, evidence=evidence)


class ProbeStep(ReadinessStep):
    name = "probe"

    def applies(self, ctx: CheckContext) -> bool:
        return ctx.probe

    def run(self, ctx: CheckContext) -> None:
        from hybridfw.probe import SmtpOptions, TlsOptions, parse_target, probe_smtp_hosts_sync

        cert_name = getattr(getattr(ctx.topology, "smtp", None), "tls_certificate_name", "") or ""
        options = SmtpOptions(timeout=ctx.probe_timeout,
                              tls=TlsOptions(cert_name=cert_name, check_legacy_versions=False))
        targets = [parse_target(t) for t in smtp_targets(ctx)]
        for result in probe_smtp_hosts_sync(targets, options):
            ctx.findings.extend(_about_flow(f, result.target) for f in result.findings)


STEP = ProbeStep()
