"""Step: is the endpoint data the check compares against recent enough to trust?"""

from __future__ import annotations

from hybridfw.check.interface import CheckContext, ReadinessStep
from hybridfw.model import STALE_AFTER_DAYS, Finding, Severity

ALL_FLOWS = "all flows"  # subject of findings that weigh on every flow's verdict


class FreshnessStep(ReadinessStep):
    name = "endpoint-freshness"

    def applies(self, ctx: CheckContext) -> bool:
        return True

    def run(self, ctx: CheckContext) -> None:
        data = ctx.data
        age = data.age_days()
        if data.is_stale():
            ctx.findings.append(Finding(
                Severity.WARNING, "check.stale-data",
                f"endpoint data is {age} days old ({data.label}); Microsoft publishes about monthly, "
                f"so anything older than {STALE_AFTER_DAYS} days has likely missed a version",
                evidence=(f"version {data.version_label()}", f"published {data.data_date:%Y-%m-%d}"),
                fix=f"hybridfw endpoints update --instance {data.instance}",
                subject=ALL_FLOWS,
            ))
        elif data.version is None:
            ctx.findings.append(Finding(
                Severity.INFO, "check.unversioned-data",
                f"endpoint data carries no service version ({data.label})",
                fix=f"hybridfw endpoints update --instance {data.instance}",
                subject="endpoint data",
            ))
