"""Get-MessageTrace / Get-MessageTraceV2 `| ConvertTo-Json`, and the Reporting web service's
MessageTrace report (OData JSON), as files or NDJSON."""

from __future__ import annotations

from hybridfw.trace.jsonexport import SummaryJsonFormat


class MessageTraceJsonFormat(SummaryJsonFormat):
    name = "message-trace-json"
    description = "Get-MessageTrace(V2) ConvertTo-Json, Reporting web service OData JSON, NDJSON"
    required = frozenset({"senderaddress", "recipientaddress", "status"})
    any_of = frozenset({"received"})
    time_keys = ("received",)
