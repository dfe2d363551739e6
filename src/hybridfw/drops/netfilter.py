"""Linux netfilter LOG / nftables `log` lines: kernel log, syslog, dmesg, journalctl.

The kernel writes `PREFIX IN=eth0 OUT= MAC=... SRC=a DST=b LEN=.. ... PROTO=TCP SPT=p DPT=q ...`
(IPv6 adds TC/HOPLIMIT/FLOWLBL and prints addresses in full, leading zeros and all). The line
comes wrapped in `dmesg` (`[ 1234.5]`), `dmesg -T` (`[Tue Dec  1 13:11:22 2026]`), syslog
(`Dec  1 13:11:22 host kernel: [ 1234.5] PREFIX IN=...`), `/dev/kmsg` records
(`4,1234,1501005513,-;PREFIX IN=...`), `journalctl -k` (short and short-iso),
or ulogd's text output (`Dec  1 13:11:22 host PREFIX IN=...`). The `--log-prefix` / `log prefix`
text becomes the drop's rule name.

LOG lines carry no verdict: every line read is counted as a drop (log only what you drop, or
give each log rule a prefix and read the prefixes in the report).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from hybridfw.drops.interface import BlockParser, Drop, ParseStats, Row
from hybridfw.drops.syslog import split_time

_FIELDS = re.compile(r"SRC=([0-9A-Fa-f:.]*) DST=([0-9A-Fa-f:.]*) .*?PROTO=(\w+)(?: SPT=\d+ DPT=(\d+))?")
_DMESG_T = re.compile(r"\[([A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \d{4})\]\s*")
# The common case in one match: a syslog/journal time, `host kernel: [uptime] PREFIX IN=...`.
# Lines it does not fit go the general way (find_record + split_head), with the same result.
_COMMON = re.compile(
    r"(\d{4}-\d\d-\d\dT\S+|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) \S+ kernel: (?:\[\s*\d+\.\d+\] )?"
    r"([^=]*?) ?IN=(\S*) OUT=(\S*) (?:MAC=\S* )?SRC=([0-9A-Fa-f:.]+) DST=([0-9A-Fa-f:.]+) .*?PROTO=(\w+)"
    r"(?: SPT=\d+ DPT=(\d+))?"
)

# The fast path (`scan`, `Aggregator.add_rows`): _COMMON over a whole ASCII block of lines in one
# C call (benchmarks/drops.py, 2M lines, 3 runs: 24.6-27.1 CPU s line by line -> 14.7-16.2 s with
# the block path, -40 %). Each str class becomes the bytes class of the same ASCII characters,
# minus the line end, so a line matches here exactly when it matches there.
def _ascii(pattern: str) -> bytes:
    chars = "".join(chr(c) for c in range(128) if c != 10 and re.fullmatch(pattern, chr(c)))
    return b"[" + re.escape(chars).encode() + b"]"


_S, _NS, _W, _D = _ascii(r"\s"), _ascii(r"\S"), _ascii(r"\w"), _ascii(r"\d")
_COMMON_BYTES = (
    rb"(%(d)s{4}-%(d)s%(d)s-%(d)s%(d)sT%(ns)s+|[A-Z][a-z]{2} [ 0-9]%(d)s %(d)s%(d)s:%(d)s%(d)s:%(d)s%(d)s)"
    rb" %(ns)s+ kernel: (?:\[%(s)s*%(d)s+\.%(d)s+\] )?"
    rb"([^=\n]*?) ?(IN=%(ns)s* OUT=%(ns)s* (?:MAC=%(ns)s* )?SRC=[0-9A-Fa-f:.]+ DST=[0-9A-Fa-f:.]+) "
    rb"[^\n]*?PROTO=(%(w)s+)(?: SPT=%(d)s+ DPT=(%(d)s+))?"
) % {b"s": _S, b"ns": _NS, b"w": _W, b"d": _D}
_ROWS = re.compile(rb"(?:(" + _COMMON_BYTES + rb"[^\n]*)|([^\n]*))\n")
_INOUT = re.compile(r"IN=(\S*) OUT=(\S*)")
# Which netfilter hook logged the packet: in and out interface = routed, only in = local delivery.
_HOOKS = {(True, True): "forward", (True, False): "input", (False, True): "output", (False, False): ""}
_PORTED = frozenset(("tcp", "udp", "udplite", "sctp", "dccp"))
_UPTIME = re.compile(r"\[\s*\d+\.\d+\]\s*")
_KMSG = re.compile(r"\d+,\d+,\d+,[^;]*;")  # /dev/kmsg: priority,sequence,microseconds,flags;


Fields = tuple[str, str, str, int]


def read_fields(text: str, at: int) -> Fields | None:
    """(src, dst, protocol, destination port or 0) from the `SRC=` at `at`; None when cut short."""
    m = _FIELDS.match(text, at)
    if m is None or not m[1] or not m[2]:
        return None
    proto = m[3].lower()
    if m[4] is None and proto in _PORTED:
        return None  # a TCP/UDP record without its ports was cut short
    return m[1], m[2], proto, int(m[4]) if m[4] else 0


def find_record(text: str, number: int, line: str, stats: ParseStats) -> tuple[int, Fields] | None:
    """(index of ` IN=`, fields) of the LOG record in `text`; None (counted in `stats`) otherwise."""
    at = text.find("SRC=")
    start = text.rfind("IN=", 0, at) if at >= 0 else -1
    if start < 0:
        stats.skip(number, line)
        return None
    fields = read_fields(text, at)
    if fields is None:
        stats.bad(number, line, "cut short after SRC=")
        return None
    return start, fields


def hook_of(text: str, start: int) -> str:
    """input / forward / output from the `IN=` and `OUT=` at `start`."""
    m = _INOUT.match(text, start)
    return _HOOKS[bool(m[1]), bool(m[2])] if m else ""


def prefix_of(head: str) -> str:
    """The log prefix from the text before ` IN=` with any uptime bracket removed."""
    cut = head.rfind("kernel: ")
    if cut >= 0:
        head = head[cut + 8:]
    return _UPTIME.sub("", head, count=1).strip()


def split_head(head: str) -> tuple[str, str]:
    """(time text, log prefix) from the part of a line before ` IN=`."""
    m = _DMESG_T.match(head) or _KMSG.match(head)
    if m is not None:
        return (m[1] if m.re is _DMESG_T else ""), prefix_of(head[m.end():])
    when, rest = split_time(head)
    if when and "kernel: " not in head:
        # ulogd text output: `time host PREFIX IN=`; skip the host name.
        parts = head[rest:].split(None, 1)
        return when, parts[1].strip() if len(parts) > 1 else ""
    return when, prefix_of(head[rest:])


class NetfilterLog(BlockParser):
    name = "netfilter"
    description = "Linux netfilter LOG / nftables log lines (kernel log, syslog, dmesg, journalctl)"

    def matches(self, head: Sequence[str]) -> bool:
        return any("SRC=" in line and " DST=" in line and "IN=" in line for line in head)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        parse_line = self.parse_line
        for number, line in enumerate(lines, 1):
            drop = parse_line(number, line, stats)
            if drop is not None:
                yield drop

    def parse_line(self, number: int, line: str, stats: ParseStats) -> Drop | None:
        m = _COMMON.match(line)
        if m is not None:
            proto = m[7].lower()
            if m[8] is not None or proto not in _PORTED:
                return Drop(m[5], m[6], proto, int(m[8] or 0), m[1], m[2].strip(), number,
                            line.rstrip("\r\n"), _HOOKS[bool(m[3]), bool(m[4])])
        found = find_record(line, number, line, stats)
        if found is None:
            return None
        start, fields = found
        when, rule = split_head(line[:start])
        return Drop(*fields, when, rule, number, line.rstrip("\r\n"), hook_of(line, start))

    def scan(self, block: bytes) -> list[Row]:
        """One row per line of an ASCII `block` (`_ROWS`): _COMMON's fields, or the line to parse."""
        return _ROWS.findall(block)
