"""`journalctl -o json` (one JSON object per line): the kernel's netfilter LOG messages.

`MESSAGE` holds the netfilter text (a string, or an array of byte values when the message
is not valid UTF-8); `__REALTIME_TIMESTAMP` is the time in microseconds since the epoch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

from hybridfw.drops.interface import Drop, LogParser, ParseStats
from hybridfw.drops.netfilter import find_record, hook_of, prefix_of


def _message(record: object) -> str | None:
    if not isinstance(record, dict):
        return None
    message = record.get("MESSAGE")
    if isinstance(message, list) and all(isinstance(b, int) and 0 <= b < 256 for b in message):
        return bytes(message).decode("utf-8", "replace")
    return message if isinstance(message, str) else None


class JournalJson(LogParser):
    name = "journal-json"
    description = "journalctl -o json output with netfilter LOG messages"

    def matches(self, head: Sequence[str]) -> bool:
        first = next((line for line in head if line.strip()), "")
        return first.lstrip().startswith("{") and '"MESSAGE"' in first

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        for number, line in enumerate(lines, 1):
            if '"MESSAGE"' not in line or ("SRC=" not in line and '"MESSAGE":[' not in line):
                stats.skip(number, line)
                continue
            try:
                record = json.loads(line)
            except ValueError:
                stats.bad(number, line, "not a JSON object")
                continue
            message = _message(record)
            if message is None:
                stats.bad(number, line, "no MESSAGE text")
                continue
            found = find_record(message, number, line, stats)
            if found is None:
                continue
            start, fields = found
            when = str(record.get("__REALTIME_TIMESTAMP", ""))
            yield Drop(*fields, when, prefix_of(message[:start]), number, line.rstrip("\r\n"),
                       hook_of(message, start))
