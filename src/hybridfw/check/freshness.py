"""Step: is the endpoint data the check compares against recent enough to trust?"""

from __future__ import annotations

from hybridfw.check.interface import CheckContext, ReadinessStep
from hybridfw.endpoints import freshness_finding
from hybridfw.model import Finding, Severity

ALL_FLOWS = "all flows"  # subject of findings that weigh on every flow's verdict


class FreshnessStep(ReadinessStep):
    name = "endpoint-freshness"

    def applies(self, ctx: CheckContext) -> bool:
        return True

    def run(self, ctx: CheckContext) -> None:
        data = ctx.data
        stale = freshness_finding(data, subject=ALL_FLOWS)
        if stale is not None:
            ctx.findings.append(stale)
        elif data.version is None:
            ctx.findings.append(Finding(
                Severity.INFO, "check.unversioned-data",
                f"endpoint data carries no service version ({data.label})",
                fix=f"hybridfw endpoints update --instance {data.instance}",
                subject="endpoint data",
            ))
