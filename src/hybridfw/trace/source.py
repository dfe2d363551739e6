"""Open a log file the way it was written: sniff its encoding and read only its start.

Seen in practice: ASCII (Windows PowerShell 5.1 Export-Csv default), UTF-8 with or without a
BOM, and UTF-16 LE with a BOM (historical search reports, `Export-Csv -Encoding Unicode`,
`Out-File`). The head is decoded to recognise the layout; the rest is streamed by the parser.
"""

from __future__ import annotations

import codecs
import csv
import operator
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hybridfw.errors import TraceError
from hybridfw.trace.interface import Sample

HEAD_BYTES = 64 * 1024
HEAD_LINES = 400  # enough for an NDR saved as .eml, whose status lines follow the headers
_LINE_END = re.compile(r"\r\n|\n|\r")
_DIRECTIVE = re.compile(r"^#([A-Za-z-]+):\s*(.*)$")


def sniff_encoding(head: bytes) -> tuple[str, str]:
    """(Python codec, DuckDB encoding or "" when DuckDB needs a transcoded copy)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16", "utf-16"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", ""
    sample = head[:4096]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le", ""  # UTF-16 LE text without a BOM: ASCII letters have a zero high byte
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        # Not UTF-8: a Windows "ANSI" export (Out-File -Encoding Default, Excel "CSV").
        return "cp1252", ""
    return "utf-8", "utf-8"


def _head_lines(text: str, complete: bool) -> list[str]:
    lines = _LINE_END.split(text)
    if not complete:
        lines = lines[:-1]  # the last one may be cut in the middle
    return lines[:HEAD_LINES]


def _delimiter(line: str) -> str:
    """The separator of a CSV header line: the most frequent of , ; and tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", line)
    return max((",", ";", "\t"), key=outside.count)


def _parse_header(lines: list[str]) -> tuple[bool, tuple[str, ...], dict[str, str], int, str]:
    type_line = bool(lines) and lines[0].startswith("#TYPE")
    directives: dict[str, str] = {}
    for index, line in enumerate(lines):
        if index == 0 and type_line:
            continue
        if not line.strip():
            continue
        if line.startswith("#"):
            if m := _DIRECTIVE.match(line):
                directives[m[1].lower()] = m[2].strip()
            continue
        if "fields" in directives:
            return type_line, _fields(directives), directives, index, ","
        delimiter = _delimiter(line)
        row = next(csv.reader([line], delimiter=delimiter), [])
        return type_line, tuple(c.strip() for c in row), directives, index + 1, delimiter
    if "fields" in directives:
        return type_line, _fields(directives), directives, len(lines), ","
    return type_line, (), directives, len(lines), ","


def _fields(directives: dict[str, str]) -> tuple[str, ...]:
    return tuple(c.strip() for c in directives["fields"].split(","))


# W3C rows stored without their header (SIEM exports, blog posts): recognised by their shape.
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_SESSION_ID = re.compile(r"^[0-9A-Fa-f]{16}$")
PROTOCOL_FIELDS = ("date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,"
                   "event,data,context")
MSGTRK_FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
                 "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
                 "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
                 "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
                 "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,"
                 "schema-version")


class HeaderlessLog(TraceError):
    """Rows of an Exchange log without the `#Fields:` line, in a shape this reader cannot name."""


def headerless_fields(line: str) -> str:
    """The `#Fields:` value for a headerless Exchange log row, "" when the line is no such row.

    Raises HeaderlessLog for a row that looks like an Exchange W3C log but matches no known
    field list (it must not be read as anything else)."""
    if not _ISO_TIME.match(line):
        return ""
    row = next(csv.reader([line]), [])
    if len(row) == 9 and row[6] in ("+", "-", "<", ">", "*") and row[3].isdigit() \
            and _SESSION_ID.match(row[2]):
        return PROTOCOL_FIELDS
    msgtrk = MSGTRK_FIELDS.split(",")
    # Exchange 2016/2019 write 30 fields, 2013 stops at custom-data (27); 2010 lacks network-message-id.
    if len(row) in (30, 27) and row[8].isupper() and row[8].isalpha():
        return ",".join(msgtrk[: len(row)])
    if len(row) == 26 and row[8].isupper() and row[8].isalpha():
        return ",".join(f for f in msgtrk[:27] if f != "network-message-id")
    if len(row) >= 7:
        raise HeaderlessLog(f"looks like an Exchange log row without its header ({len(row)} fields, no "
                            "#Fields line); add the #Fields header line the log was written with")
    return ""


