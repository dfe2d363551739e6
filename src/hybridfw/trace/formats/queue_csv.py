"""On-premises `Get-Queue | Export-Csv` (Identity, DeliveryType, Status, MessageCount, NextHopDomain,
LastError, ...): a queue that is retrying names its last error. Queues are on-premises sending, so
failures are outbound; one row is one queue, counted once whatever its MessageCount."""

from __future__ import annotations

from hybridfw.trace.tabular import TabularFormat


class QueueCsvFormat(TabularFormat):
    name = "queue-csv"
    description = "Exchange Server Get-Queue Export-Csv (LastError of each queue)"
    required = frozenset({"identity", "deliverytype", "status", "nexthopdomain", "lasterror"})
    hop = "outbound"
    failure_where = "coalesce({lasterror}, '') <> ''"
    text_sql = "{lasterror}"
    status_sql = "{status}"
    time_column = "{lastretrytime}"
    message_id_sql = "{identity}"
    recipient_sql = "'@' || {nexthopdomain}"
