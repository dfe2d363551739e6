"""PAN-OS security policy as read from XML or set commands, and its evaluation model.

Both readers fill the same `PanConfig` (scopes with objects and ordered security rules);
`build_ruleset` turns it into a `Ruleset`. Zones become entries: one per (from, to) zone pair,
holding the rules that apply to that pair (``any`` applies everywhere; ``intrazone`` rules only
where from = to, ``interzone`` only where they differ), with the intrazone-default (allow) or
interzone-default (deny) rule as the policy. Which pair a packet takes depends on routing, which
hybridfw does not know, so the audit reports the pairs whose rules decide the flow.

Undecidable: FQDN objects, dynamic address groups, external dynamic lists, regions, users,
URL categories, HIP profiles, schedules, and applications whose traffic on a port hybridfw
cannot tell (only a few well-known App-IDs are known by their standard ports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets._panos_services import rule_services
from hybridfw.rulesets._vendor_util import (
    MAX_NESTING,
    Fuzzy,
    Service,
    admitted,
    expand_rule,
    info,
    parse_address,
)
from hybridfw.rulesets.model import Action, Chain, Entry, Origin, Rule, Ruleset, chain_key
from hybridfw.rulesets.scope import Scope

MAX_ZONE_PAIRS = 400
_ACTIONS = {"allow": Action.ACCEPT, "deny": Action.DROP, "drop": Action.DROP,
            "reset-client": Action.REJECT, "reset-server": Action.REJECT, "reset-both": Action.REJECT}
_UNDECIDABLE_FIELDS = ("source-user", "category", "source-hip", "destination-hip")
_DEFAULTS = {"intrazone-default": "allow", "interzone-default": "deny"}
_ANY = ("any",)


def _last(fields: dict[str, list[str]], key: str) -> str:
    """`PanRule.one` without the method call."""
    values = fields.get(key)
    return values[-1] if values else ""


@dataclass
class Named:
    """An object as written: its kind (ip-netmask, static, tcp, ...), values and line."""

    name: str
    kind: str
    values: list[str]
    line: int
    extra: str = ""  # service source-port


@dataclass
class PanRule:
    name: str
    line: int
    text: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def one(self, key: str, default: str = "") -> str:
        values = self.fields.get(key)
        return values[-1] if values else default

    def many(self, key: str) -> list[str]:
        return self.fields.get(key) or ["any"]


@dataclass
class PanScope:
    """A vsys, a Panorama device-group, or ``shared``."""

    name: str
    addresses: dict[str, Named] = field(default_factory=dict)
    address_groups: dict[str, Named] = field(default_factory=dict)
    services: dict[str, Named] = field(default_factory=dict)
    service_groups: dict[str, Named] = field(default_factory=dict)
    application_groups: dict[str, Named] = field(default_factory=dict)
    external_lists: dict[str, Named] = field(default_factory=dict)
    zones: list[str] = field(default_factory=list)
    rules: list[PanRule] = field(default_factory=list)
    post_rules: list[PanRule] = field(default_factory=list)  # set form: a post-rulebase's rules
    devices: set[str] = field(default_factory=set)  # Panorama: the device-group's firewalls
    defaults: dict[str, tuple[str, int]] = field(default_factory=dict)
    omitted: int = 0  # rules a reader left out as read (scoped parse), counted in Ruleset.omitted


@dataclass
class PanConfig:
    path: str
    shared: PanScope = field(default_factory=lambda: PanScope("shared"))
    scopes: dict[str, PanScope] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


class ObjectResolver:
    """Looks names up in a scope, then in ``shared``; a rule's address list and its services are
    resolved once per spelling (a scope's rules name the same few objects)."""

    def __init__(self, config: PanConfig, scope: PanScope, audit: Scope | None = None) -> None:
        self.config = config
        self.chain = (scope, config.shared)
        self.audit = audit
        # These two: benchmarks/audit_vendor.py panos-set, full parse about 30 % faster
        self._addresses: dict[tuple[tuple[str, ...], bool], Fuzzy] = {}
        self._services: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[Service], bool]] = {}

    def lookup(self, table: str, name: str) -> Named | None:
        for scope in self.chain:
            found: Named | None = getattr(scope, table).get(name)
            if found is not None:
                return found
        return None

    def address(self, name: str, line: int, depth: int = 0) -> Fuzzy:
        if name == "any":
            return Fuzzy.exact(AddressSet.any())
        if depth > MAX_NESTING:
            raise InputError(f"address-group {name!r} nests too deep (a loop?)",
                             path=self.config.path, line=line, field="address-group")
        obj = self.lookup("addresses", name)
        if obj is not None:
            return _address_object(obj)
        group = self.lookup("address_groups", name)
        if group is not None:
            if group.kind == "dynamic":
                return Fuzzy.unknown(f"dynamic address-group {name}")
            return Fuzzy.union([self.address(m, group.line, depth + 1) for m in group.values])
        if self.lookup("external_lists", name) is not None or name.startswith("panw-"):
            return Fuzzy.unknown(f"external dynamic list {name}")
        literal = parse_address(name)
        if literal is not None:
            return Fuzzy.exact(literal)
        return Fuzzy.unknown(f"address {name} (a region, or not defined in this file)")

    def addresses(self, names: Sequence[str] | None, line: int, negate: bool) -> Fuzzy:
        """The union of `names` (None or empty: any), negated if `negate`."""
        key = (tuple(names or _ANY), negate)
        found = self._addresses.get(key)
        if found is None:
            found = Fuzzy.union([self.address(n, line) for n in key[0]])
            found = self._addresses[key] = found.negated() if negate else found
        return found

    def services(self, rule: PanRule) -> tuple[list[Service], bool]:
        """The rule's services, and whether a packet of the `audit` scope may match one."""
        fields = rule.fields
        key = (tuple(fields.get("application") or _ANY), tuple(fields.get("service") or _ANY))
        found = self._services.get(key)
        if found is None:
            services = rule_services(self, rule)
            found = self._services[key] = (services, admitted(self.audit, services))
        return found


