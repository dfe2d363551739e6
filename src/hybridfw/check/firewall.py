"""Step: audit the firewall rulesets against the flows, and render the rules that are missing.

All `--firewall` files are one firewall (e.g. an iptables-save and an ip6tables-save dump), so
they are audited together; the fix is rendered for the platform the audit recognised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hybridfw.addresses import AddressSet
from hybridfw.check.interface import CheckContext, FirewallCoverage, ReadinessStep, RuleFix
from hybridfw.model import Finding, Severity

if TYPE_CHECKING:
    from hybridfw.audit import AuditResult
    from hybridfw.audit.interface import FlowCoverage as AuditRow


def flow_coverage(rows: Sequence[AuditRow]) -> FirewallCoverage:
    """One flow's rows (one per on-premises address and port) folded into one coverage.

    An address counts as allowed only when no row misses it or leaves it undecided.
    """
    missing = AddressSet.union_all(r.missing for r in rows)
    unknown = AddressSet.union_all(r.unknown for r in rows)
    accepted = AddressSet.union_all(r.allowed for r in rows)
    return FirewallCoverage(accepted | missing | unknown, accepted - missing - unknown, missing,
                        AddressSet.union_all(r.stale for r in rows))


class FirewallStep(ReadinessStep):
    name = "firewall-audit"

    def applies(self, ctx: CheckContext) -> bool:
        return bool(ctx.firewalls)

    def run(self, ctx: CheckContext) -> None:
        from hybridfw.rulesets.alias_lists import alias_lists

        with alias_lists(ctx.alias_lists):  # the fix re-reads the files: it needs them too
            self._audit(ctx)

    def _audit(self, ctx: CheckContext) -> None:
        from hybridfw.audit import Interfaces, audit_files

        result = audit_files(ctx.firewalls, ctx.flows,
                             interfaces=Interfaces.given(ctx.topology.firewall))
        ctx.findings.extend(result.findings)
        by_flow: dict[str, list[AuditRow]] = {}
        for row in result.flows:
            by_flow.setdefault(row.flow, []).append(row)
        for flow_id, rows in by_flow.items():
            ctx.coverage[flow_id] = flow_coverage(rows)
            ctx.mark_checked(flow_id, self.name)
        fix = self._fix(ctx, result)
        if fix is not None:
            ctx.fixes.append(fix)

    @staticmethod
    def _fix(ctx: CheckContext, result: AuditResult) -> RuleFix | None:
        from hybridfw.audit.fix import render_missing
        from hybridfw.audit.patch import fix_diffs
        from hybridfw.errors import InputError

        diffs = fix_diffs(result, ctx.flows)  # the same fix as `hybridfw audit` shows
        if diffs is not None:
            source = ", ".join(str(p) for p in ctx.firewalls)
            return RuleFix(source, result.platform, diffs) if diffs else None
        try:
            rendered = render_missing(result, ctx.flows, ctx.data)
        except InputError as exc:  # the audit knows a format the renderer does not write
            ctx.findings.append(Finding(
                Severity.WARNING, "check.no-fix", f"cannot render the missing rules: {exc}",
                fix=f"hybridfw rules --topology {ctx.topology_path} --platform <your platform>",
                subject="fix"))
            return None
        if rendered is None:
            return None
        ctx.findings.extend(_about_fix(f) for f in rendered.findings)
        return RuleFix(", ".join(str(p) for p in ctx.firewalls), rendered.platform, rendered.files)


def _about_fix(finding: Finding) -> Finding:
    """Renderer findings concern the suggested rules, not the flow: never let them break it."""
    severity = min(finding.severity, Severity.WARNING)
    return dataclasses.replace(finding, severity=Severity(severity), subject=finding.subject or "fix")
