"""Exchange Server SMTP protocol logs (RECV*.LOG / SEND*.LOG, W3C `#Fields:` header).

Sessions interleave, so each open session is rebuilt from its rows (keyed by `session-id`): the
remote endpoint, the steps it got through (connect, banner, EHLO, STARTTLS, ...) and every
failing line. Exchange writes connection and TLS failures into the `context` column with `data`
empty (`*,,"Failed to connect. Winsock error code: 10061 ..."`), so both columns are read. At
the session's disconnect line (or the end of the file) the session becomes one failure whose
lines are diagnosed together, with its target from the endpoint. Memory follows the number of
open sessions, not the file size.

A SEND log is on-premises sending (outbound, towards Exchange Online); a RECV log is
on-premises receiving (inbound). Without `#Log-Type` or a RECV/SEND file name, the direction is
taken from the rows themselves: the side that sends the `220` banner is the receiving side.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from hybridfw.trace.diagnose import clean_ip
from hybridfw.trace.interface import FailureGroup, Hop, LogFormat, Sample, ScanStats, Sighting, Sink
from hybridfw.trace.source import W3cRows, normalise_column
from hybridfw.trace.timeparse import parse_time

FIELDS = ("date-time", "connector-id", "session-id", "sequence-number", "local-endpoint", "remote-endpoint",
          "event", "data", "context")
_FIELDS = ("datetime", "sessionid", "localendpoint", "remoteendpoint", "event", "data", "context")
_REPLY = re.compile(r"^([2-5])\d\d[ -]")
_REPLY_FIRST = frozenset("2345")
_INFO_FAILURE = re.compile(r"fail|error|refused|timed out|unable to", re.IGNORECASE)
_INFO_SUCCESS = re.compile(r"succeeded|success", re.IGNORECASE)
_HELO = re.compile(r"^(?:EHLO|HELO)\s+(\S+)", re.IGNORECASE)
_RCPT = re.compile(r"^RCPT TO:\s*<[^@>]*@([^>]+)>", re.IGNORECASE)
# A command's first four letters -> the session step it is.
_COMMAND_STEPS = {"EHLO": "EHLO", "HELO": "HELO", "STAR": "STARTTLS", "MAIL": "MAIL", "RCPT": "RCPT",
                  "DATA": "DATA", "BDAT": "DATA", "X-AN": "STARTTLS"}
MAX_STEPS = 12
MAX_FAILURE_LINES = 8
EO_HOST_SUFFIX = ".outbound.protection.outlook.com"
EO_CERT_NAME = "mail.protection.outlook.com"


@dataclass
class _Session:
    local: str = ""
    remote: str = ""
    domain: str = ""
    counted: bool = False
    first: str = ""
    last: str = ""
    steps: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    status: str = ""

    def step(self, name: str) -> None:
        if len(self.steps) < MAX_STEPS and (not self.steps or self.steps[-1] != name):
            self.steps.append(name)


def _direction(sample: Sample) -> Hop:
    """inbound for a receive log, outbound for a send log, unknown when nothing says."""
    log_type = sample.directives.get("log-type", "").lower()
    if "receive" in log_type:
        return "inbound"
    if "send" in log_type:
        return "outbound"
    name = sample.path.name.upper()
    if name.startswith(("RECV", "SEND")):
        return "inbound" if name.startswith("RECV") else "outbound"
    for row in csv.reader(line for line in sample.lines if line and not line.startswith("#")):
        if len(row) >= len(FIELDS) and (m := _REPLY.match(row[7])) and m[1] == "2" and row[6] in "<>":
            return "inbound" if row[6] == ">" else "outbound"  # who sent the 220 banner
    return "unknown"


class ProtocolLogFormat(LogFormat):
    name = "protocol-log"
    description = "Exchange Server SMTP Receive/Send protocol log (RECV*.LOG, SEND*.LOG)"
    sender_rule = (f"receive sessions whose EHLO host ends in {EO_HOST_SUFFIX} or whose remote "
                   f"TLS certificate names {EO_CERT_NAME}; the remote endpoint's address counted once "
                   "per session")

    def matches(self, sample: Sample) -> bool:
        names = {normalise_column(c) for c in sample.header}
        return "fields" in sample.directives and set(_FIELDS) <= names

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        reader = _SessionReader(sample, _direction(sample), sink)
        table = W3cRows(sample, _FIELDS)
        for fields in table:
            reader.row(fields)
        reader.close_all()
        rows, skipped = table.rows, table.skipped
        notes: tuple[str, ...] = ()
        if reader.hop == "unknown":
            sink.note(f"{sample.path}: no #Log-Type and no RECV/SEND file name, and no banner line shows "
                      "which side received; the direction of its failures is unknown")
        if skipped:
            notes = (f"{sample.path}: skipped {skipped} short or truncated row(s)",)
            sink.note(notes[0])
        return ScanStats(rows=rows, skipped_rows=skipped, notes=notes)


class _SessionReader:
    """Rebuilds sessions row by row and hands each finished failing session to the sink."""

    def __init__(self, sample: Sample, hop: Hop, sink: Sink) -> None:
        self.source = str(sample.path)
        self.hop = hop
        self.sink = sink
        self.sessions: dict[str, _Session] = {}
        # Replies of the receiving side: ">" in a receive log, "<" in a send log.
        self.answer = {"inbound": ">", "outbound": "<"}.get(hop, "")

    def row(self, fields: tuple[str, ...]) -> None:
        when, session_id, local, remote, event, data, context = fields
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = _Session(local=local, remote=remote, first=when)
        session.last = when
        if not session.remote:  # a failed connect may name its endpoints only later
            session.local, session.remote = local, remote
        if event == "-":
            self._close(session_id, session)
            return
        if event == "+":
            session.step("connect")
        elif event in "<>" and event:
            self._protocol_line(session, event, data)
        elif event == "*":
            self._info_line(session, data, context)

    def _protocol_line(self, session: _Session, event: str, data: str) -> None:
        reply = _REPLY.match(data) if data[:1] in _REPLY_FIRST else None
        is_answer = event == self.answer if self.answer else bool(reply)
        if is_answer and reply:
            if reply[1] in "45":
                self._fail(session, data, event)
            elif data.startswith("220") and "banner" not in session.steps:
                session.step("banner")
            return
        step = _COMMAND_STEPS.get(data[:4].upper())
        if step is None:
            return
        session.step(step)
        if step == "RCPT" and (m := _RCPT.match(data)):
            session.domain = m[1].lower()
        elif self.hop != "outbound" and not session.counted and event == "<" and (m := _HELO.match(data)):
            self._maybe_sighting(session, m[1].lower().rstrip(".").endswith(EO_HOST_SUFFIX), data)

    def _info_line(self, session: _Session, data: str, context: str) -> None:
        text = " ".join(part for part in (data, context) if part).strip()
        lowered = text.lower()
        if "certificate" in lowered and EO_CERT_NAME in lowered and self.hop != "outbound":
            self._maybe_sighting(session, True, text)
        if _INFO_FAILURE.search(text) and not _INFO_SUCCESS.search(text):
            self._fail(session, text, "*")
        elif "tls" in lowered and _INFO_SUCCESS.search(text):
            session.step("TLS")

    def _fail(self, session: _Session, text: str, event: str) -> None:
        session.step("FAILED")
        session.status = session.status or event
        if text not in session.failures and len(session.failures) < MAX_FAILURE_LINES:
            session.failures.append(text)

    def _maybe_sighting(self, session: _Session, is_exchange_online: bool, evidence: str) -> None:
        if not is_exchange_online or session.counted:
            return
        session.counted = True
        if ip := clean_ip(session.remote):
            time = parse_time(session.last)
            self.sink.sighting(Sighting(ip=ip, rule="hostname", evidence=evidence[:120], first_seen=time,
                                        last_seen=time, source=self.source))

    def _close(self, session_id: str, session: _Session) -> None:
        self.sessions.pop(session_id, None)
        if not session.failures:
            return
        # The failing party: the remote end of a send session, our own receive endpoint else.
        target = session.local if self.hop == "inbound" else session.remote
        story = f"session {session_id} {session.remote or '?'}: " + " > ".join(session.steps)
        self.sink.failure(FailureGroup(
            text="\n".join(session.failures), status=session.status, target_ip=clean_ip(target),
            recipient_domain=session.domain, hop=self.hop, first_seen=parse_time(session.first),
            last_seen=parse_time(session.last), message_ids=(f"session {session_id}",),
            source=self.source, story=story))

    def close_all(self) -> None:
        for session_id, session in list(self.sessions.items()):
            self._close(session_id, session)
