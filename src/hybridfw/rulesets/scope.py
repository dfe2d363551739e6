"""What an audit asks about, so a parser can leave out the rules no audited packet can match."""

from __future__ import annotations

from dataclasses import dataclass, field

from hybridfw.addresses import AddressSet, Interval
from hybridfw.rulesets.model import Action, Match, Rule
from hybridfw.rulesets.ports import PortInterval


@dataclass(frozen=True)
class Scope:
    """What an audit asks about: new connections of its flows, as (protocol, destination port)
    pairs per direction, and the on-premises addresses on the fixed side of each direction
    (the destinations of inbound flows, the sources of outbound flows).

    A parser given a scope may leave out rules that cannot matter to any of those packets:
    another protocol or port, an established-only or loopback-only rule, a LOG or counter rule,
    or a rule whose on-premises side excludes every audited on-premises address. The evaluator
    would skip such a rule for every probe of the audit, so no verdict changes. A jump or goto
    is always kept (`calls`): the chain graph of a scoped parse is the full parse's."""

    inbound: frozenset[tuple[str, int]] = frozenset()
    outbound: frozenset[tuple[str, int]] = frozenset()
    destinations: AddressSet = field(default_factory=AddressSet.empty)  # fixed side, inbound
    sources: AddressSet = field(default_factory=AddressSet.empty)  # fixed side, outbound

    @staticmethod
    def _admits(match: Match, packets: frozenset[tuple[str, int]]) -> bool:
        if match.never:
            return False
        for protocol, port in packets:
            if match.matches_protocol(protocol) and match.matches_port(port):
                return True
        return False

    def admits_service(self, protocols: frozenset[str] | None,
                       ports: tuple[PortInterval, ...] | None) -> bool:
        """As `admits` for a plain match of `protocols` (None: any) and destination `ports`
        (None: any), without building the Match: the vendor readers ask this once per
        distinct service, and most rules name a service of their own."""
        for packets in (self.inbound, self.outbound):
            for protocol, port in packets:
                if (protocols is None or protocol in protocols) and (
                        ports is None or any(lo <= port <= hi for lo, hi in ports)):
                    return True
        return False

    def admits(self, match: Match) -> bool:
        """Protocol and port (and a new connection) of some audited flow can match."""
        return self._admits(match, self.inbound) or self._admits(match, self.outbound)

    def inbound_needs(self, match: Match) -> bool:
        """An inbound flow's packet can match (its destination is one of ours)."""
        return self._admits(match, self.inbound) and not self.destinations.isdisjoint(
            match.destinations)

    def outbound_ports(self, match: Match) -> bool:
        return self._admits(match, self.outbound)

    def needs(self, match: Match) -> bool:
        """A packet of some audited flow can match this rule."""
        return self.inbound_needs(match) or (
            self.outbound_ports(match) and not self.sources.isdisjoint(match.sources))


def calls(rule: Rule) -> bool:
    """A jump or goto: a scoped parse keeps it whatever its conditions, so the chain calls are
    the full parse's (the kernel's loop and depth checks, `hybridfw.audit.loops`, need every
    one). The evaluator skips one no audited packet can match, as it skips any such rule."""
    return rule.action is Action.JUMP or rule.action is Action.GOTO


def holds_source(held: tuple[Interval, ...], lo: int, hi: int, negated: bool) -> bool:
    """Whether a source condition ``[!=] lo-hi`` holds one of the intervals `held` (audited
    on-premises sources of one family), without building a set."""
    for first, last in held:
        if negated:
            if first < lo or last > hi:  # some of first-last lies outside lo-hi
                return True
        elif first <= hi and lo <= last:
            return True
    return False
