"""The shared engine for tabular logs (CSV exports and W3C logs): DuckDB does the heavy lifting.

A tabular layout only declares which columns it needs and a few SQL expressions (what is a
failure, its text, status, time, message id, recipient, target; which rows are sightings of an
Exchange Online sender). DuckDB streams the file — UTF-8 or UTF-16 LE, quoted multi-line fields —
and returns one row per distinct (text, status, target, recipient domain, sender) with counts,
first/last time and example message ids, so Python only ever sees the groups.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
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
    SightingRule,
    Sink,
)
from hybridfw.trace.source import duckdb_readable, normalise_column

log = logging.getLogger(__name__)

# `undecided_where` of a layout with a message trace Status: folded as `folded_status` does.
STATUS_NOT_FINAL_WHERE = ("replace(lower(trim({status})), ' ', '') IN ("
                          + ", ".join(f"'{s}'" for s in NOT_FINAL_STATUSES) + ")")

# Time layouts: ISO 8601 (trace reports, W3C logs) and what Windows PowerShell's Export-Csv
# writes for a DateTime in en-US and common day-first cultures.
_TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S")
EO_HOST_SQL = "lower(coalesce({h}, '')) LIKE '%.outbound.protection.outlook.com'"


def sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def time_sql(column: str) -> str:
    formats = ", ".join(sql_quote(f) for f in _TIME_FORMATS)
    return f"coalesce(try_cast({column} AS TIMESTAMP), try_strptime({column}, [{formats}]))"


def _columns(header: tuple[str, ...]) -> list[str]:
    """Header names made unique and non-empty (DuckDB needs that)."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in header:
        base = name or "column"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return out


class TabularFormat(LogFormat):
    """Base for CSV/W3C layouts. Subclasses set the class attributes below."""

    required: ClassVar[frozenset[str]]  # normalised column names that identify the layout
    w3c: ClassVar[bool] = False  # header comes from a `#Fields:` directive
    hop: ClassVar[Hop] = "inbound"
    failure_where: ClassVar[str]  # SQL over {column} placeholders
    undecided_where: ClassVar[str] = "false"  # rows whose outcome is not known yet (not failures)
    text_sql: ClassVar[str]
    status_sql: ClassVar[str] = "NULL"
    time_column: ClassVar[str] = "NULL"
    message_id_sql: ClassVar[str] = "NULL"
    recipient_sql: ClassVar[str] = "NULL"
    target_ip_sql: ClassVar[str] = "NULL"
    sender_ip_sql: ClassVar[str] = "NULL"  # NULL: this layout carries no sender sightings
    sender_where: ClassVar[str] = "false"
    sender_evidence_sql: ClassVar[str] = "NULL"
    sender_kind: ClassVar[SightingRule] = "hostname"  # what makes a sighting count (see Sighting)

    def matches(self, sample: Sample) -> bool:
        if self.w3c != ("fields" in sample.directives):
            return False
        names = {normalise_column(c) for c in sample.header}
        return self.required <= names and self.accepts(sample)

    def accepts(self, sample: Sample) -> bool:
        """Extra checks beyond the columns (e.g. the W3C #Log-Type)."""
        return True

    def _sql(self, sample: Sample) -> str:
        names: Mapping[str, str] = defaultdict(
            lambda: "NULL", {normalise_column(c): '"' + c.replace('"', '""') + '"'
                             for c in _columns(sample.header)})

        def expand(template: str) -> str:
            return template.format_map(names)

        recipient = expand(self.recipient_sql)
        # Flags first, once per row; everything else is computed only for the rows that need it
        # (failures and sightings are a small share of a trace), and all other rows fall into
        # one group that only counts. The groups come in a fixed order, largest first, and the
        # example ids are the earliest (ties by id): a cause shows the chain and example of its
        # first group, and DuckDB's parallel GROUP BY returns groups in any order (a cause's
        # chain changed between runs of the same file: 3 in 300).
        return f"""
        SELECT text, status, target_ip, domain, sender_ip, any_value(sender_evidence),
               count(*), min(ts), max(ts),
               arg_min(message_id, (ts, message_id), 3) FILTER (WHERE ts IS NOT NULL)
        FROM (
          SELECT CASE WHEN is_fail THEN coalesce({expand(self.text_sql)}, '') END AS text,
                 CASE WHEN is_fail OR is_undecided THEN {expand(self.status_sql)} END AS status,
                 CASE WHEN is_fail THEN {expand(self.target_ip_sql)} END AS target_ip,
                 CASE WHEN is_fail THEN lower(regexp_extract({recipient}, '@([A-Za-z0-9.-]+)', 1)) END
                   AS domain,
                 CASE WHEN is_sender THEN {expand(self.sender_ip_sql)} END AS sender_ip,
                 CASE WHEN is_sender THEN {expand(self.sender_evidence_sql)} END AS sender_evidence,
                 CASE WHEN is_fail OR is_sender OR is_undecided THEN {time_sql(expand(self.time_column))}
                   END AS ts,
                 CASE WHEN is_fail OR is_undecided THEN {expand(self.message_id_sql)} END AS message_id
          FROM (SELECT *, coalesce({expand(self.failure_where)}, false) AS is_fail,
                          coalesce({expand(self.sender_where)}, false) AS is_sender,
                          coalesce({expand(self.undecided_where)}, false) AS is_undecided FROM src))
        GROUP BY text, status, target_ip, domain, sender_ip
        ORDER BY count(*) DESC, min(ts), text, status, target_ip, domain, sender_ip
        """

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        groups, rejects = self._query(sample)
        if any(kind == "INVALID ENCODING" for _, kind in rejects) and sample.duckdb_encoding:
            # Bytes that are not UTF-8 past the sniffed head: read a decoded copy instead
            # (undecodable bytes become U+FFFD) rather than lose those rows.
            log.info("%s: not valid %s throughout; reading a transcoded copy", sample.path,
                     sample.duckdb_encoding)
            groups, rejects = self._query(dataclasses.replace(sample, duckdb_encoding=""))
        if not groups and _has_rows(sample):
            # DuckDB reads no row at all, and says nothing, when line ends are mixed (a `#TYPE`
            # line ending in LF above CRLF rows): read a copy with one kind of line end.
            groups, rejects = self._query(sample, one_newline=True)
            if not groups:
                raise TraceError("no row could be read, though the file has rows after its header")
        return self._emit(sample, groups, [line for line, _ in rejects], sink)

    def _query(self, sample: Sample, one_newline: bool = False
               ) -> tuple[list[tuple[Any, ...]], list[tuple[int, str]]]:
        import duckdb

        columns = _columns(sample.header)
        skip = sample.header_line_count if self.w3c else sample.header_line_count - 1
        with duckdb_readable(sample, one_newline) as (path, encoding):
            con = duckdb.connect()
            try:
                struct = ", ".join(f"{sql_quote(name)}: 'VARCHAR'" for name in columns)
                con.execute(
                    f"CREATE TEMP VIEW src AS SELECT * FROM read_csv({sql_quote(path)}, "
                    f"encoding={sql_quote(encoding)}, skip={skip}, header={not self.w3c}, "
                    f"delim={sql_quote(sample.delimiter)}, quote='\"', escape='\"', auto_detect=false, "
                    "ignore_errors=true, "
                    f"store_rejects=true, columns={{{struct}}})"
                )
                groups = con.execute(self._sql(sample)).fetchall()
                rejects = con.execute("SELECT line, error_type FROM reject_errors ORDER BY line").fetchall()
            except duckdb.InterruptException as exc:  # Ctrl-C inside DuckDB: exit 130 like any other
                raise KeyboardInterrupt from exc
            except RuntimeError as exc:
                # DuckDB's Python client turns SIGINT during a query into this RuntimeError.
                if "interrupted" in str(exc).lower():
                    raise KeyboardInterrupt from exc
                raise
            except duckdb.Error as exc:
                raise TraceError(f"cannot read as {self.name}: {str(exc).splitlines()[0]}") from exc
            finally:
                con.close()
        return groups, [(int(line), str(kind)) for line, kind in rejects]

    def _emit(self, sample: Sample, groups: list[tuple[Any, ...]], rejected: list[int],
              sink: Sink) -> ScanStats:
        rows = 0
        source = str(sample.path)
        for text, status, target, domain, sender_ip, evidence, count, first, last, ids in groups:
            rows += count
            first_seen, last_seen = _aware(first), _aware(last)
            if text is not None:
                sink.failure(FailureGroup(
                    text=text, count=count, status=status or "", target_ip=target or "",
                    recipient_domain=domain or "", hop=self.hop, first_seen=first_seen,
                    last_seen=last_seen, message_ids=tuple(i for i in (ids or ()) if i),
                    source=source))
            elif status is not None:  # not a failure, but its outcome is not known yet
                sink.undecided(status, count, tuple(i for i in (ids or ()) if i))
            if sender_ip:
                sink.sighting(Sighting(
                    ip=sender_ip, rule=self.sender_kind,
                    evidence=evidence or "", count=count, first_seen=first_seen, last_seen=last_seen,
                    source=source))
        notes: tuple[str, ...] = ()
        if rejected:
            where = ", ".join(str(n) for n in rejected[:5])
            notes = (f"{sample.path}: skipped {len(rejected)} malformed or truncated row(s) at line {where}",)
            for note in notes:
                sink.note(note)
        return ScanStats(rows=rows, skipped_rows=len(rejected), notes=notes)