def _address_object(obj: Named) -> Fuzzy:
    value = obj.values[0] if obj.values else ""
    if obj.kind in ("ip-netmask", "ip-range"):
        parsed = parse_address(value)
        if parsed is not None:
            return Fuzzy.exact(parsed)
    if obj.kind == "fqdn":
        return Fuzzy.unknown(f"fqdn address {obj.name} ({value})")
    return Fuzzy.unknown(f"address {obj.name} ({obj.kind} {value})")


def panorama_pushed(scope: PanScope, server: str, line: int) -> None:
    """A firewall managed by Panorama `server`: the pre-rules Panorama pushes come before the
    scope's own rules (and its post-rules after them), and the firewall's own export does not
    hold them. A first rule of unknown action says so: every verdict is unknown."""
    scope.rules.insert(0, PanRule(
        f"Panorama {server}", line,
        f"managed by Panorama {server}: its pre-rules (evaluated first) and post-rules are not in "
        "this file; read the rules in effect under Policies > Security on the firewall, or audit "
        "the Panorama export of its device-group", {"action": ["unknown"]}))


def _rule_conditions(rule: PanRule, scope: PanScope) -> tuple[str, ...]:
    why = [f"{key} {' '.join(rule.many(key))}" for key in _UNDECIDABLE_FIELDS
           if rule.many(key) != ["any"]]
    if rule.one("schedule"):
        why.append(f"schedule {rule.one('schedule')}")
    target = _target_condition(rule.fields, scope.devices)
    if target:
        why.append(target)
    return tuple(why)


def _target_condition(fields: dict[str, list[str]], group: set[str]) -> str:
    """Why a Panorama rule's target may leave out the audited firewall ('' when the rule is
    pushed to every firewall of the device-group): the file does not say which one it is."""
    devices, partial = set(fields.get("target-devices") or ()), fields.get("target-partial")
    negate = _last(fields, "target-negate") == "yes"
    if not devices and not partial:
        return ""
    if not partial and group and (devices.isdisjoint(group) if negate else group <= devices):
        return ""
    listed = " ".join(sorted(devices | set(partial or ())))
    return (f"target {'all but ' if negate else ''}{listed}: Panorama pushes the rule to "
            "those firewalls only (audit the firewall's own configuration to decide)")


