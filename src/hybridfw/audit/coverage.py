"""Per-flow coverage: which required addresses a ruleset lets through, and what else it does.

Which entries (chain paths) a flow is audited on: an inbound flow on every entry except
``output``, an outbound flow on every entry except ``input`` (ACL bindings: all of them). Of
those, the entries that accept (or might accept) anything for the flow's address and port are
the ones that handle it — a host's INPUT for a mail server, a gateway's FORWARD for a server
behind it. If none does, every candidate entry that filters anything is reported (all missing).
`entry=` forces one entry by name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hybridfw.addresses import AddressSet, Family
from hybridfw.audit._intervals import intersect, overlaps
from hybridfw.audit.evaluate import Evaluator, Outcome, Probe, Side
from hybridfw.audit.interface import FlowCoverage, Shadow
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets.interface import Action, Entry, Ruleset

if TYPE_CHECKING:
    from hybridfw.topology import FirewallSection

MAX_FIXED_ADDRESSES = 64  # on-premises addresses audited one by one up to this many per flow
_SKIP_ENTRY = {"inbound": "output", "outbound": "input"}


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


@dataclass(frozen=True)
class Interfaces:
    """The firewall's interface names, when the user gave them: an inbound flow's packets
    arrive on `outside` and leave by `inside`; an outbound flow's the other way round. A rule
    condition on an interface whose name is not given stays undecidable."""

    outside: str | None = None
    inside: str | None = None

    @classmethod
    def given(cls, section: FirewallSection, outside: str | None = None,
              inside: str | None = None) -> Interfaces:
        """The names given on the command line, else those of the topology's [firewall]."""
        return cls(outside or section.outside_interface or None,
                   inside or section.inside_interface or None)

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
        chain_families = {c.family for c in ruleset.chains.values()}
        # The address families the files have rules for (a chain of family None serves both).
        self._families = ({4, 6} if None in chain_families
                          else {f for f in chain_families if f is not None})
        if entry is not None and entry not in {e.name for e in ruleset.entries}:
            names = ", ".join(e.name for e in ruleset.entries)
            raise InputError(f"no entry {entry!r} in the ruleset; it has {names}", field="entry")

    def candidate_entries(self, direction: str) -> list[Entry]:
        if self.forced_entry is not None:
            return [e for e in self.ruleset.entries if e.name == self.forced_entry]
        skip = _SKIP_ENTRY.get(direction)
        return [e for e in self.ruleset.entries if e.name != skip and e.stages]

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
        return rows

    def _audit_probe(self, flow: Flow, probe: Probe, required: AddressSet,
                     onprem: AddressSet) -> list[FlowCoverage]:
        universe = AddressSet.any(probe.family)
        if probe.family not in self._families:
            return [self._no_rules_for_family(flow, probe, required)]
        outcomes = [(e, self.evaluator.run_entry(e, probe, universe))
                    for e in self.candidate_entries(flow.direction)]
        if self.forced_entry is None:
            # Prefer entries where a rule (not just a chain policy) decides this traffic.
            explicit = [(e, o) for e, o in outcomes
                        if any(d.reason != "policy" for d in o.accepted + o.unknown)]
            handling = [(e, o) for e, o in outcomes if o.accepted_set() or o.unknown_set()]
            outcomes = explicit or handling or outcomes
        return [self._coverage(flow, probe, entry, outcome, required, onprem)
                for entry, outcome in outcomes]

    @staticmethod
    def _no_rules_for_family(flow: Flow, probe: Probe, required: AddressSet) -> FlowCoverage:
        """No file given has rules for this address family (e.g. only iptables-save, no
        ip6tables-save): unknown, not "unfiltered", since the other file may just be missing."""
        note = (f"the given files have no IPv{probe.family} rules; "
                f"pass the IPv{probe.family} ruleset too (e.g. ip6tables-save output)")
        return FlowCoverage(flow.id, flow.direction, "-", address_text(probe.family, probe.fixed),
                            probe.port, AddressSet.empty(), AddressSet.empty(), AddressSet.empty(),
                            required, (), {"unknown": (note,)})

    def _coverage(self, flow: Flow, probe: Probe, entry: Entry, outcome: Outcome,
                  required: AddressSet, onprem: AddressSet) -> FlowCoverage:
        accepted = outcome.accepted_set()
        unknown = intersect(outcome.unknown_set(), required)
        missing = required - accepted - unknown
        # The on-premises servers talking to each other are not a stale Microsoft range.
        stale = accepted - required - onprem
        shadowed = self._shadowed(entry, probe, outcome, missing) if missing else ()
        evidence = {
            "allowed": tuple(d.origin.describe() for d in outcome.accepted
                             if overlaps(d.addresses, required)),
            "missing": tuple(dict.fromkeys(d.origin.describe() for d in outcome.denied
                                           if overlaps(d.addresses, missing))),
            "stale": tuple(d.origin.describe() for d in outcome.accepted
                           if overlaps(d.addresses, stale)),
            "unknown": tuple(dict.fromkeys(f"{d.origin.describe()} ({d.reason})"
                                           for d in outcome.unknown
                                           if overlaps(d.addresses, required))),
        }
        needs_names = any(d.needs_names and overlaps(d.addresses, required)
                          for d in outcome.unknown)
        return FlowCoverage(flow.id, flow.direction, entry.name,
                            address_text(probe.family, probe.fixed), probe.port,
                            allowed=intersect(accepted, required), missing=missing, stale=stale,
                            unknown=unknown, shadowed=shadowed, evidence=evidence,
                            needs_interface_names=needs_names)

    def _shadowed(self, entry: Entry, probe: Probe, outcome: Outcome,
                  missing: AddressSet) -> tuple[Shadow, ...]:
        """Accept rules on the entry's path that would admit missing addresses, and the earlier
        deny rules that took those addresses first."""
        denials = [d for d in outcome.denied if d.reason != "policy" and overlaps(d.addresses, missing)]
        if not denials:
            return ()
        found: list[Shadow] = []
        for key in self._reachable_from(entry, probe):
            for rule, varying, unknown in self.evaluator.steps(self.ruleset.chains[key], probe):
                if rule.action != Action.ACCEPT or unknown is not None:
                    continue
                would = missing if varying is None else intersect(missing, varying)
                for denial in denials:
                    both = would & denial.addresses
                    if both:
                        found.append(Shadow(both, rule.origin, denial.origin))
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
            todo += [rule.target for rule, _, _ in reversed(self.evaluator.steps(chain, probe))
                     if rule.action in (Action.JUMP, Action.GOTO) and rule.target in chains]
        self._reachable[cache_key] = result = list(seen)
        return result