def _has_rows(sample: Sample) -> bool:
    """The head of the file shows a data row after its header lines."""
    return any(line.strip() and not line.startswith("#")
               for line in sample.lines[sample.header_line_count:])


def _aware(value: Any) -> datetime | None:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else None


class EventLogFormat(TabularFormat):
    """Message tracking events: on-premises MSGTRK logs and the Exchange Online extended report
    share the field set (one with hyphens, one with underscores, which normalising hides)."""

    # BADMAIL (a Pickup/Replay message that can be neither delivered nor returned), POISONMESSAGE
    # (put in or taken out of the poison queue) and the submission deferrals are failures too
    failure_where = ("upper(trim({eventid})) IN ('FAIL', 'DEFER', 'DELIVERFAIL', 'SUBMITFAIL', "
                     "'RESUBMITFAIL', 'SUBMITDEFER', 'RESUBMITDEFER', 'HAREDIRECTFAIL', 'BADMAIL', "
                     "'POISONMESSAGE')")
    text_sql = "{recipientstatus}"
    status_sql = "upper({eventid})"
    time_column = "coalesce({datetimeutc}, {datetime})"
    message_id_sql = "{messageid}"
    recipient_sql = "{recipientaddress}"
    sender_ip_sql = "{clientip}"
    sender_where = ("upper({eventid}) = 'RECEIVE' AND upper({source}) = 'SMTP' AND "
                    + EO_HOST_SQL.format(h="{clienthostname}"))
    sender_evidence_sql = "{clienthostname}"
    sender_kind = "hostname"
    sender_rule = ("RECEIVE events over SMTP whose client host name ends in "
                   ".outbound.protection.outlook.com (Exchange Online's sending hosts); client IP counted")
