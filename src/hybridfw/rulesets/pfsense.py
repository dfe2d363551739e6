"""pfSense ``config.xml``: aliases and filter rules, one entry per interface.

Each interface's rules are evaluated first match (pfSense interface rules are ``quick``), after
the floating ``quick`` rules for that interface (direction in or any) and the rules of interface
groups it belongs to; the default deny ends the entry. Floating rules without ``quick`` are
last-match in pf and are recorded as undecidable. Aliases (host, network, port; nested, ranges)
are resolved, and so are interface networks (``lan``, ``lanip``) of statically addressed
interfaces; URL and URL-table aliases resolve to a local copy of their list when one is given
(`alias_lists`, ``--alias-file NAME=FILE``). FQDNs in host aliases, URL tables without a copy,
dynamically addressed interfaces, interfaces with
virtual IPs and ``(self)`` are undecidable, as are schedules, OS fingerprints, tags and source
ports. Rules on a WAN for port-forwarded traffic name the inside (translated) address, so
audit that address.
"""

from __future__ import annotations

import dataclasses

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
from hybridfw.rulesets._xml_rules import parse_with_rules
from hybridfw.rulesets.alias_lists import alias_list
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Entry, Origin, Rule, Ruleset, chain_key
from hybridfw.rulesets.ports import PortInterval, merge_ports
from hybridfw.rulesets.scope import Scope

_ACTIONS = {"pass": Action.ACCEPT, "block": Action.DROP, "reject": Action.REJECT, "match": Action.CONTINUE}
_FAMILIES = {"inet": AddressSet.any(4), "inet6": AddressSet.any(6), "inet46": AddressSet.any()}
_UNDECIDABLE = {"sched": "schedule", "os": "OS fingerprint", "tagged": "tagged",
                "tcpflags1": "TCP flags", "tcpflags_any": "TCP flags (any)"}
_FETCHED = ("url", "urltable")  # resolved from a local copy of the list (`alias_lists`)


class _Aliases:
    def __init__(self, root: XmlNode, path: str) -> None:
        self.path = path
        self.table: dict[str, XmlNode] = {}
        self.resolved: dict[str, Fuzzy] = {}
        node = root.child("aliases")
        for alias in node.children_named("alias") if node is not None else ():
            self.table[alias.text_of("name")] = alias

    def _loop(self, name: str, line: int) -> InputError:
        return InputError(f"alias {name!r} nests too deep (a loop?)", path=self.path, line=line,
                          field="alias")

    def addresses(self, text: str, line: int, depth: int = 0) -> Fuzzy:
        """An address field: alias name, address, CIDR or range."""
        alias = self.table.get(text)
        if alias is None:
            literal = parse_address(text)
            if literal is not None:
                return Fuzzy.exact(literal)
            return Fuzzy.unknown(f"host name or unknown alias {text}")
        if depth > MAX_NESTING:
            raise self._loop(text, line)
        cached = self.resolved.get(text)
        if cached is None:
            kind = alias.text_of("type")
            local = alias_list(text) if kind in _FETCHED else None
            if local is not None:
                cached = Fuzzy.exact(local.addresses)
            elif kind in _FETCHED:
                cached = Fuzzy.unknown(f"{kind} alias {text} (its list is fetched by the firewall: "
                                       f"give a copy with --alias-file {text}=FILE)")
            elif kind not in ("host", "network"):
                cached = Fuzzy.unknown(f"{kind} alias {text}")
            else:
                items = alias.text_of("address").split()
                cached = Fuzzy.union([self.addresses(i, alias.line, depth + 1) for i in items])
            self.resolved[text] = cached
        return cached

    def ports(self, text: str, line: int, depth: int = 0) -> tuple[PortInterval, ...] | None:
        """A port field: number, range (``25:26`` or ``25-26``) or port alias; None if unreadable."""
        span = parse_port_span(text)
        if span is not None:
            return (span,)
        alias = self.table.get(text)
        if alias is None or alias.text_of("type") != "port":
            return None
        if depth > MAX_NESTING:
            raise self._loop(text, line)
        found: list[PortInterval] = []
        for item in alias.text_of("address").split():
            got = self.ports(item, alias.line, depth + 1)
            if got is None:
                return None
            found += got
        return merge_ports(found)


