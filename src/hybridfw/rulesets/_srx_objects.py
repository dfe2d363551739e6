"""Juniper SRX objects from ``set`` statements: address books, applications and destination NAT.

Address books (global, named and attached, and the older zone address books) share one name
space: an ``address`` is a prefix (exact), a ``range-address`` (exact), or a ``dns-name`` /
``wildcard-address`` (unknown, named); ``address-set`` nests. Applications: ``protocol`` and
``destination-port`` (a number, a range ``25-26`` or a Junos port name), also per ``term``; a
``source-port`` other than the full range, and Junos predefined applications hybridfw does not
know, are unknown. Destination NAT: a policy matches the translated (inside) address, so a
policy admitting a pool's address also admits the addresses a ``rule-set`` translates to that
pool: exactly when the NAT rule matches nothing but the destination address, else unknown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.rulesets._junos_leaves import UNREAD
from hybridfw.rulesets._vendor_util import MAX_NESTING, Fuzzy, Service, parse_address, parse_port_span
from hybridfw.rulesets.ports import PortInterval, merge_ports

_TCP, _UDP = frozenset({"tcp"}), frozenset({"udp"})
# Junos predefined applications (their standard ports, as in the Junos application reference).
PREDEFINED: dict[str, tuple[Service, ...]] = {
    "any": (Service(),),
    "junos-smtp": (Service(_TCP, ((25, 25),)),),
    "junos-smtps": (Service(_TCP, ((465, 465),)),),
    "junos-http": (Service(_TCP, ((80, 80),)),),
    "junos-https": (Service(_TCP, ((443, 443),)),),
    "junos-ssh": (Service(_TCP, ((22, 22),)),),
    "junos-dns-udp": (Service(_UDP, ((53, 53),)),),
    "junos-dns-tcp": (Service(_TCP, ((53, 53),)),),
    "junos-imap": (Service(_TCP, ((143, 143),)),),
    "junos-imaps": (Service(_TCP, ((993, 993),)),),
    "junos-pop3": (Service(_TCP, ((110, 110),)),),
    "junos-ntp": (Service(_UDP, ((123, 123),)),),
    "junos-ldap": (Service(_TCP, ((389, 389),)),),
}
PORT_NAMES = {"smtp": 25, "http": 80, "https": 443, "ssh": 22, "domain": 53, "ntp": 123,
              "imap": 143, "pop3": 110, "ldap": 389, "ftp": 21, "telnet": 23}
_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"}


def port_interval(text: str) -> PortInterval | None:
    if text.lower() in PORT_NAMES:
        port = PORT_NAMES[text.lower()]
        return (port, port)
    return parse_port_span(text)


@dataclass
class Nat:
    """One destination-NAT rule: packets to `match` (from `zone`, "" for any) go to `pool`."""

    zone: str
    match: AddressSet
    pool: str
    conditions: list[str] = field(default_factory=list)


class SrxObjects:
    """Everything a policy refers to, filled from the statements."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.addresses: dict[str, Fuzzy] = {}
        self.sets: dict[str, list[str]] = defaultdict(list)
        self.apps: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
        self.app_sets: dict[str, list[str]] = defaultdict(list)
        self.pools: dict[str, AddressSet] = {}
        self.nat: dict[tuple[str, str], Nat] = {}
        self.rule_set_zone: dict[str, str] = {}
        self.sides: dict[tuple[tuple[str, ...], bool], Fuzzy] = {}  # a policy's address list
        self.services: dict[tuple[str, ...], list[Service]] = {}  # a policy's applications
        self._translations: list[tuple[str, AddressSet, AddressSet, tuple[str, ...]]] | None = None

    def address_statement(self, words: tuple[str, ...], line: int) -> None:
        """``address N <prefix> | range-address A to B | dns-name D`` or ``address-set S ...``."""
        kind, name, rest = words[0], words[1], words[2:]
        if kind == "address-set":
            if len(rest) >= 2 and rest[0] in ("address", "address-set"):
                self.sets[name].append(rest[1])
            elif len(rest) >= 2 and rest[0] == UNREAD:  # resolves as an undefined (unknown) member
                self.sets[name].append(f"{UNREAD} {rest[1]}")
            return
        if not rest or rest[0] == "description":
            return
        found: Fuzzy | None = None
        if rest[0] == "range-address" and len(rest) >= 4:
            parsed = parse_address(f"{rest[1]}-{rest[3]}")
            found = Fuzzy.exact(parsed) if parsed is not None else None
        elif rest[0] in ("dns-name", "wildcard-address"):
            found = Fuzzy.unknown(f"{rest[0]} address {name} ({' '.join(rest[1:2])})")
        else:
            parsed = parse_address(rest[0])
            found = Fuzzy.exact(parsed) if parsed is not None else None
        if found is None:
            raise InputError(f"cannot read address {name!r}", path=self.path, line=line, field="address")
        self.addresses[name] = found

    def address(self, name: str, line: int, depth: int = 0) -> Fuzzy:
        if name == "any":
            return Fuzzy.exact(AddressSet.any())
        if name in ("any-ipv4", "any-ipv6"):
            return Fuzzy.exact(AddressSet.any(4 if name == "any-ipv4" else 6))
        if name in self.addresses:
            return self.addresses[name]
        if name in self.sets:
            if depth > MAX_NESTING:
                raise InputError(f"address-set {name!r} nests too deep (a loop?)", path=self.path,
                                 line=line, field="address-set")
            return Fuzzy.union([self.address(m, line, depth + 1) for m in self.sets[name]])
        literal = parse_address(name)
        if literal is not None:
            return Fuzzy.exact(literal)
        return Fuzzy.unknown(f"address {name} (not defined in this file)")

    def application(self, name: str, line: int, depth: int = 0) -> list[Service]:
        if name in self.apps:
            return [_term_service(name, t) for t in self.apps[name].values()]
        if name in self.app_sets:
            if depth > MAX_NESTING:
                raise InputError(f"application-set {name!r} nests too deep (a loop?)", path=self.path,
                                 line=line, field="application-set")
            return [s for m in self.app_sets[name] for s in self.application(m, line, depth + 1)]
        return list(PREDEFINED.get(name, (Service(None, None, (f"application {name}",)),)))

    def services_of(self, apps: tuple[str, ...], line: int) -> list[Service]:
        """The services of a policy's applications (policies repeat the same few lists)."""
        found = self.services.get(apps)
        if found is None:
            found = self.services[apps] = [s for n in apps for s in self.application(n, line)]
        return found

    def too_deep(self) -> bool:
        """Whether some address or application set nests deeper than `address` and
        `application` follow (or loops): where a policy names one, they raise."""
        return _too_deep(self.sets) or _too_deep(self.app_sets)

    def application_statement(self, words: tuple[str, ...]) -> None:
        kind, name, rest = words[0], words[1], words[2:]
        if kind == "application-set":
            if len(rest) >= 2 and rest[0] in ("application", "application-set"):
                self.app_sets[name].append(rest[1])
            elif len(rest) >= 2 and rest[0] == UNREAD:  # resolves as an unknown application
                self.app_sets[name].append(f"{UNREAD} {rest[1]}")
            return
        term = ""
        if rest and rest[0] == "term" and len(rest) >= 2:
            term, rest = rest[1], rest[2:]
        if len(rest) >= 2:
            self.apps[name][term][rest[0]] = rest[1]
        elif rest:
            self.apps[name][term][rest[0]] = ""

    def nat_statement(self, words: tuple[str, ...]) -> None:
        """``pool P address A [port p]``, ``rule-set RS from zone Z``, ``rule-set RS rule R ...``."""
        if words[0] == "pool" and len(words) >= 4 and words[2] == "address":
            parsed = parse_address(words[3])
            if parsed is not None:
                self.pools[words[1]] = self.pools.get(words[1], AddressSet.empty()) | parsed
            return
        if words[0] != "rule-set" or len(words) < 4:
            return
        rule_set, rest = words[1], words[2:]
        if rest[0] == "from" and len(rest) >= 3:
            self.rule_set_zone[rule_set] = rest[2] if rest[1] == "zone" else f"{rest[1]} {rest[2]}"
            return
        if rest[0] != "rule" or len(rest) < 4:
            return
        nat = self.nat.setdefault((rule_set, rest[1]), Nat("", AddressSet.empty(), ""))
        body = rest[2:]
        if body[:2] == ("match", "destination-address") and len(body) >= 3:
            parsed = parse_address(body[2])
            nat.match = nat.match | parsed if parsed is not None else nat.match
            if parsed is None:
                nat.conditions.append(f"destination-address {body[2]}")
        elif body[0] == "match" and len(body) >= 2:
            nat.conditions.append(" ".join(body[1:]))
        elif body[:2] == ("then", "destination-nat") and len(body) >= 4 and body[2] == "pool":
            nat.pool = body[3]

    def translations(self) -> list[tuple[str, AddressSet, AddressSet, tuple[str, ...]]]:
        """(from zone or "", translated-from addresses, pool addresses, conditions) per rule;
        computed once, after every statement is read."""
        if self._translations is None:
            self._translations = self._translate()
        return self._translations

    def _translate(self) -> list[tuple[str, AddressSet, AddressSet, tuple[str, ...]]]:
        out = []
        for (rule_set, rule), nat in self.nat.items():
            pool = self.pools.get(nat.pool)
            if pool is None or not nat.match:
                continue
            zone = self.rule_set_zone.get(rule_set, "")
            why = tuple(f"destination NAT {rule_set}/{rule} {c}" for c in nat.conditions)
            out.append((zone, nat.match, pool, why))
        return out


