"""`--firewall`: replay each aggregate's example drop through the audit's first-match evaluation.

For the first dropped packet of every Microsoft aggregate (its Microsoft address, on-premises
address and port) the ruleset is evaluated on every entry the audit would use for the flow's
direction. The answer names the deciding rule, or says the ruleset accepts the packet: then the
log contradicts the audit (NAT in front, a second firewall, or a stale config export).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path

from hybridfw.addresses import AddressSet, Family
from hybridfw.audit import Interfaces, audit_scope
from hybridfw.audit.coverage import FlowAuditor
from hybridfw.audit.evaluate import Probe
from hybridfw.drops.aggregate import Bucket
from hybridfw.model import Finding, Flow, Severity
from hybridfw.rulesets import AUTO, parse_files

Handling = dict[tuple[str, str, int], set[str]]  # (flow, on-premises address, port) -> entry names


def _handling(auditor: FlowAuditor, flows: Sequence[Flow]) -> Handling:
    """The entries (chain paths) the audit judges each flow's packets on, as `hybridfw audit` does."""
    found: Handling = {}
    for flow in flows:
        if not (flow.destinations if flow.direction == "inbound" else flow.sources):
            continue
        for row in auditor.audit_flow(flow):
            found.setdefault((flow.id, row.address, row.port), set()).add(row.entry)
    return found


def _judge(auditor: FlowAuditor, handling: Handling, flow: Flow, bucket: Bucket) -> tuple[str, bool]:
    """(what the ruleset does with the example packet, whether that contradicts the log)."""
    remote, local, port, hook = bucket.example
    remote_ip, local_ip = ipaddress.ip_address(remote), ipaddress.ip_address(local)
    family: Family = 4 if local_ip.version == 4 else 6
    inbound = flow.direction == "inbound"
    arrives, leaves = auditor.interfaces.of(flow.direction)
    probe = Probe("destination" if inbound else "source", int(local_ip), family, port, flow.protocol,
                  arrives, leaves)
    packet = AddressSet.parse([str(remote_ip)])
    accepted, denied, unknown = [], [], []
    used = handling.get((flow.id, str(local_ip), port))
    entries = auditor.candidate_entries(flow.direction)
    if hook and any(e.name == hook for e in entries):
        used = {hook}  # the log names the path the packet took: judge it there
    for entry in entries:
        if used is not None and entry.name not in used:
            continue
        outcome = auditor.run_entry(entry, probe, packet)
        accepted += [f"{entry.name}: {d.origin.describe()}" for d in outcome.accepted]
        denied += [f"{entry.name}: {d.origin.describe()}" for d in outcome.denied]
        unknown += [f"{entry.name}: {d.origin.describe()} ({d.reason})" for d in outcome.unknown]
    if denied:
        return f"dropped by {'; '.join(denied[:3])}", False
    if unknown:
        return f"the audit cannot decide it: {'; '.join(unknown[:3])}", False
    if accepted:
        return f"the ruleset accepts it ({'; '.join(accepted[:3])}), yet the log shows drops", True
    return "no entry of the ruleset handles this packet", False


def firewall_findings(buckets: Sequence[Bucket], flows: Sequence[Flow], paths: Sequence[str],
                      fmt: str = AUTO, interfaces: Interfaces | None = None) -> list[Finding]:
    """Annotate each Microsoft bucket with the ruleset's verdict; findings for contradictions."""
    by_id = {flow.id: flow for flow in flows}
    ruleset = parse_files([Path(p) for p in paths], fmt, audit_scope(flows))
    auditor = FlowAuditor(ruleset, None, interfaces)
    handling = _handling(auditor, flows)
    findings: list[Finding] = []
    for bucket in buckets:
        flow = by_id.get(bucket.flow)
        if flow is None or bucket.verdict.klass == "not-microsoft" or not bucket.example[0]:
            continue
        bucket.firewall, contradiction = _judge(auditor, handling, flow, bucket)
        if contradiction:
            remote, local, port, _ = bucket.example
            findings.append(Finding(
                Severity.WARNING, "drops.audit-contradiction",
                f"{flow.id}: the audit of {', '.join(paths)} says {remote} -> {local}:{port} is allowed, "
                f"but the log shows {bucket.count} drop(s) from {bucket.source}",
                (bucket.firewall, bucket.where),
                "the packet meets another filter than the audited one: NAT in front of it, a second "
                "firewall, or a config export older than the running rules; audit that one",
                subject=flow.id))
    return findings
