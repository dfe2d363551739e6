"""One rule as the chain walk sees it for one probe (`Step`), and the steps of a chain.

A probe fixes one side of the packet (the on-premises address), its protocol and port; a
rule's other conditions are judged once per probe, and once per shape for the records a scoped
parse keeps (`LazyRules`): its step holds only what the walk needs, no Rule is built for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from hybridfw.addresses import AddressSet, Family, Interval
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.lazy_columns import ChainColumns
from hybridfw.rulesets.model import Action, Chain, InterfaceMatch, Origin, Rule

Side = Literal["source", "destination"]


@dataclass(frozen=True)
class Probe:
    """The packet being audited, minus the side that varies."""

    fixed_side: Side  # which side of the packet is the single address `fixed`
    fixed: int
    family: Family
    port: int
    protocol: str = "tcp"
    in_interface: str | None = None  # the interface it arrives on, if the audit was told
    out_interface: str | None = None  # the interface it leaves by (routed traffic)


@dataclass(frozen=True, slots=True)
class Undecided:
    """The conditions of a rule the audit cannot decide for a probe, as written."""

    text: str
    needs_names: bool  # some are interface matches whose names the audit was not given


Verdict = tuple[bool, "Undecided | None"]  # can match the probe; its undecidable conditions


class Step(NamedTuple):
    """One rule as the chain walk sees it for one probe (its fixed side holds the probe's
    address): no Rule is built for it (benchmarks/audit.py --all-relevant)."""

    action: Action
    target: str
    label: str
    origin: Origin
    varying: AddressSet | None  # its condition on the varying side (None: any address)
    unknown: Undecided | None  # its conditions undecidable for this probe (None: none)


class PendingSteps:
    """The steps of a probe for a chain of kept records (`LazyRules`): which rules can match it
    (their shapes' verdicts), each step made when a walk first reaches it. Once the undecided
    set is empty a walk stops, so most records of a big chain are never reached: no object for
    them (benchmarks/audit.py --all-relevant, see docs/development.md). A scanned rule's step
    is read from the scanner's columns (`LazyRules.columns`), not from its `parts`."""

    def __init__(self, rules: LazyRules, positions: Sequence[int], shapes: list[Rule],
                 verdicts: dict[int, Verdict], inbound: bool, family: Family) -> None:
        self._rules = rules
        self._shapes = shapes  # `rules.shapes()`
        columns = rules.columns
        self._columns = columns if columns is not None and columns.family == family else None
        self._positions = positions  # of the rules that can match, in `rules`
        self._verdicts = verdicts  # by id of a shape, for this probe
        self._inbound = inbound  # the varying side is the source (else the destination)
        self._made: dict[int, Step] = {}

    def __len__(self) -> int:
        return len(self._positions)

    def step(self, index: int, family: Family) -> Step:
        made = self._made.get(index)
        if made is None:
            made = self._made[index] = self._step(self._positions[index], family)
        return made

    def _step(self, position: int, family: Family) -> Step:
        columns = self._columns
        row = columns.row(position) if columns is not None else -1
        if columns is not None and row >= 0:
            # Read from the columns, no Record or Parts: benchmarks/audit.py --all-relevant.
            rule, origin = columns.rule(row), columns.origin(row)
            varying = columns.sources(row) if self._inbound else rule.match.destinations
        else:
            rule, sources, origin = self._rules.parts(position)
            varying = sources if self._inbound else rule.match.destinations
        return Step(rule.action, rule.target, rule.label, origin,
                    None if varying.covers(family) else varying,
                    self._verdicts[id(self._shapes[position])][1])

    def returns(self, index: int) -> bool:
        """Whether step `index` is a RETURN whose conditions are all decided (no step needed)."""
        shape = self._shapes[self._positions[index]]
        return shape.action == Action.RETURN and self._verdicts[id(shape)][1] is None

    def pieces(self, index: int, family: Family) -> tuple[Interval, ...] | None:
        """Step `index`'s varying side as intervals of `family` (None: any address), read
        from the columns while its step is not made (a walk makes it only if it takes some)."""
        columns = self._columns
        if columns is not None and self._inbound and index not in self._made:
            row = columns.row(self._positions[index])
            if row >= 0:
                return columns.varying(row)
        varying = self.step(index, family).varying
        return None if varying is None else (varying.v4 if family == 4 else varying.v6)


Steps = list[Step] | PendingSteps


def resolved(steps: Steps, index: int, family: Family) -> Step:
    """Step `index` (made now if it is pending, and kept for the next walk)."""
    if isinstance(steps, PendingSteps):
        return steps.step(index, family)
    return steps[index]


def verdict(rule: Rule, probe: Probe) -> Verdict:
    """Whether `rule` can match `probe`'s packet on everything but the varying address and, for
    an outbound probe, its own source; and if so, what of it cannot be decided (None: all)."""
    m = rule.match
    if (rule.action == Action.CONTINUE or m.never or not m.matches_protocol(probe.protocol)
            or not m.matches_port(probe.port)):
        return False, None
    if probe.fixed_side == "destination" and not m.destinations.contains_address(
            probe.fixed, probe.family):
        return False, None
    names: tuple[str, ...] = ()
    if m.interfaces:
        unnamed = _interface_verdicts(m.interfaces, probe)
        if unnamed is None:
            return False, None  # an interface condition is false for this packet
        names = unnamed
    if not m.undecidable and not names:
        return True, None
    return True, Undecided(", ".join(m.undecidable + names), bool(names))


def _interface_verdicts(conditions: tuple[InterfaceMatch, ...],
                        probe: Probe) -> tuple[str, ...] | None:
    """None if an interface condition is false for `probe`; else those it cannot decide (the
    audit was not told that interface's name)."""
    unknown: list[str] = []
    for condition in conditions:
        name = probe.in_interface if condition.way == "in" else probe.out_interface
        if name is None:
            unknown.append(condition.text)
        elif not condition.holds(name):
            return None
    return tuple(unknown)


def chain_steps(chain: Chain, probe: Probe, shapes: dict[int, Verdict]) -> Steps:
    """The steps of `chain` for `probe`: its rules that can match a packet like it at all.
    `shapes` holds the verdicts of record shapes for this probe (records of one shape share
    their conditions: each shape is judged once per probe)."""
    steps: list[Step] = []
    family, point = probe.family, probe.fixed
    by_destination = probe.fixed_side == "destination"
    rules = chain.rules
    lazy = rules if isinstance(rules, LazyRules) and not rules.built else None
    if by_destination and lazy is not None:
        return _pending_steps(lazy, probe, shapes)
    columns = lazy.columns if lazy is not None else None
    if lazy is not None and columns is not None and columns.family == family:
        return _outbound_steps(lazy, columns, probe, shapes)
    views = (lazy.previews(sources_matter=not by_destination) if lazy is not None
             else ((i, r, True, False) for i, r in enumerate(rules)))
    for index, seen, sources_may_match, shared in views:
        if shared:
            judged = shapes.get(id(seen))
            if judged is None:
                judged = shapes[id(seen)] = verdict(seen, probe)
        else:
            judged = verdict(seen, probe)
        can_match, unknown = judged
        if not can_match or not (by_destination or sources_may_match):
            continue
        rule, sources, origin = (lazy.parts(index) if lazy is not None
                                 else (seen, seen.match.sources, seen.origin))
        if by_destination:
            varying = sources
        else:
            if not sources.contains_address(point, family):
                continue
            varying = rule.match.destinations
        steps.append(Step(rule.action, rule.target, rule.label, origin,
                          None if varying.covers(family) else varying, unknown))
    return steps


def _pending_steps(lazy: LazyRules, probe: Probe, shapes: dict[int, Verdict]) -> PendingSteps:
    """`chain_steps` of an inbound probe for a chain of kept records: its rules that can match,
    by their shapes' verdicts (judged once per probe; a plain Rule is its own shape)."""
    every = lazy.shapes()
    positions: list[int] = []
    for index, seen in enumerate(every):
        judged = shapes.get(id(seen))
        if judged is None:
            judged = shapes[id(seen)] = verdict(seen, probe)
        if judged[0]:
            positions.append(index)
    kept: Sequence[int] = range(len(every)) if len(positions) == len(every) else positions
    return PendingSteps(lazy, kept, every, shapes, True, probe.family)


def _outbound_steps(lazy: LazyRules, columns: ChainColumns, probe: Probe,
                    shapes: dict[int, Verdict]) -> PendingSteps:
    """`chain_steps` of an outbound probe for a chain of scanned rules: those whose sources
    hold the probe's, read from the columns; each step made when a walk reaches it (the
    first that takes every destination ends the walk: benchmarks/audit.py --all-relevant)."""
    family, point = probe.family, probe.fixed
    every = lazy.shapes()
    positions: list[int] = []
    for position in columns.holding_positions(lazy.preview):
        row = columns.row(position)
        seen = every[position]
        judged = shapes.get(id(seen))
        if judged is None:
            judged = shapes[id(seen)] = verdict(seen, probe)
        if not judged[0]:
            continue
        if row >= 0:
            if columns.holds(row, point):
                positions.append(position)
        elif lazy.parts(position).sources.contains_address(point, family):
            positions.append(position)
    return PendingSteps(lazy, positions, every, shapes, False, family)
