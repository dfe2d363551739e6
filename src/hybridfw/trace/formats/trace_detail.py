"""Get-MessageTraceDetail / Get-MessageTraceDetailV2 exports (Date, Event, Action, Detail, Data)."""

from __future__ import annotations

from hybridfw.trace.tabular import TabularFormat


class TraceDetailFormat(TabularFormat):
    name = "trace-detail"
    description = "Exchange Online Get-MessageTraceDetail(V2) Export-Csv"
    required = frozenset({"date", "event", "action", "detail", "data"})
    failure_where = ("lower(trim({event})) IN ('fail', 'defer', 'drop') "
                     "OR lower(trim({action})) IN ('fail', 'defer')")
    text_sql = "{detail}"
    status_sql = "{event}"
    time_column = "{date}"
    message_id_sql = "coalesce({messagetraceid}, {messageid})"
    recipient_sql = "{recipientaddress}"
