"""Step: read firewall deny logs (`hybridfw drops`) and fold what they show into the verdicts.

A dropped source from a flow's published set is an error about that flow (broken); the other
Microsoft classes are warnings (at risk). Like a trace, a deny log never marks a flow as
checked: it can show that traffic was dropped, not that the flow works.
"""

from __future__ import annotations

from hybridfw.check.interface import CheckContext, DropSeen, ReadinessStep


class DropsStep(ReadinessStep):
    name = "drops"

    def applies(self, ctx: CheckContext) -> bool:
        return bool(ctx.drops)

    def run(self, ctx: CheckContext) -> None:
        from hybridfw.audit import Interfaces
        from hybridfw.drops.run import analyse_drops

        report = analyse_drops([str(p) for p in ctx.drops], ctx.flows, ctx.data,
                               firewall=[str(p) for p in ctx.firewalls],
                               interfaces=Interfaces.given(ctx.topology.firewall))
        ctx.findings.extend(f for f in report.findings if f.code != "drops.not-microsoft")
        ctx.drops_seen.extend(DropSeen(b.flow, b.verdict.klass, b.source, b.count, b.first_seen,
                                       b.last_seen, b.to_dict())
                              for b in report.buckets if b.verdict.klass != "not-microsoft")
