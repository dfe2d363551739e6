"""Historical search "enhanced summary" report (origin_timestamp_utc, recipient_status, ...)."""

from __future__ import annotations

from hybridfw.trace.interface import Sample
from hybridfw.trace.source import normalise_column
from hybridfw.trace.tabular import TabularFormat


class EnhancedSummaryFormat(TabularFormat):
    name = "enhanced-summary"
    description = "Exchange Online historical search enhanced summary report (CSV)"
    required = frozenset({"senderaddress", "recipientstatus", "messageid", "directionality"})
    # recipient_status is "<address>##<events>" per recipient, ";"-separated: a Fail, Defer or
    # Drop event in it marks the failure (as in the trace detail; BadMail and PoisonMessage as in
    # message tracking); the report keeps no error text.
    failure_where = ("regexp_matches(lower({recipientstatus}), "
                     "'##[^;]*\\b(fail|defer|drop|badmail|poisonmessage)')")
    text_sql = "{recipientstatus}"
    status_sql = "'Fail'"
    time_column = "coalesce({origintimestamputc}, {origintimestamp})"
    message_id_sql = "{messageid}"
    recipient_sql = "{recipientstatus}"
    sender_ip_sql = "{originalclientip}"
    sender_where = "coalesce({originalclientip}, '') <> ''"
    sender_evidence_sql = "'original_client_ip'"
    sender_kind = "published-exchange"
    sender_rule = ("original_client_ip carries no host name, so it is counted only when it lies in a "
                   "published Exchange Online endpoint set")

    def accepts(self, sample: Sample) -> bool:
        return "eventid" not in {normalise_column(c) for c in sample.header}