def _static_addresses(iface: XmlNode) -> tuple[Fuzzy, Fuzzy] | None:
    """(network, address) of an interface, per address family: a static family is exact; a
    family addressed at run time (dhcp, dhcp6, track6, pppoe ...) is unknown for that family
    only, so a LAN with a static IPv4 and ``<ipaddrv6>track6</ipaddrv6>`` decides IPv4 rules.
    None when neither family is static."""
    network, address = Fuzzy.exact(AddressSet.empty()), Fuzzy.exact(AddressSet.empty())
    static = False
    for family, addr_tag, bits_tag in ((4, "ipaddr", "subnet"), (6, "ipaddrv6", "subnetv6")):
        text, bits = iface.text_of(addr_tag), iface.text_of(bits_tag)
        if not text:
            continue
        host, net = parse_address(text), parse_address(f"{text}/{bits}") if bits.isdigit() else None
        if host is None or net is None:
            unknown = Fuzzy.unknown(f"{iface.tag} {addr_tag} {text} (known only at run time)",
                                    AddressSet.any(family))  # type: ignore[arg-type]
            network, address = network | unknown, address | unknown
            continue
        static = True
        network, address = network | Fuzzy.exact(net), address | Fuzzy.exact(host)
    return (network, address) if static else None


def _interface_networks(root: XmlNode) -> dict[str, Fuzzy]:
    """``lan`` → its subnet, ``lanip`` → its address, for interfaces with a static address
    and without virtual IPs (pf's interface address would include those)."""
    vips = root.child("virtualip")
    with_vips = {v.text_of("interface") for v in vips.children_named("vip")} if vips is not None else set()
    node = root.child("interfaces")
    found: dict[str, Fuzzy] = {}
    for iface in node.children if node is not None else ():
        static = _static_addresses(iface)
        if static is not None and iface.tag not in with_vips:
            found[iface.tag], found[f"{iface.tag}ip"] = static
    return found


# The `XmlNode.child_texts` keys of a rule's side: itself, any, network, address, not, port.
_SIDE_KEYS = {side: (side, f"{side}/any", f"{side}/network", f"{side}/address", f"{side}/not",
                     f"{side}/port") for side in ("source", "destination")}


class _RuleCompiler:
    """Compiles `<rule>`s from their children's texts (`XmlNode.child_texts`). Rules repeat
    the same few sides, services and address families: each is computed once. A cached value
    keeps the object its key names by id, so no id is reused while it is cached. With a
    `Scope`, a rule none of whose services an audited packet has is left out (`omitted`)
    after its addresses and ports are resolved (their errors are raised as in a full parse)."""

    def __init__(self, aliases: _Aliases, path: str, networks: dict[str, Fuzzy],
                 scope: Scope | None = None) -> None:
        self.aliases = aliases
        self.path = path
        self.networks = networks
        self.scope = scope
        self.omitted = 0
        self._sides: dict[tuple[bool, str | None, str | None, bool], Fuzzy] = {}
        # (protocol, port) -> the services, and whether the scope admits one of them
        self._services: dict[tuple[str, str], tuple[list[Service], bool]] = {}
        self.family = FamilyCache(_FAMILIES, AddressSet.any(4))
        self.resolvable: set[str] = set()  # address fields resolved without an error

    def side(self, texts: dict[str, str], which: str, line: int) -> Fuzzy:
        present, any_, network, address, negate, _port = _SIDE_KEYS[which]
        if present not in texts:
            key: tuple[bool, str | None, str | None, bool] = (True, None, None, False)
        else:
            key = (any_ in texts, texts.get(network), texts.get(address), negate in texts)
        found = self._sides.get(key)
        if found is None:
            found = self._sides[key] = self._side(*key, line)
        return found

    def _side(self, any_: bool, network: str | None, address: str | None, negate: bool,
              line: int) -> Fuzzy:
        if any_:
            found = Fuzzy.exact(AddressSet.any())
        elif network is not None:
            known = self.networks.get(network)
            found = known if known is not None else Fuzzy.unknown(f"interface network {network}")
        elif address is not None:
            found = self.aliases.addresses(address, line)
            self.resolvable.add(address)
        else:
            found = Fuzzy.exact(AddressSet.any())
        return found.negated() if negate else found

    def services(self, protocol: str, port_text: str, line: int) -> tuple[list[Service], bool]:
        found = self._services.get((protocol, port_text))
        if found is None:
            services = self._services_of(protocol, port_text, line)
            found = self._services[(protocol, port_text)] = (services, admitted(self.scope, services))
        return found

    def _services_of(self, protocol: str, port_text: str, line: int) -> list[Service]:
        proto = protocol.lower()
        protocols = None if proto == "any" else frozenset(proto.split("/"))
        if not port_text:
            return [Service(protocols)]
        ports = self.aliases.ports(port_text, line)
        if ports is None:
            return [Service(protocols, None, (f"port {port_text}",))]
        return [Service(protocols, ports)]

    def compile(self, texts: dict[str, str], line: int) -> list[Rule]:
        """The rule's normalised rules ([] when the scope leaves it out)."""
        source = self.side(texts, "source", line)
        destination = self.side(texts, "destination", line)
        services, admits = self.services(texts.get("protocol", "any"), texts.get("destination/port", ""),
                                         line)
        if not admits:  # benchmarks/audit_vendor.py pfsense: scoped parse ~half the full's CPU time
            self.omitted += 1
            return []
        kind = texts.get("type", "pass")
        action = _ACTIONS.get(kind, Action.UNKNOWN)
        why = [f"{label} {texts[tag]}" for tag, label in _UNDECIDABLE.items() if texts.get(tag)]
        if texts.get("source/port"):
            why.append(f"source port {texts['source/port']}")
        family = texts.get("ipprotocol", "inet")
        sources = self.family.restricted(source, family)
        destinations = self.family.restricted(destination, family)
        text = texts.get("descr") or f"{kind} rule on {texts.get('interface', '')}"
        return expand_rule(sources, destinations, services, action, Origin(self.path, line, text),
                           tuple(why))


