"""Get-MessageTrace / Get-MessageTraceV2 exported with Export-Csv (with or without `#TYPE`)."""

from __future__ import annotations

from hybridfw.trace.tabular import STATUS_NOT_FINAL_WHERE, TabularFormat


class MessageTraceFormat(TabularFormat):
    name = "message-trace"
    description = "Exchange Online Get-MessageTrace / Get-MessageTraceV2 Export-Csv"
    required = frozenset({"received", "senderaddress", "recipientaddress", "status"})
    # The summary carries only a status: Failed (given up) and Pending (being retried) are the
    # failures; FilteredAsSpam/Quarantined are policy decisions, not delivery failures.
    failure_where = "lower(trim({status})) IN ('failed', 'pending')"  # as typed, or as edited in Excel
    undecided_where = STATUS_NOT_FINAL_WHERE  # GettingStatus, None: neither failed nor delivered
    text_sql = "''"
    status_sql = "{status}"
    time_column = "{received}"
    message_id_sql = "coalesce({messagetraceid}, {messageid})"
    recipient_sql = "{recipientaddress}"
    target_ip_sql = "{toip}"
    sender_ip_sql = "{fromip}"
    sender_where = "coalesce({fromip}, '') <> ''"
    sender_evidence_sql = "'FromIP'"
    sender_kind = "published-exchange"
    sender_rule = ("FromIP carries no host name, so it is counted only when it lies in a published "
                   "Exchange Online endpoint set (any Exchange service-area set)")
