"""Exchange Server SMTP protocol logs (RECV*.LOG / SEND*.LOG, W3C `#Fields:` header).

One row per protocol line; sessions interleave, so a little state per open session is kept
(its recipient domain and whether it already proved to be Exchange Online) and dropped at the
session's disconnect line. Memory follows the number of open sessions, not the file size.
"""

from __future__ import annotations

import csv
import operator
import re
from dataclasses import dataclass

from hybridfw.trace.diagnose import clean_ip
from hybridfw.trace.interface import FailureGroup, LogFormat, Sample, ScanStats, Sighting, Sink
from hybridfw.trace.source import normalise_column, open_text
from hybridfw.trace.timeparse import parse_time

_FIELDS = ("datetime", "sessionid", "localendpoint", "remoteendpoint", "event", "data", "context")
_REPLY_ERROR = re.compile(r"^[45]\d\d[ -]")
_INFO_ERROR = re.compile(r"fail|error", re.IGNORECASE)
_HELO = re.compile(r"^(?:EHLO|HELO)\s+(\S+)", re.IGNORECASE)
_RCPT = re.compile(r"^RCPT TO:\s*<[^@>]*@([^>]+)>", re.IGNORECASE)
EO_HOST_SUFFIX = ".outbound.protection.outlook.com"
EO_CERT_NAME = "mail.protection.outlook.com"


@dataclass
class _Session:
    domain: str = ""
    counted: bool = False


class ProtocolLogFormat(LogFormat):
    name = "protocol-log"
    description = "Exchange Server SMTP Receive/Send protocol log (RECV*.LOG, SEND*.LOG)"
    sender_rule = (f"receive sessions whose EHLO host ends in {EO_HOST_SUFFIX} or whose remote "
                   f"TLS certificate names {EO_CERT_NAME}; the remote endpoint's address counted once "
                   "per session")

    def matches(self, sample: Sample) -> bool:
        names = {normalise_column(c) for c in sample.header}
        return "fields" in sample.directives and set(_FIELDS) <= names

    @staticmethod
    def is_receive(sample: Sample) -> bool:
        log_type = sample.directives.get("log-type", "").lower()
        return "receive" in log_type if log_type else sample.path.name.upper().startswith("RECV")

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        index = {normalise_column(c): i for i, c in enumerate(sample.header)}
        pick = operator.itemgetter(*(index[f] for f in _FIELDS))
        width = len(sample.header)
        receive = self.is_receive(sample)
        sessions: dict[str, _Session] = {}
        rows = skipped = 0
        lines = (line for line in open_text(sample) if not line.startswith("#"))
        for row in csv.reader(lines):
            if len(row) < width:
                skipped += 1 if row else 0
                continue
            rows += 1
            self._row(sample, receive, pick(row), sessions, sink)
        notes: tuple[str, ...] = ()
        if skipped:
            notes = (f"{sample.path}: skipped {skipped} short or truncated row(s)",)
            sink.note(notes[0])
        return ScanStats(rows=rows, skipped_rows=skipped, notes=notes)

    def _row(self, sample: Sample, receive: bool, fields: tuple[str, ...], sessions: dict[str, _Session],
             sink: Sink) -> None:
        when, session_id, local, remote, event, data, context = fields
        if event == "-":
            sessions.pop(session_id, None)
            return
        session = sessions.setdefault(session_id, _Session())
        if event != "*" and (m := _RCPT.match(data)):
            session.domain = m[1].lower()
        if receive and not session.counted and _is_exchange_online(event, data, context):
            session.counted = True
            if ip := clean_ip(remote):
                time = parse_time(when)
                sink.sighting(Sighting(ip=ip, rule="hostname", evidence=data[:120], first_seen=time,
                                       last_seen=time, source=str(sample.path)))
        answer = ">" if receive else "<"  # replies of the receiving side
        if (event == answer and _REPLY_ERROR.match(data)) or (event == "*" and _INFO_ERROR.search(data)):
            time = parse_time(when)
            sink.failure(FailureGroup(
                text=data, status=event, target_ip=clean_ip(local if receive else remote),
                recipient_domain=session.domain, hop="inbound" if receive else "outbound",
                first_seen=time, last_seen=time, message_ids=(f"session {session_id}",),
                source=str(sample.path)))


def _is_exchange_online(event: str, data: str, context: str) -> bool:
    if event == "<" and (m := _HELO.match(data)):
        return m[1].lower().rstrip(".").endswith(EO_HOST_SUFFIX)
    lowered = f"{data} {context}".lower()
    return event == "*" and "certificate" in lowered and EO_CERT_NAME in lowered


FORMAT = ProtocolLogFormat()
