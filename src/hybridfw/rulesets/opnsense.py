"""OPNsense ``config.xml`` (root ``<opnsense>``): aliases and filter rules, one entry per interface.

Each interface's entry holds, in order: the automation (MVC) filter rules of
``<OPNsense><Firewall><Filter><rules>`` for it (by ``sequence``), the floating rules for it
(direction in or any), the rules of its interface groups, its own rules, then the default deny.
Differences from pfSense that matter here: every rule is ``quick`` unless it says otherwise, and a
floating rule is not quick unless it says so (``<quick>1</quick>``). A rule that is not quick is
last-match in pf, so it is recorded as undecidable. Aliases live in ``<aliases>`` (older
releases) or ``<OPNsense><Firewall><Alias><aliases>`` (``content`` separated by new lines):
host, network, networkgroup and port aliases (nested) are resolved; url, urltable, geoip,
external, dynamic IPv6 host, MAC, ASN and authentication-group aliases are unknown; url and
urltable aliases resolve to a local copy of their list when one is given (`alias_lists`,
``audit --alias-file NAME=FILE``). Interface networks (``lan``, ``lanip``) resolve for statically
addressed interfaces (shared with the pfSense reader). Schedules, OS fingerprints, tags and
source ports are undecidable.
"""

from __future__ import annotations

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets import _detect
from hybridfw.rulesets._vendor_util import (
    MAX_NESTING,
    FamilyCache,
    Fuzzy,
    Service,
    XmlNode,
    admitted,
    expand_rule,
    info,
    left_out,
    parse_address,
    parse_logged,
    parse_port_span,
)
from hybridfw.rulesets._xml_rules import Rules, parse_with_rules
from hybridfw.rulesets.alias_lists import alias_list
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Entry, Origin, Rule, Ruleset, chain_key
from hybridfw.rulesets.pfsense import _interface_networks as interface_networks
from hybridfw.rulesets.pfsense import egress_for, egress_rules, interface_groups
from hybridfw.rulesets.ports import PortInterval, merge_ports
from hybridfw.rulesets.scope import Scope

_ACTIONS = {"pass": Action.ACCEPT, "block": Action.DROP, "reject": Action.REJECT}
_FAMILIES = {"inet": AddressSet.any(4), "inet6": AddressSet.any(6), "inet46": AddressSet.any()}
# The `XmlNode.child_texts` keys of a legacy rule's side: any, not, network, address.
_SIDE_KEYS = {side: (f"{side}/any", f"{side}/not", f"{side}/network", f"{side}/address")
              for side in ("source", "destination")}
# A filter rule's conditions, as `_legacy_fields` and `_mvc_fields` give them to `_Compiler.rule`,
# are this tuple: (action, quick, ipprotocol, protocol, destination_port, source_port, sched, os,
# tagged); the last three in the order of `_UNDECIDABLE`.
_UNDECIDABLE = {"sched": "schedule", "os": "OS fingerprint", "tagged": "tagged"}
_RESOLVED = ("host", "network", "networkgroup")
_FETCHED = ("url", "urltable")  # resolved from a local copy of the list (`alias_lists`)


