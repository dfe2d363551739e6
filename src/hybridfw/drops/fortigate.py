"""FortiGate traffic logs: `key=value` pairs (values quoted when they hold spaces), as sent to
syslog or FortiAnalyzer (`date=2026-12-01 time=13:11:22 ... type="traffic" srcip=.. dstip=..
dstport=25 proto=6 action="deny" policyid=0 ...`). `action="deny"` (and `blocked`) is a drop;
accepted and closed sessions are not. The policy id (0 = the implicit deny) names the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from hybridfw.drops.interface import Drop, LogParser, ParseStats

# A quoted value is an unrolled loop (`"` then runs of plain characters and escapes): the same
# matches as `"(?:[^"\\]|\\.)*"`, with fewer steps.
_PAIR = re.compile(r'(\w+)=("[^"\\]*(?:\\.[^"\\]*)*"|\S*)')
_DROPS = frozenset(("deny", "blocked", "block", "drop"))
_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmp6"}


def key_values(line: str) -> dict[str, str]:
    """key -> value as logged (quotes kept; `unquoted` removes them): the last of a repeated key wins."""
    # dict() over the pairs, quotes removed only from the values read, unrolled _PAIR:
    # benchmarks/drops_formats.py's fortigate file (200k lines), 3 runs each: 5.6-6.1 -> 3.4-4.1 CPU s
    return dict(_PAIR.findall(line))


def unquoted(pairs: dict[str, str], key: str, default: str = "") -> str:
    value = pairs.get(key)
    if value is None:
        return default
    return value[1:-1] if value.startswith('"') else value


class FortiGate(LogParser):
    name = "fortigate"
    description = "FortiGate traffic logs (key=value: action, srcip, dstip, dstport, policyid)"

    def matches(self, head: Sequence[str]) -> bool:
        return any("srcip=" in line and "dstip=" in line and "action=" in line for line in head)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        for number, line in enumerate(lines, 1):
            if "srcip=" not in line:
                stats.skip(number, line)
                continue
            kv = key_values(line)
            if unquoted(kv, "type", "traffic") != "traffic":
                stats.skip(number, line)
                continue
            if "action" not in kv:
                stats.bad(number, line, "traffic record without action")
                continue
            if unquoted(kv, "action").lower() not in _DROPS:
                stats.not_drops += 1
                continue
            src, dst, port = unquoted(kv, "srcip"), unquoted(kv, "dstip"), unquoted(kv, "dstport", "0")
            if not src or not dst or not port.isdigit():
                stats.bad(number, line, "no srcip, dstip or dstport")
                continue
            when = f"{unquoted(kv, 'date')} {unquoted(kv, 'time')}" if "date" in kv and "time" in kv else ""
            policy = unquoted(kv, "policyname") or (f"policy {unquoted(kv, 'policyid')}"
                                                  if "policyid" in kv else "")
            proto = unquoted(kv, "proto")
            yield Drop(src, dst, _PROTOCOLS.get(proto, proto), int(port), when, policy, number,
                       line.rstrip("\r\n"))
