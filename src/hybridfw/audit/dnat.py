"""Destination NAT on the gateway path: a DNAT target as written → the new destination.

A gateway that publishes a server on its public address translates it in PREROUTING
(iptables ``-j DNAT --to-destination 10.0.0.5[:2525]``, nft ``dnat to 10.0.0.5``) before the
forward hook: the forward rules see the inside address. The evaluator (`evaluate.Evaluator`)
follows such a rule with the new destination; this module reads its target. Only one address
(and at most one port) is followed: for a range the kernel picks one per connection, and a map
depends on the packet, so those stay *unknown* with the reason, never allowed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from hybridfw.addresses import AddressSet, Family
from hybridfw.audit.loops import chain_calls
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.model import Action, Origin, Rule, Ruleset
from hybridfw.rulesets.scope import Scope

FAMILIES: tuple[Family, ...] = (4, 6)


@dataclass(frozen=True)
class Translation:
    """What a DNAT rule did: the rule, and the destination address and port after it."""

    origin: Origin
    family: Family
    address: int
    port: int

    @property
    def address_text(self) -> str:
        return str(ipaddress.ip_address(self.address) if self.family == 4
                   else ipaddress.IPv6Address(self.address))

    def describe(self) -> str:
        return f"after DNAT to {self.address_text} port {self.port} ({self.origin})"


def _split(text: str) -> tuple[str, str]:
    """(address, port) of ``a.b.c.d[:port]``, ``[v6][:port]``, bare v6; either may be ""."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else rest
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, port
    return text, ""


def translation(target: str, family: Family, port: int, origin: Origin) -> Translation | str:
    """The destination after the DNAT at `origin` (`target` as written) for a packet of
    `family` to `port`; a string saying why it cannot be followed otherwise."""
    where = f"DNAT {target!r}" if target else "DNAT without a readable target"
    host, port_text = _split(target.strip())
    if not host:
        return f"{where}: no single new address, not followed"
    if "-" in host or "/" in host:
        return f"{where}: an address range (the kernel picks one per connection), not followed"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"{where}: not a single address (a map or expression), not followed"
    if address.version != family:
        return f"{where}: IPv{address.version} target for an IPv{family} packet, not followed"
    new_port = port
    if port_text:
        lo, _, hi = port_text.partition("-")
        if not lo.isdigit() or (hi and hi != lo) or not 0 < int(lo) <= 65535:
            return f"{where}: a port range or unreadable port, not followed"
        new_port = int(lo)
    return Translation(origin, family, int(address), new_port)


def single(family: Family, address: int) -> AddressSet:
    interval = ((address, address),)
    return AddressSet(interval, ()) if family == 4 else AddressSet((), interval)


def _dnat_rules(ruleset: Ruleset) -> list[Rule]:
    """The DNAT rules a nat chain can reach: every chain of an iptables nat table, and the
    chains nat base chains jump or go to (nft tables have any name). A lazy chain's record
    shapes carry their DNAT targets, so nothing is built; its calls are resolved to chain keys
    by `loops.chain_calls`, as the loop check does."""
    chains = ruleset.chains
    todo = [key for key, chain in chains.items() if chain.nat or chain.table == "nat"]
    seen: set[str] = set()
    found: list[Rule] = []
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        chain = chains[key]
        rules = chain.rules
        shapes = rules.shapes() if isinstance(rules, LazyRules) and not rules.built else rules
        found.extend(rule for rule in shapes if rule.action == Action.DNAT)
        todo.extend(call.target for call in chain_calls(chain) if call.target in chains)
    return found


def dnat_scope(ruleset: Ruleset, scope: Scope) -> Scope | None:
    """`scope` grown by the destinations and ports DNAT rules translate to, when a scoped parse
    may have left out forward rules for them (those match the inside address, not the audited
    one); None when nothing is to add."""
    addresses: list[AddressSet] = []
    ports: set[int] = set()
    for rule in _dnat_rules(ruleset):
        for family in FAMILIES:
            found = translation(rule.target, family, 0, rule.origin)
            if isinstance(found, Translation):
                addresses.append(single(found.family, found.address))
                if found.port:
                    ports.add(found.port)
    new = AddressSet.union_all(addresses) - scope.destinations
    protocols = {p for p, _ in scope.inbound | scope.outbound}
    packets = frozenset((p, port) for p in protocols for port in ports)
    if not new and packets <= scope.inbound and packets <= scope.outbound:
        return None
    return replace(scope, inbound=scope.inbound | packets, outbound=scope.outbound | packets,
                   destinations=scope.destinations | new)