class Aliases:
    def __init__(self, root: XmlNode, path: str) -> None:
        self.path = path
        self.table: dict[str, tuple[str, list[str], int]] = {}  # name -> (type, items, line)
        legacy = root.child("aliases")
        for alias in legacy.children_named("alias") if legacy is not None else ():
            self.table[alias.text_of("name")] = (alias.text_of("type"), alias.text_of("address").split(),
                                                 alias.line)
        mvc = root.path("OPNsense", "Firewall", "Alias", "aliases")
        for alias in mvc.children_named("alias") if mvc is not None else ():
            if alias.text_of("enabled", "1") == "1":
                self.table[alias.text_of("name")] = (alias.text_of("type"), alias.text_of("content").split(),
                                                     alias.line)
        self.resolved: dict[str, Fuzzy] = {}

    def _loop(self, name: str, line: int) -> InputError:
        return InputError(f"alias {name!r} nests too deep (a loop?)", path=self.path, line=line,
                          field="alias")

    def addresses(self, text: str, line: int, depth: int = 0) -> Fuzzy:
        entry = self.table.get(text)
        if entry is None:
            literal = parse_address(text)
            return Fuzzy.exact(literal) if literal is not None else Fuzzy.unknown(f"unknown alias {text}")
        if depth > MAX_NESTING:
            raise self._loop(text, line)
        cached = self.resolved.get(text)
        if cached is None:
            kind, items, where = entry
            local = alias_list(text) if kind in _FETCHED else None
            if kind in _RESOLVED:
                cached = Fuzzy.union([self.addresses(i, where, depth + 1) for i in items])
            elif local is not None:
                cached = Fuzzy.exact(local.addresses)
            elif kind in _FETCHED:
                cached = Fuzzy.unknown(f"{kind} alias {text} (its list is fetched by the firewall: "
                                       f"give a copy with --alias-file {text}=FILE)")
            else:
                cached = Fuzzy.unknown(f"{kind} alias {text}")
            self.resolved[text] = cached
        return cached

    def ports(self, text: str, line: int, depth: int = 0) -> tuple[PortInterval, ...] | None:
        span = parse_port_span(text)
        if span is not None:
            return (span,)
        entry = self.table.get(text)
        if entry is None or entry[0] != "port":
            return None
        if depth > MAX_NESTING:
            raise self._loop(text, line)
        found: list[PortInterval] = []
        for item in entry[1]:
            got = self.ports(item, entry[2], depth + 1)
            if got is None:
                return None
            found += got
        return merge_ports(found)


class _Compiler:
    """Filter rules into normalised rules. With a `Scope`, a rule none of whose services an
    audited packet has is left out (`omitted`) after its addresses and ports are resolved
    (their errors are raised as in a full parse)."""

    def __init__(self, aliases: Aliases, networks: dict[str, Fuzzy], interfaces: set[str],
                 path: str, scope: Scope | None = None) -> None:
        self.aliases, self.networks, self.path = aliases, networks, path
        self.scope = scope
        self.omitted = 0
        self.addresses_of = {f"{i}ip" for i in interfaces} | {"(self)", "this_firewall"}
        self.interfaces_named = interfaces
        # Rules repeat the same few sides, services and families: each is computed once. A
        # cached value keeps the object its key names by id, so no id is reused while cached.
        self._sides: dict[tuple[bool, bool, str | None, str | None], Fuzzy] = {}
        self.family = FamilyCache(_FAMILIES, AddressSet.any(4))
        # (protocol, port) -> the services, and whether the scope admits one of them
        self._services: dict[tuple[str, str], tuple[list[Service], bool]] = {}
        self.resolvable: set[str] = set()  # alias/address names resolved without an error

    def net(self, name: str, negate: bool, line: int) -> Fuzzy:
        if name in ("", "any"):
            found = Fuzzy.exact(AddressSet.any())
        elif name in self.networks:  # exact per address family that is static (issue 11)
            found = self.networks[name]
        elif name in self.addresses_of or name in self.interfaces_named:
            found = Fuzzy.unknown(f"interface address or network {name}")
        else:
            found = self.aliases.addresses(name, line)
            self.resolvable.add(name)
        return found.negated() if negate else found

    def side(self, texts: dict[str, str], side: str, line: int) -> Fuzzy:
        """A legacy rule's `side` (``source``/``destination``) from `XmlNode.child_texts`."""
        if side not in texts:
            key: tuple[bool, bool, str | None, str | None] = (True, False, None, None)
        else:
            any_, not_, network, address = _SIDE_KEYS[side]
            key = (any_ in texts, not_ in texts, texts.get(network), texts.get(address))
        found = self._sides.get(key)
        if found is None:
            found = self._sides[key] = self._legacy_side(*key, line)
        return found

    def _legacy_side(self, any_: bool, negate: bool, network: str | None, address: str | None,
                     line: int) -> Fuzzy:
        if any_:
            return self.net("any", negate, line)
        name = network or address or "any"
        if network is not None and name not in self.networks:
            return Fuzzy.unknown(f"interface network {name}")
        return self.net(name, negate, line)

    def services(self, protocol: str, port: str, line: int) -> tuple[list[Service], bool]:
        found = self._services.get((protocol, port))
        if found is None:
            services = self._services_of(protocol, port, line)
            found = self._services[(protocol, port)] = (services, admitted(self.scope, services))
        return found

    def _services_of(self, protocol: str, port: str, line: int) -> list[Service]:
        proto = protocol.lower() or "any"
        protocols = None if proto == "any" else frozenset(proto.split("/"))
        if not port or port == "any":
            return [Service(protocols)]
        ports = self.aliases.ports(port, line)
        return [Service(protocols, ports)] if ports is not None else [
            Service(protocols, None, (f"port {port}",))]

    def rule(self, values: tuple[str, ...], src: Fuzzy, dst: Fuzzy, line: int, text: str) -> list[Rule]:
        """The rules for one filter rule ([] when the scope leaves it out); `values` are its
        conditions in the order above `_UNDECIDABLE`."""
        kind, quick, family, protocol, port, source_port, *undecidable = values
        services, admits = self.services(protocol, port, line)
        if not admits:  # benchmarks/audit_vendor.py opnsense: scoped parse ~half the full's CPU time
            self.omitted += 1
            return []
        why = [f"{label} {value}" for label, value in zip(_UNDECIDABLE.values(), undecidable,
                                                           strict=True) if value]
        if source_port:
            why.append(f"source port {source_port}")
        if not quick:
            why.append("rule without quick (last match wins)")
        family = family or "inet"
        return expand_rule(self.family.restricted(src, family), self.family.restricted(dst, family),
                           services, _ACTIONS.get(kind, Action.UNKNOWN),
                           Origin(self.path, line, text), tuple(why))


