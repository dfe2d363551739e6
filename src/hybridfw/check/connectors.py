"""Step: Exchange's own connectors and certificates (`hybridfw connectors`) inside the check.

Each connectors finding lands on the flow it decides: what Exchange Online needs to deliver to
on-premises (receive connectors, their certificate, the Exchange Online outbound connector) on
smtp-inbound, what on-premises needs to send to Exchange Online (send connector, its
certificate, the inbound connector) on smtp-outbound. The step never marks a flow as checked:
it judges Exchange's settings, not the network path. A part it could not check (an export not
given) is information here; `hybridfw connectors` itself treats it as a problem.
"""

from __future__ import annotations

from hybridfw.check.interface import CheckContext, ReadinessStep, RuleFix
from hybridfw.model import Finding, Severity

# check name -> flow; onprem.certificates goes by the connector the finding is about.
_FLOW_OF_CHECK = {"receive.remote-ip-ranges": "smtp-inbound", "onprem.receive-tls": "smtp-inbound",
                  "exo.outbound": "smtp-inbound", "exo.smart-hosts": "smtp-inbound",
                  "live.certificate": "smtp-inbound", "exo.inbound": "smtp-outbound",
                  "onprem.send": "smtp-outbound"}


def flow_of(check: str, finding: Finding) -> str:
    if check in _FLOW_OF_CHECK:
        return _FLOW_OF_CHECK[check]
    return "smtp-outbound" if finding.subject.startswith("SendConnector") else "smtp-inbound"


class ConnectorsStep(ReadinessStep):
    name = "connectors"

    def applies(self, ctx: CheckContext) -> bool:
        return bool(ctx.connectors)

    def run(self, ctx: CheckContext) -> None:
        from hybridfw.connectors import read_exports
        from hybridfw.connectors.checks import check_connectors
        from hybridfw.connectors.result import NOT_CHECKED

        result = check_connectors(read_exports(ctx.connectors), ctx.topology, ctx.data, ctx.flows)
        flows = {f.id for f in ctx.flows}
        for check in result.checks:
            for found in check.findings:
                flow = flow_of(check.name, found)
                if flow not in flows:
                    continue
                severity = Severity.INFO if found.code == NOT_CHECKED else found.severity
                about = f"{found.subject}: " if found.subject not in found.message else ""
                evidence = (*found.evidence, *((f"see {found.reference}",) if found.reference else ()))
                # A plain Finding (the check report's finding has no reference key): the page
                # goes into the evidence.
                ctx.findings.append(Finding(severity, found.code, about + found.message, evidence,
                                            found.fix, flow))
        if result.fixes:
            ctx.fixes.append(RuleFix(
                firewall=f"Exchange connectors ({len(ctx.connectors)} export file(s))",
                platform="exchange-powershell",
                files={"hybridfw-connectors-fix.ps1": "\n".join(result.fixes) + "\n"}))
