"""Exchange Server connectivity logs (CONNECTLOG*.LOG): outbound connection attempts per session.

Fields `date-time, session, source, destination, direction, description`; direction `+` connect,
`>` send (DNS results, "Failed connection to ..." and the like), `-` disconnect. The log records
only outbound connections, so every failure in it is on-premises sending (outbound). Each session
becomes one failure (its failing descriptions diagnosed together) with the destination as target
host. .NET socket error names (`ConnectionRefused`, `TimedOut`, ...) are given their Windows Sockets
code so the catalog's Winsock entries apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hybridfw.trace.interface import FailureGroup, LogFormat, Sample, ScanStats, Sink
from hybridfw.trace.source import W3cRows, normalise_column
from hybridfw.trace.timeparse import parse_time

_FIELDS = ("datetime", "session", "destination", "direction", "description")
_FAILURE = re.compile(r"fail|error|refused|timed ?out|unreachable|unable to", re.IGNORECASE)
# System.Net.Sockets.SocketError names -> Windows Sockets codes.
SOCKET_ERRORS = {"connectionrefused": 10061, "timedout": 10060, "networkunreachable": 10051,
                 "hostunreachable": 10065, "connectionreset": 10054, "hostnotfound": 11001}
_SOCKET_NAME = re.compile(r"\b(" + "|".join(SOCKET_ERRORS) + r")\b", re.IGNORECASE)
MAX_LINES = 8


@dataclass
class _Session:
    destination: str = ""
    first: str = ""
    last: str = ""
    failures: list[str] = field(default_factory=list)


def with_socket_codes(text: str) -> str:
    """The text with "Socket error code N" after each .NET socket error name it carries."""
    if "error code" in text.lower():
        return text
    return _SOCKET_NAME.sub(lambda m: f"{m[1]} [Socket error code {SOCKET_ERRORS[m[1].lower()]}]", text)


class ConnectLogFormat(LogFormat):
    name = "connectivity-log"
    description = "Exchange Server connectivity log (CONNECTLOG*.LOG)"

    def matches(self, sample: Sample) -> bool:
        names = {normalise_column(c) for c in sample.header}
        log_type = sample.directives.get("log-type", "").lower()
        return "fields" in sample.directives and set(_FIELDS) <= names and (
            not log_type or "connectivity" in log_type)

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        sessions: dict[str, _Session] = {}
        table = W3cRows(sample, _FIELDS)
        for when, session_id, destination, direction, text in table:
            session = sessions.setdefault(session_id, _Session(destination=destination, first=when))
            session.last = when
            if _FAILURE.search(text) and len(session.failures) < MAX_LINES and text not in session.failures:
                session.failures.append(text)
            if direction == "-":
                self._close(sample, session_id, sessions.pop(session_id), sink)
        for session_id, session in sessions.items():
            self._close(sample, session_id, session, sink)
        rows, skipped = table.rows, table.skipped
        if skipped:
            sink.note(f"{sample.path}: skipped {skipped} short or truncated row(s)")
        return ScanStats(rows=rows, skipped_rows=skipped)

    @staticmethod
    def _close(sample: Sample, session_id: str, session: _Session, sink: Sink) -> None:
        if not session.failures:
            return
        sink.failure(FailureGroup(
            text="\n".join(with_socket_codes(t) for t in session.failures), status="connect",
            target_host=session.destination, hop="outbound", first_seen=parse_time(session.first),
            last_seen=parse_time(session.last), message_ids=(f"session {session_id}",),
            source=str(sample.path), story=f"session {session_id} to {session.destination}"))