def _quick(texts: dict[str, str]) -> bool:
    value = texts.get("quick")
    if value is None:
        return texts.get("floating") != "yes"  # OPNsense: every rule is quick except floating ones
    return value.lower() in ("1", "yes")  # "0" or an empty tag: not surely quick


def _legacy_fields(texts: dict[str, str]) -> tuple[str, ...]:
    """The conditions of a legacy rule in the order above `_UNDECIDABLE`."""
    get = texts.get
    return (get("type", "pass"), "1" if _quick(texts) else "", get("ipprotocol", "inet"),
            get("protocol", "any"), get("destination/port", ""), get("source/port", ""),
            get("sched", ""), get("os", ""), get("tagged", ""))


def _mvc_fields(rule: XmlNode) -> tuple[str, ...]:
    """The conditions of an automation rule in the order above `_UNDECIDABLE`."""
    texts = rule.child_texts()
    return (texts.get("action") or "pass", "" if texts.get("quick", "1") == "0" else "1",
            *(texts.get(k, "") for k in ("ipprotocol", "protocol", "destination_port", "source_port",
                                          "sched")), "", "")


class _Collected:
    """Compiled rules by where they apply, in evaluation order within each kind."""

    def __init__(self) -> None:
        self.egress: list[tuple[list[str], list[Rule]]] = []  # block rules for leaving traffic
        self.automation: list[tuple[list[str], list[Rule]]] = []
        self.floating: list[tuple[list[str], list[Rule]]] = []
        self.grouped: dict[str, list[Rule]] = {}
        self.per_if: dict[str, list[Rule]] = {}
        self.findings: list[Finding] = []

    def rules_for(self, name: str, groups: dict[str, list[str]]) -> list[Rule]:
        rules = egress_for(name, self.egress)
        rules += [r for ifs, got in self.automation + self.floating if not ifs or name in ifs for r in got]
        rules += [r for group, got in self.grouped.items() if name in groups.get(group, []) for r in got]
        return rules + self.per_if.get(name, [])


def _sequence(rule: XmlNode) -> int:
    text = rule.text_of("sequence", "0")
    return int(text) if text.isdigit() and len(text) < 12 else 0


