"""Per-flow coverage: which required addresses a ruleset lets through, and what else it does.

Which paths a flow is audited on is `hybridfw.audit.paths`' business (placement, interface
names, ACL bindings chained along the path). Every path that may carry the flow is reported,
one row each, and the worst decides: a drop on any plausible path is never an "allowed". Of
the ACL paths that were not named, those meant for the flow decide (a rule on them accepts, or
would accept but is shadowed, or cannot be decided for the flow's packets); the others are
still evaluated and shown as off the flow's path (`FlowAuditor.off_path`).
`entry=` forces one entry by name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hybridfw.addresses import AddressSet, Family
from hybridfw.audit._intervals import intersect, overlapping, overlaps
from hybridfw.audit.evaluate import Decided, Evaluator, Outcome, Probe, Side
from hybridfw.audit.interface import Denial, FlowCoverage, Shadow
from hybridfw.audit.loops import Refusal, blocking, refusals
from hybridfw.audit.paths import Path, Placement, as_placement, flow_paths
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets.model import Action, Entry, Ruleset

if TYPE_CHECKING:
    from hybridfw.topology import FirewallSection

MAX_FIXED_ADDRESSES = 64  # on-premises addresses audited one by one up to this many per flow


def fixed_points(addresses: AddressSet) -> Iterator[tuple[Family, int]]:
    """The on-premises addresses to audit: each one, or each block's first when there are many."""
    many = addresses.num_addresses() > MAX_FIXED_ADDRESSES
    for family, intervals in ((4, addresses.v4), (6, addresses.v6)):
        fam: Family = 4 if family == 4 else 6
        for lo, hi in intervals:
            for value in ((lo,) if many else range(lo, hi + 1)):
                yield fam, value


def address_text(family: Family, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value))


def _describe(decided: Decided) -> str:
    """Evidence of one decision, naming the DNAT it followed."""
    done = decided.translated
    text = decided.origin.describe()
    return text if done is None else f"{text} [{done.describe()}]"


def _destination(decided: Decided) -> tuple[str, int] | None:
    """The destination address and port a decision after DNAT saw (where its fix must match)."""
    done = decided.translated
    return None if done is None else (done.address_text, done.port)


@dataclass(frozen=True)
class Interfaces:
    """What the user told about the firewall: its interface names (an inbound flow's packets
    arrive on `outside` and leave by `inside`; an outbound flow's the other way round) and
    its placement (``host``: it is the audited server; ``gateway``: traffic is routed through
    it). A rule condition on an interface whose name is not given stays undecidable; without
    a placement both netfilter paths are evaluated."""

    outside: str | None = None
    inside: str | None = None
    placement: Placement | None = None

    @classmethod
    def given(cls, section: FirewallSection, outside: str | None = None,
              inside: str | None = None, placement: Placement | None = None) -> Interfaces:
        """The names given on the command line, else those of the topology's [firewall]."""
        return cls(outside or section.outside_interface or None,
                   inside or section.inside_interface or None,
                   as_placement(placement or section.placement))

    def of(self, direction: str) -> tuple[str | None, str | None]:
        """(arrives on, leaves by) for a flow of `direction`."""
        if direction == "inbound":
            return self.outside, self.inside
        return self.inside, self.outside


