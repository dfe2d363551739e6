"""Resolve, connect and talk line by line over asyncio streams, writing a transcript as it goes.

Reads are bounded by the caller's step deadline (see `Recorder.step`), never by a per-read
timeout, so a peer that trickles one byte at a time still ends within the step's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hybridfw.addresses import is_ip_address
from hybridfw.probe.kernel import enable_icmp_errors, has_local_route, read_icmp_error
from hybridfw.probe.recorder import Recorder, StepFailure
from hybridfw.probe.winsock import NetFailure, classify_connect_error, classify_resolve_error

CLOSE_GRACE = 0.25  # seconds a closing peer gets to acknowledge before the socket is aborted
MAX_LINE = 8192  # longer "lines" are not SMTP/HTTP; stop reading instead of buffering forever


class PeerClosed(ConnectionError):
    """The peer closed the connection (EOF) where the protocol expected more."""

    def __init__(self, partial: bytes = b"") -> None:
        super().__init__("connection closed by the peer")
        self.partial = partial


class LineTooLong(ValueError):
    """The peer sent more than MAX_LINE bytes without a line end."""


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if not future.done():
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


async def getaddrinfo_detached(host: str, port: int) -> list[Any]:
    """getaddrinfo in a daemon thread of its own.

    The loop's executor would be joined when the loop shuts down, so a resolver that never
    answers (a black-holed name server with long retries) would keep the process alive long
    after the step's deadline reported it. A daemon thread is abandoned instead.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def resolve() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: the time-out was reported
            loop.call_soon_threadsafe(_settle, future, result, error)

    threading.Thread(target=resolve, name=f"resolve {host}", daemon=True).start()
    return list(await future)


FailureText = Callable[[NetFailure, str], StepFailure]  # (failure, address) -> exception to raise


async def resolve_addresses(rec: Recorder, host: str, port: int, timeout: float,
                            on_failure: FailureText) -> list[str]:
    """The host's addresses (AAAA and A) in resolver order, as one timed step."""
    try:
        async with rec.step("resolve", timeout) as step:
            if is_ip_address(host):
                step.detail = f"{host} (address literal)"
                return [host]
            try:
                infos = await getaddrinfo_detached(host, port)
            except OSError as exc:
                step.detail = str(exc)
                raise on_failure(classify_resolve_error(exc), "") from exc
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
            step.detail = ", ".join(addresses)
            rec.facts["addresses"] = addresses
            return addresses
    except TimeoutError as exc:
        raise on_failure(classify_resolve_error(exc), "") from exc


class ConnectError(OSError):
    """A failed connect, with what the kernel saw (reset, ICMP error, local failure) classified."""

    def __init__(self, exc: OSError, failure: NetFailure) -> None:
        super().__init__(exc.errno, exc.strerror)
        self.failure = failure


async def open_observed(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect with the kernel's ICMP error queue switched on, so a failure says what came back."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        enable_icmp_errors(sock)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
        except OSError as exc:
            failure = classify_connect_error(exc, read_icmp_error(sock), local_route=has_local_route(address),
                                             kernel_checked=sys.platform == "linux")
            raise ConnectError(exc, failure) from exc
        return await asyncio.open_connection(sock=sock, limit=MAX_LINE)
    except BaseException:
        sock.close()
        raise


def _classified(exc: BaseException) -> NetFailure:
    return exc.failure if isinstance(exc, ConnectError) else classify_connect_error(exc)


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: str


async def connect_first(rec: Recorder, addresses: list[str], port: int, timeout: float,
                        on_failure: FailureText) -> Connection:
    """Connect to the first address that answers; each attempt is a timed step."""
    first: tuple[NetFailure, str, BaseException] | None = None
    for address in addresses:
        try:
            async with rec.step(f"connect {address}", timeout) as step:
                try:
                    reader, writer = await open_observed(address, port)
                except OSError as exc:
                    step.detail = _classified(exc).description
                    raise
                step.detail = f"TCP {port} open"
        except (OSError, TimeoutError) as exc:
            failure = _classified(exc)
            rec.line("*", f"connect {address}:{port} failed: {failure.description}"
                          + (f" (kernel saw: {failure.seen})" if failure.seen else ""))
            first = first or (failure, address, exc)
            continue
        rec.address, rec.port = address, port
        rec.line("*", f"connected to {address}:{port}")
        if first is not None:
            _earlier_address_failed(rec, first[0], first[1], address)
        return Connection(reader, writer, address)
    assert first is not None, "connect_first needs at least one address"
    rec.address, rec.port = first[1], port  # the address that failed, for the result and its JSON
    raise on_failure(first[0], first[1]) from first[2]


def _earlier_address_failed(rec: Recorder, failure: NetFailure, failed: str, used: str) -> None:
    """A host with several addresses where one fails: senders that pick it will defer mail."""
    from hybridfw.model import Severity

    rec.finding(Severity.WARNING, f"probe.{rec.kind}.address-failed",
                f"address {failed} failed ({failure.description}, Winsock {failure.winsock}); "
                f"{used} answered",
                fix="Remove the DNS record for the dead address or open the path to it: senders try "
                    "the addresses in turn and some give up or defer on the first.")


class Channel:
    """A line-oriented conversation that records every line it sends and receives."""

    def __init__(self, conn: Connection, rec: Recorder | None) -> None:
        self.conn = conn
        self.rec = rec

    async def read_line(self) -> str:
        try:
            raw = await self.conn.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial and self.rec:
                self.rec.line("S", exc.partial.decode("utf-8", "replace").rstrip("\r\n"))
            raise PeerClosed(exc.partial) from None
        except asyncio.LimitOverrunError:
            raise LineTooLong(f"more than {MAX_LINE} bytes without a line end") from None
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        if self.rec:
            self.rec.line("S", text)
        return text

    async def read_upto(self, limit: int) -> bytes:
        """Up to `limit` bytes, until the peer closes (an HTTP body after `Connection: close`)."""
        data = b""
        while len(data) < limit:
            chunk = await self.conn.reader.read(limit - len(data))
            if not chunk:
                break
            data += chunk
        return data

    async def send_line(self, text: str) -> None:
        if self.rec:
            self.rec.line("C", text)
        self.conn.writer.write(text.encode("utf-8") + b"\r\n")
        await self.conn.writer.drain()

    async def send_lines(self, lines: list[str]) -> None:
        """Several lines in one write (a message body), each still shown in the transcript."""
        if self.rec:
            for text in lines:
                self.rec.line("C", text)
        self.conn.writer.write(b"".join(text.encode("utf-8") + b"\r\n" for text in lines))
        await self.conn.writer.drain()

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str | None) -> None:
        await self.conn.writer.start_tls(context, server_hostname=server_hostname)

    def ssl_object(self) -> ssl.SSLObject | None:
        obj = self.conn.writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    async def close(self) -> None:
        """Close without waiting long: a peer that never acknowledges must not stall the probe."""
        writer = self.conn.writer
        writer.close()
        try:
            async with asyncio.timeout(CLOSE_GRACE):
                await writer.wait_closed()
        except (OSError, TimeoutError, ssl.SSLError):
            writer.transport.abort()  # e.g. TLS close_notify never answered