def interface_groups(root: XmlNode) -> dict[str, list[str]]:
    """Interface group name → member interfaces."""
    node = root.child("ifgroups")
    if node is None:
        return {}
    return {g.text_of("ifname"): g.text_of("members").split() for g in node.children_named("ifgroupentry")}


def egress_rules(interfaces: list[str], compiled: list[Rule]) -> list[Rule]:
    """The block and reject rules of a rule for traffic leaving on `interfaces` (direction out
    or any; none: every interface). pf filters a routed packet again where it leaves, so such a
    rule may drop a flow another interface passes in; which interface it leaves through is
    routing's choice, which the file does not hold: undecidable, named."""
    where = ",".join(interfaces) or "any interface"
    reason = (f"blocks traffic leaving on {where} (whether the flow leaves there depends on "
              "routing)")
    return [dataclasses.replace(r, match=dataclasses.replace(
        r.match, undecidable=(*r.match.undecidable, reason)))
        for r in compiled if r.action in (Action.DROP, Action.REJECT)]


def egress_for(name: str, egress: list[tuple[list[str], list[Rule]]]) -> list[Rule]:
    """The egress rules that may drop what arrives on interface `name`: those of the other
    interfaces (a flow rarely leaves where it came in)."""
    return [r for ifs, got in egress if name not in ifs for r in got]


