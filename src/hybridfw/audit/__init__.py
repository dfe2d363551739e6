"""Audit an existing firewall ruleset against the required flows.

`audit_files(paths, flows, fmt="auto")` parses the ruleset file(s) (`hybridfw.rulesets`),
evaluates first-match on address sets (`evaluate`), and reports per flow what is allowed,
missing, shadowed, stale and unknown (`coverage`), with findings that name file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hybridfw.audit.coverage import FlowAuditor
from hybridfw.audit.findings import coverage_findings, not_auditable
from hybridfw.audit.interface import AuditResult, FlowCoverage, Shadow
from hybridfw.model import Finding, Flow
from hybridfw.rulesets import AUTO, parse_files
from hybridfw.rulesets.interface import Ruleset


def audit_ruleset(ruleset: Ruleset, flows: Sequence[Flow], entry: str | None = None) -> AuditResult:
    auditor = FlowAuditor(ruleset, entry)
    rows: list[FlowCoverage] = []
    findings: list[Finding] = list(ruleset.findings)
    for flow in flows:
        fixed = flow.destinations if flow.direction == "inbound" else flow.sources
        required = flow.sources if flow.direction == "inbound" else flow.destinations
        if not fixed or not required:
            findings.append(not_auditable(flow))
            continue
        flow_rows = auditor.audit_flow(flow)
        rows += flow_rows
        findings += coverage_findings(flow, flow_rows)
    return AuditResult(tuple(rows), tuple(findings), ruleset.platform, ruleset.format, ruleset.paths)


def audit_files(paths: Sequence[Path | str], flows: Sequence[Flow], fmt: str = AUTO,
                entry: str | None = None) -> AuditResult:
    """Parse `paths` (one view: e.g. iptables-save + ip6tables-save) and audit `flows`."""
    ruleset = parse_files([Path(p) for p in paths], fmt)
    return audit_ruleset(ruleset, flows, entry)


__all__ = ["AuditResult", "FlowCoverage", "Shadow", "audit_files", "audit_ruleset"]
