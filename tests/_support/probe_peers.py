"""Real peers on loopback for the probe tests: aiosmtpd with STARTTLS, scripted misbehaving SMTP
servers, certificates from trustme/cryptography. All servers bind 127.0.0.1 on port 0.
(Fixtures are in conftest.py; this module holds the helpers they and the tests share.)"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import logging
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP

from _support.cli_runner import PeerStderrHandler, peer_stderr

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RecordingHandler:
    """aiosmtpd handler: accepts mail, rejects recipients starting with 'nobody', defers 'greylist'."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.startswith("nobody"):
            return "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found"
        if address.startswith("greylist"):
            return "450 4.2.0 <greylist@contoso.test>: Recipient address rejected: Greylisted"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 2.6.0 Queued mail for delivery"


def _to_peer_stderr(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    detail = context.get("exception") or context.get("task") or ""
    peer_stderr().write(f"peer event loop: {context.get('message')} {detail}\n")


class Peers:
    """An event loop in a thread that hosts every server a test starts."""

    def __init__(self) -> None:
        # aiosmtpd logs each session that ends in an error (a client refusing TLS, as probes do
        # on purpose): to the test's stderr, never through the root logger into the output of a
        # command run in this process (tests/_support/cli_runner.py).
        peer_log = logging.getLogger("mail.log")
        if peer_log.propagate:
            peer_log.propagate = False
            peer_log.addHandler(PeerStderrHandler())
        self.loop = asyncio.new_event_loop()
        # A session task still pending when the loop stops is logged when it is collected, maybe
        # during a later test's run_here(): the loop's errors go to the test's stderr too.
        self.loop.set_exception_handler(_to_peer_stderr)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers: list[asyncio.Server] = []

    def _serve(self, factory: Callable[[], Coroutine[Any, Any, asyncio.Server]]) -> int:
        server = asyncio.run_coroutine_threadsafe(factory(), self.loop).result(10)
        self.servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    def smtp(self, tls: ssl.SSLContext | None, handler: RecordingHandler | None = None,
             port: int = 0, host: str = "127.0.0.1") -> int:
        handler = handler or RecordingHandler()

        def protocol() -> SMTP:
            return SMTP(handler, hostname="mail.contoso.test", tls_context=tls, loop=self.loop)

        async def start() -> asyncio.Server:
            return await self.loop.create_server(protocol, host, port)

        return self._serve(start)

    def script(self, script: Script) -> int:
        async def start() -> asyncio.Server:
            return await asyncio.start_server(script, "127.0.0.1", 0)

        return self._serve(start)

    def close(self) -> None:
        async def stop() -> None:
            for server in self.servers:
                server.close()
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:  # scripted peers still sleeping: end them before the loop stops
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def server_context(cert: trustme.LeafCert, *, minimum: ssl.TLSVersion | None = None,
                   maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    import warnings

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def self_signed_context(name: str, tmp: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = tmp / "self.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pem))
    return context


_HELD: list[socket.socket] = []
atexit.register(lambda: [sock.close() for sock in _HELD])


def closed_port() -> int:
    """A loopback port with nothing listening: a socket bound to it but never listening, kept open
    until the process ends. A connection is refused, and no other program (another test run) can
    bind the port meanwhile, which a port closed again after choosing it would allow."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])


Route = tuple[int, list[tuple[str, str]]] | str  # (status, headers) or "stall"
EXCHANGE_401: Route = (401, [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "NTLM")])


class HttpsPeers:
    """Starts HttpsPeer servers for one test and closes them afterwards."""

    def __init__(self, default_context: Callable[[], ssl.SSLContext]) -> None:
        self.default_context = default_context
        self.started: list[HttpsPeer] = []

    def start(self, routes: dict[str, Route], context: ssl.SSLContext | None = None) -> int:
        peer = HttpsPeer(context or self.default_context(), routes)
        self.started.append(peer)
        return peer.port

    def close(self) -> None:
        for peer in self.started:
            peer.close()


class HttpsPeer:
    """A real HTTPS server (http.server + ssl) on 127.0.0.1 answering per path."""

    def __init__(self, context: ssl.SSLContext, routes: dict[str, Route]) -> None:
        import http.server

        routes_by_path = {k.lower(): v for k, v in routes.items()}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                route = routes_by_path.get(self.path.lower(), (404, []))
                if isinstance(route, str):  # "stall": answer nothing for longer than any timeout here
                    time.sleep(3)
                    return
                status, headers = route
                body = b"<html>answer</html>"
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A failed handshake (probes refuse weak TLS on purpose): on the test's stderr,
                # not in the output of a command run in this process.
                traceback.print_exc(file=peer_stderr())

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ZoneResolver:
    """dnslib resolver answering from zone-file records; NXDOMAIN for names it does not know."""

    def __init__(self, zone_text: str) -> None:
        from dnslib import RR

        self.records = RR.fromZone(zone_text)
        self.names = {str(rr.rname).lower() for rr in self.records}

    def resolve(self, request: Any, handler: Any) -> Any:
        from dnslib import QTYPE, RCODE

        reply = request.reply()
        qname, qtype = str(request.q.qname).lower(), request.q.qtype
        for rr in self.records:
            if str(rr.rname).lower() == qname and (rr.rtype == qtype or qtype == QTYPE.ANY):
                reply.add_answer(rr)
        if not reply.rr and qname not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class DnsPeer:
    """A real DNS server (dnslib, UDP) on 127.0.0.1 serving a zone file."""

    def __init__(self, zone_text: str) -> None:
        from dnslib.server import DNSLogger, DNSServer

        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        self.server = DNSServer(ZoneResolver(zone_text), address="127.0.0.1", port=0, logger=quiet)
        self.port = int(self.server.server.server_address[1])
        # Its own thread polling every 10 ms (dnslib's start_thread polls every 0.5 s, which
        # close() then waits for).
        self.thread = threading.Thread(target=self.server.server.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.server.shutdown()
        self.server.server.server_close()
