"""Loopback peers for the feed-server tests: a fake endpoints service, a notification receiver,
and the feed server itself running in a thread. Everything binds 127.0.0.1 on an ephemeral port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO / "examples" / "hybrid.toml"
M365 = REPO / "tests" / "data" / "endpoints"  # copies of the public answers in shared/data/m365


@dataclass
class Upstream:
    """Plays endpoints.office.com: /version/{instance} and /endpoints/{instance}. Tests change
    `latest`, `answer` and `status` while it runs."""

    latest: str = "2026112900"
    answer: bytes = b"[]"
    status: int = 200
    requests: list[str] = field(default_factory=list)
    url: str = ""


@dataclass
class Receiver:
    """Records the JSON bodies POSTed to it; answers `status`."""

    status: int = 200
    posts: list[Any] = field(default_factory=list)
    url: str = ""


def _quiet(handler: type[BaseHTTPRequestHandler]) -> type[BaseHTTPRequestHandler]:
    handler.log_message = lambda self, *args: None  # type: ignore[method-assign]
    return handler


@contextmanager
def _http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _quiet(handler))
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)  # quick shutdown
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@contextmanager
def running_upstream(upstream: Upstream) -> Iterator[Upstream]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            upstream.requests.append(path)
            if upstream.status != 200:
                _reply(self, upstream.status, b'{"error": "unavailable"}')
            elif path.startswith("/version/"):
                doc = {"instance": path.rsplit("/", 1)[1], "latest": upstream.latest}
                _reply(self, 200, json.dumps(doc).encode())
            elif path.startswith("/endpoints/"):
                _reply(self, 200, upstream.answer)
            else:
                _reply(self, 404, b"{}")

    with _http_server(Handler) as url:
        upstream.url = url
        yield upstream


@contextmanager
def running_receiver(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.posts.append(json.loads(body))
            _reply(self, receiver.status, b"{}")

    with _http_server(Handler) as url:
        receiver.url = url + "/hook"
        yield receiver


@dataclass
class FeedServer:
    url: str
    state: Any
    client: httpx.Client


@contextmanager
def running_feed_server(home: Path, *, interval: float | None = None, notify_url: str | None = None,
                        service_url: str | None = None) -> Iterator[FeedServer]:
    """The real app under uvicorn (uvloop + httptools) in a thread, on 127.0.0.1:<ephemeral>."""
    from hybridfw.endpoints.client import ClientSettings
    from hybridfw.serve.refresh import RefreshSettings
    from hybridfw.serve.server import bind, make_server, prepare

    settings = RefreshSettings(interval, notify_url, service_url, notify_timeout=5.0,
                               client_settings=ClientSettings(connect_timeout=2, read_timeout=5,
                                                              attempts=1, backoff=0.01))
    state, app = prepare(TOPOLOGY, home, settings)
    sock = bind("127.0.0.1", 0)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with httpx.Client(base_url=url, timeout=10) as client:
        wait_for(lambda: server.started, "server start")
        try:
            yield FeedServer(url, state, client)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
