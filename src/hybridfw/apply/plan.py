"""From flows to kernel sets, and the guard that decides whether they may reach the kernel.

Nothing reaches a kernel when the endpoint data is older than `max_age_days` or when the new
content would remove more than `max_removal` percent of what a kernel set holds now (the same
guard `endpoints update` puts in front of the store; `force` overrides only the removal check).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from hybridfw.addresses import AddressSet
from hybridfw.apply.interface import ApplyResult, KernelSet, SetBackend, SetChange, Status
from hybridfw.endpoints.update import removal_of
from hybridfw.errors import KernelError
from hybridfw.model import EndpointData, Finding, Flow, Severity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyOptions:
    dry_run: bool = False
    max_age_days: int = 35
    max_removal: float = 20.0
    force: bool = False


def microsoft_side(flow: Flow) -> AddressSet:
    """The addresses on Microsoft's side of a flow: who connects in, or where we connect to."""
    return flow.sources if flow.direction == "inbound" else flow.destinations


def kernel_sets(flows: Sequence[Flow], backend: SetBackend, target: str
                ) -> tuple[list[KernelSet], list[Finding]]:
    """One set per flow and family that has addresses; a finding for each flow that has none."""
    sets: list[KernelSet] = []
    findings: list[Finding] = []
    for flow in flows:
        remote = microsoft_side(flow)
        for fam in (4, 6):
            if remote.family(fam):
                sets.append(KernelSet(backend.set_name(target, flow.id, fam), flow.id, fam,
                                      remote.family(fam)))
        if not remote:
            names = flow.source_fqdns if flow.direction == "inbound" else flow.destination_fqdns
            findings.append(Finding(
                Severity.WARNING, "apply.names-only",
                f"flow {flow.id}: Microsoft publishes only names for it ({len(names)}), no addresses;"
                " no kernel set holds it", fix="allow it by name (a proxy or FQDN objects): "
                "`hybridfw rules -p fqdn-objects`", subject=flow.id))
    return sets, findings


def changes_from(sets: Sequence[KernelSet], now: dict[str, AddressSet]) -> list[SetChange]:
    changes = []
    for s in sets:
        before = now.get(s.name)
        held = before if before is not None else AddressSet.empty()
        changes.append(SetChange(s.name, s.flow, s.family, before is not None,
                                 added=s.addresses - held, removed=held - s.addresses, held=held))
    return changes


def refusals(data: EndpointData, sets: Sequence[KernelSet], now: dict[str, AddressSet],
             options: ApplyOptions) -> list[str]:
    """Why these sets must not reach the kernel; empty when they may."""
    reasons = []
    if data.age_days() > options.max_age_days:
        reasons.append(f"endpoint data is {data.age_days()} days old ({data.label}), older than "
                       f"--max-age {options.max_age_days}; run `hybridfw endpoints update` first")
    removal = [problem for s in sets if s.name in now
               for problem in removal_of(f"kernel set {s.name}", now[s.name], s.addresses,
                                         options.max_removal)]
    if removal and options.force:
        for problem in removal:
            log.warning("forced past the removal guard: %s", problem)
    elif removal:
        reasons += [f"{problem}; more than --max-removal {options.max_removal:g}%, use --force "
                    "if this is expected" for problem in removal]
    return reasons


def apply_sets(data: EndpointData, flows: Sequence[Flow], backend: SetBackend, target: str,
               options: ApplyOptions) -> ApplyResult:
    """Bring the kernel's sets to the flows' addresses, or say why not (nothing half-done)."""
    target = backend.check_target(target)
    sets, findings = kernel_sets(flows, backend, target)
    now = backend.current(target, [s.name for s in sets])
    changes = changes_from(sets, now)
    reasons = refusals(data, sets, now, options)

    def result(status: Status, transaction: str = "") -> ApplyResult:
        return ApplyResult(status, backend.name, target, tuple(sets), tuple(changes),
                           transaction, tuple(findings), tuple(reasons))

    if reasons:
        return result("refused")
    todo = [s for s, c in zip(sets, changes, strict=True) if c.changed]
    if not todo:
        return result("unchanged")
    transaction = backend.transaction(target, todo)
    if options.dry_run:
        return result("dry-run", transaction)
    backend.load(target, transaction)
    after = backend.current(target, [s.name for s in todo])
    wrong = [s.name for s in todo if after.get(s.name) != s.addresses]
    if wrong:
        raise KernelError(f"the kernel accepted the transaction but {', '.join(wrong)} "
                          "does not hold the intended addresses afterwards")
    log.info("applied %d set(s) to %s %s", len(todo), backend.name, target)
    return result("applied", transaction)
