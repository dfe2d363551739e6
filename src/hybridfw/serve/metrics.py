"""Prometheus text exposition of the server's state (version 0.0.4 of the format)."""

from __future__ import annotations

from datetime import UTC, datetime

from hybridfw.serve.state import ServerState


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_text(state: ServerState, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    pub, refresh = state.published, state.refresh
    inst = f'instance="{_label(pub.data.instance)}"'
    version = pub.data.version if pub.data.version and pub.data.version.isdigit() else "0"
    lines = [
        ("hybridfw_data_version", "gauge",
         "Endpoint data version served (YYYYMMDDNN; 0 when the data carries none).",
         [(f'{{{inst},label="{_label(pub.feeds.version)}"}}', version)]),
        ("hybridfw_data_age_seconds", "gauge", "Age of the endpoint data served.",
         [(f"{{{inst}}}", f"{max(0.0, (now - pub.data.data_date).total_seconds()):.0f}")]),
        ("hybridfw_last_refresh_success", "gauge",
         "1 when the last refresh worked (or none ran yet), 0 when it failed.",
         [("", "1" if refresh.ok else "0")]),
        ("hybridfw_last_refresh_timestamp_seconds", "gauge", "When the last refresh ran (0: never).",
         [("", f"{refresh.at.timestamp():.0f}" if refresh.at else "0")]),
        ("hybridfw_refresh_total", "counter", "Refresh attempts by result.",
         [('{result="ok"}', str(refresh.successes_total)),
          ('{result="error"}', str(refresh.failures_total))]),
        ("hybridfw_notify_failures_total", "counter", "Change notifications that could not be sent.",
         [("", str(refresh.notify_failures_total))]),
        ("hybridfw_feed_requests_total", "counter", "Feed requests answered (200 and 304).",
         [("", str(state.requests_total))]),
        ("hybridfw_feed_not_modified_total", "counter", "Feed requests answered 304.",
         [("", str(state.not_modified_total))]),
        ("hybridfw_drops_total", "gauge",
         "Microsoft drops per flow and class in the --drops logs as last read (a gauge: rotated "
         "logs shrink it).",
         [(f'{{flow="{_label(flow)}",class="{_label(klass)}"}}', str(n))
          for flow, klass, n in pub.drop_counts]),
    ]
    out: list[str] = []
    for name, kind, help_text, samples in lines:
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        out += [f"{name}{labels} {value}" for labels, value in samples]
    return "\n".join(out) + "\n"
