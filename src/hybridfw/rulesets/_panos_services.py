"""PAN-OS services and applications of a security rule, as `Service`s.

A rule matches an (application, service) pair. hybridfw evaluates ports, not App-IDs, so it
knows common applications by the protocol and ports their standard traffic uses (``smtp`` on
TCP 25 and 587, ``ssl`` on 443, ``quic`` on UDP 443 only, ``dns`` on 53 ...): a rule naming only
such applications matches nothing else (one ``quic`` deny does not make later rules unknown);
any other application makes the rule's ports undecidable (unknown), because App-ID might or
might not name the traffic so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from hybridfw.rulesets._vendor_util import MAX_NESTING, Service, parse_port_span
from hybridfw.rulesets.ports import PortInterval, merge_ports

if TYPE_CHECKING:
    from hybridfw.rulesets._panos_common import Named, PanRule

_TCP = frozenset({"tcp"})
_UDP = frozenset({"udp"})
KNOWN_APPS: dict[str, tuple[Service, ...]] = {
    "smtp": (Service(_TCP, ((25, 25), (587, 587))),),
    "smtp-base": (Service(_TCP, ((25, 25), (587, 587))),),
    "ssl": (Service(_TCP, ((443, 443),)),),
    "web-browsing": (Service(_TCP, ((80, 80),)),),
    "ssh": (Service(_TCP, ((22, 22),)),),
    "dns": (Service(_TCP, ((53, 53),)), Service(_UDP, ((53, 53),))),
    "dns-base": (Service(_TCP, ((53, 53),)), Service(_UDP, ((53, 53),))),
    "ntp": (Service(_UDP, ((123, 123),)),),
    # QUIC is UDP only (RFC 9000): a quic rule never matches a TCP connection.
    "quic": (Service(_UDP, ((443, 443),)),),
    "ping": (Service(frozenset({"icmp", "ipv6-icmp"})),),
    "icmp": (Service(frozenset({"icmp"})),),
    "ipv6-icmp": (Service(frozenset({"ipv6-icmp"})),),
    "snmp": (Service(_UDP, ((161, 162),)),),
    "syslog": (Service(_UDP, ((514, 514),)),),
    "dhcp": (Service(_UDP, ((67, 68),)),),
    "ms-rdp": (Service(_TCP, ((3389, 3389),)), Service(_UDP, ((3389, 3389),))),
    "traceroute": (Service(_UDP, ((33434, 33534),)), Service(frozenset({"icmp", "ipv6-icmp"}))),
    "ldap": (Service(_TCP, ((389, 389),)), Service(_UDP, ((389, 389),))),
    "kerberos": (Service(_TCP, ((88, 88),)), Service(_UDP, ((88, 88),))),
    "ftp": (Service(_TCP, ((21, 21),)),),
    "imap": (Service(_TCP, ((143, 143),)),),
    "pop3": (Service(_TCP, ((110, 110),)),),
}
PREDEFINED_SERVICES: dict[str, Service] = {
    "service-http": Service(_TCP, ((80, 80), (8080, 8080))),
    "service-https": Service(_TCP, ((443, 443),)),
}


class Lookup(Protocol):
    def lookup(self, table: str, name: str) -> Named | None: ...


def _ports(text: str) -> tuple[PortInterval, ...] | None:
    spans = [parse_port_span(part) for part in text.split(",") if part.strip()]
    if not spans or any(s is None for s in spans):
        return None
    return merge_ports([s for s in spans if s is not None])


def service_named(lookup: Lookup, name: str, depth: int = 0) -> list[Service]:
    if name == "any":
        return [Service()]
    if name in PREDEFINED_SERVICES:
        return [PREDEFINED_SERVICES[name]]
    obj = lookup.lookup("services", name)
    if obj is not None:
        ports = _ports(obj.values[0] if obj.values else "")
        reasons = (f"source-port {obj.extra} of service {name}",) if obj.extra else ()
        if ports is None:
            return [Service(frozenset({obj.kind}), None, (f"ports of service {name}",))]
        return [Service(frozenset({obj.kind}), ports, reasons)]
    group = lookup.lookup("service_groups", name)
    if group is not None and depth <= MAX_NESTING:
        return [s for m in group.values for s in service_named(lookup, m, depth + 1)]
    return [Service(None, None, (f"service {name} (not defined in this file)",))]


def _applications(lookup: Lookup, names: list[str], depth: int = 0) -> list[str]:
    out: list[str] = []
    for name in names:
        group = lookup.lookup("application_groups", name)
        if group is not None and depth <= MAX_NESTING:
            out += _applications(lookup, group.values, depth + 1)
        else:
            out.append(name)
    return out


def _intersect(a: Service, b: Service) -> Service | None:
    if a.protocols is None:
        protocols = b.protocols
    else:
        protocols = a.protocols if b.protocols is None else a.protocols & b.protocols
    if protocols is not None and not protocols:
        return None
    if a.ports is None or b.ports is None:
        ports = b.ports if a.ports is None else a.ports
    else:
        ports = tuple((max(x[0], y[0]), min(x[1], y[1])) for x in a.ports for y in b.ports
                      if max(x[0], y[0]) <= min(x[1], y[1]))
        if not ports:
            return None
    return Service(protocols, ports, a.reasons + b.reasons)


def rule_services(lookup: Lookup, rule: PanRule) -> list[Service]:
    apps = _applications(lookup, rule.many("application"))
    names = rule.many("service")
    app_default = "application-default" in names
    written = [] if app_default else [s for n in names for s in service_named(lookup, n)]
    if "any" in apps:
        if not app_default:
            return written
        known = [s for svcs in KNOWN_APPS.values() for s in svcs]
        return [*known, Service(None, None, ("application-default ports of any application",))]
    out: list[Service] = []
    for app in (a for a in apps if a in KNOWN_APPS):
        for svc in KNOWN_APPS[app]:
            out += [svc] if app_default else [x for w in written if (x := _intersect(svc, w))]
    unknown = [a for a in apps if a not in KNOWN_APPS]
    if unknown:
        why = (f"application {', '.join(unknown)}",)
        out += ([Service(None, None, why)] if app_default
                else [Service(w.protocols, w.ports, w.reasons + why) for w in written])
    return out
