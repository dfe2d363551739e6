"""What a port speaks when it does not speak TLS: plain HTTP, or a server that greets first (SMTP).

Used after a TLS handshake fails on a port that should be HTTPS: a plain-HTTP listener or an
SMTP port behind the published name is "not TLS", a different fault from a TLS server whose
versions or cipher suites do not match.
"""

from __future__ import annotations

import asyncio
import re

GREETING_WAIT = 0.5  # seconds a greeting server (SMTP) gets to speak first
_GREETING = re.compile(r"^\d{3}[ -]")


async def _first_bytes(address: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(address, port)
    try:
        try:
            async with asyncio.timeout(GREETING_WAIT):
                first = await reader.read(256)
        except TimeoutError:
            first = b""
        if not first:
            writer.write(b"HEAD / HTTP/1.0\r\n\r\n")
            await writer.drain()
            first = await reader.read(256)
        return first
    finally:
        writer.transport.abort()


async def plaintext_protocol(address: str, port: int, timeout: float) -> str:
    """'plain HTTP (<status line>)', 'a plain-text greeting, e.g. SMTP (<line>)', or '' (unknown)."""
    try:
        async with asyncio.timeout(min(timeout, 3.0)):
            first = await _first_bytes(address, port)
    except (OSError, TimeoutError):
        return ""
    lines = first.decode("latin-1").splitlines()
    line = lines[0][:80] if lines else ""
    if line.startswith("HTTP/"):
        return f"plain HTTP ({line})"
    if _GREETING.match(line):
        return f"a plain-text greeting, e.g. SMTP ({line})"
    return ""
