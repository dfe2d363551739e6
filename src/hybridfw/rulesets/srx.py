"""Juniper SRX (Junos) security policies: ``show configuration`` (hierarchical) or
``show configuration | display set``.

Entries are zone pairs, ``untrust -> trust``: the ``from-zone untrust to-zone trust`` policies in
order, then the ``global`` policies whose ``from-zone``/``to-zone`` match (any when not given),
then the ``default-policy`` (``deny-all`` unless set to ``permit-all``). Pairs come from the
zones the configuration defines and the policies name. ``inactive:`` / ``deactivate`` statements
are not in effect (reported for policies). A policy matches ``source-address`` /
``destination-address`` (address-book names, sets, ``any``, ``any-ipv4``, ``any-ipv6``; the
``-excluded`` flags negate), ``application``; ``then permit|deny|reject``. Unknown, naming it:
``source-identity``, ``dynamic-application`` (other than ``none``), ``scheduler-name``, URL
categories, and what `_srx_objects` cannot resolve. Destination NAT: see `_srx_objects`.
Logical systems and tenants are read as firewalls of their own (entries ``L: a -> b``; the
chains' table is ``logical-systems L``, where a fix goes). ``apply-groups`` are expanded as Junos
inherits them (`_junos_groups`); what that cannot decide is unknown, naming the group. A group
that applies groups itself is not expanded: if it configures policies or NAT, every verdict is
unknown, naming it (audit ``show configuration | display inheritance`` instead).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets._junos_groups import UNDECIDED_ACTION, expand_groups
from hybridfw.rulesets._junos_leaves import UNREAD, split_leaves
from hybridfw.rulesets._junos_tree import Deactivated, Statement, statements
from hybridfw.rulesets._srx_objects import SrxObjects
from hybridfw.rulesets._vendor_util import Fuzzy, expand_rule, info, parse_logged, warning
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Entry, Match, Origin, Rule, Ruleset, chain_key

MAX_PAIRS = 400
_ACTIONS = {"permit": Action.ACCEPT, "deny": Action.DROP, "reject": Action.REJECT}
_UNDECIDABLE = ("source-identity", "scheduler-name", "url-category", "source-end-user-profile",
                "apply-groups", UNREAD)
_DETECT = re.compile(r"^\s*(?:set |deactivate )?security (?:policies|zones|address-book|nat)\b|"
                     r"^\s*(?:security|policies|from-zone \S+ to-zone \S+) \{", re.MULTILINE)


@dataclass
class SrxPolicy:
    name: str
    line: int
    from_zones: list[str]
    to_zones: list[str]
    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    active: bool = True
    is_global: bool = False

    def values(self, key: str, default: str = "any") -> list[str]:
        return self.fields.get(key) or [default]


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.objects = SrxObjects(path)
        self.policies: dict[tuple[str, str, str], SrxPolicy] = {}
        self.zones: list[str] = []
        self.default = ("deny-all", 0)
        self.findings: list[Finding] = []
        self.off = Deactivated([])
        self.zone_books = False  # zones with address books of their own (the older form)
        self.group_kinds: dict[str, set[str]] = defaultdict(set)  # groups G: what G configures
        self.applied: dict[str, int] = {}  # apply-groups G: the first line applying it

    def read(self, text: str) -> _Reader:
        """The root's statements only (logical systems and tenants left out)."""
        expanded = expand_groups(split_leaves(statements(text, self.path)))
        return self.read_section(sections(expanded.statements)[""], expanded.undecided)

    def read_section(self, found: list[Statement], undecided: Mapping[tuple[str, ...], list[str]],
                     prefix: tuple[str, ...] = ()) -> _Reader:
        self.off = off = Deactivated(found)
        for st in found:
            if st.verb == "delete":
                self.findings.append(warning("audit.delete-ignored", "delete statement not applied",
                                             self.path, st.line))
            elif st.verb == "set":
                self._statement(st, bool(off.lengths) and off.covers(st.words))
            elif st.verb == "insert":
                self._insert(st.words, st.line)
        for path, reasons in undecided.items():
            if path[:len(prefix)] != prefix:
                continue
            path = path[len(prefix):]
            if path[2:3] == ("global",):
                policy = self.policies.get(("global", "", path[-1]))
            else:  # from-zone A to-zone B policy P (else no policy the reader knows)
                policy = self.policies.get((path[3], path[5], path[-1])) if len(path) == 8 else None
            if policy is not None:
                policy.fields["apply-groups"] += reasons
        return self

    def _statement(self, st: Statement, inactive: bool) -> None:
        w = st.words
        if w[0] == "groups" and len(w) >= 3:
            self.group_kinds[w[1]].add(" ".join(w[2:4]) if w[2] == "security" else w[2])
            return
        if "apply-groups" in w[:-1]:
            self.applied.setdefault(w[w.index("apply-groups") + 1], st.line)
            return
        if w[0] == "security" and len(w) > 2 and w[1] == "policies":
            self._policy(w[2:], st.line, inactive)
            return
        if inactive:
            return
        if w[:2] == ("security", "address-book") and len(w) >= 5:
            self.objects.address_statement(w[3:], st.line)
        elif w[:3] == ("security", "zones", "security-zone") and len(w) >= 4:
            if w[3] not in self.zones:
                self.zones.append(w[3])
            if len(w) >= 8 and w[4] == "address-book":
                self.zone_books = True
                self.objects.address_statement(w[5:], st.line)
        elif w[0] == "applications" and len(w) >= 4:
            self.objects.application_statement(w[1:])
        elif w[:3] == ("security", "nat", "destination") and len(w) >= 5:
            self.objects.nat_statement(w[3:])

    def _insert(self, w: tuple[str, ...], line: int) -> None:
        """``insert security policies from-zone A to-zone B policy P before|after policy Q``
        (or ``global policy P ...``): P moves next to Q. One that cannot be done leaves the order
        unknown: an input error, as Junos refuses it too."""
        scope = w[2:6] if w[2:3] == ("from-zone",) else w[2:3]
        rest = w[2 + len(scope):]
        if (w[:2] != ("security", "policies") or len(rest) != 5 or rest[0] != "policy"
                or rest[2] not in ("before", "after") or rest[3] != "policy"):
            raise InputError("expected 'insert security policies ... policy P before|after policy Q'",
                             path=self.path, line=line, field="insert")
        zone = ("global", "") if scope == ("global",) else (scope[1], scope[3])
        moved, anchor = (*zone, rest[1]), (*zone, rest[4])
        if moved not in self.policies or anchor not in self.policies:
            missing = rest[1] if moved not in self.policies else rest[4]
            raise InputError(f"cannot insert: no policy {missing!r} there", path=self.path,
                             line=line, field="insert")
        if moved == anchor:
            return
        order = [k for k in self.policies if k != moved]
        at = order.index(anchor) + (rest[2] == "after")
        order.insert(at, moved)
        self.policies = {k: self.policies[k] for k in order}

    def _policy(self, w: tuple[str, ...], line: int, inactive: bool) -> None:
        head = w[0]
        if head == "default-policy" and len(w) >= 2:
            self.default = (w[1], line)
            return
        zones: tuple[list[str], list[str]]
        if head == "global" and len(w) >= 3 and w[1] == "policy":
            key, name, body, zones = ("global", "", w[2]), w[2], w[3:], ([], [])
        elif len(w) >= 6 and head == "from-zone" and w[2] == "to-zone" and w[4] == "policy":
            key, name, body, zones = (w[1], w[3], w[5]), w[5], w[6:], ([w[1]], [w[3]])
        else:
            return
        policy = self.policies.get(key)
        if policy is None:
            policy = self.policies[key] = SrxPolicy(name, line, *zones, is_global=key[0] == "global")
        if inactive:
            # The whole policy (or what holds it) deactivated, or only this one statement.
            if self.off.covers(("security", "policies", *w[:len(w) - len(body)])):
                policy.active = False
            else:
                return
        first = body[0] if body else ""
        if first == "match" and len(body) >= 3:
            target = policy.fields[body[1]]
            target.append(body[2])
            if policy.is_global and body[1] in ("from-zone", "to-zone"):
                (policy.from_zones if body[1] == "from-zone" else policy.to_zones).append(body[2])
        elif first == "match" and len(body) == 2:
            policy.fields[body[1]].append("yes")
        elif first == "then" and len(body) >= 2 and (body[1] in _ACTIONS or body[1] == UNDECIDED_ACTION):
            policy.fields["then"] = [body[1]]
        elif first == "scheduler-name" and len(body) >= 2:
            policy.fields["scheduler-name"].append(body[1])


