"""Start the feed server: load the topology and data, then run uvicorn with the refresher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from hybridfw.serve.app import ASGIApp, build_app
from hybridfw.serve.refresh import Refresher, RefreshSettings
from hybridfw.serve.state import ServerState, publish_data

log = logging.getLogger(__name__)

# Bounded memory under load: cap concurrent connections; requests carry no body we read.
LIMIT_CONCURRENCY = 2048
BACKLOG = 2048


def prepare(topology_path: Path, home: Path, settings: RefreshSettings,
            drops: tuple[Path, ...] = ()) -> tuple[ServerState, ASGIApp]:
    """Load everything the server needs up front, so bad input fails before binding a port."""
    from hybridfw.endpoints import load_current
    from hybridfw.topology import load_topology

    topology = load_topology(topology_path)
    data = load_current(topology.instance, home)
    state = ServerState(topology_path, home, publish_data(topology_path, topology, data, home, drops),
                        drops)
    refresher = Refresher(state, topology, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(refresher.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return state, build_app(state, lifespan)


def bind(host: str, port: int) -> socket.socket:
    """Bind before starting uvicorn, so port 0 works and the real port can be printed."""
    from hybridfw.errors import InputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise InputError(f"cannot listen on {shown}: {exc.strerror or exc}",
                         field="--host/--port") from None
    sock.set_inheritable(True)
    return sock


def make_server(app: ASGIApp) -> Any:
    import uvicorn

    config = uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="on", access_log=False,
                            log_level="warning", limit_concurrency=LIMIT_CONCURRENCY,
                            backlog=BACKLOG, timeout_keep_alive=15, server_header=False)
    return uvicorn.Server(config)


def _stop(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def serve_forever(app: ASGIApp, sock: socket.socket) -> None:
    """Run until SIGINT or SIGTERM; uvicorn shuts down gracefully, then re-raises the signal,
    which ends here as a clean exit (0) rather than an 'interrupted' one."""
    import signal

    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(KeyboardInterrupt):
        make_server(app).run(sockets=[sock])
