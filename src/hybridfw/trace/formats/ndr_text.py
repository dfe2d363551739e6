"""A non-delivery report pasted as text (or given with --text): one message, one failure.

The lines that carry a status code (up to the original message headers) are diagnosed together
(line by line, the best line deciding, see `diagnose`). The direction comes from the NDR's
"Generating server": an Exchange Online host (outlook.com, exchangelabs.com) means Exchange
Online could not deliver (to on-premises: inbound); any other host means on-premises generated
it (outbound). Without that line the text itself must say (an on-premises queue's LastError,
Exchange Online's front end), else the direction is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hybridfw.trace.diagnose import direction_of, layers
from hybridfw.trace.interface import FailureGroup, Hop, LogFormat, Sample, ScanStats, Sink
from hybridfw.trace.source import open_text

MAX_NDR_CHARS = 2_000_000
_HEADERS_START = re.compile(r"^\s*original message headers", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9 _()-]{0,40}$")
_GENERATING = re.compile(r"^\s*Generating server:\s*(\S+)", re.IGNORECASE)
_EXO_HOSTS = (".outlook.com", ".exchangelabs.com", ".outlook.cn", ".office365.us")


def _hop(generating_server: str, text: str) -> Hop:
    if generating_server:
        host = generating_server.lower().rstrip(".")
        return "inbound" if host.endswith(_EXO_HOSTS) else "outbound"
    return direction_of(text)


def looks_like_csv_header(header: tuple[str, ...]) -> bool:
    named = sum(1 for c in header if _IDENTIFIER.match(c))
    return len(header) >= 3 and named * 2 >= len(header)


def failure_from_lines(lines: Iterable[str], source: str) -> FailureGroup | None:
    """The NDR's failure: its status lines joined, the recipient domain and Message-ID."""
    status_lines: list[str] = []
    message_id = domain = generating = ""
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
        if not in_headers and (m := _GENERATING.match(line)):
            generating = generating or m[1]
        if in_headers:
            continue
        if layers(line):
            status_lines.append(line.strip())
        if not domain and (m := _ADDRESS.search(line)):
            domain = m[1].lower()
    if not status_lines:
        return None
    text = "\n".join(status_lines)
    return FailureGroup(text=text, status="NDR", recipient_domain=domain, hop=_hop(generating, text),
                        message_ids=(message_id,) if message_id else (), source=source)


class NdrTextFormat(LogFormat):
    name = "ndr-text"
    description = "Non-delivery report or error text (plain text; also --text)"

    def matches(self, sample: Sample) -> bool:
        if "fields" in sample.directives or looks_like_csv_header(sample.header):
            return False
        first = next((line.lstrip() for line in sample.lines if line.strip()), "")
        if first[:1] in ("{", "["):
            return False  # JSON is never prose, even when it quotes an error text
        # A bare "2.0.1" could be a version number: prose counts only with an SMTP reply code
        # in front of the status code ("550 5.1.10") or a Windows Sockets error.
        # The classic "#4.4.7 smtp;550 4.4.7 ..." form counts too.
        return any(layer.smtp or layer.code.startswith("winsock:")
                   or line[layer.position - 1:layer.position] == "#"
                   for line in sample.lines for layer in layers(line))

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        group = failure_from_lines(open_text(sample), str(sample.path))
        if group is not None:
            sink.failure(group)
        return ScanStats(rows=1)
