"""On-premises `Get-MessageTrackingLog | Export-Csv` (Timestamp, EventId, Source, RecipientStatus, ...).

Windows PowerShell writes a multi-valued property it cannot flatten as the type name
`System.String[]`: such a RecipientStatus has lost its text, so the failure is reported as
"detail not exported" with the re-export command, never guessed.
"""

from __future__ import annotations

from hybridfw.trace.interface import MULTIVALUE_LOST, Sample, ScanStats, Sink
from hybridfw.trace.tabular import EventLogFormat, sql_quote

_LOST = sql_quote(MULTIVALUE_LOST)


class TrackingCsvFormat(EventLogFormat):
    name = "tracking-csv"
    description = "Exchange Server Get-MessageTrackingLog Export-Csv (UTF-8 or UTF-16, with or without #TYPE)"
    required = frozenset({"timestamp", "eventid", "source", "recipientstatus"})
    hop = "outbound"  # an on-premises server's own failures: towards Exchange Online
    text_sql = f"CASE WHEN {{recipientstatus}} = {_LOST} THEN '' ELSE {{recipientstatus}} END"
    status_sql = (f"upper({{eventid}}) || CASE WHEN {{recipientstatus}} = {_LOST} "
                  f"THEN ' {MULTIVALUE_LOST}' ELSE '' END")
    time_column = "{timestamp}"
    recipient_sql = "{recipients}"

    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        stats = super().scan(sample, sink)
        sink.note(f"{sample.path}: Get-MessageTrackingLog writes Timestamp in the exporting machine's "
                  "local time; first/last seen are shown as written, not converted to UTC")
        return stats
