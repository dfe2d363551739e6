"""PAN-OS traffic logs: the web UI's CSV export (columns by header name) and the syslog CSV form
(no header; fields in the documented order of the PAN-OS 10.x/11.x traffic log format).

Documented traffic-log field order (0-based, after the syslog header that fills field 0):
1 receive time, 3 type (TRAFFIC), 4 subtype, 6 generated time, 7 source address,
8 destination address, 11 rule name, 24 source port, 25 destination port, 29 protocol,
30 action. An action other than `allow` (deny, drop, drop-icmp, reset-client, reset-server,
reset-both) is a drop.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence

from hybridfw.drops.interface import Drop, LogParser, ParseStats

_SYSLOG_FIELDS = {"time": 6, "src": 7, "dst": 8, "rule": 11, "dport": 25, "proto": 29, "action": 30}
_HEADER_NAMES = {  # normalised export column names -> field
    "time": ("generatetime", "generatedtime", "timegenerated", "receivetime"),
    "src": ("sourceaddress", "source", "src", "sourceip"),
    "dst": ("destinationaddress", "destination", "dst", "destinationip"),
    "rule": ("rule", "rulename"),
    "dport": ("destinationport", "dport", "dstport"),
    "proto": ("ipprotocol", "protocol", "proto"),
    "action": ("action",),
}
_SYSLOG_TRAFFIC = re.compile(r",\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,TRAFFIC,")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _columns(header: list[str]) -> dict[str, int] | None:
    names = {_norm(h): i for i, h in enumerate(header)}
    found = {}
    for field, choices in _HEADER_NAMES.items():
        index = next((names[c] for c in choices if c in names), None)
        if index is None:
            return None
        found[field] = index
    return found


class PanosTraffic(LogParser):
    name = "panos-csv"
    description = "PAN-OS traffic log: CSV export with header, or syslog CSV without one"

    def matches(self, head: Sequence[str]) -> bool:
        first = next((line for line in head if line.strip()), "")
        if _columns(next(csv.reader([first]), [])) is not None:
            return True
        return any(_SYSLOG_TRAFFIC.search(line) for line in head)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        columns: dict[str, int] | None = None
        reader = csv.reader(lines)
        for row in reader:
            number = reader.line_num
            if number == 1 and (found := _columns(row)) is not None:
                columns = found
                continue
            if len(row) < 4 or (columns is None and row[3] != "TRAFFIC"):
                stats.skip(number, ",".join(row))
                continue
            use = columns or _SYSLOG_FIELDS
            if len(row) <= max(use.values()):
                stats.bad(number, ",".join(row), f"{len(row)} fields, fewer than the traffic log has")
                continue
            if row[use["action"]].strip().lower() == "allow":
                stats.not_drops += 1
                continue
            dport = row[use["dport"]].strip()
            if not dport.isdigit():
                stats.bad(number, ",".join(row), f"destination port {dport!r}")
                continue
            yield Drop(row[use["src"]].strip(), row[use["dst"]].strip(), row[use["proto"]].strip().lower(),
                       int(dport), row[use["time"]].strip(), row[use["rule"]].strip(), number,
                       ",".join(row))
