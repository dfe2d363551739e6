"""The iptables options of one rule specification: a handler per option spelling, each folding
its option into the `RuleSpec` under construction (`_iptables_rule.RuleLineParser` drives them).

An option or match module hybridfw cannot evaluate becomes an undecidable condition on the rule
(the audit then reports the affected addresses as unknown), never a silent guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hybridfw.addresses import AddressSet, Family
from hybridfw.rulesets._netfilter import (
    parse_port_list,
    protocol_name,
    state_matches_new,
    tcp_flags_match_syn,
)
from hybridfw.rulesets.model import InterfaceMatch
from hybridfw.rulesets.ports import PortInterval, complement_ports

if TYPE_CHECKING:
    from hybridfw.rulesets._iptables_rule import RuleLineParser

# Match modules whose options we read (their own -m is then harmless).
_KNOWN_MODULES = frozenset({"tcp", "udp", "multiport", "state", "conntrack", "comment", "iprange",
                            "icmp", "icmp6", "icmpv6", "ipv6-icmp"})
IGNORED_OPTIONS = frozenset({"--comment", "--icmp-type", "--icmpv6-type", "--log-prefix",
                             "--log-level", "--reject-with", "--set-mark", "--set-xmark",
                             "--log-uid", "--log-tcp-options", "--log-ip-options",
                             "--log-tcp-sequence", "--nflog-group", "--nflog-prefix"})


@dataclass
class RuleSpec:
    """A rule under construction."""

    family: Family
    sources: AddressSet
    destinations: AddressSet
    protocol: str | None = None
    protocol_negated: bool = False
    dst_ports: tuple[PortInterval, ...] | None = None
    never: str = ""
    undecidable: list[str] = field(default_factory=list)
    interfaces: list[InterfaceMatch] = field(default_factory=list)
    target: str = ""
    goto: bool = False
    nat_to: str = ""  # DNAT --to-destination, as written


Handler = Callable[["RuleLineParser", RuleSpec, list[str], bool, str], None]


def _one(p: RuleLineParser, values: list[str], option: str) -> str:
    if not values:
        raise p.fail(f"{option} needs a value", option)
    return values[0].strip('"')


def _source(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    found = p.addresses(_one(p, values, opt), opt)
    s.sources = (AddressSet.any(s.family) - found) if neg else found


def _destination(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    found = p.addresses(_one(p, values, opt), opt)
    s.destinations = (AddressSet.any(s.family) - found) if neg else found


def _src_range(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    found = p.addresses(_one(p, values, opt), opt)
    s.sources = s.sources & ((AddressSet.any(s.family) - found) if neg else found)


def _dst_range(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    found = p.addresses(_one(p, values, opt), opt)
    s.destinations = s.destinations & ((AddressSet.any(s.family) - found) if neg else found)


def _protocol(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    s.protocol = protocol_name(_one(p, values, opt))
    s.protocol_negated = neg


def _interface(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    name = _one(p, values, opt)
    if name == "lo":
        # Traffic from a remote host never arrives on (or leaves through) loopback.
        if not neg:
            s.never = f"{opt} lo: loopback traffic only"
        return
    # iptables' wildcard is a trailing "+" ("eth+": every name starting with "eth").
    pattern = name[:-1] + "*" if name.endswith("+") else name
    s.interfaces.append(InterfaceMatch("in" if opt in ("-i", "--in-interface") else "out",
                                       (pattern,), neg, f"{'! ' if neg else ''}{opt} {name}"))


def _dport(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    ports = parse_port_list(_one(p, values, opt))
    if ports is None:
        s.undecidable.append(f"{opt} {values[0]}")
        return
    ports = complement_ports(ports) if neg else ports
    s.dst_ports = ports if s.dst_ports is None else _intersect_ports(s.dst_ports, ports)


def _intersect_ports(a: tuple[PortInterval, ...],
                     b: tuple[PortInterval, ...]) -> tuple[PortInterval, ...]:
    pairs = ((max(x[0], y[0]), min(x[1], y[1])) for x in a for y in b)
    return tuple((lo, hi) for lo, hi in pairs if lo <= hi)


def _sport(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    # The client's source port is ephemeral: which one it picks is not knowable here.
    s.undecidable.append(f"{'! ' if neg else ''}{opt} {_one(p, values, opt)}")


def _state(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    states = set(_one(p, values, opt).split(","))
    verdict = state_matches_new(states, neg)
    if verdict is None:
        s.undecidable.append(f"{opt} {values[0]}")
    elif not verdict:
        s.never = f"{opt} {'! ' if neg else ''}{values[0]}: not a new connection"


def _syn(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    if neg:
        s.never = "! --syn: not the first packet of a connection"


def _tcp_flags(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    if len(values) < 2:
        raise p.fail("--tcp-flags needs a mask and the flags set", opt)
    verdict = tcp_flags_match_syn(values[0], values[1])
    if verdict is None:
        s.undecidable.append(f"{opt} {values[0]} {values[1]}")
    elif verdict == neg:
        s.never = f"{'! ' if neg else ''}--tcp-flags {values[0]} {values[1]}: not a SYN"


def _module(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    name = _one(p, values, opt)
    if name not in _KNOWN_MODULES:
        s.undecidable.append(f"-m {name}")


def _jump(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    s.target = _one(p, values, opt)
    s.goto = opt in ("-g", "--goto")


def _nat_to(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    """DNAT's new destination (``--to`` is iptables' accepted abbreviation); before any -j it
    is another module's option (``-m string --to``): undecidable like any unknown one."""
    if s.target == "DNAT":
        s.nat_to = _one(p, values, opt)
    elif not s.target:
        s.undecidable.append(" ".join(["!" if neg else "", opt, *values]).strip())


def _fragment(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    if not neg:
        s.never = "-f: later fragments only"


def _counters(p: RuleLineParser, s: RuleSpec, values: list[str], neg: bool, opt: str) -> None:
    """`-c packets bytes`: statistics only."""


HANDLERS: dict[str, Handler] = {
    "-s": _source, "--source": _source, "--src": _source,
    "-d": _destination, "--destination": _destination, "--dst": _destination,
    "--src-range": _src_range, "--dst-range": _dst_range,
    "-p": _protocol, "--protocol": _protocol,
    "-i": _interface, "--in-interface": _interface, "-o": _interface, "--out-interface": _interface,
    "--dport": _dport, "--destination-port": _dport, "--dports": _dport, "--destination-ports": _dport,
    "--sport": _sport, "--source-port": _sport, "--sports": _sport, "--source-ports": _sport,
    "--ports": _sport,
    "--state": _state, "--ctstate": _state,
    "--syn": _syn, "--tcp-flags": _tcp_flags,
    "-m": _module, "--match": _module,
    "-j": _jump, "--jump": _jump, "-g": _jump, "--goto": _jump,
    "--to-destination": _nat_to, "--to": _nat_to,
    "-f": _fragment, "--fragment": _fragment,
    "-c": _counters, "--set-counters": _counters,
}
