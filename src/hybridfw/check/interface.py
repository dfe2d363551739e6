"""The readiness result every report renders, and the base class of one readiness step.

A readiness check runs a few independent steps (endpoint freshness, firewall audit, probes,
traces). Each step adds findings and, for the audit, per-flow coverage; the verdict of a flow is
derived from the findings about it, so every output format tells the same story.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridfw.addresses import AddressSet
from hybridfw.counts import exact, is_wide
from hybridfw.errors import EXIT_OK, EXIT_PROBLEMS
from hybridfw.model import Finding, Flow, Severity

if TYPE_CHECKING:
    from hybridfw.model import EndpointData


class Verdict(enum.StrEnum):
    """Worst last: `worst()` of several verdicts is the one latest in this order.

    *not checked* ranks above *at risk*: a flow nothing looked at may be broken, while an
    at-risk flow was looked at and passed with warnings. Only *broken* (proven) is worse.
    """

    READY = "ready"
    AT_RISK = "at risk"
    NOT_CHECKED = "not checked"
    BROKEN = "broken"

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)

    @classmethod
    def worst(cls, verdicts: Iterable[Verdict]) -> Verdict:
        return max(verdicts, key=lambda v: v.rank, default=cls.READY)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Verdict:
        """Errors break a flow, warnings put it at risk; information changes nothing."""
        worst = max((f.severity for f in findings), default=Severity.INFO)
        return {Severity.ERROR: cls.BROKEN, Severity.WARNING: cls.AT_RISK}.get(worst, cls.READY)


@dataclass(frozen=True)
class FamilyCoverage:
    """Address counts for one flow and one address family, as the firewall treats them.

    `required` is what Microsoft publishes for the flow, `allowed` the part the firewall lets
    through, `missing` the part it blocks, `beyond` what it lets through for this flow outside
    Microsoft's current set. What `beyond` means depends on the direction: inbound it is *stale*
    (retired Microsoft ranges or foreign sources an inbound rule still admits, a warning);
    outbound it is other destinations (ordinary egress, information). When it covers (almost)
    the whole family, it is *open to any* address instead.
    """

    family: int
    direction: str
    required: int
    allowed: int
    missing: int
    beyond: int

    @property
    def open_to_any(self) -> bool:
        return is_wide(self.beyond, self.family)

    @property
    def stale(self) -> int:
        return self.beyond if self.direction == "inbound" and not self.open_to_any else 0

    @property
    def other(self) -> int:
        return self.beyond if self.direction == "outbound" and not self.open_to_any else 0

    def to_dict(self) -> dict[str, Any]:
        """Counts exact: numbers for IPv4, decimal strings for IPv6 (see hybridfw.counts)."""
        fam = self.family
        return {"family": fam, "required": exact(self.required, fam),
                "allowed": exact(self.allowed, fam), "missing": exact(self.missing, fam),
                "stale": exact(self.stale, fam), "other": exact(self.other, fam),
                "open_to_any": self.open_to_any}


@dataclass(frozen=True)
class FirewallCoverage:
    """What the audited firewall does with one flow's remote addresses."""

    required: AddressSet  # the part of the flow the audit could judge (allowed|missing|unknown)
    allowed: AddressSet
    missing: AddressSet
    stale: AddressSet  # accepted for the flow outside Microsoft's current set

    def families(self, direction: str) -> tuple[FamilyCoverage, ...]:
        """Per family, leaving out a family the flow does not use on this firewall."""
        return tuple(
            FamilyCoverage(fam, direction, self.required.num_addresses(fam),
                           self.allowed.num_addresses(fam), self.missing.num_addresses(fam),
                           self.stale.num_addresses(fam))
            for fam in (4, 6)
            if self.required.family(fam) or self.stale.family(fam)
        )


@dataclass(frozen=True)
class FlowReadiness:
    """The verdict on one required flow and everything behind it.

    `checked_by` names the steps that looked at the flow (firewall-audit, probe); when none did,
    the verdict is at best *not checked*. `waived` is set when the user named the flow with
    --allow-unchecked: it stays *not checked*, but no longer holds the overall verdict back.
    """

    flow: Flow
    verdict: Verdict
    findings: tuple[Finding, ...]
    coverage: tuple[FamilyCoverage, ...] = ()  # empty when no firewall was audited
    missing_cidrs: tuple[str, ...] = ()
    stale_cidrs: tuple[str, ...] = ()  # inbound only: admitted outside Microsoft's current set
    checked_by: tuple[str, ...] = ()
    waived: bool = False

    def remote(self) -> AddressSet:
        """The Microsoft side of the flow: sources inbound, destinations outbound."""
        return self.flow.sources if self.flow.direction == "inbound" else self.flow.destinations

    @property
    def counted_verdict(self) -> Verdict:
        """The verdict as the overall one counts it: a waived *not checked* counts as ready."""
        waived = self.waived and self.verdict is Verdict.NOT_CHECKED
        return Verdict.READY if waived else self.verdict

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow.id,
            "direction": self.flow.direction,
            "protocol": self.flow.protocol,
            "ports": list(self.flow.ports),
            "verdict": str(self.verdict),
            "checked_by": list(self.checked_by),
            "waived": self.waived,
            "audited": bool(self.coverage),
            "coverage": [c.to_dict() for c in self.coverage],
            "missing": list(self.missing_cidrs),
            "stale": list(self.stale_cidrs),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class DropSeen:
    """One aggregate of `hybridfw drops` (check --drops): a flow's dropped Microsoft sources."""

    flow: str
    klass: str
    source: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    record: dict[str, Any] = field(default_factory=dict, compare=False)  # as `drops --json` has it

    def to_dict(self) -> dict[str, Any]:
        return dict(self.record)


