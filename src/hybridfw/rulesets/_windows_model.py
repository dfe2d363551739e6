"""Windows Defender Firewall rules as one model for both readers (netsh text, PowerShell JSON),
and the way Windows evaluates them.

Windows does not evaluate first match. An enabled rule of the packet's direction and profile
*matches* when all its conditions hold; then:

1. an allow rule that overrides block rules (authenticated bypass) admits the packet,
2. else any matching block rule drops it,
3. else any matching allow rule admits it,
4. else the profile's default action for that direction decides (``BlockInbound`` when not
   configured; ``BlockInboundAlways`` drops even what allow rules admit; a profile whose state
   is off admits everything).

Block rules placed before allow rules in one first-match chain give exactly steps 2–3, so the
model is a chain per direction (``input``, ``output``): bypass rules, then block rules, then allow
rules, then the default. Within each action, rules without undecidable conditions come first.
Which profile applies depends on the network the server's adapter is in, which the
configuration does not say: a rule limited to some profiles, and defaults that differ
between profiles, carry an interface-like condition on the profile (``profile Domain``), decided
when the audit is told the profile as the interface name (``--outside-interface domain``; for
an outbound flow the interface it leaves by) and unknown otherwise. When no profile settings were
given, the default is unknown.

Unknown, naming the condition: programs and services (which process listens is not in the
configuration), remote ports (the source port of an inbound connection), address keywords
(``LocalSubnet``, ``Internet``, ``DNS``, ...), port keywords (``RPC``, ``RPC-EPMap``, ``IPHTTPS``,
...), interface types other than any, and rules that require IPsec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets._vendor_util import Fuzzy, info, parse_address, parse_port_span, warning
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
from hybridfw.rulesets.ports import PortInterval, merge_ports
from hybridfw.rulesets.scope import Scope

PROFILES = ("domain", "private", "public")
_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmpv4": "icmp", "1": "icmp",
              "icmpv6": "ipv6-icmp", "58": "ipv6-icmp", "icmp": "icmp"}
_ANY = ("any", "*", "")


@dataclass
class WinRule:
    """One firewall rule, with the values as Windows shows them (lists of strings)."""

    name: str
    line: int
    enabled: bool
    inbound: bool
    profiles: frozenset[str]  # of PROFILES; every profile for "Any"
    action: str  # "allow", "block", "bypass" (allow that overrides block rules)
    local_ips: list[str] = field(default_factory=list)
    remote_ips: list[str] = field(default_factory=list)
    protocol: str = "any"
    local_ports: list[str] = field(default_factory=list)
    remote_ports: list[str] = field(default_factory=list)
    program: str = ""
    service: str = ""
    interface_types: str = "any"
    security: str = "notrequired"
    hidden: str = ""  # conditions the export leaves out (netsh without "verbose")


@dataclass
class Profile:
    """One profile's settings: its state and default actions ("block", "allow", "blockalways")."""

    name: str
    line: int
    enabled: bool = True
    inbound: str = "block"
    outbound: str = "allow"


def profile_set(text: str) -> frozenset[str]:
    words = {w.strip().lower() for w in text.replace(";", ",").split(",") if w.strip()}
    if not words or words & {"any", "all"}:
        return frozenset(PROFILES)
    return frozenset(w for w in words if w in PROFILES)


def _addresses(values: list[str], side: str) -> Fuzzy:
    parts: list[Fuzzy] = []
    for value in values:
        item = value.strip()
        if item.lower() in _ANY:
            return Fuzzy.exact(AddressSet.any())
        parsed = parse_address(item) if "/" not in item or item.count(".") != 6 else None
        if parsed is None and "/" in item:  # 10.0.0.0/255.0.0.0: a mask Windows shows so
            address, _, mask = item.partition("/")
            bits = _mask_bits(mask)
            parsed = parse_address(f"{address}/{bits}") if bits is not None else None
        parts.append(Fuzzy.exact(parsed) if parsed is not None
                     else Fuzzy.unknown(f"{side} {item}"))
    return Fuzzy.union(parts) if parts else Fuzzy.exact(AddressSet.any())