def compile_rule(resolver: ObjectResolver, rule: PanRule) -> list[Rule] | None:
    """The rule's normalised rules; None when no packet of the resolver's audit scope has one
    of its services (its addresses are resolved first: their errors are still raised)."""
    fields = rule.fields  # no one()/many() calls: audit_vendor.py panos-set, scoped -5…-8 %
    sources = resolver.addresses(fields.get("source"), rule.line, _last(fields, "negate-source") == "yes")
    destinations = resolver.addresses(fields.get("destination"), rule.line,
                                      _last(fields, "negate-destination") == "yes")
    services, admitted = resolver.services(rule)
    if not admitted:  # benchmarks/audit_vendor.py panos-set: scoped parse about 30 % faster
        return None
    action = _ACTIONS.get(rule.one("action", "allow"), Action.UNKNOWN)
    origin = Origin(resolver.config.path, rule.line, rule.text)
    return expand_rule(sources, destinations, services, action, origin,
                       _rule_conditions(rule, resolver.chain[0]))


def _rules_by_pair(compiled: list[tuple[PanRule, list[Rule]]],
                   pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[Rule]]:
    """The normalised rules of each zone pair, in rule order; one pass over the rules."""
    by_pair: dict[tuple[str, str], list[Rule]] = {pair: [] for pair in pairs}
    sources = {a for a, _ in pairs}
    targets = {b for _, b in pairs}
    for rule, got in compiled:
        froms, tos = rule.many("from"), rule.many("to")
        kind = rule.one("rule-type", "universal")
        for a in sources if "any" in froms else sources.intersection(froms):
            for b in targets if "any" in tos else targets.intersection(tos):
                if (kind == "intrazone" and a != b) or (kind == "interzone" and a == b):
                    continue
                if (a, b) in by_pair:
                    by_pair[(a, b)].extend(got)
    return by_pair


def _zone_pairs(scope: PanScope, rules: list[PanRule]) -> list[tuple[str, str]]:
    named: set[str] = set()
    for r in rules:  # set.update, not many() per rule (as in compile_rule)
        fields = r.fields
        named.update(fields.get("from") or ())
        named.update(fields.get("to") or ())
    named.discard("any")
    zones = sorted(named | set(scope.zones))
    if not zones:
        return [("any", "any")]
    pairs = [(a, b) for a in zones for b in zones]
    if len(pairs) <= MAX_ZONE_PAIRS:
        return pairs
    return sorted({(a, b) for r in rules for a in r.many("from") for b in r.many("to")})


def _default_policy(path: str, scope: PanScope, src_zone: str, dst_zone: str) -> tuple[Action, Origin]:
    if src_zone == "any":
        return Action.UNKNOWN, Origin(path, 0, "intrazone or interzone default: zones unknown")
    name = "intrazone-default" if src_zone == dst_zone else "interzone-default"
    word, line = scope.defaults.get(name, (_DEFAULTS[name], 0))
    return _ACTIONS.get(word, Action.UNKNOWN), Origin(path, line, f"{name} ({word})")


def build_ruleset(config: PanConfig, fmt: str, audit: Scope | None = None) -> Ruleset:
    """The config's zone-pair chains; with `audit`, rules no audited packet can match are left
    out (`Ruleset.omitted`)."""
    omitted = 0
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    findings = list(config.findings)
    many = len(config.scopes) > 1
    for scope in config.scopes.values():
        omitted += scope.omitted
        active: list[PanRule] = []
        for r in scope.rules:
            if _last(r.fields, "disabled") == "yes":
                findings.append(info("audit.rule-disabled", f"disabled rule {r.name} skipped",
                                     config.path, r.line))
            else:
                active.append(r)
        resolver = ObjectResolver(config, scope, audit)
        compiled: list[tuple[PanRule, list[Rule]]] = []
        for r in active:
            got = compile_rule(resolver, r)
            if got is None:
                omitted += 1
            else:
                compiled.append((r, got))
        pairs = _zone_pairs(scope, active)
        by_pair = _rules_by_pair(compiled, pairs)
        for src_zone, dst_zone in pairs:
            rules = by_pair[(src_zone, dst_zone)]
            name = f"{scope.name + ' ' if many else ''}{src_zone} -> {dst_zone}"
            key = chain_key(config.path, scope.name, src_zone, dst_zone)
            policy, origin = _default_policy(config.path, scope, src_zone, dst_zone)
            chains[key] = Chain(key=key, name=name, rules=tuple(rules), table=scope.name,
                                policy=policy, policy_origin=origin)
            entries.append(Entry(name, (key,)))
    return Ruleset(format=fmt, platform="paloalto", paths=(config.path,), chains=chains,
                   entries=tuple(entries), findings=tuple(findings), omitted=omitted)