@dataclass(frozen=True)
class DataVersion:
    """One stored version of the endpoint data and how much changed against the one before."""

    version: str
    date: datetime
    added: int
    removed: int

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "date": self.date.isoformat(), "added": self.added,
                "removed": self.removed}


@dataclass(frozen=True)
class RuleFix:
    """Rules to add to one audited firewall so the missing flows pass."""

    firewall: str
    platform: str
    files: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"firewall": self.firewall, "platform": self.platform, "files": dict(self.files)}


@dataclass(frozen=True)
class ReadinessResult:
    """One readiness check: data used, per-flow verdicts, findings, fixes, data history."""

    topology: str
    instance: str
    data_version: str
    data_label: str
    data_date: datetime
    data_age_days: int
    generated_at: datetime
    flows: tuple[FlowReadiness, ...]
    findings: tuple[Finding, ...]  # every finding, flow-specific ones included
    fixes: tuple[RuleFix, ...] = ()
    timeline: tuple[DataVersion, ...] = ()
    steps: tuple[str, ...] = ()  # which steps ran, for the reader to know what was not checked
    drops: tuple[DropSeen, ...] = ()  # check --drops: what the firewall logs show dropped
    data: dict[str, Any] = field(default_factory=dict)  # EndpointData.summary() of the data

    @property
    def verdict(self) -> Verdict:
        """The worst of every flow's verdict and of the findings about no flow in particular.

        *ready* only when every required flow was checked and passed (or deliberately waived).
        """
        return Verdict.worst([*(f.counted_verdict for f in self.flows),
                              Verdict.from_findings(self.findings)])

    @property
    def exit_code(self) -> int:
        """0 only when the overall verdict is ready; 1 for at risk, not checked and broken."""
        return EXIT_OK if self.verdict is Verdict.READY else EXIT_PROBLEMS

    @property
    def unchecked(self) -> tuple[str, ...]:
        """The flows nothing checked (waived ones included)."""
        return tuple(f.flow.id for f in self.flows if not f.checked_by)

    def to_dict(self) -> dict[str, Any]:
        return {
            "topology": self.topology,
            "verdict": str(self.verdict),
            "exit_code": self.exit_code,
            "generated_at": self.generated_at.isoformat(),
            "data": self.data,
            "steps": list(self.steps),
            "not_checked": list(self.unchecked),
            "flows": [f.to_dict() for f in self.flows],
            "findings": [f.to_dict() for f in self.findings],
            "fixes": [f.to_dict() for f in self.fixes],
            "timeline": [v.to_dict() for v in self.timeline],
            "drops": [d.to_dict() for d in self.drops],
        }


@dataclass
class CheckContext:
    """What the steps share while a check runs. Steps read it and add to it."""

    topology_path: Path
    topology: Any
    data: EndpointData
    flows: list[Flow]
    firewalls: list[Path] = field(default_factory=list)
    traces: list[Path] = field(default_factory=list)
    drops: list[Path] = field(default_factory=list)  # firewall deny logs (check --drops)
    drops_seen: list[DropSeen] = field(default_factory=list)
    connectors: list[Path] = field(default_factory=list)  # Exchange exports (check --connectors)
    alias_lists: list[Any] = field(default_factory=list)  # rulesets.alias_lists.AliasList (--alias-file)
    probe: bool = False
    probe_targets: list[str] = field(default_factory=list)  # SMTP host[:port]; empty = topology's
    probe_web_targets: list[str] = field(default_factory=list)  # HTTPS host[:port]; empty = web names
    probe_timeout: float = 10.0
    home: Path | None = None
    findings: list[Finding] = field(default_factory=list)
    coverage: dict[str, FirewallCoverage] = field(default_factory=dict)
    fixes: list[RuleFix] = field(default_factory=list)
    steps_run: list[str] = field(default_factory=list)
    checked: dict[str, list[str]] = field(default_factory=dict)  # flow id -> steps that checked it
    allow_unchecked: frozenset[str] = frozenset()  # flows the user deliberately leaves unchecked

    def mark_checked(self, flow_id: str, step: str) -> None:
        steps = self.checked.setdefault(flow_id, [])
        if step not in steps:
            steps.append(step)


class ReadinessStep(abc.ABC):
    """One part of a readiness check (freshness, audit, probe, trace)."""

    name: str = ""

    @abc.abstractmethod
    def applies(self, ctx: CheckContext) -> bool:
        """Whether the user asked for this step (e.g. gave a firewall file)."""

    @abc.abstractmethod
    def run(self, ctx: CheckContext) -> None:
        """Add findings, coverage or fixes to `ctx`. Raises InputError on bad input."""
