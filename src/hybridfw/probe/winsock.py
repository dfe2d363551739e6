"""Classify a failed connect or look-up the way Windows (and so Exchange) reports it.

Exchange prints Windows Sockets error codes ("Socket error code 10061", "Winsock error code:
10060"); Python gives POSIX errnos and resolver codes. The table maps one to the other so a
probe run from Linux shows the same number the admin sees in the Exchange Online message trace.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class NetFailure:
    """A connect or resolve failure: what happened, and the Winsock code Exchange would print."""

    kind: str  # refused | timed-out | net-unreachable | host-unreachable | reset | not-found | ...
    winsock: int
    winsock_name: str
    description: str
    os_detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "winsock": self.winsock, "winsock_name": self.winsock_name,
                "description": self.description, "os_detail": self.os_detail}


# errno -> (kind, Winsock code, Winsock name, description)
_BY_ERRNO: dict[int, tuple[str, int, str, str]] = {
    errno.ECONNREFUSED: ("refused", 10061, "WSAECONNREFUSED",
                         "connection refused: nothing listens on the port, or a firewall sends a reset"),
    errno.ETIMEDOUT: ("timed-out", 10060, "WSAETIMEDOUT",
                      "connection timed out: no answer, packets are dropped or the host is down"),
    errno.ENETUNREACH: ("net-unreachable", 10051, "WSAENETUNREACH",
                        "network unreachable: no route to the destination network"),
    errno.EHOSTUNREACH: ("host-unreachable", 10065, "WSAEHOSTUNREACH",
                         "host unreachable: a router or firewall says the host cannot be reached"),
    errno.ECONNRESET: ("reset", 10054, "WSAECONNRESET",
                       "connection reset by the peer or a device in the path"),
    errno.ECONNABORTED: ("aborted", 10053, "WSAECONNABORTED", "connection aborted"),
    errno.EADDRNOTAVAIL: ("address-unavailable", 10049, "WSAEADDRNOTAVAIL",
                          "the address is not valid in this context"),
}

TIMED_OUT = NetFailure("timed-out", 10060, "WSAETIMEDOUT",
                       "connection timed out: no answer, packets are dropped or the host is down")
NOT_FOUND = NetFailure("not-found", 11001, "WSAHOST_NOT_FOUND", "host name not found in DNS")
TRY_AGAIN = NetFailure("try-again", 11002, "WSATRY_AGAIN",
                       "temporary DNS failure: no authoritative answer")
NO_DATA = NetFailure("no-data", 11004, "WSANO_DATA", "the name exists but has no A/AAAA record")

_BY_GAI: dict[int, NetFailure] = {
    socket.EAI_NONAME: NOT_FOUND,
    socket.EAI_AGAIN: TRY_AGAIN,
    socket.EAI_FAIL: NOT_FOUND,
}
if hasattr(socket, "EAI_NODATA"):
    _BY_GAI[socket.EAI_NODATA] = NO_DATA


def classify_connect_error(exc: BaseException) -> NetFailure:
    """Map an exception from connect()/read() to its Winsock equivalent."""
    if isinstance(exc, TimeoutError) and not exc.errno:
        return TIMED_OUT
    if isinstance(exc, OSError) and exc.errno in _BY_ERRNO:
        kind, code, name, text = _BY_ERRNO[exc.errno]
        return NetFailure(kind, code, name, text, str(exc))
    if isinstance(exc, OSError) and exc.errno:
        # No reliable Winsock twin: Linux errnos do not line up with the WSA numbers.
        return NetFailure("socket-error", 0, "",
                          f"socket error {errno.errorcode.get(exc.errno, exc.errno)}", str(exc))
    return NetFailure("socket-error", 0, "", type(exc).__name__, str(exc))


def classify_resolve_error(exc: BaseException) -> NetFailure:
    """Map a getaddrinfo failure (or a resolve timeout) to its Winsock equivalent."""
    if isinstance(exc, TimeoutError):
        return TRY_AGAIN
    if isinstance(exc, socket.gaierror) and exc.errno in _BY_GAI:
        found = _BY_GAI[exc.errno]
        return NetFailure(found.kind, found.winsock, found.winsock_name, found.description, str(exc))
    return NetFailure("not-found", 11001, "WSAHOST_NOT_FOUND", NOT_FOUND.description, str(exc))
