"""pfSense / OPNsense `filterlog` lines (BSD syslog or RFC 5424 envelope).

The documented CSV layout: rule number, sub-rule, anchor, tracker, interface, reason, action
(pass / block / reject), direction, IP version; then for IPv4: TOS, ECN, TTL, ID, offset,
flags, protocol id, protocol text, length, source, destination; for IPv6: class, flow label,
hop limit, protocol text, protocol id, length, source, destination; then for TCP and UDP the
source and destination ports first. `block` and `reject` are drops; the tracker (OPNsense: the
rule's hash) names the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from hybridfw.drops.interface import Drop, LogParser, ParseStats
from hybridfw.drops.syslog import search_time

_PAYLOAD = re.compile(r"(\d*),(\d*),([^,]*),([^,]*),([^,]*),([^,]*),(pass|block|reject|[^,]*),"
                      r"(in|out),([46]),")
_V4 = {"proto": 7, "src": 9, "dst": 10, "ports": 11}  # offsets after the IP version
_V6 = {"proto": 3, "src": 6, "dst": 7, "ports": 8}
_PORTED = ("tcp", "udp")


class Filterlog(LogParser):
    name = "filterlog"
    description = "pfSense / OPNsense filterlog CSV lines (IPv4 and IPv6)"

    def matches(self, head: Sequence[str]) -> bool:
        return any("filterlog" in line and _PAYLOAD.search(line) for line in head)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        for number, line in enumerate(lines, 1):
            at = line.find("filterlog")
            m = _PAYLOAD.search(line, at) if at >= 0 else None
            if m is None:
                stats.skip(number, line)
                continue
            if m[7] == "pass":
                stats.not_drops += 1
                continue
            rest = line[m.end():].rstrip("\r\n").split(",")
            layout = _V4 if m[9] == "4" else _V6
            if len(rest) <= layout["dst"]:
                stats.bad(number, line, "cut short before the addresses")
                continue
            proto = rest[layout["proto"]].lower()
            dport = 0
            if proto in _PORTED:
                port_text = rest[layout["ports"] + 1] if len(rest) > layout["ports"] + 1 else ""
                if not port_text.isdigit():
                    stats.bad(number, line, "no destination port")
                    continue
                dport = int(port_text)
            rule = f"rule {m[1]}" + (f" tracker {m[4]}" if m[4] else "") + f" on {m[5]}"
            yield Drop(rest[layout["src"]], rest[layout["dst"]], proto, dport,
                       search_time(line[:at]), rule, number, line.rstrip("\r\n"))
