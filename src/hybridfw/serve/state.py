"""What the server serves, swapped as a whole: readers see the old or the new, never a mix."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hybridfw.model import EndpointData
from hybridfw.serve.feeds import FeedBundle, build_feeds


@dataclass(frozen=True)
class Published:
    """One data version, fully rendered: feeds, report, metadata."""

    data: EndpointData
    feeds: FeedBundle
    report_html: bytes
    report_etag: bytes
    loaded_at: datetime
    drop_counts: tuple[tuple[str, str, int], ...] = ()  # serve --drops: (flow, class, drops)


@dataclass(frozen=True)
class RefreshStatus:
    """The last refresh attempt; `ok` False means the data in use may be behind."""

    at: datetime | None = None
    ok: bool = True
    result: str = "not run"  # "updated" | "unchanged" | "error" | "not run"
    message: str = ""
    failures_total: int = 0
    successes_total: int = 0
    notify_failures_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat() if self.at else None, "ok": self.ok, "result": self.result,
                "message": self.message, "failures_total": self.failures_total,
                "successes_total": self.successes_total,
                "notify_failures_total": self.notify_failures_total}


@dataclass
class ServerState:
    """Shared by the request handlers (read) and the refresher (write by swapping)."""

    topology_path: Path
    home: Path
    published: Published
    drops: tuple[Path, ...] = ()  # serve --drops: deny logs re-read at every publish
    refresh: RefreshStatus = field(default_factory=RefreshStatus)
    requests_total: int = 0
    not_modified_total: int = 0
    strict_health: bool = False  # /healthz answers 503 when degraded (for load balancers)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def publish(self, published: Published) -> None:
        self.published = published  # one reference swap

    def record_refresh(self, ok: bool, result: str, message: str) -> None:
        with self._lock:
            old = self.refresh
            self.refresh = replace(
                old, at=datetime.now(UTC), ok=ok, result=result, message=message,
                failures_total=old.failures_total + (0 if ok else 1),
                successes_total=old.successes_total + (1 if ok else 0))

    def record_notify_failure(self) -> None:
        with self._lock:
            self.refresh = replace(self.refresh,
                                   notify_failures_total=self.refresh.notify_failures_total + 1)


def publish_data(topology_path: Path, topology: Any, data: EndpointData, home: Path,
                 drops: tuple[Path, ...] = ()) -> Published:
    """Flows, feeds and the HTML report for one data version. CPU-bound; run off the loop."""
    import hashlib

    from hybridfw.check.interface import CheckContext
    from hybridfw.check.run import run_context
    from hybridfw.flows import required_flows
    from hybridfw.report import renderer

    flows = list(required_flows(topology, data))
    ctx = CheckContext(topology_path=topology_path, topology=topology, data=data, flows=flows, home=home,
                       drops=list(drops))
    result = run_context(ctx)
    html = renderer("html").render(result).encode()
    totals: dict[tuple[str, str], int] = {}
    for seen in result.drops:
        totals[seen.flow, seen.klass] = totals.get((seen.flow, seen.klass), 0) + seen.count
    etag = b'"' + hashlib.sha256(html).hexdigest()[:32].encode() + b'"'
    return Published(data, build_feeds(flows, data), html, etag, datetime.now(UTC),
                     tuple((flow, klass, n) for (flow, klass), n in sorted(totals.items())))
