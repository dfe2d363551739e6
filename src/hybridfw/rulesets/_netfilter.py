"""Pieces the netfilter parsers (iptables, nft text, nft JSON) share.

Kept out of the registry (leading underscore): port and service names, conntrack state
semantics for the audited packet (a new TCP SYN), and the verdict vocabulary.
"""

from __future__ import annotations

import socket
from functools import lru_cache

from hybridfw.rulesets.ports import PortInterval, merge_ports

# Extensions/verdicts that observe or mark a packet and let it continue.
NON_TERMINAL_TARGETS = frozenset({
    "LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "TRACE", "CT", "NOTRACK", "AUDIT", "CLASSIFY",
    "DSCP", "TOS", "TCPMSS", "SET", "CHECKSUM", "TTL", "HL", "SECMARK", "CONNSECMARK", "TEE",
    "IDLETIMER", "LED", "RATEEST", "SYNPROXY", "HMARK",
})
# Address translation happens in the nat table, which the audit does not evaluate.
NAT_TARGETS = frozenset({"DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NETMAP"})

_PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp", "132": "sctp",
                     "33": "dccp", "136": "udplite", "47": "gre", "50": "esp", "51": "ah"}
_PROTOCOL_ALIASES = {"icmpv6": "ipv6-icmp", "icmp6": "ipv6-icmp"}


def protocol_name(text: str) -> str:
    low = text.lower()
    return _PROTOCOL_ALIASES.get(low, _PROTOCOL_NUMBERS.get(low, low))


@lru_cache(maxsize=1024)
def service_port(name: str) -> int | None:
    """A port number or a service name from the local services database, else None."""
    if name.isdigit():
        value = int(name)
        return value if value <= 65535 else None
    try:
        return socket.getservbyname(name, "tcp")
    except OSError:
        return None


def parse_port_range(text: str, separator: str = ":") -> PortInterval | None:
    """``25``, ``1000:2000``, ``:1024``, ``1024:``, ``smtp`` → inclusive interval, else None."""
    if separator in text:
        left, _, right = text.partition(separator)
        lo = service_port(left) if left else 0
        hi = service_port(right) if right else 65535
    else:
        lo = hi = service_port(text)
    if lo is None or hi is None or lo > hi:
        return None
    return (lo, hi)


def parse_port_list(text: str, separator: str = ":") -> tuple[PortInterval, ...] | None:
    """A comma-separated list of ports/ranges; None when any element is not understood."""
    out = []
    for part in text.split(","):
        parsed = parse_port_range(part.strip(), separator)
        if parsed is None:
            return None
        out.append(parsed)
    return merge_ports(out)


def state_matches_new(states: set[str], negated: bool) -> bool | None:
    """Does a conntrack/state match accept the first packet of a new connection?

    True/False when decidable; None when it depends on NAT status (DNAT/SNAT states).
    """
    states = {s.upper() for s in states}
    if "NEW" in states:
        return not negated
    if states & {"DNAT", "SNAT"}:
        return None
    return negated


def tcp_flags_match_syn(mask: str, comparison: str) -> bool | None:
    """`--tcp-flags MASK COMP` for a bare SYN packet; None when the flag names are unknown."""
    known = {"SYN", "ACK", "FIN", "RST", "URG", "PSH", "ALL", "NONE", "ECE", "CWR"}
    names_mask = {f.upper() for f in mask.split(",") if f}
    names_comp = {f.upper() for f in comparison.split(",") if f}
    if not (names_mask | names_comp) <= known:
        return None
    every = known - {"ALL", "NONE"}
    mask_set = every if "ALL" in names_mask else names_mask - {"NONE"}
    comp_set = every if "ALL" in names_comp else names_comp - {"NONE"}
    packet = {"SYN"}
    return (packet & mask_set) == (comp_set & mask_set)
