"""The log layouts `hybridfw trace` reads, one module each, tried in this order."""

from __future__ import annotations

import importlib
from functools import cache

from hybridfw.errors import TraceError
from hybridfw.trace.interface import LogFormat, Sample

# Most specific first: the extended report's columns are a superset of the enhanced summary's,
# and NDR text is the catch-all for prose carrying status codes.
FORMAT_MODULES = (
    "trace_detail", "message_trace", "hist_extended", "hist_enhanced", "hist_summary", "tracking_csv",
    "queue_csv",
    "msgtrk", "protocol_log", "connectlog", "graph_message_trace", "message_trace_json", "trace_detail_json",
    "ndr_text",
)


@cache
def formats() -> dict[str, LogFormat]:
    """name -> format, in detection order."""
    found: dict[str, LogFormat] = {}
    for module_name in FORMAT_MODULES:
        fmt: LogFormat = importlib.import_module(f"{__name__}.{module_name}").FORMAT
        found[fmt.name] = fmt
    return found


def format_names() -> tuple[str, ...]:
    return tuple(formats())


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
