"""Historical search / EAC "summary" report download (Date, Sender, Recipient, Subject, Status)."""

from __future__ import annotations

from hybridfw.trace.tabular import STATUS_NOT_FINAL_WHERE, TabularFormat


class SummaryReportFormat(TabularFormat):
    name = "summary-report"
    description = "Exchange Online message trace summary report (CSV download)"
    required = frozenset({"sender", "recipient", "subject", "status"})
    failure_where = "lower(trim({status})) IN ('failed', 'pending')"
    undecided_where = STATUS_NOT_FINAL_WHERE  # GettingStatus, None: neither failed nor delivered
    text_sql = "''"
    status_sql = "{status}"
    time_column = "coalesce({date}, {dateutc})"
    message_id_sql = "{messageid}"
    recipient_sql = "{recipient}"
    target_ip_sql = "{toip}"
    sender_ip_sql = "{fromip}"
    sender_where = "coalesce({fromip}, '') <> ''"
    sender_evidence_sql = "'From IP'"
    sender_kind = "published-exchange"
    sender_rule = ("From IP carries no host name, so it is counted only when it lies in a published "
                   "Exchange Online endpoint set")
