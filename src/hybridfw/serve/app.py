"""The ASGI application: a lean path for feeds, Starlette for everything else.

Feeds are the hot path (every firewall polls them), so they are answered straight from the
precomputed bytes and headers of the current `FeedBundle`: no routing table, no Request object,
no file system. The path is matched against a fixed pattern and looked up in a dict, so nothing
a client sends can name a file or grow memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qsl

from hybridfw.endpoints import freshness_finding
from hybridfw.serve.feeds import FeedBody
from hybridfw.serve.metrics import metrics_text
from hybridfw.serve.state import ServerState

AsgiScope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[AsgiScope, Receive, Send], Awaitable[None]]
Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]

FEED_PATH = re.compile(r"^/feeds/([a-z0-9][a-z0-9-]{0,63})\.(txt|json)$")
READ_METHODS = ("GET", "HEAD")
_TEXT = b"text/plain; charset=utf-8"


async def _plain(send: Send, status: int, text: str, extra: tuple[tuple[bytes, bytes], ...] = (),
                 head: bool = False) -> None:
    body = text.encode()
    headers = [(b"content-type", _TEXT), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def not_modified_since(headers: list[tuple[bytes, bytes]], last_modified: str) -> bool:
    """If-Modified-Since (RFC 9110 13.1.3): only when no If-None-Match was sent; an unreadable
    date is ignored."""
    from email.utils import parsedate_to_datetime

    names = dict(headers)
    since = names.get(b"if-modified-since")
    if since is None or b"if-none-match" in names:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since.decode("latin-1"))
    except (TypeError, ValueError):
        return False


def _etag_matches(header: bytes, etag: bytes) -> bool:
    tags = [t.strip().removeprefix(b"W/") for t in header.split(b",")]
    return etag in tags or b"*" in tags


def _family(query: bytes) -> str | None:
    """'' for both families, '4' or '6'; None when the query asks for something else."""
    family = ""
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key != "family" or value not in ("4", "6"):
            return None
        family = value
    return family


class FeedApp:
    """Answers /feeds/{flow}.txt|json itself and hands every other request to `fallback`."""

    def __init__(self, state: ServerState, fallback: ASGIApp) -> None:
        self.state = state
        self.fallback = fallback

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/feeds/"):
            await self.fallback(scope, receive, send)
            return
        method = scope["method"]
        if method not in READ_METHODS:
            await _plain(send, 405, "read-only: use GET or HEAD\n", ((b"allow", b"GET, HEAD"),))
            return
        head = method == "HEAD"
        match = FEED_PATH.match(scope["path"])
        family = _family(scope.get("query_string", b""))
        if family is None:
            await _plain(send, 400, "the only query parameter is family=4 or family=6\n", head=head)
            return
        feed = self.state.published.feeds.get(match[1], match[2], family) if match else None
        if feed is None:
            await _plain(send, 404, "unknown feed; see /healthz for the flows served\n", head=head)
            return
        await self._send_feed(scope, send, feed, head)

    async def _send_feed(self, scope: AsgiScope, send: Send, feed: FeedBody, head: bool) -> None:
        self.state.requests_total += 1
        for name, value in scope["headers"]:
            if name == b"if-none-match" and _etag_matches(value, feed.etag):
                self.state.not_modified_total += 1
                await send({"type": "http.response.start", "status": 304,
                            "headers": feed.not_modified_headers})
                await send({"type": "http.response.body", "body": b""})
                return
        if not_modified_since(scope["headers"], self.state.published.feeds.last_modified):
            self.state.not_modified_total += 1
            await send({"type": "http.response.start", "status": 304,
                        "headers": feed.not_modified_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": feed.headers})
        await send({"type": "http.response.body", "body": b"" if head else feed.body})


def healthz_document(state: ServerState) -> dict[str, Any]:
    pub = state.published
    problems = [] if state.refresh.ok else [f"last refresh failed: {state.refresh.message}"]
    if (stale := freshness_finding(pub.data)) is not None:
        problems.append(stale.message)
    return {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "serving": {"instance": pub.data.instance, "version": pub.feeds.version,
                    "label": pub.data.label, "data_date": pub.data.data_date.isoformat(),
                    "age_days": pub.data.age_days(), "stale": pub.data.is_stale(),
                    "loaded_at": pub.loaded_at.isoformat()},
        "last_refresh": state.refresh.to_dict(),
        "flows": list(pub.feeds.flow_ids),
    }


def index_text(state: ServerState) -> str:
    """What `/` answers: every feed URL (both families, then each), and the other paths."""
    pub = state.published
    lines = [f"hybridfw feed server: {pub.data.instance} endpoint data {pub.feeds.version}", "",
             "feeds (?family=4 or ?family=6 for one family):"]
    lines += [f"/feeds/{flow}.{fmt}" for flow in pub.feeds.flow_ids for fmt in ("txt", "json")]
    lines += ["", "/report   HTML readiness report", "/healthz  JSON health", "/metrics  Prometheus"]
    return "\n".join(lines) + "\n"


def build_app(state: ServerState, lifespan: Lifespan | None = None) -> ASGIApp:
    """The whole server. `lifespan` runs the background refresher."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def report(request: Request) -> Response:
        pub = state.published
        headers = {"etag": pub.report_etag.decode(), "cache-control": "no-cache"}
        if _etag_matches(request.headers.get("if-none-match", "").encode(), pub.report_etag):
            return Response(status_code=304, headers=headers)
        return Response(pub.report_html, media_type="text/html; charset=utf-8", headers=headers)

    async def healthz(request: Request) -> Response:
        doc = healthz_document(state)
        status = 503 if state.strict_health and doc["status"] != "ok" else 200
        return Response(json.dumps(doc, indent=2) + "\n", status_code=status,
                        media_type="application/json", headers={"cache-control": "no-store"})

    async def index(request: Request) -> Response:
        return PlainTextResponse(index_text(state), headers={"cache-control": "no-cache"})

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(metrics_text(state), media_type="text/plain; version=0.0.4",
                                 headers={"cache-control": "no-store"})

    routes = [Route(path, fn, methods=list(READ_METHODS))
              for path, fn in (("/", index), ("/report", report), ("/healthz", healthz),
                               ("/metrics", metrics))]
    inner = Starlette(routes=routes, lifespan=lifespan)
    return FeedApp(state, inner)
