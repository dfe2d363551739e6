"""Windows Defender Firewall log (`pfirewall.log`): W3C extended format, `#Fields:` names the
space-separated columns (`date time action protocol src-ip dst-ip src-port dst-port size
tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path`, newer builds add `pid`).
`DROP` lines are drops; times are local to the server (taken as UTC here).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from hybridfw.drops.interface import Drop, LogParser, ParseStats

_NEEDED = ("date", "time", "action", "protocol", "src-ip", "dst-ip", "dst-port")


class WindowsFirewall(LogParser):
    name = "pfirewall"
    description = "Windows Defender Firewall pfirewall.log (W3C #Fields header, DROP lines)"

    def matches(self, head: Sequence[str]) -> bool:
        return any(line.startswith("#Fields:") and "src-ip" in line and "action" in line for line in head)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        index: dict[str, int] = {}
        for number, line in enumerate(lines, 1):
            if line.startswith("#"):
                if line.startswith("#Fields:"):
                    names = line[8:].split()
                    index = {name: i for i, name in enumerate(names)}
                stats.skip(number, "")
                continue
            parts = line.split()
            if not parts:
                continue
            if not index or any(n not in index for n in _NEEDED):
                stats.bad(number, line, "no #Fields: header naming date, time, action, addresses and port")
                continue
            if len(parts) <= max(index[n] for n in _NEEDED):
                stats.bad(number, line, "fewer fields than #Fields: names")
                continue
            if parts[index["action"]] != "DROP":
                stats.not_drops += 1
                continue
            port, proto = parts[index["dst-port"]], parts[index["protocol"]].lower()
            if not port.isdigit() and proto in ("tcp", "udp"):
                stats.bad(number, line, f"destination port {port!r}")
                continue
            yield Drop(parts[index["src-ip"]], parts[index["dst-ip"]], proto,
                       int(port) if port.isdigit() else 0,
                       f"{parts[index['date']]} {parts[index['time']]}",
                       f"Windows Firewall ({parts[index['path']]})" if "path" in index
                       and len(parts) > index["path"] else "Windows Firewall", number, line.rstrip("\r\n"))