def _collect(root: XmlNode, rules: Rules, compiler: _Compiler, groups: dict[str, list[str]],
             path: str) -> _Collected:
    found = _Collected()
    mvc = root.path("OPNsense", "Firewall", "Filter", "rules")
    automation = [r for r in mvc.children_named("rule")] if mvc is not None else []
    automation.sort(key=_sequence)
    for rule in automation:
        if rule.text_of("enabled", "1") != "1":
            found.findings.append(info("audit.rule-disabled", "disabled automation rule skipped", path,
                                       rule.line))
            continue
        direction = rule.text_of("direction", "in")
        if direction not in ("in", "out", "any"):
            continue
        src = compiler.net(rule.text_of("source_net", "any"), rule.text_of("source_not") == "1", rule.line)
        dst = compiler.net(rule.text_of("destination_net", "any"), rule.text_of("destination_not") == "1",
                           rule.line)
        text = rule.text_of("description") or f"automation rule {rule.attrs.get('uuid', '')}".strip()
        interfaces = [i for i in rule.text_of("interface").split(",") if i]
        compiled_mvc = compiler.rule(_mvc_fields(rule), src, dst, rule.line, text)
        if direction != "in":
            found.egress.append((interfaces, egress_rules(interfaces, compiled_mvc)))
        if direction != "out":
            found.automation.append((interfaces, compiled_mvc))
    for line, texts in rules:  # the first of a tag, as child() finds
        if "disabled" in texts:
            found.findings.append(info("audit.rule-disabled", "disabled rule skipped", path, line))
            continue
        where = texts.get("interface", "")
        if left_out(compiler, texts, line):
            compiled: list[Rule] = []
        else:
            fields = _legacy_fields(texts)
            src = compiler.side(texts, "source", line)
            dst = compiler.side(texts, "destination", line)
            descr = texts.get("descr", "")
            compiled = compiler.rule(fields, src, dst, line, descr or f"{fields[0]} rule on {where}")
        interfaces = [i for i in where.split(",") if i]
        floating = texts.get("floating") == "yes"
        # OPNsense lets interface rules (not only floating ones) filter leaving traffic too
        direction = texts.get("direction", "any" if floating else "in")
        if direction in ("out", "any"):
            found.egress.append((interfaces, egress_rules(interfaces, compiled)))
        if direction not in ("in", "any"):
            continue
        if floating:
            found.floating.append((interfaces, compiled))
        elif interfaces and interfaces[0] in groups:
            found.grouped.setdefault(interfaces[0], []).extend(compiled)
        elif interfaces:
            found.per_if.setdefault(interfaces[0], []).extend(compiled)
    return found


def parse_opnsense(text: str, path: str, scope: Scope | None = None) -> Ruleset:
    """The ruleset; with `scope`, rules no audited packet can match are left out (`omitted`)."""
    data = text.encode("utf-8", errors="replace")
    root, rules = parse_with_rules(text, path, data)  # the tree without the rules when it can
    if root.tag != "opnsense":
        raise InputError(f"root element is <{root.tag}>, not <opnsense>", path=path, line=root.line,
                         field="xml")
    iface_node = root.child("interfaces")
    interfaces = {c.tag for c in iface_node.children} if iface_node is not None else set()
    groups = interface_groups(root)
    compiler = _Compiler(Aliases(root, path), interface_networks(root), interfaces, path, scope)
    found = _collect(root, rules, compiler, groups, path)
    names = interfaces | set(found.per_if) | {m for ms in groups.values() for m in ms}
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    for name in sorted(names):
        key = chain_key(path, "interface", name)
        chains[key] = Chain(key=key, name=name, rules=tuple(found.rules_for(name, groups)),
                            policy=Action.DROP, policy_origin=Origin(path, 0, f"default deny on {name}"))
        entries.append(Entry(name, (key,)))
    return Ruleset(format="opnsense", platform="pf", paths=(path,), chains=chains,
                   entries=tuple(entries), findings=tuple(found.findings), omitted=compiler.omitted)


class OpnsenseParser(RulesetParser):
    name = "opnsense"
    platform = "pf"
    description = "OPNsense config.xml (aliases, interface, floating and automation filter rules)"

    def detect(self, text: str) -> float:
        return _detect.opnsense(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: parse_opnsense(text, path))

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return parse_logged(self.name, path, lambda: parse_opnsense(text, path, scope))
