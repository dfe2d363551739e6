"""Cisco ASA objects: names, network/service objects and object-groups, resolved to sets.

The running-config defines objects before use, but a pasted excerpt may not, so definitions are
collected first (`AsaObjects.define`) and resolved on demand with a nesting guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.rulesets._nesting import longest_chain
from hybridfw.rulesets._vendor_util import MAX_NESTING, Fuzzy, Service, parse_address, port_range
from hybridfw.rulesets.ports import PortInterval

# Port names the ASA accepts in place of numbers (TCP/UDP), as shown by `show run`.
PORT_NAMES: dict[str, int] = {
    "aol": 5190, "bgp": 179, "biff": 512, "bootpc": 68, "bootps": 67, "chargen": 19,
    "cifs": 3020, "citrix-ica": 1494, "cmd": 514, "ctiqbe": 2748, "daytime": 13, "discard": 9,
    "dnsix": 195, "domain": 53, "echo": 7, "exec": 512, "finger": 79, "ftp": 21,
    "ftp-data": 20, "gopher": 70, "h323": 1720, "hostname": 101, "http": 80, "https": 443,
    "ident": 113, "imap4": 143, "irc": 194, "isakmp": 500, "kerberos": 88, "klogin": 543,
    "kshell": 544, "ldap": 389, "ldaps": 636, "login": 513, "lotusnotes": 1352, "lpd": 515,
    "mobile-ip": 434, "nameserver": 42, "netbios-dgm": 138, "netbios-ns": 137,
    "netbios-ssn": 139, "nfs": 2049, "nntp": 119, "ntp": 123, "pcanywhere-data": 5631,
    "pcanywhere-status": 5632, "pim-auto-rp": 496, "pop2": 109, "pop3": 110, "pptp": 1723,
    "radius": 1645, "radius-acct": 1646, "rip": 520, "rsh": 514, "rtsp": 554, "secureid-udp": 5510,
    "sip": 5060, "smtp": 25, "snmp": 161, "snmptrap": 162, "sqlnet": 1521, "ssh": 22,
    "sunrpc": 111, "syslog": 514, "tacacs": 49, "talk": 517, "telnet": 23, "tftp": 69,
    "time": 37, "uucp": 540, "vxlan": 4789, "who": 513, "whois": 43, "www": 80, "xdmcp": 177,
}
PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmp6"}
PORT_OPERATORS = {"eq": 1, "neq": 1, "lt": 1, "gt": 1, "range": 2}
PORTED = frozenset({"tcp", "udp", "tcp-udp", "sctp"})


def protocol_set(name: str) -> frozenset[str] | None:
    """Protocols an ASA protocol word stands for; None for ``ip`` (every protocol)."""
    word = PROTOCOL_NUMBERS.get(name, name.lower())
    if word in ("ip", "0"):
        return None
    if word == "tcp-udp":
        return frozenset({"tcp", "udp"})
    return frozenset({word})


@dataclass
class Definition:
    """An object or object-group as written: its kind and member lines (tokens, line)."""

    kind: str  # "network", "service", "protocol", "icmp-type", ...
    name: str
    line: int
    group: bool
    port_protocol: str = ""  # typed service groups: tcp, udp or tcp-udp
    members: list[tuple[list[str], int]] = field(default_factory=list)


def _member_spec(member: tuple[list[str], int]) -> list[str]:
    """A network member's words as `network_spec` reads them (after network-object, subnet)."""
    words = member[0][1:] if member[0][0] == "network-object" else member[0]
    while words[:1] == ["subnet"]:
        words = words[1:]
    return words


class UndefinedObject(InputError):
    """An ACL names an object or group the file does not define (the ASA refuses that, but
    excerpts and batfish-style test configs have it). The ACE becomes undecidable."""

    def __init__(self, name: str, path: str, line: int) -> None:
        self.reason = f"object {name!r} is not defined"
        super().__init__(self.reason, path=path, line=line, field="object")


