"""FortiGate firewall objects of one VDOM: addresses, groups, VIPs and services.

Addresses resolve to `Fuzzy` sets: ``subnet`` and ``iprange`` objects (and their IPv6 kin) are
exact; ``fqdn``, ``geography``, ``dynamic``, ``interface-subnet``, ``mac``, ``wildcard`` and
templates are unknown, naming the object. A VIP (DNAT) used as a destination matches the
external address and the mapped (inside) address a packet is translated to; with port
forwarding only the mapped address is sure and the external one is unknown (only the
forwarded port is translated). Services: ``tcp-portrange`` etc. as ``dst[:src]`` ranges (a
source-port restriction is unknown), ``protocol IP`` with a number, ICMP; a service named but
not defined in the file is known only for the few predefined FortiOS services listed here.
"""

from __future__ import annotations

import ipaddress

from hybridfw.addresses import AddressSet, Family
from hybridfw.errors import InputError
from hybridfw.rulesets._fortios_tree import Block, Entry
from hybridfw.rulesets._nesting import longest_chain
from hybridfw.rulesets._vendor_util import MAX_NESTING, Fuzzy, Service, parse_address, parse_port_span
from hybridfw.rulesets.ports import PortInterval, merge_ports

_TCP, _UDP = frozenset({"tcp"}), frozenset({"udp"})
# FortiOS predefined services (same ports as the factory configuration's "service custom").
PREDEFINED: dict[str, tuple[Service, ...]] = {
    "ALL": (Service(),),
    "ALL_TCP": (Service(_TCP, ((1, 65535),)),),
    "ALL_UDP": (Service(_UDP, ((1, 65535),)),),
    "HTTP": (Service(_TCP, ((80, 80),)),),
    "HTTPS": (Service(_TCP, ((443, 443),)),),
    "SMTP": (Service(_TCP, ((25, 25),)),),
    "SMTPS": (Service(_TCP, ((465, 465),)),),
    "DNS": (Service(_TCP, ((53, 53),)), Service(_UDP, ((53, 53),))),
    "IMAP": (Service(_TCP, ((143, 143),)),),
    "IMAPS": (Service(_TCP, ((993, 993),)),),
    "POP3": (Service(_TCP, ((110, 110),)),),
    "POP3S": (Service(_TCP, ((995, 995),)),),
    "SSH": (Service(_TCP, ((22, 22),)),),
    "NTP": (Service(_TCP, ((123, 123),)), Service(_UDP, ((123, 123),))),
}
_PROTOCOL_NUMBERS = {"1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "132": "sctp"}
_GROUP_TABLES = ("firewall addrgrp", "firewall vipgrp", "firewall addrgrp6", "firewall vipgrp6")
_VIP_TABLES = ("firewall vip", "firewall vip6", "firewall vip46", "firewall vip64")
# Where a name is looked up, by the family of the policy field naming it (IPv6 fields first
# look in the *6 tables: both tables define "all").
_LOOKUP: dict[Family, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    4: (("firewall address", "firewall multicast-address", "firewall address6"),
        ("firewall vip", "firewall vip46", "firewall vip6", "firewall vip64"),
        ("firewall addrgrp", "firewall vipgrp", "firewall addrgrp6", "firewall vipgrp6")),
    6: (("firewall address6", "firewall address"),
        ("firewall vip6", "firewall vip64", "firewall vip", "firewall vip46"),
        ("firewall addrgrp6", "firewall vipgrp6", "firewall addrgrp", "firewall vipgrp")),
}


def _mask_prefix(address: str, mask: str) -> AddressSet | None:
    if "/" in address:
        return parse_address(address)
    try:
        network = ipaddress.IPv4Network(f"{address}/{mask or '255.255.255.255'}", strict=False)
    except ValueError:
        return None  # a non-contiguous mask or garbage
    return parse_address(str(network))


def _range(start: str, end: str) -> AddressSet | None:
    return parse_address(f"{start}-{end or start}") if start else None


def _address_object(obj: Entry) -> Fuzzy:
    kind = obj.one("type", "ipmask")
    if kind == "ipmask" and "ip6" in obj.fields:
        kind = "ip6"
    if kind == "ipmask":
        subnet = obj.values("subnet") or ["0.0.0.0", "0.0.0.0"]
        found = _mask_prefix(subnet[0], subnet[1] if len(subnet) > 1 else "")
    elif kind == "ip6":
        found = parse_address(obj.one("ip6", "::/0"))
    elif kind == "iprange":
        found = _range(obj.one("start-ip"), obj.one("end-ip"))
    else:
        detail = " ".join(obj.values("fqdn") or obj.values("country") or obj.values("sdn")
                          or obj.values("interface") or obj.values("wildcard"))
        return Fuzzy.unknown(f"{kind} address {obj.name}{f' ({detail})' if detail else ''}")
    if found is None:
        return Fuzzy.unknown(f"address {obj.name} (unreadable {kind})")
    return Fuzzy.exact(found)


class Objects:
    """The objects of one VDOM, resolved by name."""

    def __init__(self, path: str, blocks: dict[str, list[Block]]) -> None:
        self.path = path
        self.tables: dict[str, dict[str, Entry]] = {}
        for table, found in blocks.items():
            merged = self.tables.setdefault(table, {})
            for block in found:
                merged.update((e.name, e) for e in block.entries)
        self._cache: dict[tuple[str, Family], Fuzzy] = {}
        self.policy_addresses: dict[tuple[object, ...], tuple[Fuzzy, Fuzzy]] = {}
        self.policy_services: dict[tuple[object, ...], list[Service]] = {}
        self.policy_conditions: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._services: dict[str, list[Service]] = {}
        self.vip_external, self.vip_mapped = AddressSet.empty(), AddressSet.empty()
        for table in _VIP_TABLES:
            for vip in self.tables.get(table, {}).values():
                external = parse_address(vip.one("extip"))
                self.vip_external = self.vip_external | (external or AddressSet.empty())
                self.vip_mapped = self.vip_mapped | _mapped(vip)

    def addresses_always_resolve(self) -> bool:
        """No address name can fail to resolve, whatever order names are resolved in: no
        chain of groups (members and excluded members, in any group table) is longer than
        MAX_NESTING. A scoped parse then need not resolve the policies it leaves out."""
        edges: dict[str, list[str]] = {}
        for table in _GROUP_TABLES:
            for name, group in self.tables.get(table, {}).items():
                edges.setdefault(name, []).extend(group.values("member") + group.values("exclude-member"))
        longest = longest_chain(edges)
        return longest is not None and longest <= MAX_NESTING

    def _find(self, tables: tuple[str, ...], name: str) -> Entry | None:
        for table in tables:
            found = self.tables.get(table, {}).get(name)
            if found is not None:
                return found
        return None

    def _loop(self, name: str, line: int, what: str) -> InputError:
        return InputError(f"{what} {name!r} nests too deep (a loop?)", path=self.path, line=line,
                          field=what)

    def address(self, name: str, line: int, family: Family, depth: int = 0) -> Fuzzy:
        """The addresses `name` stands for in a policy field of `family` (restricted to it)."""
        cached = self._cache.get((name, family))
        if cached is not None:
            return cached
        if depth > MAX_NESTING:
            raise self._loop(name, line, "addrgrp")
        found = self._resolve(name, line, family, depth).restricted(AddressSet.any(family))
        self._cache[(name, family)] = found
        return found

    def _resolve(self, name: str, line: int, family: Family, depth: int) -> Fuzzy:
        addresses, vips, groups = _LOOKUP[family]
        obj = self._find(addresses, name)
        if obj is not None:
            return _address_object(obj)
        vip = self._find(vips, name)
        if vip is not None:
            return self._vip(vip)
        group = self._find(groups, name)
        if group is not None:
            members = Fuzzy.union([self.address(m, group.line, family, depth + 1)
                                   for m in group.values("member")])
            if group.one("exclude") == "enable":
                excluded = Fuzzy.union([self.address(m, group.line, family, depth + 1)
                                        for m in group.values("exclude-member")])
                members = _minus(members, excluded)
            return members
        if name == "all":
            return Fuzzy.exact(AddressSet.any(family))
        if name == "none":
            return Fuzzy.exact(AddressSet.empty())
        return Fuzzy.unknown(f"address {name} (not defined in this file)")

    @staticmethod
    def _vip(vip: Entry) -> Fuzzy:
        kind = vip.one("type", "static-nat")
        external = parse_address(vip.one("extip"))
        mapped = _mapped(vip)
        if kind != "static-nat" or external is None or not mapped:
            return Fuzzy.unknown(f"VIP {vip.name} ({kind})")
        if vip.one("portforward") == "enable":
            reason = (f"port-forward VIP {vip.name}: its external address {vip.one('extip')} is "
                      f"translated on port {vip.one('extport')} only")
            return Fuzzy(mapped, external - mapped, (reason,))
        return Fuzzy.exact(external | mapped)

    def service(self, name: str, line: int, depth: int = 0) -> list[Service]:
        found = self._services.get(name)
        if found is None:
            found = self._services[name] = self._service(name, line, depth)
        return found

    def _service(self, name: str, line: int, depth: int) -> list[Service]:
        custom = self._find(("firewall service custom",), name)
        if custom is not None:
            return _custom_service(custom)
        group = self._find(("firewall service group",), name)
        if group is not None:
            if depth > MAX_NESTING:
                raise self._loop(name, line, "service group")
            return [s for m in group.values("member") for s in self.service(m, group.line, depth + 1)]
        return list(PREDEFINED.get(name, (Service(None, None, (f"service {name} (not defined in "
                                                                   "this file)",)),)))


def _mapped(vip: Entry) -> AddressSet:
    return AddressSet.union_all(a for v in vip.values("mappedip") if (a := parse_address(v)))


def _minus(members: Fuzzy, excluded: Fuzzy) -> Fuzzy:
    """A group with ``exclude-member``: sure only where surely not excluded."""
    gone = excluded.sure | excluded.maybe
    sure = members.sure - gone
    maybe = (members.maybe - excluded.sure) | (members.sure & excluded.maybe)
    return Fuzzy(sure, maybe, members.reasons + excluded.reasons)


def _ranges(values: list[str], name: str) -> tuple[tuple[PortInterval, ...] | None, tuple[str, ...]]:
    """``dst[:src]`` items as destination intervals; unknown source ports as a reason."""
    found: list[PortInterval] = []
    reasons: list[str] = []
    for item in values:
        dst, _, src = item.partition(":")
        span = parse_port_span(dst)
        if span is None:
            return None, (f"port range {item} of service {name}",)
        found.append((max(span[0], 0), span[1]))
        source = parse_port_span(src) if src else (0, 65535)
        if source is None or source[0] > 1 or source[1] < 65535:
            reasons.append(f"source ports {src} of service {name}")
    return merge_ports(found), tuple(reasons)


def _custom_service(obj: Entry) -> list[Service]:
    kind = obj.one("protocol", "TCP/UDP/SCTP").upper()
    extra: tuple[str, ...] = ()
    if obj.values("iprange") not in ([], ["0.0.0.0"]) or obj.values("fqdn"):
        extra = (f"address restriction of service {obj.name}",)
    if kind in ("ICMP", "ICMP6"):
        return [Service(frozenset({"icmp" if kind == "ICMP" else "ipv6-icmp"}), None, extra)]
    if kind == "IP":
        number = obj.one("protocol-number", "0")
        if number == "0":
            return [Service(None, None, extra)]
        protocol = _PROTOCOL_NUMBERS.get(number, number)
        return [Service(frozenset({protocol}), None, extra)]
    if kind != "TCP/UDP/SCTP":
        return [Service(None, None, (f"{kind.lower()} service {obj.name}",))]
    out: list[Service] = []
    for protocol in ("tcp", "udp", "sctp"):
        values = obj.values(f"{protocol}-portrange")
        if values:
            ports, reasons = _ranges(values, obj.name)
            out.append(Service(frozenset({protocol}), ports, extra + reasons))
    return out