def _nat_destinations(dst: Fuzzy, objects: SrxObjects, zone: str) -> Fuzzy:
    """Destination NAT comes before the policy lookup: a policy naming a pool's (translated)
    address also admits what is translated to it, and one naming the translated-from (public)
    address itself does not see it once it is translated. A rule with other conditions, or from
    an interface or routing instance rather than a zone, may or may not translate: unknown."""
    sure, maybe, reasons = dst.sure, dst.maybe, dst.reasons
    named = dst.sure | dst.maybe
    for nat_zone, matched, pool, why in objects.translations():
        if " " in nat_zone:  # "interface ge-0/0/0.0", "routing-instance R": not decided here
            why = why or (f"destination NAT from {nat_zone}",)
        elif nat_zone not in ("", zone):
            continue
        public = matched & named
        if public:
            sure = sure - matched
            if why:
                maybe, reasons = maybe | public, reasons + why
        if pool.isdisjoint(named):
            continue
        if pool <= dst.sure and not why:
            sure = sure | matched
        else:
            maybe = maybe | matched
            reasons = reasons + (why or (f"destination NAT to pool {pool.to_cidrs()[0]}",))
    return Fuzzy(sure, maybe - sure, tuple(dict.fromkeys(reasons)))


def _side(policy: SrxPolicy, objects: SrxObjects, key: str) -> Fuzzy:
    names, excluded = tuple(policy.values(key)), bool(policy.fields.get(f"{key}-excluded"))
    found = objects.sides.get((names, excluded))  # policies repeat the same few lists
    if found is None:
        found = Fuzzy.union([objects.address(n, policy.line) for n in names])
        found = objects.sides[(names, excluded)] = found.negated() if excluded else found
    return found


