"""The shared engine for JSON exports: PowerShell `ConvertTo-Json`, OData and Graph responses, NDJSON.

Shapes read (the records are the objects that carry the export's fields):
- an array of records, or a single record (`ConvertTo-Json` of one object);
- `{"value": [...]}` (OData JSON light, Microsoft Graph; `@odata.nextLink` names the next page);
- `{"d": {"results": [...]}}` or `{"d": [...]}` (OData verbose, the Reporting web service);
- NDJSON: one record per line (SIEM pipelines), streamed line by line.

A JSON document is parsed whole (exports are paged: 5000 rows per cmdlet call, 1000 per Graph
page); NDJSON is streamed. Keys are compared loosely (`Received`, `receivedDateTime` ->
`received`, `receiveddatetime`). Dates: PowerShell 5.1's `/Date(1706195680508)/` (with an optional
`+0000` offset) and ISO 8601.
"""

from __future__ import annotations

import json
import re
from abc import abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hybridfw.errors import TraceError
from hybridfw.trace.interface import (
    NOT_FINAL_STATUSES,
    FailureGroup,
    Hop,
    LogFormat,
    Sample,
    ScanStats,
    Sighting,
    Sink,
    folded_status,
)
from hybridfw.trace.source import normalise_column, open_text
from hybridfw.trace.timeparse import parse_time

_KEY = re.compile(r'"(@?[A-Za-z_][\w@.]*)"\s*:')
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_WRAPPERS = ("value", "results")


def head_keys(sample: Sample) -> frozenset[str]:
    """The (normalised) keys named in the start of a JSON file; empty when it is not JSON."""
    first = next((line.lstrip() for line in sample.lines if line.strip()), "")
    if first[:1] not in ("{", "["):
        return frozenset()
    return frozenset(normalise_column(k) for line in sample.lines for k in _KEY.findall(line))


def json_time(value: Any) -> datetime | None:
    """A PowerShell /Date(ms)/ or ISO 8601 value as aware UTC; None when unreadable."""
    if not isinstance(value, str):
        return None
    if m := _MS_DATE.match(value.strip()):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m[1]))
    return parse_time(value)


def _unwrap(doc: Any) -> tuple[list[Any], str]:
    """(records, next page link) of one parsed JSON document."""
    link = ""
    if isinstance(doc, dict):
        link = str(doc.get("@odata.nextLink") or doc.get("odata.nextLink") or doc.get("__next") or "")
        inner = doc.get("d", doc)
        if isinstance(inner, dict):
            link = link or str(inner.get("__next") or "")
            for key in _WRAPPERS:
                if isinstance(inner.get(key), list):
                    return inner[key], link
            return [inner], link
        doc = inner
    if isinstance(doc, list):
        return doc, link
    raise TraceError("JSON that is neither an object nor an array of objects")


def records(sample: Sample) -> Iterator[tuple[int, Any]]:
    """(line or record number, record) of every record; the next-page link as ("", link) last."""
    lines = [line for line in sample.lines if line.strip()]
    ndjson = len(lines) > 1 and lines[1].lstrip().startswith("{") and _parses(lines[0])
    if ndjson:
        for number, line in enumerate(open_text(sample), 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TraceError(f"line {number}: not a JSON record ({exc.msg})") from exc
        return
    text = "".join(open_text(sample))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TraceError(f"line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    found, link = _unwrap(doc)
    yield from enumerate(found, 1)
    if link:
        yield 0, {"@odata.nextLink": link}


def _parses(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def flat(record: dict[str, Any]) -> dict[str, Any]:
    return {normalise_column(k): v for k, v in record.items()}


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a multi-valued property serialised as an array
        return ";".join(text_of(v) for v in value)
    return str(value)


class JsonFormat(LogFormat):
    """Base for JSON layouts: subclasses name their keys and what a failure is."""

    required: ClassVar[frozenset[str]]  # normalised keys that identify the layout
    any_of: ClassVar[frozenset[str]] = frozenset()  # at least one of these keys too (e.g. time)
    hop: ClassVar[Hop] = "inbound"
    time_keys: ClassVar[tuple[str, ...]]
    message_id_keys: ClassVar[tuple[str, ...]] = ("messagetraceid", "messageid", "id")
    recipient_keys: ClassVar[tuple[str, ...]] = ("recipientaddress",)
    target_keys: ClassVar[tuple[str, ...]] = ("toip",)
    sender_keys: ClassVar[tuple[str, ...]] = ()  # keys holding an address that delivered mail

    def matches(self, sample: Sample) -> bool:
        keys = head_keys(sample)
        return bool(keys) and self.required <= keys and (not self.any_of or bool(self.any_of & keys))

    @abstractmethod
    def failure_text(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """(error text, status) when the record (keys normalised) is a failure, else None."""

    def undecided_status(self, record: dict[str, Any]) -> str:
        """The status of a record whose outcome is not known yet; "" when it is known."""
        return ""

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        rows = 0
        link = ""
        source = str(sample.path)
        for _number, record in records(sample):
            if not isinstance(record, dict):
                continue
            if _number == 0:
                link = str(record["@odata.nextLink"])
                continue
            rows += 1
            fields = flat(record)
            when = next((t for k in self.time_keys if (t := json_time(fields.get(k)))), None)
            if found := self.failure_text(fields):
                text, status = found
                ids = tuple(text_of(fields[k]) for k in self.message_id_keys[:1] if fields.get(k))
                sink.failure(FailureGroup(
                    text=text, status=status, target_ip=self._first(fields, self.target_keys),
                    recipient_domain=self._first(fields, self.recipient_keys).rpartition("@")[2].lower(),
                    hop=self.hop, first_seen=when, last_seen=when, message_ids=ids, source=source))
            elif status := self.undecided_status(fields):
                sink.undecided(status, 1, tuple(text_of(fields[k]) for k in self.message_id_keys[:1]
                                                if fields.get(k)))
            for key in self.sender_keys:
                if ip := text_of(fields.get(key)):
                    sink.sighting(Sighting(ip=ip, rule="published-exchange", evidence=key, first_seen=when,
                                           last_seen=when, source=source))
        if link:
            sink.note(f"{sample.path}: the response has a next page (@odata.nextLink); fetch every page "
                      "and give them all, or failures on the other pages are not seen")
        return ScanStats(rows=rows)

    @staticmethod
    def _first(fields: dict[str, Any], keys: tuple[str, ...]) -> str:
        return next((text_of(fields[k]) for k in keys if fields.get(k)), "")


class SummaryJsonFormat(JsonFormat):
    """A message trace summary: one record per message and recipient, a status, no error text."""

    sender_keys = ("fromip",)
    sender_rule = ("FromIP carries no host name, so it is counted only when it lies in a published "
                   "Exchange Online endpoint set (any Exchange service-area set)")

    def failure_text(self, record: dict[str, Any]) -> tuple[str, str] | None:
        # Failed (given up) and Pending (being retried) are the failures; they carry no text.
        # Spaces around the value are ignored (an export edited by hand), as in the CSV layouts.
        status = text_of(record.get("status")).strip()
        return ("", status) if status.lower() in ("failed", "pending") else None

    def undecided_status(self, record: dict[str, Any]) -> str:
        # GettingStatus (Graph: gettingStatus) and None: the outcome is not known yet.
        status = text_of(record.get("status")).strip()
        return status if folded_status(status) in NOT_FINAL_STATUSES else ""
