"""Exchange Server message tracking logs (MSGTRK*.LOG, W3C `#Fields:` header)."""

from __future__ import annotations

from hybridfw.trace.interface import Sample
from hybridfw.trace.tabular import EventLogFormat


class MessageTrackingFormat(EventLogFormat):
    name = "message-tracking"
    description = "Exchange Server message tracking log (MSGTRK*.LOG)"
    w3c = True
    required = frozenset({"datetime", "eventid", "recipientstatus", "clientip", "clienthostname", "source"})
    # Failures in an on-premises log are the server's own sends: towards Exchange Online.
    hop = "outbound"

    def accepts(self, sample: Sample) -> bool:
        log_type = sample.directives.get("log-type", "")
        return not log_type or "message tracking" in log_type.lower()