def compile_policy(policy: SrxPolicy, objects: SrxObjects, path: str, zone: str) -> list[Rule]:
    sources = _side(policy, objects, "source-address")
    destinations = _side(policy, objects, "destination-address")
    if objects.translations():
        destinations = _nat_destinations(destinations, objects, zone)
    apps = tuple(policy.values("application"))
    services = objects.services.get(apps)
    if services is None:
        services = objects.services[apps] = [s for n in apps for s in objects.application(n, policy.line)]
    why = [f"{k} {' '.join(policy.fields[k])}" for k in _UNDECIDABLE if policy.fields.get(k)]
    dynamic = [a for a in policy.fields.get("dynamic-application", []) if a not in ("none", "any")]
    if dynamic:
        why.append(f"dynamic-application {' '.join(dynamic)}")
    action = _ACTIONS.get(policy.values("then", "")[0], Action.UNKNOWN)
    scope = "global" if policy.is_global else f"from-zone {policy.from_zones[0]} to-zone {policy.to_zones[0]}"
    origin = Origin(path, policy.line, f"{scope} policy {policy.name}")
    return expand_rule(sources, destinations, services, action, origin, tuple(why))


def _pairs(reader: _Reader) -> list[tuple[str, str]]:
    named = set(reader.zones)
    for p in reader.policies.values():
        named |= {z for z in p.from_zones + p.to_zones if z not in ("any", "junos-host")}
    zones = sorted(named)
    if not zones:
        return [("any", "any")]
    if len(zones) ** 2 <= MAX_PAIRS:
        return [(a, b) for a in zones for b in zones]
    return sorted({(p.from_zones[0], p.to_zones[0]) for p in reader.policies.values() if not p.is_global})


def _fits(policy: SrxPolicy, src: str, dst: str) -> bool:
    if not policy.is_global:
        return policy.from_zones == [src] and policy.to_zones == [dst]
    froms, tos = policy.from_zones or ["any"], policy.to_zones or ["any"]
    return (src in froms or "any" in froms) and (dst in tos or "any" in tos)


_INHERITED = ("security policies", "security nat")


def _groups_applied(reader: _Reader, path: str) -> tuple[list[Rule], list[Finding]]:
    """apply-groups are not expanded: a group that configures policies or NAT may add a policy
    (or a translation) anywhere, so every verdict depends on it (a rule that may or may not
    match, first in every zone pair). Other groups only get a finding."""
    rules: list[Rule] = []
    findings: list[Finding] = []
    for name, line in reader.applied.items():
        kinds = reader.group_kinds.get(name, set())
        if not kinds:
            continue
        deciding = sorted(k for k in kinds if k in _INHERITED)
        text = (f"apply-groups {name} ({', '.join(sorted(kinds))}) is not expanded: audit the "
                "output of 'show configuration | display inheritance'")
        findings.append(warning("audit.apply-groups", text, path, line))
        if deciding:
            reason = f"apply-groups {name} may add {' and '.join(deciding)} (not expanded)"
            rules.append(Rule(Match(undecidable=(reason,)), Action.UNKNOWN,
                              Origin(path, line, f"apply-groups {name}")))
    return rules, findings


_SYSTEMS = ("logical-systems", "tenants")


