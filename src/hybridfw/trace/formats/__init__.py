"""The log layouts `hybridfw trace` reads, one module each, listed in `FORMATS` in detection order."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from hybridfw.errors import TraceError
from hybridfw.plugins import PlugIn, names

if TYPE_CHECKING:
    from hybridfw.trace.interface import LogFormat, Sample

# Most specific first: the extended report's columns are a superset of the enhanced summary's,
# and NDR text is the catch-all for prose carrying status codes.
FORMATS: tuple[PlugIn[type[LogFormat]], ...] = (
    PlugIn("trace-detail", "hybridfw.trace.formats.trace_detail", "TraceDetailFormat"),
    PlugIn("message-trace", "hybridfw.trace.formats.message_trace", "MessageTraceFormat"),
    PlugIn("extended-report", "hybridfw.trace.formats.hist_extended", "ExtendedReportFormat"),
    PlugIn("enhanced-summary", "hybridfw.trace.formats.hist_enhanced", "EnhancedSummaryFormat"),
    PlugIn("summary-report", "hybridfw.trace.formats.hist_summary", "SummaryReportFormat"),
    PlugIn("tracking-csv", "hybridfw.trace.formats.tracking_csv", "TrackingCsvFormat"),
    PlugIn("queue-csv", "hybridfw.trace.formats.queue_csv", "QueueCsvFormat"),
    PlugIn("message-tracking", "hybridfw.trace.formats.msgtrk", "MessageTrackingFormat"),
    PlugIn("protocol-log", "hybridfw.trace.formats.protocol_log", "ProtocolLogFormat"),
    PlugIn("connectivity-log", "hybridfw.trace.formats.connectlog", "ConnectLogFormat"),
    PlugIn("graph-message-trace", "hybridfw.trace.formats.graph_message_trace",
           "GraphMessageTraceFormat"),
    PlugIn("message-trace-json", "hybridfw.trace.formats.message_trace_json", "MessageTraceJsonFormat"),
    PlugIn("trace-detail-json", "hybridfw.trace.formats.trace_detail_json", "TraceDetailJsonFormat"),
    PlugIn("ndr-text", "hybridfw.trace.formats.ndr_text", "NdrTextFormat"),
)


@cache
def formats() -> dict[str, LogFormat]:
    """name -> format, in detection order (every format module is imported on this first call)."""
    return {p.name: p.load()() for p in FORMATS}


def format_names() -> tuple[str, ...]:
    """The names, in detection order (no format module is imported)."""
    return names(FORMATS)


def by_name(name: str) -> LogFormat:
    try:
        return formats()[name]
    except KeyError:
        raise TraceError(f"unknown format {name!r}; use auto or one of {', '.join(formats())}") from None


def detect(sample: Sample) -> LogFormat:
    """The first layout that recognises the sample, or TraceError naming what was found."""
    for fmt in formats().values():
        if fmt.matches(sample):
            return fmt
    first = next((line for line in sample.lines if line.strip()), "").lstrip()
    if first[:1] in ("{", "["):
        raise TraceError(f"unknown layout: JSON (starts with {first[:60]!r}) that is none of the JSON "
                         f"exports hybridfw reads; known formats: {', '.join(formats())}")
    if sample.header and len(sample.header) > 1:
        kind = "W3C log with fields" if "fields" in sample.directives else "CSV with columns"
        raise TraceError(f"unknown layout: {kind} {', '.join(sample.header)}; "
                         f"known formats: {', '.join(formats())}")
    raise TraceError(f"not a known log layout and no status code found (starts with {first[:60]!r}); "
                     f"known formats: {', '.join(formats())}")
