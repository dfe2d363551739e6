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

The audit's scoped parse (`SrxParser.parse_scoped`) leaves out the policies none of whose
applications an audited packet can have (counted in `Ruleset.omitted`); most are never built
from their records (`_srx_scan`). Where some address or application set nests too deep (an
error the full parse raises where a policy names it), every policy is built.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets import _detect
from hybridfw.rulesets._junos_groups import expand_groups
from hybridfw.rulesets._junos_leaves import UNREAD, split_leaves
from hybridfw.rulesets._junos_tree import Statement, is_set_form, statements
from hybridfw.rulesets._srx_lines import scan_tree
from hybridfw.rulesets._srx_objects import SrxObjects
from hybridfw.rulesets._srx_reader import Reader, SrxPolicy, sections
from hybridfw.rulesets._srx_scan import Records, scan
from hybridfw.rulesets._vendor_util import Fuzzy, admitted, expand_rule, info, parse_logged, warning
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Entry, Match, Origin, Rule, Ruleset, chain_key
from hybridfw.rulesets.scope import Scope

MAX_PAIRS = 400
Admits = Callable[[tuple[str, ...]], bool]
_ACTIONS = {"permit": Action.ACCEPT, "deny": Action.DROP, "reject": Action.REJECT}
_UNDECIDABLE = ("source-identity", "scheduler-name", "url-category", "source-end-user-profile",
                "apply-groups", UNREAD)


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
    services = objects.services_of(tuple(policy.values("application")), policy.line)
    why = [f"{k} {' '.join(policy.fields[k])}" for k in _UNDECIDABLE if policy.fields.get(k)]
    dynamic = [a for a in policy.fields.get("dynamic-application", []) if a not in ("none", "any")]
    if dynamic:
        why.append(f"dynamic-application {' '.join(dynamic)}")
    action = _ACTIONS.get(policy.values("then", "")[0], Action.UNKNOWN)
    scope = "global" if policy.is_global else f"from-zone {policy.from_zones[0]} to-zone {policy.to_zones[0]}"
    origin = Origin(path, policy.line, f"{scope} policy {policy.name}")
    return expand_rule(sources, destinations, services, action, origin, tuple(why))


def _pairs(reader: Reader) -> list[tuple[str, str]]:
    named = set(reader.zones)
    for p in reader.policies.values():
        named |= {z for z in p.from_zones + p.to_zones if z not in ("any", "junos-host")}
    skipped = {(a, b) for a, b, _ in reader.skipped}
    named |= {z for pair in skipped for z in pair if z not in ("any", "junos-host")}
    zones = sorted(named)
    if not zones:
        return [("any", "any")]
    if len(zones) ** 2 <= MAX_PAIRS:
        return [(a, b) for a in zones for b in zones]
    return sorted({(p.from_zones[0], p.to_zones[0]) for p in reader.policies.values() if not p.is_global}
                  | skipped)


def _admission(objects: SrxObjects, scope: Scope | None) -> Admits | None:
    """Whether a packet of the audit's `scope` can have one of a policy's applications, once
    per list of applications. None (keep every policy): no scope, or some set nests too deep
    (the full parse raises where a policy names it, so the scoped one builds them all too)."""
    if scope is None or objects.too_deep():
        return None
    known: dict[tuple[str, ...], bool] = {}

    def admits(apps: tuple[str, ...]) -> bool:
        found = known.get(apps)
        if found is None:
            found = known[apps] = admitted(scope, objects.services_of(apps, 0))
        return found
    return admits


def _fits(policy: SrxPolicy, src: str, dst: str) -> bool:
    if not policy.is_global:
        return policy.from_zones == [src] and policy.to_zones == [dst]
    froms, tos = policy.from_zones or ["any"], policy.to_zones or ["any"]
    return (src in froms or "any" in froms) and (dst in tos or "any" in tos)


_INHERITED = ("security policies", "security nat")


def _groups_applied(reader: Reader, path: str) -> tuple[list[Rule], list[Finding]]:
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


def _statements(text: str, path: str) -> tuple[list[Statement], Records]:
    """The statements, and the root's policies as records when the one-pass read of the
    ``display set`` form applies (`_srx_scan`)."""
    done = scan(text) if is_set_form(text) else scan_tree(text)
    return (statements(text, path), {}) if done is None else (done.statements, done.records)


def _build(text: str, path: str, fmt: str, scope: Scope | None) -> Ruleset:
    found, records = _statements(text, path)
    expanded = expand_groups(split_leaves(found))
    found = expanded.statements
    if not found and not records:
        raise InputError("no Junos statements in this file", path=path, field="security")
    findings = [info("audit.apply-groups", f"apply-groups {name} expanded", path, line)
                for name, line in expanded.expanded]
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    kinds: dict[str, set[str]] = defaultdict(set)  # groups not expanded: what they configure
    omitted = 0
    for key, part in sections(found).items():
        if key and not any(s.words[0] == "security" for s in part):
            continue  # a logical system without security settings (routing only)
        reader = Reader(path)
        reader.group_kinds = kinds  # the root's groups, applied in a logical system too
        reader.read_section(part, expanded.undecided, tuple(key.split()))
        admits = _admission(reader.objects, scope)
        if not key:
            reader.add_records(records, admits)
        more, own_chains, own_entries, left_out = _section(reader, path, key, admits)
        omitted += left_out
        findings += more
        chains.update(own_chains)
        entries += own_entries
        if key:
            findings.append(info("audit.lsys", f"{key} read: its entries are named "
                                 f"'{key.split()[1]}: A -> B'", path, part[0].line))
    return Ruleset(format=fmt, platform="srx", paths=(path,), chains=chains, entries=tuple(entries),
                   findings=tuple(findings), omitted=omitted)


def _section(reader: Reader, path: str, system: str,
             admits: Admits | None) -> tuple[list[Finding], dict[str, Chain], list[Entry], int]:
    """The entries of the root or of one logical system / tenant (`system`: "logical-systems
    L"; the chains' table, where a fix goes), and how many policies `admits` left out."""
    findings = list(reader.findings)
    inherited, more = _groups_applied(reader, path)
    findings += more
    active = [p for p in reader.policies.values() if p.active]
    findings += [info("audit.rule-disabled", f"inactive policy {p.name} skipped", path, p.line)
                 for p in reader.policies.values() if not p.active]
    omitted = len(reader.skipped)
    if admits is not None:  # the policies no audited packet can match are left out
        kept = [p for p in active if admits(tuple(p.values("application")))]
        omitted, active = omitted + len(active) - len(kept), kept
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
    return findings, chains, entries, omitted


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
    reader = Reader(path).read(text)
    return FixFacts(tuple(reader.objects.translations()), reader.zone_books)


class SrxParser(RulesetParser):
    name = "srx"
    platform = "srx"
    description = "Juniper SRX security policies (show configuration, or | display set)"

    def detect(self, text: str) -> float:
        return _detect.srx(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: _build(text, path, self.name, None))

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return parse_logged(self.name, path, lambda: _build(text, path, self.name, scope))