class _Collected:
    """Compiled rules by where they apply, in file order."""

    def __init__(self) -> None:
        self.egress: list[tuple[list[str], list[Rule]]] = []  # block rules for leaving traffic
        self.floating: list[tuple[list[str], list[Rule]]] = []  # quick
        self.last_match: list[tuple[list[str], list[Rule]]] = []  # floating, not quick
        self.grouped: dict[str, list[Rule]] = {}
        self.per_if: dict[str, list[Rule]] = {}
        self.findings: list[Finding] = []

    def add(self, texts: dict[str, str], compiled: list[Rule], groups: dict[str, list[str]]) -> None:
        interfaces = [i for i in texts.get("interface", "").split(",") if i]
        if texts.get("floating") == "yes":
            direction = texts.get("direction", "any")
            if direction in ("out", "any"):
                self.egress.append((interfaces, egress_rules(interfaces, compiled)))
            if direction not in ("in", "any"):
                return
            if "quick" in texts and texts["quick"] != "no":
                self.floating.append((interfaces, compiled))
            else:
                self.last_match.append((interfaces, compiled))
        elif interfaces and interfaces[0] in groups:
            self.grouped.setdefault(interfaces[0], []).extend(compiled)
        elif interfaces:
            self.per_if.setdefault(interfaces[0], []).extend(compiled)

    def left_out(self, texts: dict[str, str], groups: dict[str, list[str]]) -> None:
        """What `add` records of a rule without rules: its interface's entry (its empty lists
        elsewhere change nothing)."""
        # Only the interface: audit_vendor.py pfsense scoped -5 % CPU (20k rules left out)
        where = texts.get("interface", "")
        first = where if "," not in where else next((i for i in where.split(",") if i), "")
        if first and first not in groups and texts.get("floating") != "yes" and first not in self.per_if:
            self.per_if[first] = []

    def rules_for(self, name: str, groups: dict[str, list[str]]) -> list[Rule]:
        """pf semantics as a first-match list: quick rules win where they match (floating
        quick, then group and interface rules, which pfSense always makes quick); when none
        matches, the *last* matching non-quick floating rule decides, i.e. the first of them
        walked backwards; then pfSense's default block (itself non-quick, loaded before them)."""
        rules = egress_for(name, self.egress)
        rules += [r for ifs, got in self.floating if not ifs or name in ifs for r in got]
        rules += [r for group, got in self.grouped.items() if name in groups[group] for r in got]
        rules += self.per_if.get(name, [])
        return rules + [r for ifs, got in reversed(self.last_match) if not ifs or name in ifs
                        for r in got]


def parse_pfsense(text: str, path: str, scope: Scope | None = None) -> Ruleset:
    """The ruleset; with `scope`, rules no audited packet can match are left out (`omitted`)."""
    data = text.encode("utf-8", errors="replace")
    root, rules = parse_with_rules(text, path, data)  # the tree without the rules when it can
    if root.tag != "pfsense":
        raise InputError(f"root element is <{root.tag}>, not <pfsense>", path=path, line=root.line,
                         field="xml")
    compiler = _RuleCompiler(_Aliases(root, path), path, _interface_networks(root), scope)
    groups = interface_groups(root)
    found = _Collected()
    for line, texts in rules:  # the first child of each tag, as child() finds
        if "disabled" in texts:
            found.findings.append(info("audit.rule-disabled", "disabled rule skipped", path, line))
        elif left_out(compiler, texts, line):
            found.left_out(texts, groups)
        else:
            found.add(texts, compiler.compile(texts, line), groups)
    disabled = _disabled_interfaces(root)
    for name, line in sorted(disabled.items()):
        found.findings.append(info("audit.interface-disabled", f"interface {name} is not enabled: "
                                   "no traffic arrives on it, its rules are not evaluated", path, line))
    names = _interfaces(root) | set(found.per_if) | {m for ms in groups.values() for m in ms}
    names -= set(disabled)
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    for name in sorted(names):
        key = chain_key(path, "interface", name)
        chains[key] = Chain(key=key, name=name, rules=tuple(found.rules_for(name, groups)),
                            policy=Action.DROP, policy_origin=Origin(path, 0, f"default deny on {name}"))
        entries.append(Entry(name, (key,)))
    return Ruleset(format="pfsense", platform="pf", paths=(path,), chains=chains,
                   entries=tuple(entries), findings=tuple(found.findings), omitted=compiler.omitted)


def _disabled_interfaces(root: XmlNode) -> dict[str, int]:
    """Interfaces assigned without ``<enable>``: pfSense does not bring them up. Only in a
    config that marks its interfaces at all (an excerpt without any ``<enable>`` keeps all)."""
    node = root.child("interfaces")
    children = list(node.children) if node is not None else []
    if not any(c.child("enable") is not None for c in children):
        return {}
    return {c.tag: c.line for c in children if c.child("enable") is None}


def _interfaces(root: XmlNode) -> set[str]:
    node = root.child("interfaces")
    return {c.tag for c in node.children} if node is not None else set()


class PfsenseParser(RulesetParser):
    name = "pfsense"
    platform = "pf"
    description = "pfSense config.xml (aliases, filter rules per interface)"

    def detect(self, text: str) -> float:
        return _detect.pfsense(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: parse_pfsense(text, path))

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return parse_logged(self.name, path, lambda: parse_pfsense(text, path, scope))
