"""Cisco ASA syslog deny messages, with or without the syslog header, EMBLEM or RFC 5424.

Read (the message texts of Cisco's ASA syslog reference):
- 106001 `Inbound TCP connection denied from SRC/SPORT to DST/DPORT flags F on interface IF`
- 106006/106007 `Deny inbound UDP from SRC/SPORT to DST/DPORT ...`
- 106015 `Deny TCP (no connection) from SRC/SPORT to DST/DPORT flags F on interface IF`
- 106023 `Deny PROTO src IF:SRC/SPORT dst IF:DST/DPORT by access-group "ACL" [...]`
- 106100 `access-list ACL denied PROTO IF/SRC(SPORT) -> IF/DST(DPORT) hit-cnt N ...`
  (`permitted` records are counted as not drops)
- 710003 `PROTO access denied by ACL from SRC/SPORT to IF:DST/DPORT` (to the ASA itself)
IPv6 addresses appear in the same places (`outside:2001:db8::1/25`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from hybridfw.drops.interface import Drop, LogParser, ParseStats
from hybridfw.drops.syslog import search_time

_TAG = re.compile(r"%(?:ASA|FTD)-\d-(\d{6}): ")
_ADDR = r"([0-9A-Fa-f.:]+?)"
_MESSAGES: dict[str, re.Pattern[str]] = {
    "106001": re.compile(rf"Inbound (TCP) connection denied from {_ADDR}/\d+ to {_ADDR}/(\d+) "
                         r"flags .*? on interface (\S+)"),
    "106006": re.compile(rf"Deny inbound (UDP) from {_ADDR}/\d+ to {_ADDR}/(\d+) on interface (\S+)"),
    "106007": re.compile(rf"Deny inbound (UDP) from {_ADDR}/\d+ to {_ADDR}/(\d+) due to"),
    "106015": re.compile(rf"Deny (TCP) \(no connection\) from {_ADDR}/\d+ to {_ADDR}/(\d+) flags .*? "
                         r"on interface (\S+)"),
    "106023": re.compile(rf"Deny (\w+) src [^:\s]+:{_ADDR}(?:/\d+)? dst [^:\s]+:{_ADDR}(?:/(\d+))?"
                         r"(?: \(type \d+, code \d+\))? by access-group \"([^\"]*)\""),
    "106100": re.compile(rf"access-list (\S+) (denied|permitted|est-allowed) (\w+) [^/\s]+/{_ADDR}\(\d+\) "
                         rf"-> [^/\s]+/{_ADDR}\((\d+)\)"),
    "710003": re.compile(rf"(\w+) access denied by ACL from {_ADDR}/\d+ to [^:\s]+:{_ADDR}/(\d+)"),
}


def _fields(code: str, m: re.Match[str]) -> tuple[str, str, str, str, str] | None:
    """(protocol, src, dst, dport text, rule) from a matched message; None for a permit."""
    if code == "106100":
        if m[2] != "denied":
            return None
        return m[3], m[4], m[5], m[6], m[1]
    if code == "106023":
        return m[1], m[2], m[3], m[4] or "0", m[5]
    if code == "710003":
        return m[1], m[2], m[3], m[4], "ASA management access"
    rule = f"implicit deny on {m[5]}" if len(m.groups()) >= 5 and m[5] else f"ASA {code}"
    return m[1], m[2], m[3], m[4], rule


class CiscoAsa(LogParser):
    name = "asa"
    description = "Cisco ASA / FTD syslog deny messages (106001, 106006/7, 106015, 106023, 106100, 710003)"

    def matches(self, head: Sequence[str]) -> bool:
        return any(_TAG.search(line) for line in head)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        for number, line in enumerate(lines, 1):
            tag = _TAG.search(line)
            pattern = _MESSAGES.get(tag[1]) if tag else None
            if tag is None or pattern is None:
                stats.skip(number, line)
                continue
            m = pattern.match(line, tag.end())
            if m is None:
                stats.bad(number, line, f"ASA {tag[1]} message not in its documented form")
                continue
            fields = _fields(tag[1], m)
            if fields is None:
                stats.not_drops += 1
                continue
            proto, src, dst, dport, rule = fields
            yield Drop(src, dst, _proto(proto), int(dport), search_time(line[:tag.start()]), rule, number,
                       line.rstrip("\r\n"))


def _proto(text: str) -> str:
    lowered = text.lower()
    return {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmp6"}.get(lowered, lowered)
