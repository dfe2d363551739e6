"""A real HTTP server on 127.0.0.1 (ephemeral port) that plays endpoints.office.com.

Each path maps to a queue of canned replies; the last reply repeats. Every request is recorded
(path and query) so tests can check what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parent.parent / "data" / "endpoints"


def answer_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering

    @classmethod
    def json(cls, doc: object, status: int = 200) -> Reply:
        return cls(status, json.dumps(doc).encode(), {"Content-Type": "application/json"})


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]


class FakeService:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                reply = service._next(parts.path, parse_qs(parts.query))
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # Polled every 10 ms, so shutdown() at the end of each test returns at once (the default
        # 0.5 s poll added half a second to every test using the service).
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    def _next(self, path: str, query: dict[str, list[str]]) -> Reply:
        with self._lock:
            self.seen.append(Seen(path, query))
            queue = self.routes.get(path)
            if not queue:
                return Reply(404, b"not found")
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def on(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def version(self, latest: str, instance: str = "Worldwide") -> None:
        self.on(f"/version/{instance}", Reply.json({"instance": instance, "latest": latest}))

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def start(self) -> FakeService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def running_service() -> Iterator[FakeService]:
    service = FakeService().start()
    try:
        yield service
    finally:
        service.stop()
