"""Audit an existing firewall ruleset against the required flows.

`audit_files(paths, flows, fmt="auto")` parses the ruleset file(s) (`hybridfw.rulesets`),
evaluates first-match on address sets (`evaluate`), and reports per flow what is allowed,
missing, shadowed, stale and unknown (`coverage`), with findings that name file and line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.audit.coverage import FlowAuditor, Interfaces
from hybridfw.audit.dnat import dnat_scope
from hybridfw.audit.findings import coverage_findings, not_auditable, path_undecided
from hybridfw.audit.interface import AuditResult, FlowCoverage, Shadow
from hybridfw.model import Finding, Flow
from hybridfw.rulesets import AUTO, parse_files
from hybridfw.rulesets.lazy import gc_paused
from hybridfw.rulesets.model import Ruleset
from hybridfw.rulesets.scope import Scope

log = logging.getLogger(__name__)


def audit_ruleset(ruleset: Ruleset, flows: Sequence[Flow], entry: str | None = None,
                  interfaces: Interfaces | None = None) -> AuditResult:
    auditor = FlowAuditor(ruleset, entry, interfaces)
    rows: list[FlowCoverage] = []
    findings: list[Finding] = list(ruleset.findings) + [r.finding for r in auditor.refusals]
    for flow in flows:
        fixed = flow.destinations if flow.direction == "inbound" else flow.sources
        required = flow.sources if flow.direction == "inbound" else flow.destinations
        if not fixed or not required:
            findings.append(not_auditable(flow))
            continue
        flow_rows = auditor.audit_flow(flow)
        rows += flow_rows
        findings += coverage_findings(flow, flow_rows)
    findings += path_undecided(rows, auditor.off_path)
    placement = auditor.interfaces.placement or ""
    chain_names = {k: (c.table, c.name) for k, c in ruleset.chains.items()}
    return AuditResult(tuple(rows), tuple(findings), ruleset.platform, ruleset.format, ruleset.paths,
                       tuple(auditor.off_path), placement, chain_names)


def audit_scope(flows: Sequence[Flow]) -> Scope:
    """What an audit of `flows` asks about (lets a parser leave out rules that cannot matter)."""
    def packets(direction: str) -> frozenset[tuple[str, int]]:
        return frozenset((f.protocol, port) for f in flows if f.direction == direction
                         for port in f.ports)

    return Scope(packets("inbound"), packets("outbound"),
                 AddressSet.union_all(f.destinations for f in flows if f.direction == "inbound"),
                 AddressSet.union_all(f.sources for f in flows if f.direction == "outbound"))


def audit_files(paths: Sequence[Path | str], flows: Sequence[Flow], fmt: str = AUTO,
                entry: str | None = None, interfaces: Interfaces | None = None) -> AuditResult:
    """Parse `paths` (one view: e.g. iptables-save + ip6tables-save) and audit `flows`."""
    # The collector paused over the parse and the walk (a large acyclic model):
    # benchmarks/audit.py --format nft, its passes took 0.5 of ~3.5 s CPU.
    with gc_paused():
        return _audit_files(paths, flows, fmt, entry, interfaces)


def _audit_files(paths: Sequence[Path | str], flows: Sequence[Flow], fmt: str,
                 entry: str | None, interfaces: Interfaces | None) -> AuditResult:
    start = time.perf_counter()
    scope = audit_scope(flows)
    ruleset = parse_files([Path(p) for p in paths], fmt, scope)
    grown = dnat_scope(ruleset, scope)
    if grown is not None:  # forward rules for the translated destinations were left out
        log.info("DNAT targets outside the audit's scope: parsing again with them")
        ruleset = parse_files([Path(p) for p in paths], fmt, grown)
    parsed = time.perf_counter()
    log.info("parsed %s as %s: %d chains, %d rules (%d more left out: no audited packet can "
             "match them), entries %s (%.2fs)", ", ".join(map(str, paths)), ruleset.format,
             len(ruleset.chains), sum(len(c.rules) for c in ruleset.chains.values()),
             ruleset.omitted, ", ".join(f"{e.name}={len(e.stages)}" for e in ruleset.entries),
             parsed - start)
    result = audit_ruleset(ruleset, flows, entry, interfaces)
    log.info("audited %d flows: %d rows (%.2fs)", len(flows), len(result.flows),
             time.perf_counter() - parsed)
    return result


__all__ = ["AuditResult", "FlowCoverage", "Interfaces", "Shadow", "audit_files", "audit_ruleset",
           "audit_scope"]
