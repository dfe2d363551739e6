"""Historical search "extended" report (date_time_utc, event_id, client_ip, ... custom_data)."""

from __future__ import annotations

from hybridfw.trace.tabular import EventLogFormat


class ExtendedReportFormat(EventLogFormat):
    name = "extended-report"
    description = "Exchange Online historical search extended report (CSV, usually UTF-16 LE)"
    required = frozenset({"datetimeutc", "eventid", "recipientstatus", "clientip", "clienthostname",
                          "source"})
    hop = "inbound"
