"""Cisco ASA: one ``access-list ... extended`` entry (ACE) into normalised rules (see `asa`)."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.rulesets._asa_objects import PORT_OPERATORS, PORTED, AsaObjects, protocol_set
from hybridfw.rulesets._vendor_util import Fuzzy, Service, expand_rule
from hybridfw.rulesets.model import Action, Origin, Rule
from hybridfw.rulesets.ports import PortInterval
from hybridfw.rulesets.scope import Scope

_LOG_WORDS = frozenset({"disable", "default", "emergencies", "alerts", "critical", "errors",
                        "warnings", "notifications", "informational", "debugging"})
_TYPES_MAY_FOLLOW = frozenset({"icmp", "icmp6", "1", "58", "object-group"})  # icmp types, codes
_ANY_FAMILY: dict[str, Literal[4, 6] | None] = {"any": None, "any4": 4, "any6": 6}
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_V4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_PLAIN_V4_PREFIX = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}/(?:3[0-2]|[12]?[0-9])")
_MASKS = frozenset(str(ipaddress.IPv4Address((1 << 32) - (1 << (32 - n)))) for n in range(33))
_PORTED_WORDS = PORTED | {"6", "17"}
_IDENTITY = {"user": 2, "user-group": 2, "object-group-user": 2, "security-group": 3,
             "object-group-security": 2}
_V4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_MASK = "|".join(re.escape(mask) for mask in sorted(_MASKS))
# An operand as the word walk reads it (one word if any/any4/any6 or it has a '/', else two).
# Literals first: host V4 | V4 MASK | any[46] or V4/LEN; then any other one word | two words
_NOT_OPERAND = "|".join(("any", "any4", "any6", *PORT_OPERATORS, *_IDENTITY))
_FAST_OPERAND = (rf"(?:host ({_V4})|({_V4}) ({_MASK})|(any[46]?|{_V4}/(?:3[0-2]|[12]?[0-9]))|"
                 rf"(\S*/\S*)|(?!(?:{_NOT_OPERAND}) )([^\s/]+) (\S+))")
# The common ACE `access-list NAME extended permit|deny PROTO SRC DST [eq PORT]` as one match
FAST_ACE = re.compile(rf"access-list (\S+) extended (permit|deny) (?!object(?:-group)? )(\S+) "
                      rf"{_FAST_OPERAND} {_FAST_OPERAND}(?: eq (\S+))?\s*\Z")
NOT_LITERAL = (8, 9, 15, 16)  # FAST_ACE groups set when an operand is not a literal
PROTOCOL_PORT = (3, 18)  # FAST_ACE groups: the protocol word, the eq port


class AceCompiler:
    """Pass 2: one ``access-list ... extended`` line into normalised rules.

    Operands are resolved once per spelling (``host 10.0.0.1``, ``object-group WEB``). With a
    `Scope`, an entry whose protocols and ports no audited packet has is left out (`omitted`)
    after its operands are checked: a plain IPv4 literal by pattern, anything else resolved.
    """

    def __init__(self, objects: AsaObjects, scope: Scope | None = None) -> None:
        self.objects = objects
        self.scope = scope
        self.omitted = 0
        # benchmarks/audit_vendor.py asa, scoped parse: about 13 % faster (CPU time, best of 7)
        self._networks: dict[tuple[str, ...], Fuzzy] = {}  # an operand's words -> addresses
        self._admitted: dict[tuple[tuple[str, ...], tuple[PortInterval, ...] | None], bool] = {}
        # These two: benchmarks/audit_vendor.py asa, full and scoped parse 15-25 % faster
        self._protocols: dict[str, tuple[list[Service], bool]] = {}  # a protocol word's services
        self._port_specs: dict[tuple[str, ...], tuple[PortInterval, ...]] = {}  # ("eq", "25")
        self._omits: dict[tuple[str, str | None], bool] = {}  # protocol word, eq port -> left out
        self._ports_of: dict[str, frozenset[int]] = {}  # protocol word -> its audited ports

    def omits(self, protocol: str, port: str | None) -> bool:
        """Whether the scope leaves out an ACE with literal operands, this protocol word and this
        `eq` port (None: no port). False when unsure: the ACE is compiled and may raise then."""
        key = (protocol, port)
        found = self._omits.get(key)
        if found is None:
            found = self._omits[key] = self._omits_uncached(protocol, port)
        return found

    def _omits_uncached(self, protocol: str, port: str | None) -> bool:
        services, ported = self._protocol_word(protocol)
        if self.scope is None or (port is not None and not ported):
            return False
        if port is not None and port.isascii() and port.isdigit() and int(port) <= 65535:
            # a port number: one set lookup, not a port spec and admits_service per distinct
            # port (benchmarks/audit_vendor.py asa has 5,000): scoped parse -36 % (CPU, median of 3)
            return int(port) not in self._audited_ports(protocol, services)
        try:
            dst_ports = None if port is None else self._eq_port(port, 0)
        except InputError:
            return False
        return not self._admits((protocol,), services, dst_ports)

    def _audited_ports(self, protocol: str, services: list[Service]) -> frozenset[int]:
        """The ports of the audited packets whose protocol is one of `services`' (a protocol
        word has one service and no ports): `eq P` is admitted exactly when P is one of them."""
        found = self._ports_of.get(protocol)
        if found is None:
            assert self.scope is not None
            protocols = [s.protocols for s in services]
            found = self._ports_of[protocol] = frozenset(
                port for packets in (self.scope.inbound, self.scope.outbound) for name, port in packets
                if any(p is None or name in p for p in protocols))
        return found

    def operands_resolve(self, ace: re.Match[str], line: int) -> bool:
        """Whether the non-literal operands of an ACE that matched `FAST_ACE` (an object, a
        group, an interface ...) resolve without an error, as `compile_fast` resolves them."""
        for spec in ((ace[9], ace[10]) if ace[9] is not None else (ace[8],) if ace[8] is not None else None,
                     (ace[16], ace[17]) if ace[16] is not None else (ace[15],) if ace[15] is not None
                     else None):
            if spec is not None and not self.spelling_resolves(spec, line):
                return False
        return True

    def spelling_resolves(self, spec: tuple[str, ...], line: int = 0) -> bool:
        """Whether an operand's words resolve without an error (the result is kept)."""
        if spec not in self._networks:
            try:
                self._networks[spec] = self._resolve(spec, line)
            except Exception:  # whatever it is, compile_fast raises it again
                return False
        return True

    def _eq_port(self, port: str, line: int) -> tuple[PortInterval, ...]:
        key = ("eq", port)
        found = self._port_specs.get(key)
        if found is None:
            found = self._port_specs[key] = self.objects.port_spec(list(key), 0, line)[0]
        return found

    def compile_fast(self, ace: re.Match[str], line: int, raw: str) -> list[Rule] | None:
        """`compile` for an ACE that matched `FAST_ACE`: no word walk (the same rules)."""
        (_, verb, protocol, s_host, s_addr, s_mask, s_lit, s_one, s_head, s_tail,
         d_host, d_addr, d_mask, d_lit, d_one, d_head, d_tail, port) = ace.groups()
        services, ported = self._protocol_word(protocol)
        if (port is not None and not ported) or (ported and d_head == "object-group" and getattr(
                self.objects.defs.get(d_tail), "kind", None) == "service"):  # a port, read by the walk
            return self.compile(raw.split()[3:], line, raw)
        sources = self._fast_operand(s_host, s_addr, s_mask, s_lit or s_one, s_head, s_tail, line)
        destinations = self._fast_operand(d_host, d_addr, d_mask, d_lit or d_one, d_head, d_tail, line)
        dst_ports = None if port is None else self._eq_port(port, line)
        action = Action.ACCEPT if verb == "permit" else Action.DROP
        return self._rules(action, (protocol,), services, sources, destinations, dst_ports, [], line, raw)

    def _fast_operand(self, host: str | None, addr: str | None, mask: str | None, one: str | None,
                      head: str | None, tail: str | None, line: int) -> tuple[str, ...]:
        """`_operand` for the groups of one `_FAST_OPERAND` (host and V4 literals: no pattern)."""
        names = self.objects.names
        if host is not None:
            spec: tuple[str, ...] = ("host", host)
            plain = host not in names
        elif addr is not None:
            spec = (addr, mask or "")
            plain = addr not in names
        elif one is not None:
            spec = (one,)
            plain = _PLAIN_V4_PREFIX.fullmatch(one) is not None
        else:
            spec = (head or "", tail or "")
            plain = False
        if spec not in self._networks and not (self.scope is not None and plain):
            self._networks[spec] = self._resolve(spec, line)
        return spec

    def compile(self, words: list[str], line: int, raw: str) -> list[Rule] | None:
        """Rules for the ACE ([] when the scope leaves it out), or None when it is inactive."""
        if len(words) < 4 or words[0] not in ("permit", "deny"):
            raise self.objects.error("expected permit|deny PROTOCOL SOURCE DESTINATION", line, "access-list")
        action = Action.ACCEPT if words[0] == "permit" else Action.DROP
        services, ported, i = self._protocol(words, 1, line)
        protocol_words = tuple(words[1:i])
        why: list[str] = []
        i = self._identity(words, i, why)
        sources, i = self._operand(words, i, line)
        dst_ports = None
        if ported:
            src_ports, i = self._ports(words, i, line)
            if src_ports is not None:
                why.append("source port condition")
        i = self._identity(words, i, why)
        destinations, i = self._operand(words, i, line)
        if ported:
            dst_ports, i = self._ports(words, i, line)
        icmp = words[1].lower() in _TYPES_MAY_FOLLOW
        inactive = self._trailer(words, i, line, why, icmp)
        if inactive:
            return None
        return self._rules(action, protocol_words, services, sources, destinations, dst_ports, why, line, raw)

    def _rules(self, action: Action, protocol_words: tuple[str, ...], services: list[Service],
               sources: tuple[str, ...], destinations: tuple[str, ...],
               dst_ports: tuple[PortInterval, ...] | None, why: list[str], line: int,
               raw: str) -> list[Rule]:
        # benchmarks/audit_vendor.py asa: the scoped parse takes about half the full parse's time
        if self.scope is not None and not self._admits(protocol_words, services, dst_ports):
            self.omitted += 1
            return []
        if dst_ports is not None:
            services = [Service(s.protocols, dst_ports, s.reasons) for s in services]
        return expand_rule(self._network(sources, line), self._network(destinations, line), services,
                           action, Origin(self.objects.path, line, raw), tuple(why))

    def _admits(self, protocol_words: tuple[str, ...], services: list[Service],
                dst_ports: tuple[PortInterval, ...] | None) -> bool:
        """Some service's protocol, with `dst_ports` if given, is one an audited packet has."""
        key = (protocol_words, dst_ports)
        admitted = self._admitted.get(key)
        if admitted is None:
            assert self.scope is not None
            admitted = self._admitted[key] = any(self.scope.admits_service(
                s.protocols, s.ports if dst_ports is None else dst_ports) for s in services)
        return admitted

    def _protocol(self, words: list[str], i: int, line: int) -> tuple[list[Service], bool, int]:
        if words[i] in ("object", "object-group"):
            found = self.objects.definition(words[i + 1], line, ("service", "protocol"))
            services = self.objects.services(found.name, line)
            ported = found.kind == "protocol" and all(
                s.protocols is not None and s.protocols <= {"tcp", "udp", "sctp"} for s in services)
            return services, ported, i + 2
        services, ported = self._protocol_word(words[i])
        return services, ported, i + 1

    def _protocol_word(self, word: str) -> tuple[list[Service], bool]:
        known = self._protocols.get(word)
        if known is None:
            known = self._protocols[word] = ([Service(protocol_set(word))], word.lower() in _PORTED_WORDS)
        return known

    @staticmethod
    def _identity(words: list[str], i: int, why: list[str]) -> int:
        while i < len(words) and words[i] in _IDENTITY:
            width = _IDENTITY[words[i]]
            why.append(" ".join(words[i:i + width]))
            i += width
        return i

    def _operand(self, words: list[str], i: int, line: int) -> tuple[tuple[str, ...], int]:
        """The address operand at words[i] as its words, checked (raises as resolving would)."""
        if i >= len(words):
            raise self.objects.error("address missing", line, "address")
        word = words[i]
        if word in ("any", "any4", "any6") or "/" in word:
            width = 1
        elif i + 1 < len(words):
            width = 2
        else:
            raise self.objects.error(f"cannot read address {word!r}", line, "address")
        spec = tuple(words[i:i + width])
        if spec not in self._networks and not (self.scope is not None and self._plain(spec)):
            self._networks[spec] = self._resolve(spec, line)
        return spec, i + width

    def _plain(self, spec: tuple[str, ...]) -> bool:
        """An IPv4 literal (host, mask or prefix) that surely resolves: no need to yet."""
        if spec[0] == "host":
            return _PLAIN_V4.fullmatch(spec[1]) is not None and spec[1] not in self.objects.names
        if len(spec) == 2:
            return (spec[1] in _MASKS and _PLAIN_V4.fullmatch(spec[0]) is not None
                    and spec[0] not in self.objects.names)
        return _PLAIN_V4_PREFIX.fullmatch(spec[0]) is not None

    def _resolve(self, spec: tuple[str, ...], line: int) -> Fuzzy:
        word = spec[0]
        if word in ("any", "any4", "any6"):
            return Fuzzy.exact(AddressSet.any(_ANY_FAMILY[word]))
        if word == "interface":
            return Fuzzy.unknown(f"address of interface {spec[1]}")
        return self.objects.network_spec(list(spec), line, 0)

    def _network(self, spec: tuple[str, ...], line: int) -> Fuzzy:
        found = self._networks.get(spec)
        if found is None:
            found = self._networks[spec] = self._resolve(spec, line)
        return found

    def _ports(self, words: list[str], i: int, line: int) -> tuple[tuple[PortInterval, ...] | None, int]:
        if i < len(words) and words[i] in PORT_OPERATORS:
            key = tuple(words[i:i + 1 + PORT_OPERATORS[words[i]]])
            found = self._port_specs.get(key)
            if found is None:
                found = self._port_specs[key] = self.objects.port_spec(list(key), 0, line)[0]
            return found, i + len(key)
        if i + 1 < len(words) and words[i] == "object-group":
            ports = self.objects.port_group(words[i + 1], line)
            if ports is not None:
                return ports, i + 2
        return None, i

    def _trailer(self, words: list[str], i: int, line: int, why: list[str], icmp: bool) -> bool:
        inactive = False
        while i < len(words):
            word = words[i]
            if word == "log":
                i += 1
                while i < len(words) and (words[i] in _LOG_WORDS or words[i].isdigit()):
                    i += 1
                if i + 1 < len(words) and words[i] == "interval":
                    i += 2
                continue
            if word == "time-range" and i + 1 < len(words):
                why.append(f"time-range {words[i + 1]}")
                i += 2
                continue
            if word == "inactive":
                inactive = True
            elif not icmp:
                raise self.objects.error(f"unexpected {word!r}", line, "access-list")
            i += 1
        return inactive
