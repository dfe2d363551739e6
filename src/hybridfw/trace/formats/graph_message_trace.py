"""Microsoft Graph message trace (`GET /admin/exchange/tracing/messageTraces`): `{"value": [...]}`
pages of exchangeMessageTrace objects (camelCase), linked by `@odata.nextLink`."""

from __future__ import annotations

from hybridfw.trace.jsonexport import SummaryJsonFormat


class GraphMessageTraceFormat(SummaryJsonFormat):
    name = "graph-message-trace"
    description = "Microsoft Graph message trace JSON (exchangeMessageTrace, @odata.nextLink pages)"
    required = frozenset({"senderaddress", "recipientaddress", "status", "receiveddatetime"})
    time_keys = ("receiveddatetime",)
    message_id_keys = ("id", "messageid")