class _TooDeep(Exception):
    pass


def _too_deep(graph: dict[str, list[str]]) -> bool:
    """A chain of more than MAX_NESTING + 1 sets (a set met at a depth past MAX_NESTING, as
    `SrxObjects.address` counts it), or a loop."""
    heights: dict[str, int] = {}

    def height(name: str, depth: int) -> int:
        if name not in graph:
            return 0
        if depth > MAX_NESTING:
            raise _TooDeep
        found = heights.get(name)
        if found is None:
            found = heights[name] = 1 + max((height(m, depth + 1) for m in graph[name]), default=0)
        return found

    try:
        return any(height(name, 0) > MAX_NESTING + 1 for name in list(graph))
    except _TooDeep:
        return True


def _term_service(name: str, term: dict[str, str]) -> Service:
    protocol = term.get("protocol", "").lower()
    protocols = None if protocol in ("", "any") else frozenset({_PROTOCOLS.get(protocol, protocol)})
    reasons: list[str] = []
    ports: tuple[PortInterval, ...] | None = None
    if "destination-port" in term:
        span = port_interval(term["destination-port"])
        if span is None:
            reasons.append(f"destination-port {term['destination-port']} of application {name}")
        else:
            ports = merge_ports([span])
    if UNREAD in term:
        reasons.append(f"application {name}: {term[UNREAD]} (not read)")
    source = term.get("source-port")
    if source is not None and port_interval(source) not in ((0, 65535), (1, 65535)):
        reasons.append(f"source-port {source} of application {name}")
    return Service(protocols, ports, tuple(reasons))
