"""The syslog envelope around firewall messages: where the time is and where the message starts.

Handles BSD syslog (RFC 3164, `Dec  1 13:11:22 host tag: msg`, also with the year as Cisco
ASA writes it), ISO / RFC 5424 (`<134>1 2026-12-01T13:11:22Z host app - - - msg`, rsyslog's
high-precision format, journalctl short-iso) with or without a `<PRI>`.
"""

from __future__ import annotations

import re

_HEAD = re.compile(
    r"(?:<\d{1,3}>)?(?:1 )?"
    r"(?:(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r"|(?P<bsd>[A-Z][a-z]{2} +\d{1,2} (?:\d{4} )?\d\d:\d\d:\d\d))"
    r"(?:\s+|$)"
)


def split_time(line: str) -> tuple[str, int]:
    """(time text, index where the rest starts); ("", 0) when the line starts with no time."""
    m = _HEAD.match(line)
    if m is None:
        return "", 0
    return (m["iso"] or m["bsd"]), m.end()


_ANY_TIME = re.compile(
    r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
    r"|[A-Z][a-z]{2} +\d{1,2} (?:\d{4} )?\d\d:\d\d:\d\d)"
)


def search_time(head: str) -> str:
    """The first time stamp anywhere in `head` (EMBLEM and device headers put it mid-line)."""
    m = _ANY_TIME.search(head)
    return m[1] if m else ""
