"""Get-MessageTraceDetail(V2) `| ConvertTo-Json` and Graph exchangeMessageTraceDetail JSON."""

from __future__ import annotations

from typing import Any

from hybridfw.trace.jsonexport import JsonFormat, text_of


class TraceDetailJsonFormat(JsonFormat):
    name = "trace-detail-json"
    description = "Get-MessageTraceDetail(V2) ConvertTo-Json, Graph message trace detail JSON"
    required = frozenset({"event", "action"})
    any_of = frozenset({"detail", "description"})
    time_keys = ("date", "datetime")

    def failure_text(self, record: dict[str, Any]) -> tuple[str, str] | None:
        # Spaces around the value are ignored (an export edited by hand), as in the CSV layout.
        event, action = text_of(record.get("event")).strip(), text_of(record.get("action")).strip()
        if event.lower() in ("fail", "defer", "drop") or action.lower() in ("fail", "defer"):
            return text_of(record.get("detail") or record.get("description")), event
        return None