class FlowAuditor:
    """Audits flows against one ruleset."""

    def __init__(self, ruleset: Ruleset, entry: str | None = None,
                 interfaces: Interfaces | None = None) -> None:
        self.ruleset = ruleset
        self.evaluator = Evaluator(ruleset)
        self.forced_entry = entry
        self.interfaces = interfaces or Interfaces()
        self._reachable: dict[tuple[str, Probe], list[str]] = {}
        self._paths: dict[str, list[Path]] = {}
        self.off_path: list[FlowCoverage] = []  # evaluated paths judged not to carry the flow
        # Files the kernel refuses (or may refuse) to load: their verdicts are unknown.
        self.refusals: list[Refusal] = refusals(ruleset)
        chain_families = {c.family for c in ruleset.chains.values()}
        # The address families the files have rules for (a chain of family None serves both).
        self._families = ({4, 6} if None in chain_families
                          else {f for f in chain_families if f is not None})
        if entry is not None and entry not in {e.name for e in ruleset.entries}:
            names = ", ".join(e.name for e in ruleset.entries)
            raise InputError(f"no entry {entry!r} in the ruleset; it has {names}", field="entry")

    def paths(self, direction: str) -> list[Path]:
        found = self._paths.get(direction)
        if found is None:
            arrives, leaves = self.interfaces.of(direction)
            found = self._paths[direction] = flow_paths(
                self.ruleset, direction, self.interfaces.placement, arrives, leaves,
                self.forced_entry)
        return found

    def candidate_entries(self, direction: str) -> list[Entry]:
        """The entries a flow of `direction` is evaluated on: one per path (an ACL path of
        several bindings is one composed entry, named like the audit's rows)."""
        return [p.entry for p in self.paths(direction)]

    def audit_flow(self, flow: Flow) -> list[FlowCoverage]:
        inbound = flow.direction == "inbound"
        fixed_set = flow.destinations if inbound else flow.sources
        required = flow.sources if inbound else flow.destinations
        rows: list[FlowCoverage] = []
        arrives, leaves = self.interfaces.of(flow.direction)
        for family, value in fixed_points(fixed_set):
            probe_side: Side = "destination" if inbound else "source"
            for port in flow.ports:
                probe = Probe(probe_side, value, family, port, flow.protocol, arrives, leaves)
                rows += self._audit_probe(flow, probe, required.family(family), fixed_set)
                # A probe's steps are not kept for the next: benchmarks/audit.py --all-relevant
                # peak RSS -7 MiB (a later flow with the same probe walks again).
                self.evaluator.forget_steps()
        return rows

    def _audit_probe(self, flow: Flow, probe: Probe, required: AddressSet,
                     onprem: AddressSet) -> list[FlowCoverage]:
        universe = AddressSet.any(probe.family)
        if probe.family not in self._families:
            return [self._no_rules_for_family(flow, probe, required)]
        paths = self.paths(flow.direction)
        if not paths:
            return [self._no_path(flow, probe, required)]
        outcomes = [(p, self.run_entry(p.entry, probe, universe)) for p in paths]
        told = [(p, o) for p, o in outcomes if not p.needs_intent]
        guessed = [(p, o) for p, o in outcomes if p.needs_intent]
        if guessed:
            meant = [(p, o) for p, o in guessed if self._meant(p, probe, o, required)]
            handling = [(p, o) for p, o in guessed
                        if overlaps(o.accepted_set(), required) or overlaps(o.unknown_set(), required)]
            chosen = meant or handling or guessed
            told += chosen
            self.off_path += [self._coverage(flow, probe, p, o, required, onprem, shadows=False)
                              for p, o in guessed if all(p is not q for q, _ in chosen)]
        return [self._coverage(flow, probe, p, o, required, onprem) for p, o in told]

    def run_entry(self, entry: Entry, probe: Probe, candidates: AddressSet) -> Outcome:
        """What `entry` does with `candidates`; all unknown when a file its chains come from
        does not load (`hybridfw.audit.loops`): never a verdict from a table that cannot run,
        and no walk into its loop."""
        refusal = blocking(self.refusals, probe.family) if self.refusals else None
        if refusal is None:
            return self.evaluator.run_entry(entry, probe, candidates)
        return Outcome(unknown=[Decided(candidates.family(probe.family), refusal.origin,
                                        refusal.chain, refusal.reason)])

    def _meant(self, path: Path, probe: Probe, outcome: Outcome, required: AddressSet) -> bool:
        """Rules on `path` are meant for this traffic: one decides part of the required
        addresses (not a chain policy), or an accept rule would admit some of them (even a
        shadowed one)."""
        if any(d.reason != "policy" and overlaps(d.addresses, required)
               for d in outcome.accepted + outcome.unknown):
            return True
        for key in self._reachable_from(path.entry, probe):
            for step in self.evaluator.steps(self.ruleset.chains[key], probe):
                varying = step.varying
                if step.action == Action.ACCEPT and (varying is None or overlaps(varying, required)):
                    return True
        return False

    @staticmethod
    def _no_path(flow: Flow, probe: Probe, required: AddressSet) -> FlowCoverage:
        """No entry of the ruleset can carry this flow: unknown, never "nothing filters it"."""
        note = f"no path through the ruleset evaluates {flow.direction} traffic"
        return FlowCoverage(flow.id, flow.direction, "-", address_text(probe.family, probe.fixed),
                            probe.port, AddressSet.empty(), AddressSet.empty(), AddressSet.empty(),
                            required, (), {"unknown": (note,)})

    @staticmethod
    def _no_rules_for_family(flow: Flow, probe: Probe, required: AddressSet) -> FlowCoverage:
        """No file given has rules for this address family (e.g. only iptables-save, no
        ip6tables-save): unknown, not "unfiltered", since the other file may just be missing."""
        note = (f"the given files have no IPv{probe.family} rules; "
                f"pass the IPv{probe.family} ruleset too (e.g. ip6tables-save output)")
        return FlowCoverage(flow.id, flow.direction, "-", address_text(probe.family, probe.fixed),
                            probe.port, AddressSet.empty(), AddressSet.empty(), AddressSet.empty(),
                            required, (), {"unknown": (note,)})

    def _coverage(self, flow: Flow, probe: Probe, path: Path, outcome: Outcome,
                  required: AddressSet, onprem: AddressSet, shadows: bool = True) -> FlowCoverage:
        entry = path.entry
        accepted = outcome.accepted_set()
        unknown = intersect(outcome.unknown_set(), required)
        missing = required - accepted - unknown
        # The on-premises servers talking to each other are not a stale Microsoft range.
        stale = accepted - required - onprem
        shadowed = self._shadowed(entry, probe, outcome, missing) if missing and shadows else ()
        # Each decision tested once per set, in one compiled call per set, and described once
        # (one pass over the file's compressed lines): benchmarks/audit.py --all-relevant.
        accepts, denies, unknowns = outcome.accepted, outcome.denied, outcome.unknown
        admits = overlapping([d.addresses for d in accepts], required)
        stales = overlapping([d.addresses for d in accepts], stale)
        took = overlapping([d.addresses for d in denies], missing)
        undecided = overlapping([d.addresses for d in unknowns], required)
        said = [_describe(d) if admit or old else ""
                for d, admit, old in zip(accepts, admits, stales, strict=True)]
        evidence = {
            "allowed": tuple(text for text, admit in zip(said, admits, strict=True) if admit),
            "missing": tuple(dict.fromkeys(_describe(d)
                                           for d, hit in zip(denies, took, strict=True) if hit)),
            "stale": tuple(text for text, old in zip(said, stales, strict=True) if old),
            "unknown": tuple(dict.fromkeys(f"{_describe(d)} ({d.reason})"
                                           for d, hit in zip(unknowns, undecided, strict=True)
                                           if hit)),
        }
        needs_names = any(d.needs_names and hit
                          for d, hit in zip(unknowns, undecided, strict=True))
        denials = tuple(Denial(intersect(d.addresses, missing), d.origin, d.chain_key,
                               d.reason == "policy", _destination(d))
                        for d, hit in zip(denies, took, strict=True) if hit)
        accepting = tuple((d.origin, admit) for d, admit in zip(accepts, admits, strict=True)
                          if d.reason != "policy")
        stale_by = tuple((d.origin, intersect(d.addresses, stale))
                         for d, old in zip(accepts, stales, strict=True)
                         if d.reason != "policy" and old)
        return FlowCoverage(flow.id, flow.direction, entry.name,
                            address_text(probe.family, probe.fixed), probe.port,
                            allowed=intersect(accepted, required), missing=missing, stale=stale,
                            unknown=unknown, shadowed=shadowed, evidence=evidence,
                            needs_interface_names=needs_names, assumption=path.assumption,
                            denials=denials, accepting=accepting, stale_by=stale_by)

    def _shadowed(self, entry: Entry, probe: Probe, outcome: Outcome,
                  missing: AddressSet) -> tuple[Shadow, ...]:
        """Accept rules on the entry's path that would admit missing addresses, and the earlier
        deny rules that took those addresses first."""
        denials = [d for d in outcome.denied if d.reason != "policy" and overlaps(d.addresses, missing)]
        if not denials:
            return ()
        found: list[Shadow] = []
        for key in self._reachable_from(entry, probe):
            for step in self.evaluator.steps(self.ruleset.chains[key], probe):
                if step.action != Action.ACCEPT or step.unknown is not None:
                    continue
                would = missing if step.varying is None else intersect(missing, step.varying)
                for denial in denials:
                    both = would & denial.addresses
                    if both:
                        found.append(Shadow(both, step.origin, denial.origin))
        return tuple(found)

    def _reachable_from(self, entry: Entry, probe: Probe) -> list[str]:
        """Chains a packet like `probe` can reach from `entry`, in the order first found: through
        jumps whose conditions other than the varying address can hold for it (so a chain that
        only traffic to other hosts, ports or protocols enters is not on its path)."""
        cache_key = (entry.name, probe)
        cached = self._reachable.get(cache_key)
        if cached is not None:
            return cached
        chains = self.ruleset.chains
        seen: dict[str, None] = {}
        todo = [k for k in reversed(entry.stages) if k in chains]
        while todo:
            key = todo.pop()
            chain = chains[key]
            if key in seen or chain.family not in (None, probe.family):
                continue
            seen[key] = None
            todo += [step.target for step in reversed(self.evaluator.steps(chain, probe))
                     if step.action in (Action.JUMP, Action.GOTO) and step.target in chains]
        self._reachable[cache_key] = result = list(seen)
        return result
