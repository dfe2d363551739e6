"""The result of `hybridfw trace`: causes ranked by count, groups, senders, and Findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hybridfw.model import Finding, Severity, exit_code_for
from hybridfw.trace.aggregate import Aggregator, CauseTally
from hybridfw.trace.observed import ObservedSenders

TOP_TARGETS = 3


@dataclass(frozen=True)
class FileReport:
    path: str
    format: str
    encoding: str
    rows: int
    skipped_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "encoding": self.encoding,
                "rows": self.rows, "skipped_rows": self.skipped_rows}


FLOWS = {"inbound": "smtp-inbound", "outbound": "smtp-outbound"}


def flow_id(cause: CauseTally) -> str:
    """The flow (hybridfw.flows id) a firewall-category cause breaks; "" for other categories
    and when the input does not say which direction failed."""
    if cause.entry.category != "firewall":
        return ""
    return FLOWS.get(cause.hop, "")


def flow_hint(cause: CauseTally) -> str:
    """Which firewall flow a firewall-category cause points at, per target address."""
    if cause.entry.category != "firewall":
        return ""
    flow = flow_id(cause)
    targets = [ip for ip, _ in cause.target_ips.most_common(TOP_TARGETS)]
    if not flow:
        return ("The input does not say which direction failed: smtp-inbound (TCP 25 from the EOP ranges "
                "to the hybrid receive servers) or smtp-outbound (TCP 25 from the hybrid send servers to "
                "Exchange Online); `hybridfw audit` checks both.")
    if flow == "smtp-outbound":
        hosts = [h for h, _ in cause.target_hosts.most_common(TOP_TARGETS)]
        where = f" to {', '.join(targets + hosts)}" if targets or hosts else \
            " to the published EOP ranges / the tenant's MX host"
        return (f"The failing flow is smtp-outbound (TCP 25 from the hybrid send servers{where}); "
                "`hybridfw audit` shows whether the ruleset allows it.")
    where = f" to {', '.join(targets)}" if targets else " to the hybrid receive servers"
    return (f"The failing flow is smtp-inbound (TCP 25 from the EOP ranges{where}); "
            "`hybridfw audit` shows whether the ruleset allows it.")


def check_command(cause: CauseTally) -> str:
    """The catalog's check, made concrete with what the failures name: the probe gets the
    target host (else address) that failed most, the DNS probe the top recipient domain."""
    check = cause.entry.check
    if check.startswith("hybridfw probe smtp"):
        target = next(iter(cause.target_hosts.most_common(1)), None) or next(
            iter(cause.target_ips.most_common(1)), None)
        if target:
            host = f"[{target[0]}]" if ":" in target[0] else target[0]
            options = check.removeprefix("hybridfw probe smtp")
            if "--cert-name" in options:
                options += " <expected name>"
            return f"hybridfw probe smtp {host}{options}"
    if check == "hybridfw probe dns" and cause.domains:
        return f"{check} {cause.domains.most_common(1)[0][0]}"
    return check


def cause_finding(cause: CauseTally) -> Finding:
    entry = cause.entry
    evidence = [f"chain: {' -> '.join(cause.chain)}" if cause.chain else "no status code in the export",
                f"example: {cause.example}" if cause.example else ""]
    times = cause.to_dict()
    if times["first_seen"]:
        evidence.append(f"first {times['first_seen']}, last {times['last_seen']}")
    for label, counter in (("target IP", cause.target_ips), ("target host", cause.target_hosts),
                           ("recipient domain", cause.domains), ("status", cause.statuses)):
        if counter:
            top = counter.most_common(TOP_TARGETS)
            evidence.append(f"{label}: " + ", ".join(f"{k} ({n})" for k, n in top))
    if cause.message_ids:
        evidence.append("messages: " + ", ".join(cause.message_ids))
    if cause.story:
        evidence.append(f"session: {cause.story}")
    fix = f"{entry.fix_for(cause.hop)} Check with `{check_command(cause)}`."
    if hint := flow_hint(cause):
        fix = f"{fix} {hint}"
    severity = Severity.WARNING if entry.severity == "warning" else Severity.ERROR
    noun = "message" if cause.count == 1 else "messages"
    return Finding(severity=severity, code=entry.finding_code,
                   message=f"{cause.count} {noun}: {entry.cause}", evidence=tuple(e for e in evidence if e),
                   fix=fix, subject=flow_id(cause) or entry.category)


def undecided_finding(agg: Aggregator) -> list[Finding]:
    """Messages whose trace status is not final (GettingStatus, None): say so, never round them
    up to "no failures"."""
    count = sum(agg.undecided_statuses.values())
    if not count:
        return []
    statuses = ", ".join(f"{s or '(empty)'} ({n})" for s, n in agg.undecided_statuses.most_common())
    evidence = [f"status: {statuses}"]
    if agg.undecided_ids:
        evidence.append("messages: " + ", ".join(agg.undecided_ids))
    return [Finding(
        severity=Severity.WARNING, code="trace.undecided.status-not-final",
        message=(f"{count} message(s) have no final status yet ({statuses}): whether they were "
                 "delivered or failed is not known, so they are counted neither as failures nor as "
                 "delivered"),
        evidence=tuple(evidence),
        fix=("Run the trace again later (Exchange Online fills the status in after a while), or run "
             "Get-MessageTraceDetailV2 for these message trace ids, and give hybridfw trace that export."),
        subject="undecided")]


def sender_findings(observed: ObservedSenders | None) -> list[Finding]:
    if observed is None or not observed.unlisted:
        return []
    evidence = tuple(f"{u.ip}: {u.tally.count} ({u.rule}: {u.evidence}) "
                     f"{u.tally.to_dict()['first_seen']} .. {u.tally.to_dict()['last_seen']}"
                     for u in observed.unlisted)
    return [Finding(
        severity=Severity.WARNING, code="trace.observed.unlisted-sender",
        message=(f"{len(observed.unlisted)} Exchange Online sending address(es) are outside the "
                 f"published SMTP set ({observed.endpoint_data}); a firewall built from the list drops them"),
        evidence=evidence,
        fix="Add them to the topology file: " + observed.overrides_toml().replace("\n", " ").strip(),
        subject="smtp-inbound")]


@dataclass(frozen=True)
class TraceReport:
    """What `diagnose_files` returns; `.findings` is what `hybridfw check` consumes."""

    files: tuple[FileReport, ...]
    causes: tuple[CauseTally, ...]
    groups: tuple[tuple[tuple[str, str, str, str, str], dict[str, Any]], ...]
    senders: ObservedSenders | None
    sender_rules: tuple[str, ...]
    notes: tuple[str, ...]
    findings: tuple[Finding, ...]
    undecided: dict[str, int] = field(default_factory=dict)  # status -> messages not final yet

    @property
    def failures(self) -> int:
        return sum(c.count for c in self.causes)

    @property
    def undecided_count(self) -> int:
        return sum(self.undecided.values())

    @property
    def exit_code(self) -> int:
        """0 no failures found and every status final, 1 failures diagnosed (a deferral counts
        too) or messages whose outcome is not known yet."""
        return 1 if self.failures or self.undecided_count else exit_code_for(self.findings)

    @classmethod
    def build(cls, files: list[FileReport], agg: Aggregator, senders: ObservedSenders | None,
              sender_rules: list[str]) -> TraceReport:
        causes = agg.ranked_causes()
        rank = {(c.entry.id, c.hop): i for i, c in enumerate(causes)}
        groups = sorted(agg.groups.items(), key=lambda kv: (rank[kv[0][:2]], -kv[1].count, kv[0]))
        findings = [cause_finding(c) for c in causes] + undecided_finding(agg) + sender_findings(senders)
        return cls(files=tuple(files), causes=tuple(causes),
                   groups=tuple((k, t.to_dict()) for k, t in groups), senders=senders,
                   sender_rules=tuple(sender_rules), notes=tuple(agg.notes), findings=tuple(findings),
                   undecided=dict(agg.undecided_statuses.most_common()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "failures": self.failures,
            "undecided": {"count": self.undecided_count, "statuses": dict(self.undecided)},
            "causes": [_cause_dict(c) for c in self.causes],
            "groups": [{"cause": k[0], "direction": k[1], "target_ip": k[2], "recipient_domain": k[3],
                        "status": k[4], **t} for k, t in self.groups],
            "observed_senders": self.senders.to_dict() if self.senders else None,
            "sender_rules": list(self.sender_rules),
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings],
        }


def _cause_dict(cause: CauseTally) -> dict[str, Any]:
    entry = cause.entry
    return {"id": entry.id, "category": entry.category, "cause": entry.cause, "fix": entry.fix_for(cause.hop),
            "direction": cause.hop, "source": entry.source, "session": cause.story,
            "check": entry.check, "check_command": check_command(cause),
            **cause.to_dict(), "chain": list(cause.chain), "example": cause.example,
            "flow": flow_id(cause), "flow_hint": flow_hint(cause),
            "target_ips": dict(cause.target_ips.most_common()),
            "target_hosts": dict(cause.target_hosts.most_common()),
            "recipient_domains": dict(cause.domains.most_common()),
            "statuses": dict(cause.statuses.most_common())}