def _mask_bits(mask: str) -> int | None:
    pieces = mask.split(".")
    if len(pieces) != 4 or not all(p.isdigit() and int(p) < 256 for p in pieces):
        return None
    value = int("".join(f"{int(p):08b}" for p in pieces), 2)
    bits = bin(value).count("1")
    return bits if value == (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF else None


def _ports(values: list[str], what: str) -> tuple[tuple[PortInterval, ...] | None, tuple[str, ...]]:
    found: list[PortInterval] = []
    unknown: list[str] = []
    for value in values:
        for item in (v.strip() for v in value.split(",")):
            if item.lower() in _ANY:
                return None, ()
            span = parse_port_span(item)
            if span is None:
                unknown.append(f"{what} {item}")
            else:
                found.append(span)
    if unknown:
        return None, tuple(unknown)
    return (merge_ports(found) if found else None), ()


def _protocols(text: str) -> frozenset[str] | None:
    protocol = text.strip().lower()
    return None if protocol in _ANY else frozenset({_PROTOCOLS.get(protocol, protocol)})


def admitted(scope: Scope, protocol: str, dst_ports: list[str]) -> bool:
    """Whether a packet of the audit's `scope` may match an enabled rule of this protocol and
    destination ports (the local ports of an inbound rule, the remote ones of an outbound
    rule), as `compile_rule` compiles them: a rule that is not admitted matches no audited
    packet (whatever its action) and a scoped parse leaves it out."""
    return scope.admits_service(_protocols(protocol), _ports(dst_ports, "")[0])


def _conditions(rule: WinRule) -> tuple[str, ...]:
    why: list[str] = []
    if rule.program and rule.program.lower() not in _ANY:
        why.append(f"program {rule.program}")
    if rule.service and rule.service.lower() not in _ANY:
        why.append(f"service {rule.service}")
    if rule.interface_types.lower() not in _ANY:
        why.append(f"interface types {rule.interface_types}")
    if rule.security.lower() not in ("notrequired", "", "notrequired/notrequired"):
        why.append(f"security {rule.security} (IPsec)")
    if rule.action == "bypass":
        why.append("allow if secure, overriding block rules (IPsec)")
    if rule.hidden:
        why.append(rule.hidden)
    return tuple(why)


def _profile_condition(profiles: frozenset[str], inbound: bool) -> tuple[InterfaceMatch, ...]:
    if profiles >= frozenset(PROFILES):
        return ()
    names = tuple(sorted(profiles))
    spelled = tuple(n for name in names for n in (name, name.capitalize()))  # domain or Domain
    return (InterfaceMatch("in" if inbound else "out", spelled, False,
                           f"profile {','.join(n.capitalize() for n in names) or '(none)'}"),)


def compile_rule(rule: WinRule, path: str) -> list[Rule]:
    """A rule as (at most two) first-match rules: the decided part and the unknown part."""
    local = _addresses(rule.local_ips, "LocalIP")
    remote = _addresses(rule.remote_ips, "RemoteIP")
    protocols = _protocols(rule.protocol)
    # The destination port is the local port of an inbound rule, the remote one of an outbound
    # rule; the other one is the connection's source port, which hybridfw cannot decide.
    dst_name, src_name = ("LocalPort", "RemotePort") if rule.inbound else ("RemotePort", "LocalPort")
    dst_values, src_values = ((rule.local_ports, rule.remote_ports) if rule.inbound
                              else (rule.remote_ports, rule.local_ports))
    ports, port_unknown = _ports(dst_values, dst_name)
    source_ports, source_unknown = _ports(src_values, src_name)
    why = _conditions(rule) + port_unknown + source_unknown
    if source_ports is not None:
        why += (f"{src_name} {','.join(src_values)} (the source port)",)
    if rule.inbound:
        sources, destinations = remote, local
    else:
        sources, destinations = local, remote
    action = Action.DROP if rule.action == "block" else Action.ACCEPT
    origin = Origin(path, rule.line, f"{rule.action} rule {rule.name!r}")
    interfaces = _profile_condition(rule.profiles, rule.inbound)
    out: list[Rule] = []
    if sources.sure and destinations.sure:
        out.append(Rule(Match(sources=sources.sure, destinations=destinations.sure, protocols=protocols,
                              dst_ports=ports, undecidable=why, interfaces=interfaces), action, origin))
    if sources.maybe or destinations.maybe:
        extra = tuple(dict.fromkeys(why + sources.reasons + destinations.reasons))
        out.append(Rule(Match(sources=sources.sure | sources.maybe,
                              destinations=destinations.sure | destinations.maybe,
                              protocols=protocols, dst_ports=ports, undecidable=extra,
                              interfaces=interfaces), action, origin))
    return out


def _defaults(profiles: list[Profile], inbound: bool, path: str) -> tuple[list[Rule], Action, Origin]:
    """The profile defaults as rules at the end of the chain (when they differ) and the policy."""
    if not profiles:
        return [], Action.UNKNOWN, Origin(path, 0, "profile defaults not given (add the output of "
                                                   "'netsh advfirewall show allprofiles')")
    verdicts: dict[str, tuple[Action, Profile]] = {}
    for profile in profiles:
        word = profile.inbound if inbound else profile.outbound
        action = Action.ACCEPT if not profile.enabled or word == "allow" else Action.DROP
        verdicts[profile.name] = (action, profile)
    missing = [p for p in PROFILES if p not in verdicts]
    distinct = {a for a, _ in verdicts.values()}
    if not missing and len(distinct) == 1:
        first = profiles[0]
        return [], distinct.pop(), Origin(path, first.line, "default action of every profile")
    rules = [Rule(Match(interfaces=_profile_condition(frozenset({name}), inbound)), action,
                  Origin(path, profile.line, f"default action of the {name.capitalize()} profile"))
             for name, (action, profile) in verdicts.items()]
    reason = f"settings of the {', '.join(missing)} profile not given" if missing else "per profile"
    return rules, Action.UNKNOWN, Origin(path, 0, f"profile default ({reason})")


def _overrides(profiles: list[Profile], inbound: bool, path: str) -> list[Rule]:
    """Profiles that are off admit everything; BlockInboundAlways drops before any allow rule."""
    out: list[Rule] = []
    for profile in profiles:
        word = profile.inbound if inbound else profile.outbound
        if not profile.enabled:
            verdict, text = Action.ACCEPT, "is off"
        elif word == "blockalways":
            verdict, text = Action.DROP, "blocks all connections"
        else:
            continue
        condition = _profile_condition(frozenset({profile.name}), inbound)
        out.append(Rule(Match(interfaces=condition), verdict,
                        Origin(path, profile.line, f"the {profile.name.capitalize()} profile {text}")))
    return out


def _decided_first(rule: Rule) -> tuple[bool, bool]:
    """Within one action the order of rules does not change a verdict (any match decides), so
    rules without conditions go first: a verdict that is sure is never hidden behind a rule that
    may or may not match."""
    return bool(rule.match.undecidable), bool(rule.match.interfaces)


def build_ruleset(rules: list[WinRule], profiles: list[Profile], path: str, fmt: str,
                  omitted: int = 0) -> Ruleset:
    """The chains of `rules` (a scoped parse passes those it kept and counts the enabled
    rules it left out in `omitted`)."""
    if not rules and not profiles and not omitted:
        raise InputError("no firewall rules or profile settings found", path=path, field="rules")
    findings: list[Finding] = []
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    if not profiles:
        findings.append(warning("audit.profiles-missing", "no profile settings: what no rule decides "
                                "is unknown (add 'netsh advfirewall show allprofiles')", path, 0))
    for inbound, name in ((True, "input"), (False, "output")):
        ordered: list[Rule] = _overrides(profiles, inbound, path)
        mine = [r for r in rules if r.inbound == inbound]
        for rule in mine:
            if not rule.enabled:
                findings.append(info("audit.rule-disabled", f"disabled rule {rule.name!r} skipped",
                                     path, rule.line))
        for kind in ("bypass", "block", "allow"):
            group = [x for r in mine if r.enabled and r.action == kind for x in compile_rule(r, path)]
            ordered += sorted(group, key=_decided_first)
        tail, policy, origin = _defaults(profiles, inbound, path)
        key = chain_key(path, name)
        chains[key] = Chain(key=key, name=name, rules=tuple(ordered + tail), policy=policy,
                            policy_origin=origin)
        entries.append(Entry(name, (key,)))
    return Ruleset(format=fmt, platform="windows-advfirewall", paths=(path,), chains=chains,
                   entries=tuple(entries), findings=tuple(findings), omitted=omitted)
