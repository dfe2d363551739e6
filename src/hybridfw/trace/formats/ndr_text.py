"""A non-delivery report pasted as text (or given with --text): one message, one failure.

The lines that carry a status code (up to the original message headers) are joined and
diagnosed together, so a wrapped error split over several lines is still unwrapped whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hybridfw.trace.diagnose import layers
from hybridfw.trace.interface import FailureGroup, LogFormat, Sample, ScanStats, Sink
from hybridfw.trace.source import open_text

MAX_NDR_CHARS = 2_000_000
_HEADERS_START = re.compile(r"^\s*original message headers", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9 _()-]{0,40}$")


def looks_like_csv_header(header: tuple[str, ...]) -> bool:
    named = sum(1 for c in header if _IDENTIFIER.match(c))
    return len(header) >= 3 and named * 2 >= len(header)


def failure_from_lines(lines: Iterable[str], source: str) -> FailureGroup | None:
    """The NDR's failure: its status lines joined, the recipient domain and Message-ID."""
    status_lines: list[str] = []
    message_id = domain = ""
    in_headers = False
    size = 0
    for raw in lines:
        line = raw.rstrip("\r\n")
        size += len(line)
        if size > MAX_NDR_CHARS:
            break
        in_headers = in_headers or bool(_HEADERS_START.match(line))
        if m := _MESSAGE_ID.match(line):
            message_id = message_id or m[1]
        if in_headers:
            continue
        if layers(line):
            status_lines.append(line.strip())
        if not domain and (m := _ADDRESS.search(line)):
            domain = m[1].lower()
    if not status_lines:
        return None
    return FailureGroup(text=" ".join(status_lines), status="NDR", recipient_domain=domain,
                        message_ids=(message_id,) if message_id else (), source=source)


class NdrTextFormat(LogFormat):
    name = "ndr-text"
    description = "Non-delivery report or error text (plain text; also --text)"

    def matches(self, sample: Sample) -> bool:
        if "fields" in sample.directives or looks_like_csv_header(sample.header):
            return False
        # A bare "2.0.1" could be a version number: prose counts only with an SMTP reply code
        # in front of the status code ("550 5.1.10") or a Windows Sockets error.
        return any(layer.smtp or layer.code.startswith("winsock:")
                   for line in sample.lines for layer in layers(line))

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        group = failure_from_lines(open_text(sample), str(sample.path))
        if group is not None:
            sink.failure(group)
        return ScanStats(rows=1)


FORMAT = NdrTextFormat()
