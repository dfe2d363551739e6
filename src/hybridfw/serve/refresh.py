"""The background refresher: poll the service, update through the safe-update guard, swap.

Runs in the server's event loop; the blocking parts (HTTP to the service, SQLite, building the
feeds) run in a worker thread. Any failure leaves the last good data in place and is recorded
for /healthz and /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from hybridfw.errors import HybridfwError, InputError
from hybridfw.serve.state import ServerState, publish_data

log = logging.getLogger(__name__)

_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float | None:
    """'1h', '30m', '1h30m', '90s' → seconds; 'off' or '0' → None (no refreshing)."""
    text = text.strip().lower()
    if text in ("off", "0", "never"):
        return None
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise InputError(f"refresh interval {text!r}: use e.g. 1h, 30m, 90s, 1h30m or off",
                         field="refresh")
    return float(sum(int(n) * _UNIT[u] for n, u in parts))


MIN_REFRESH = 3600.0  # Microsoft asks clients to call /version at most once an hour


def check_refresh_floor(seconds: float | None) -> float | None:
    if seconds is not None and seconds < MIN_REFRESH:
        raise InputError(f"refresh interval {seconds:.0f}s is below the floor of 1h: Microsoft asks "
                         "for at most one version call an hour", field="refresh")
    return seconds


def check_notify_url(url: str | None) -> str | None:
    """Only http(s) URLs with a host: the refresher POSTs there and nothing else."""
    from urllib.parse import urlsplit

    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"notify URL must be http(s)://host[:port]/path, got {url!r}",
                         field="notify-url")
    return url


@dataclass(frozen=True)
class RefreshSettings:
    interval: float | None  # seconds between polls; None = never
    notify_url: str | None = None
    service_url: str | None = None
    notify_timeout: float = 10.0
    client_settings: Any = None  # endpoints.client.ClientSettings; None = the client's defaults


class Refresher:
    """Polls once at start and then every `interval` seconds until cancelled."""

    def __init__(self, state: ServerState, topology: Any, settings: RefreshSettings) -> None:
        self.state = state
        self.topology = topology
        self.settings = settings

    async def run(self) -> None:
        if self.settings.interval is None:
            return
        while True:
            await self.refresh_once()
            await asyncio.sleep(self.settings.interval)

    async def refresh_once(self) -> None:
        from hybridfw.endpoints.update import update_from_service

        state = self.state
        instance = state.published.data.instance
        try:
            result = await asyncio.to_thread(update_from_service, state.home, instance,
                                             service_url=self.settings.service_url,
                                             settings=self.settings.client_settings)
            if result.updated:
                published = await asyncio.to_thread(publish_data, state.topology_path,
                                                    self.topology, result.current, state.home,
                                                    state.drops)
        except Exception as exc:  # the refresher must outlive any failure; the data stays
            expected = isinstance(exc, (HybridfwError, OSError, ValueError))
            log.warning("refresh failed, still serving %s: %s", state.published.feeds.version, exc,
                        exc_info=not expected)
            state.record_refresh(False, "error", str(exc) or type(exc).__name__)
            return
        if not result.updated:
            state.record_refresh(True, "unchanged", result.message)
            log.info("refresh ok, unchanged: %s", result.message)
            return
        state.publish(published)
        state.record_refresh(True, "updated", result.message)
        log.info("refresh ok, now serving %s: %s", published.feeds.version, result.message)
        if self.settings.notify_url:
            diff = result.diff.to_dict() if result.diff is not None else None
            await self.notify({"event": "endpoint-data-updated", "instance": instance,
                               "previous": result.previous.version_label() if result.previous else None,
                               "current": result.current.version_label(), "diff": diff})

    async def notify(self, doc: dict[str, Any]) -> None:
        """POST the change as JSON; a failed notification is logged and counted, never fatal."""
        import httpx

        assert self.settings.notify_url is not None
        try:
            async with httpx.AsyncClient(timeout=self.settings.notify_timeout) as client:
                resp = await client.post(self.settings.notify_url, json=doc)
                resp.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("notification to %s failed: %s", self.settings.notify_url, exc)
            self.state.record_notify_failure()