def sections(found: list[Statement]) -> dict[str, list[Statement]]:
    """The root's statements (key "") and each logical system's or tenant's ("logical-systems
    L"), with that prefix taken off: each is a firewall of its own."""
    out: dict[str, list[Statement]] = {"": []}
    for st in found:
        w = st.words
        if w[0] in _SYSTEMS and len(w) >= 3:
            out.setdefault(f"{w[0]} {w[1]}", []).append(Statement(w[2:], st.line, st.verb))
        else:
            out[""].append(st)
    return out


def _build(text: str, path: str, fmt: str) -> Ruleset:
    expanded = expand_groups(split_leaves(statements(text, path)))
    found = expanded.statements
    if not found:
        raise InputError("no Junos statements in this file", path=path, field="security")
    findings = [info("audit.apply-groups", f"apply-groups {name} expanded", path, line)
                for name, line in expanded.expanded]
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    kinds: dict[str, set[str]] = defaultdict(set)  # groups not expanded: what they configure
    for key, part in sections(found).items():
        if key and not any(s.words[0] == "security" for s in part):
            continue  # a logical system without security settings (routing only)
        reader = _Reader(path)
        reader.group_kinds = kinds  # the root's groups, applied in a logical system too
        reader.read_section(part, expanded.undecided, tuple(key.split()))
        more, own_chains, own_entries = _section(reader, path, key)
        findings += more
        chains.update(own_chains)
        entries += own_entries
        if key:
            findings.append(info("audit.lsys", f"{key} read: its entries are named "
                                 f"'{key.split()[1]}: A -> B'", path, part[0].line))
    return Ruleset(format=fmt, platform="srx", paths=(path,), chains=chains, entries=tuple(entries),
                   findings=tuple(findings))


def _section(reader: _Reader, path: str, system: str) -> tuple[list[Finding], dict[str, Chain], list[Entry]]:
    """The entries of the root or of one logical system / tenant (`system`: "logical-systems
    L"; the chains' table, where a fix goes)."""
    findings = list(reader.findings)
    inherited, more = _groups_applied(reader, path)
    findings += more
    active = [p for p in reader.policies.values() if p.active]
    findings += [info("audit.rule-disabled", f"inactive policy {p.name} skipped", path, p.line)
                 for p in reader.policies.values() if not p.active]
    word, line = reader.default
    default = Action.ACCEPT if word == "permit-all" else Action.DROP
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    compiled: dict[tuple[int, str], list[Rule]] = {}
    by_pair: dict[tuple[str, str], list[SrxPolicy]] = defaultdict(list)
    for policy in active:
        if not policy.is_global:
            by_pair[(policy.from_zones[0], policy.to_zones[0])].append(policy)
    global_policies = [p for p in active if p.is_global]

    def rules_of(policy: SrxPolicy, src: str) -> list[Rule]:
        got = compiled.get((id(policy), src))
        if got is None:
            got = compiled[(id(policy), src)] = compile_policy(policy, reader.objects, path, src)
        return got

    named = f"{system.split()[1]}: " if system else ""
    for src, dst in _pairs(reader):
        # Zone-pair policies first, then the global policies that fit the pair.
        ordered = inherited + [r for p in by_pair.get((src, dst), []) for r in rules_of(p, src)]
        ordered += [r for p in global_policies if _fits(p, src, dst) for r in rules_of(p, src)]
        key = chain_key(path, system, src, dst) if system else chain_key(path, src, dst)
        chains[key] = Chain(key=key, name=f"{named}{src} -> {dst}", rules=tuple(ordered), table=system,
                            policy=default, policy_origin=Origin(path, line, f"default-policy {word}"))
        entries.append(Entry(f"{named}{src} -> {dst}", (key,)))
    return findings, chains, entries


Translation = tuple[str, AddressSet, AddressSet, tuple[str, ...]]


@dataclass(frozen=True)
class FixFacts:
    """What a fix for this configuration must follow: its destination NAT rules (from zone, or
    "interface X" and the like, or ""; translated-from addresses; pool addresses; conditions
    besides the address), and whether its zones keep address books of their own (Junos then
    refuses the global address book)."""

    translations: tuple[Translation, ...]
    zone_books: bool


def fix_facts(text: str, path: str) -> FixFacts:
    reader = _Reader(path).read(text)
    return FixFacts(tuple(reader.objects.translations()), reader.zone_books)


class SrxParser(RulesetParser):
    name = "srx"
    platform = "srx"
    description = "Juniper SRX security policies (show configuration, or | display set)"

    def detect(self, text: str) -> float:
        head = text[:100_000]
        hits = len(_DETECT.findall(head))
        return min(0.9, 0.35 * hits) if hits else 0.0

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: _build(text, path, self.name))