def _first_row(lines: list[str]) -> str:
    return next((line for line in lines if line.strip() and not line.startswith("#")), "")


def read_sample(path: Path) -> Sample:
    """Decode the start of `path`. TraceError when it is empty or not text."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            complete = len(head) < HEAD_BYTES
    except IsADirectoryError as exc:
        raise TraceError("is a directory, not a log file") from exc
    encoding, duck = sniff_encoding(head)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    if not text.strip():
        raise TraceError("the file is empty")
    if "\x00" in text or text.count("\ufffd") > max(8, len(text) // 100):
        raise TraceError("not a text log (binary content)")
    lines = _head_lines(text, complete)
    has_fields = any(line.lower().startswith("#fields:") for line in lines)
    fields = "" if has_fields else headerless_fields(_first_row(lines))
    synthesised = bool(fields)
    if synthesised:
        lines = [f"#Fields: {fields}", *lines]
    type_line, header, directives, header_lines, delimiter = _parse_header(lines)
    if synthesised:
        header_lines -= 1  # the synthesised #Fields line is not in the file
        directives["headerless"] = "yes"
    return Sample(path=path, encoding=encoding, duckdb_encoding=duck, lines=tuple(lines),
                  type_line=type_line, header=header, directives=directives,
                  header_line_count=header_lines, delimiter=delimiter)


def open_text(sample: Sample, newline: str | None = "") -> Iterator[str]:
    """The file's lines, decoded, streamed (newline='' keeps quoted line breaks for csv;
    None makes every line end, quoted ones too, a plain \\n)."""
    with sample.path.open("r", encoding=sample.encoding, errors="replace", newline=newline) as handle:
        yield from handle


@contextmanager
def duckdb_readable(sample: Sample, one_newline: bool = False) -> Iterator[tuple[str, str]]:
    """(path, encoding) DuckDB can read: the file itself, or a streamed UTF-8 copy (with every
    line end a \\n when `one_newline`)."""
    if sample.duckdb_encoding and not one_newline:
        yield str(sample.path), sample.duckdb_encoding
        return
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="hybridfw-trace-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            for line in open_text(sample, None if one_newline else ""):
                out.write(line)
        yield tmp, "utf-8"
    finally:
        os.unlink(tmp)


class W3cRows:
    """The data rows of a W3C log (`#` lines skipped), the wanted fields picked in order; rows
    shorter than the header (a truncated last line) are counted in `skipped`, not yielded."""

    def __init__(self, sample: Sample, fields: tuple[str, ...]) -> None:
        index = {normalise_column(c): i for i, c in enumerate(sample.header)}
        self._pick = operator.itemgetter(*(index[f] for f in fields))
        self._sample = sample
        self.rows = self.skipped = 0

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        width = len(self._sample.header)
        lines = open_text(self._sample)
        for line in lines:
            if line.startswith("#"):
                continue
            if '"' in line:
                # Quoted fields go through csv; an odd number of quotes means a quoted field
                # runs on into the next line(s).
                while line.count('"') % 2 and (more := next(lines, None)) is not None:
                    line += more
                row = next(csv.reader([line]), [])
            else:  # most rows: no quoting, a plain split is the same and much faster
                row = line.rstrip("\r\n").split(",") if line.strip() else []
            if len(row) < width:
                self.skipped += 1 if row else 0
                continue
            self.rows += 1
            yield self._pick(row)


def normalise_column(name: str) -> str:
    """Column names compared loosely: 'Message ID', 'message_id', 'message-id' -> 'messageid'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())
