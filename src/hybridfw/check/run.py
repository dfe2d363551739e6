"""The readiness orchestration: load topology and data, run the steps, judge every flow."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.check.freshness import ALL_FLOWS
from hybridfw.check.interface import (
    CheckContext,
    DataVersion,
    FlowReadiness,
    ReadinessResult,
    ReadinessStep,
    Verdict,
)
from hybridfw.model import Finding, Flow, finding_order

log = logging.getLogger(__name__)

def steps() -> list[ReadinessStep]:
    """One of each step listed in `hybridfw.check.STEPS`, in that order."""
    from hybridfw.check import STEPS

    return [step.load()() for step in STEPS]


def build_context(topology_path: Path, *, firewalls: list[Path] | None = None,
                  traces: list[Path] | None = None, probe: bool = False,
                  home: Path | None = None, drops: list[Path] | None = None) -> CheckContext:
    """Load the topology, the current endpoint data and the flows they require."""
    from hybridfw.endpoints import load_current
    from hybridfw.flows import required_flows
    from hybridfw.topology import load_topology

    topology = load_topology(topology_path)
    data = load_current(topology.instance, home)
    flows = list(required_flows(topology, data))
    return CheckContext(topology_path=topology_path, topology=topology, data=data, flows=flows,
                        firewalls=list(firewalls or []), traces=list(traces or []), probe=probe,
                        home=home, drops=list(drops or []))


def judge_flow(flow: Flow, ctx: CheckContext) -> FlowReadiness:
    """A flow's verdict comes from the findings about it plus those that weigh on every flow,
    and is *not checked* at best when no step looked at the flow."""
    mine = tuple(sorted((f for f in ctx.findings if f.subject in (flow.id, ALL_FLOWS)),
                        key=finding_order))
    checked_by = tuple(ctx.checked.get(flow.id, ()))
    verdict = Verdict.from_findings(mine)
    if not checked_by:
        verdict = Verdict.worst([verdict, Verdict.NOT_CHECKED])
    waived = flow.id in ctx.allow_unchecked
    cov = ctx.coverage.get(flow.id)
    if cov is None:
        return FlowReadiness(flow, verdict, mine, checked_by=checked_by, waived=waived)
    families = cov.families(flow.direction)
    stale = cov.stale if any(c.stale for c in families) else AddressSet()
    return FlowReadiness(flow, verdict, mine, coverage=families,
                         missing_cidrs=tuple(cov.missing.to_cidrs()),
                         stale_cidrs=tuple(stale.to_cidrs()), checked_by=checked_by, waived=waived)


def check_allow_unchecked(ctx: CheckContext) -> None:
    """Every flow named with --allow-unchecked must be one of the topology's flows."""
    known = [f.id for f in ctx.flows]
    unknown = sorted(set(ctx.allow_unchecked) - set(known))
    if unknown:
        from hybridfw.errors import InputError

        raise InputError(f"--allow-unchecked: no such flow {', '.join(unknown)} in "
                         f"{ctx.topology_path} (its flows: {', '.join(known)})")


def run_context(ctx: CheckContext, *, with_timeline: bool = True) -> ReadinessResult:
    """Run every step that applies and assemble the result."""

    check_allow_unchecked(ctx)
    for step in steps():
        if step.applies(ctx):
            log.info("check step %s", step.name)
            step.run(ctx)
            ctx.steps_run.append(step.name)
    findings: tuple[Finding, ...] = tuple(sorted(ctx.findings, key=finding_order))
    timeline: tuple[DataVersion, ...] = ()
    if with_timeline:
        from hybridfw.check.timeline import data_timeline

        timeline = data_timeline(ctx.data.instance, ctx.home)
    data = ctx.data
    return ReadinessResult(
        topology=str(ctx.topology_path), instance=data.instance, data_version=data.version_label(),
        data_label=data.label, data_date=data.data_date, data_age_days=data.age_days(),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        flows=tuple(judge_flow(flow, ctx) for flow in ctx.flows), findings=findings,
        fixes=tuple(ctx.fixes), timeline=timeline, steps=tuple(ctx.steps_run),
        drops=tuple(ctx.drops_seen),
        data=data.summary(),
    )


def run_check(topology_path: Path, *, firewalls: list[Path] | None = None,
              traces: list[Path] | None = None, probe: bool = False,
              home: Path | None = None, allow_unchecked: frozenset[str] = frozenset(),
              drops: list[Path] | None = None,
              connectors: list[Path] | None = None,
              alias_files: list[str] | None = None) -> ReadinessResult:
    """`hybridfw check` without the printing. Raises InputError on bad input. `alias_files`
    are ``NAME=FILE`` local copies of the lists url/urltable aliases download (as audit's)."""
    from hybridfw.rulesets.alias_lists import read_alias_file

    lists = [read_alias_file(spec) for spec in alias_files or []]  # a bad copy: exit 2 first
    ctx = build_context(topology_path, firewalls=firewalls, traces=traces, probe=probe, home=home,
                        drops=drops)
    ctx.allow_unchecked = allow_unchecked
    ctx.connectors = list(connectors or [])
    ctx.alias_lists = lists
    return run_context(ctx)