class AsaObjects:
    """All named things of one config, resolved lazily."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.names: dict[str, str] = {}
        self.defs: dict[str, Definition] = {}
        self._net_cache: dict[str, Fuzzy] = {}
        self._svc_cache: dict[str, list[Service]] = {}

    def error(self, message: str, line: int, fld: str) -> InputError:
        return InputError(message, path=self.path, line=line, field=fld)

    def definition(self, name: str, line: int, kinds: Sequence[str]) -> Definition:
        found = self.defs.get(name)
        if found is None:
            raise UndefinedObject(name, self.path, line)
        if found.kind not in kinds:
            raise self.error(f"object {name!r} is a {found.kind} object, not {'/'.join(kinds)}",
                             line, "object")
        return found

    # --- addresses -------------------------------------------------------------------------
    def address(self, text: str, line: int) -> AddressSet:
        """A literal address or a `name` alias."""
        value = parse_address(self.names.get(text, text))
        if value is None:
            raise self.error(f"not an address or name: {text!r}", line, "address")
        return value

    def span(self, first: str, last: str, line: int) -> AddressSet:
        lo, hi = self.address(first, line), self.address(last, line)
        if lo.v4 and hi.v4:
            a, b = sorted((lo.v4[0][0], hi.v4[0][0]))
            return AddressSet(v4=[(a, b)])
        if lo.v6 and hi.v6:
            a, b = sorted((lo.v6[0][0], hi.v6[0][0]))
            return AddressSet(v6=[(a, b)])
        raise self.error(f"range mixes address families: {first} {last}", line, "range")

    def masked(self, addr: str, mask: str, line: int) -> AddressSet:
        base = self.address(addr, line)
        bits = parse_address(mask)
        if bits is None or not bits.v4 or base.v6:
            raise self.error(f"not an IPv4 address and mask: {addr} {mask}", line, "mask")
        value = bits.v4[0][0]
        prefix = bin(value).count("1")
        if value != ((1 << 32) - 1) ^ ((1 << (32 - prefix)) - 1):
            raise self.error(f"non-contiguous mask {mask}", line, "mask")
        lo = base.v4[0][0] & value
        return AddressSet(v4=[(lo, lo + (1 << (32 - prefix)) - 1)])

    def network_spec(self, words: list[str], line: int, depth: int) -> Fuzzy:
        """`host X`, `X MASK`, `X/len`, `object N`, `object-group N`, `range A B`, `fqdn N`."""
        head = words[0] if words else ""
        if head == "host" and len(words) >= 2:
            return Fuzzy.exact(self.address(words[1], line))
        if head in ("object", "object-group", "group-object") and len(words) >= 2:
            return self.network(words[1], line, depth + 1)
        if head == "range" and len(words) >= 3:
            return Fuzzy.exact(self.span(words[1], words[2], line))
        if head == "fqdn" and len(words) >= 2:
            return Fuzzy.unknown(f"fqdn object {words[-1]} (resolved at run time)")
        if head == "subnet" and len(words) >= 2:
            return self.network_spec(words[1:], line, depth)
        if len(words) >= 2 and "/" not in words[0]:
            return Fuzzy.exact(self.masked(words[0], words[1], line))
        if len(words) == 1:
            return Fuzzy.exact(self.address(words[0], line))
        raise self.error(f"cannot read network {' '.join(words)!r}", line, "network")

    def network(self, name: str, line: int, depth: int = 0) -> Fuzzy:
        cached = self._net_cache.get(name)
        if cached is not None:
            return cached
        if depth > MAX_NESTING:
            raise self.error(f"object-group {name!r} nests too deep (a loop?)", line, "object-group")
        found = self.definition(name, line, ("network",))
        parts = []
        for words, number in found.members:
            if words[0] in ("description", "nat"):
                continue
            spec = words[1:] if words[0] == "network-object" else words
            parts.append(self.network_spec(spec, number, depth))
        result = Fuzzy.union(parts)
        self._net_cache[name] = result
        return result

    def nesting_is_shallow(self) -> bool:
        """No network object or group nests deep enough that an ACE operand naming it could
        fail to resolve in one order and resolve in another (the cache cuts chains short)."""
        edges: dict[str, list[str]] = {}
        for name, found in self.defs.items():
            if found.kind == "network":
                edges[name] = [spec[1] for spec in map(_member_spec, found.members)
                               if len(spec) >= 2 and spec[0] in ("object", "object-group", "group-object")]
        if not any(edges.values()):
            return True
        longest = longest_chain(edges)
        return longest is not None and longest < MAX_NESTING

    # --- services --------------------------------------------------------------------------
    def port_number(self, word: str, line: int) -> int:
        if word.isdigit() and int(word) <= 65535:
            return int(word)
        if word.lower() in PORT_NAMES:
            return PORT_NAMES[word.lower()]
        raise self.error(f"unknown port {word!r}", line, "port")

    def port_spec(self, words: list[str], i: int, line: int) -> tuple[tuple[PortInterval, ...], int]:
        """An operator and its port(s) at words[i]; returns intervals and the next index."""
        op = words[i]
        count = PORT_OPERATORS.get(op)
        if count is None:
            raise self.error(f"expected eq|neq|lt|gt|range, not {op!r}", line, "port")
        if i + count >= len(words):
            raise self.error(f"{op} needs {count} port(s)", line, "port")
        values = [self.port_number(w, line) for w in words[i + 1:i + 1 + count]]
        return port_range(op, values), i + 1 + count

    def service_spec(self, words: list[str], line: int, depth: int) -> list[Service]:
        """`PROTO [source OP P] [destination OP P]` or `object N` (service objects)."""
        if words[0] in ("object", "object-group", "group-object") and len(words) >= 2:
            return self.services(words[1], line, depth + 1)
        protocols = protocol_set(words[0])
        ports: tuple[PortInterval, ...] | None = None
        reasons: tuple[str, ...] = ()
        i = 1
        while i < len(words):
            side = "destination"
            if words[i] in ("source", "destination"):
                side, i = words[i], i + 1
            if i >= len(words) or words[i] not in PORT_OPERATORS:
                break  # icmp types and the like: not ports
            found, i = self.port_spec(words, i, line)
            if side == "source":
                reasons += (f"source port {' '.join(words)}",)
            else:
                ports = found
        return [Service(protocols, ports, reasons)]

    def services(self, name: str, line: int, depth: int = 0) -> list[Service]:
        cached = self._svc_cache.get(name)
        if cached is not None:
            return cached
        if depth > MAX_NESTING:
            raise self.error(f"object-group {name!r} nests too deep (a loop?)", line, "object-group")
        found = self.definition(name, line, ("service", "protocol"))
        out: list[Service] = []
        for words, number in found.members:
            out += self._service_member(found, words, number, depth)
        self._svc_cache[name] = out
        return out

    def _service_member(self, group: Definition, words: list[str], line: int,
                        depth: int) -> list[Service]:
        head, rest = words[0], words[1:]
        if head == "description" or not rest:
            return []
        if head == "group-object":
            return self.services(rest[0], line, depth + 1)
        if head == "protocol-object":
            return [Service(protocol_set(rest[0]))]
        if head == "port-object":
            ports, _ = self.port_spec(rest, 0, line)
            return [Service(protocol_set(group.port_protocol or "tcp-udp"), ports)]
        if head in ("service-object", "service") and rest:
            return self.service_spec(rest, line, depth)
        raise self.error(f"unexpected {head!r} in object {group.name}", line, "object")

    def port_group(self, name: str, line: int) -> tuple[PortInterval, ...] | None:
        """Ports of a typed service group used as a port operand, else None."""
        found = self.defs.get(name)
        if found is None or found.kind != "service" or not found.port_protocol:
            return None
        merged: list[PortInterval] = []
        for svc in self.services(name, line):
            merged += svc.ports or [(0, 65535)]
        return tuple(merged)
