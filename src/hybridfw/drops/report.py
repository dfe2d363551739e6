"""The result of reading deny logs: aggregates, per-file counts, findings and the exit code."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hybridfw.drops.aggregate import UNMATCHED, Aggregator, Bucket
from hybridfw.drops.interface import CLASSES, ParseStats
from hybridfw.errors import EXIT_OK, EXIT_PROBLEMS
from hybridfw.model import Finding, Severity

_SEVERITY = {"published": Severity.ERROR, "published-elsewhere": Severity.WARNING,
             "exchange-unlisted": Severity.WARNING, "retired": Severity.WARNING,
             "not-microsoft": Severity.INFO}
_WHAT = {
    "published": ("the firewall dropped Exchange Online from its published set for this flow",
                  "admit the published set: `hybridfw audit` names the rules to add "
                  "(`hybridfw rules` writes them)"),
    "published-elsewhere": ("dropped sources Microsoft publishes for another Microsoft 365 set, "
                            "not for this flow",
                            "Microsoft owns these addresses but does not list them for this flow; "
                            "admit them only if the traffic is wanted (topology [overrides])"),
    "exchange-unlisted": ("dropped Exchange Online sending from ranges it does not list for "
                          "connectors (high-risk delivery / relay pool)",
                          "if this mail is wanted, add the blocks to the topology's [overrides] "
                          "with a review date, then re-render the rules"),
    "retired": ("dropped sources that an older version of the Exchange list had, but the current "
                "one does not",
                "someone still sends from a range Microsoft dropped: check the sender before "
                "admitting it; do not re-add retired ranges wholesale"),
    "not-microsoft": ("dropped sources in no Microsoft list (counted, not listed by default)", ""),
}


@dataclass(frozen=True)
class FileSummary:
    name: str
    format: str
    encoding: str
    stats: ParseStats
    drops: int
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        s = self.stats
        return {"file": self.name, "format": self.format, "encoding": self.encoding, "drops": self.drops,
                "not_drops": s.not_drops, "malformed_lines": s.malformed, "other_lines": s.other,
                "malformed_example": s.example, "problems": list(self.problems)}


@dataclass(frozen=True)
class DropsReport:
    files: tuple[FileSummary, ...]
    buckets: tuple[Bucket, ...]  # sorted: class order, flow, most drops first
    unrelated: int
    outside_window: int
    undated: int
    endpoint_data: str
    findings: tuple[Finding, ...]

    @property
    def exit_code(self) -> int:
        worst = max((f.severity for f in self.findings), default=Severity.INFO)
        return EXIT_PROBLEMS if worst >= Severity.WARNING else EXIT_OK

    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys(CLASSES, 0)
        for bucket in self.buckets:
            totals[bucket.verdict.klass] += bucket.count
        return totals

    def skipped(self) -> dict[str, Any]:
        lines = sum(f.stats.malformed for f in self.files)
        example = next((f"{f.name}:{f.stats.example}" for f in self.files if f.stats.example), "")
        other = sum(f.stats.other for f in self.files)
        other_example = next((f"{f.name}:{f.stats.other_example}" for f in self.files
                              if f.stats.other_example), "")
        return {"lines": lines, "example": example, "other_lines": other, "other_example": other_example}

    def to_dict(self, *, show_all: bool = False) -> dict[str, Any]:
        shown = [b for b in self.buckets if show_all or b.verdict.klass != "not-microsoft"]
        return {
            "exit_code": self.exit_code, "files": [f.to_dict() for f in self.files],
            "counts": self.counts(), "unrelated_drops": self.unrelated,
            "outside_window": self.outside_window, "undated": self.undated,
            "drops": [b.to_dict() for b in shown], "skipped": self.skipped(),
            "findings": [f.to_dict() for f in self.findings],
        }


def _class_findings(buckets: list[Bucket]) -> list[Finding]:
    groups: dict[tuple[str, str], list[Bucket]] = defaultdict(list)
    for bucket in buckets:
        groups[(bucket.flow, bucket.verdict.klass)].append(bucket)
    findings = []
    for (flow, klass), group in groups.items():
        total = sum(b.count for b in group)
        what, fix = _WHAT[klass]
        evidence = tuple(f"{b.source}: {b.count} drop(s)"
                         + (f", {b.verdict.set_name}" if b.verdict.set_name else "")
                         + (f", last listed in {b.verdict.version}" if klass == "retired" else "")
                         + f"; e.g. {b.where}" for b in group[:10])
        severity = _SEVERITY[klass]
        if flow.startswith(UNMATCHED) and severity < Severity.WARNING:
            continue
        if flow.startswith(UNMATCHED):
            what = (f"Microsoft addresses ({klass}) dropped on {flow.split()[-1]} towards an address "
                    "the topology does not name: NAT, a wrong topology, or a server it does not list")
            fix = "check the destination addresses in the evidence against the topology's servers"
            severity = Severity.WARNING
        if klass == "exchange-unlisted":
            blocks = ", ".join(f'"{b.source}"' for b in group[:20])
            fix += f". E.g. [overrides] smtp_inbound = [{blocks}]  # review by a set date"
        findings.append(Finding(severity, f"drops.{klass}", f"{flow}: {total} drop(s): {what}.",
                                evidence, fix, subject=flow))
    return findings


def build_report(files: list[FileSummary], agg: Aggregator, endpoint_label: str,
                 extra: Sequence[Finding] = ()) -> DropsReport:
    order = {klass: i for i, klass in enumerate(CLASSES)}
    buckets = sorted(agg.buckets.values(), key=lambda b: (order[b.verdict.klass], b.flow, -b.count))
    findings = _class_findings(buckets) + list(extra)
    malformed = sum(f.stats.malformed for f in files)
    if malformed:
        example = next(f"{f.name}:{f.stats.example}" for f in files if f.stats.example)
        findings.append(Finding(Severity.WARNING, "drops.unreadable-lines",
                                f"{malformed} line(s) looked like firewall records but could not be read; "
                                "they may hide drops", (example,),
                                "check the log for truncated or mangled lines", subject="input"))
    for summary in files:
        findings += [Finding(Severity.WARNING, "drops.file-incomplete", problem, (), "", subject=summary.name)
                     for problem in summary.problems]
    if agg.undated:
        findings.append(Finding(Severity.INFO, "drops.undated",
                                f"{agg.undated} drop(s) carry no wall-clock time (e.g. plain dmesg); "
                                "--since/--until could not be applied to them, so they are counted",
                                subject="input"))
    return DropsReport(tuple(files), tuple(buckets), agg.unrelated, agg.outside_window, agg.undated,
                       endpoint_label, tuple(findings))
