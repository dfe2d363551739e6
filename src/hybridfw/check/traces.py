"""Step: diagnose message-trace / protocol-log files and attach what they explain."""

from __future__ import annotations

from hybridfw.check.interface import CheckContext, ReadinessStep


class TraceStep(ReadinessStep):
    name = "trace"

    def applies(self, ctx: CheckContext) -> bool:
        return bool(ctx.traces)

    def run(self, ctx: CheckContext) -> None:
        from hybridfw.trace import diagnose_files

        report = diagnose_files(ctx.traces, data=ctx.data)
        ctx.findings.extend(report.findings)
