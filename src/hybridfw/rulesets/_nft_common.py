"""What the nftables text and JSON parsers share: building a Match from nft expressions, base
chain priorities, and turning tables/chains into a Ruleset with hook entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from hybridfw.addresses import AddressSet, Family
from hybridfw.model import Finding, Severity
from hybridfw.rulesets._netfilter import protocol_name, state_matches_new
from hybridfw.rulesets._nft_records import Record, maker, preview
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.model import (
    Action,
    Chain,
    Entry,
    InterfaceMatch,
    Match,
    Origin,
    Rule,
    Ruleset,
    chain_key,
)
from hybridfw.rulesets.ports import PortInterval, complement_ports, merge_ports

TABLE_FAMILIES: dict[str, Family | None] = {"ip": 4, "ip6": 6, "inet": None}
UNEVALUATED_FAMILIES = frozenset({"arp", "bridge", "netdev"})
PRIORITY_NAMES = {"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50,
                  "srcnat": 100, "out": 100, "dstnat_bridge": -300}
ENTRY_HOOKS = {"input": ("prerouting", "input"), "forward": ("prerouting", "forward"),
               "output": ("output",)}
# The forward entry also passes the prerouting nat chains (the audit follows their dnat), in
# priority order among the prerouting filter chains: a filter chain after priority dstnat sees
# the translated destination.
_NAT_HOOK = {"forward": "prerouting"}
VERDICTS = {"accept": Action.ACCEPT, "drop": Action.DROP, "reject": Action.REJECT,
            "return": Action.RETURN, "jump": Action.JUMP, "goto": Action.GOTO,
            "continue": Action.CONTINUE, "queue": Action.UNKNOWN}


def parse_priority(text: str) -> int | None:
    """``0``, ``-150``, ``filter``, ``filter + 10``, ``mangle - 5`` → number."""
    parts = text.replace("+", " + ").replace(" - ", " -  ").split()
    total, sign = 0, 1
    for part in parts:
        if part == "+":
            continue
        if part == "-":
            sign = -1
            continue
        if part.lstrip("-").isdigit():
            total += sign * int(part)
        elif part in PRIORITY_NAMES:
            total += sign * PRIORITY_NAMES[part]
        else:
            return None
        sign = 1
    return total


@dataclass
class MatchBuilder:
    """Collects the conditions of one nft rule, folding negation into sets as it goes."""

    table_family: Family | None
    sources: AddressSet = field(default_factory=lambda: AddressSet.any())
    destinations: AddressSet = field(default_factory=lambda: AddressSet.any())
    protocols: frozenset[str] | None = None
    protocol_negated: bool = False
    dst_ports: tuple[PortInterval, ...] | None = None
    never: str = ""
    undecidable: list[str] = field(default_factory=list)
    interfaces: list[InterfaceMatch] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.table_family is not None:
            self.restrict_family(self.table_family)

    def restrict_family(self, family: Family) -> None:
        self.sources = self.sources.family(family)
        self.destinations = self.destinations.family(family)

    def address(self, side: str, family: Family, values: AddressSet, negated: bool) -> None:
        """`ip saddr X` also means "IPv4 only": a v6 packet never matches it."""
        values = values.family(family)
        chosen = (AddressSet.any(family) - values) if negated else values
        self.restrict_family(family)
        if side == "saddr":
            self.sources = self.sources & chosen
        else:
            self.destinations = self.destinations & chosen

    def protocol(self, names: set[str], negated: bool) -> None:
        names_set = frozenset(protocol_name(n) for n in names)
        if self.protocols is None:
            self.protocols, self.protocol_negated = names_set, negated
        elif not self.protocol_negated and not negated:
            self.protocols = self.protocols & names_set
        elif not self.protocol_negated:
            self.protocols = self.protocols - names_set
        elif not negated:
            self.protocols, self.protocol_negated = names_set - self.protocols, False
        else:
            self.protocols = self.protocols | names_set
        if not self.protocol_negated and not self.protocols:
            self.never = "contradictory protocol matches"

    def dport(self, ports: tuple[PortInterval, ...], negated: bool) -> None:
        chosen = complement_ports(ports) if negated else merge_ports(list(ports))
        if self.dst_ports is not None:
            pairs = ((max(a[0], b[0]), min(a[1], b[1])) for a in self.dst_ports for b in chosen)
            chosen = tuple((lo, hi) for lo, hi in pairs if lo <= hi)
        self.dst_ports = chosen
        if not chosen:
            self.never = "no destination port left"

    def state(self, states: set[str], negated: bool, text: str) -> None:
        verdict = state_matches_new(states, negated)
        if verdict is None:
            self.undecidable.append(text)
        elif not verdict:
            self.never = f"{text}: not a new connection"

    def interface(self, keyword: str, names: list[str], negated: bool, text: str) -> None:
        """``iifname``/``oifname``/``iif``/``oif`` [!=] one name or a set; ``*`` ends a wildcard."""
        remote = [n for n in names if n != "lo"]  # remote traffic never uses loopback
        if not remote:
            if not negated:
                self.never = f"{keyword} lo: loopback traffic only"
            return
        if len(remote) < len(names) and negated:
            text += " (lo never carries remote traffic)"
        way: Literal["in", "out"] = "in" if keyword.startswith("i") else "out"
        self.interfaces.append(InterfaceMatch(way, tuple(remote), negated, text))

    def build(self) -> Match:
        return Match(self.sources, self.destinations, self.protocols, self.protocol_negated,
                     self.dst_ports, self.never, tuple(self.undecidable), tuple(self.interfaces))


@dataclass
class NftChain:
    table_family: str
    table: str
    name: str
    origin: Origin
    hook: str | None = None
    chain_type: str = "filter"
    priority: int = 0
    policy: Action | None = None
    rules: list[Rule | Record] = field(default_factory=list)  # Records: a scoped text parse


def build_ruleset(path: str, chains: list[NftChain], findings: list[Finding], parser_name: str,
                  platform: str, omitted: int = 0) -> Ruleset:
    """Resolve jump targets (same table) and order base chains per hook by priority."""
    keys = {(c.table_family, c.table, c.name): chain_key(path, c.table_family, c.table, c.name)
            for c in chains}
    out: dict[str, Chain] = {}
    hooks: dict[str, list[tuple[int, int, str]]] = {}
    for index, nc in enumerate(chains):
        key = keys[(nc.table_family, nc.table, nc.name)]
        items = [_resolve(rule, nc, keys) if isinstance(rule, Rule) else rule for rule in nc.rules]
        rules: Sequence[Rule]
        if any(not isinstance(item, Rule) for item in items):
            rules = LazyRules(items, maker(path, partial(_resolve, nc=nc, keys=keys)), preview)
        else:
            rules = tuple(items)  # type: ignore[arg-type]
        base = nc.hook is not None
        policy = (nc.policy or Action.ACCEPT) if base else None
        nat = base and nc.chain_type == "nat" and nc.hook == "prerouting"
        out[key] = Chain(key, nc.name, rules, nc.table, TABLE_FAMILIES.get(nc.table_family),
                         policy, nc.origin if base else None, nat)
        if base and nc.chain_type == "filter" and nc.table_family in TABLE_FAMILIES:
            hooks.setdefault(nc.hook or "", []).append((nc.priority, index, key))
        elif nat and nc.table_family in TABLE_FAMILIES:
            hooks.setdefault("dnat", []).append((nc.priority, index, key))
        elif base and nc.table_family in UNEVALUATED_FAMILIES:
            findings.append(Finding(Severity.WARNING, "audit.chain-not-evaluated",
                                    f"{nc.table_family} chain {nc.table} {nc.name} is not evaluated",
                                    (str(nc.origin),), subject=path))
    entries = tuple(Entry(name, tuple(k for hook in hook_names for _, _, k in sorted(
        hooks.get(hook, []) + (hooks.get("dnat", []) if _NAT_HOOK.get(name) == hook else []))))
        for name, hook_names in ENTRY_HOOKS.items())
    return Ruleset(parser_name, platform, (path,), out, entries, tuple(findings), omitted)


def _resolve(rule: Rule, nc: NftChain, keys: dict[tuple[str, str, str], str]) -> Rule:
    if rule.action not in (Action.JUMP, Action.GOTO):
        return rule
    key = keys.get((nc.table_family, nc.table, rule.target))
    if key is None:
        return Rule(rule.match, Action.UNKNOWN, rule.origin, "", f"{rule.action.value} {rule.target}")
    return Rule(rule.match, rule.action, rule.origin, key, rule.label)
