"""Classify a failed connect or look-up the way Windows (and so Exchange) reports it.

Exchange prints Windows Sockets error codes ("Socket error code 10061", "Winsock error code:
10060"); Python gives POSIX errnos and resolver codes. The table maps one to the other so a
probe run from Linux shows the same number the admin sees in the Exchange Online message trace.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from hybridfw.probe.kernel import IcmpError


@dataclass(frozen=True)
class NetFailure:
    """A connect or resolve failure: what happened, and the Winsock code Exchange would print."""

    kind: str  # refused | timed-out | net-unreachable | host-unreachable | reset | not-found | ...
    winsock: int
    winsock_name: str
    description: str
    os_detail: str = ""
    seen: str = ""  # what this machine's kernel saw: a reset, an ICMP error, silence, a local failure
    likely: bool = False  # the Winsock code is what Exchange Online would likely show, not a certainty
    icmp: IcmpError | None = None

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "winsock": self.winsock, "winsock_name": self.winsock_name,
                "description": self.description, "os_detail": self.os_detail, "seen": self.seen,
                "likely": self.likely, "icmp": self.icmp.to_dict() if self.icmp else None}


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
                       "connection timed out: no answer, packets are dropped or the host is down",
                       seen="silence: no answer to the TCP SYN until the time-out")
_LOCAL_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ENETDOWN})
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


def failure_evidence(failure: NetFailure) -> tuple[str, ...]:
    """Evidence lines: what the kernel saw, then the Winsock code (marked likely where it is)."""
    lines = [f"this machine saw: {failure.seen}"] if failure.seen else []
    if failure.winsock:
        likely = " (likely: Windows' code for this ICMP error)" if failure.likely else ""
        lines.append(f"{failure.winsock_name} {failure.winsock}{likely}: {failure.os_detail}")
    elif failure.os_detail:
        lines.append(failure.os_detail)
    return tuple(lines)


def _icmp_rejected(exc: OSError, icmp: IcmpError) -> NetFailure:
    """An ICMP reject: Windows' Winsock code for it is the likely one, not a certainty."""
    if icmp.port_unreachable:
        code, name = 10061, "WSAECONNREFUSED"
    elif icmp.net_level:
        code, name = 10051, "WSAENETUNREACH"
    else:
        code, name = 10065, "WSAEHOSTUNREACH"
    return NetFailure("icmp-rejected", code, name,
                      f"a firewall or router rejected the connection: {icmp.render()}", str(exc),
                      seen=icmp.render(), likely=True, icmp=icmp)


def classify_connect_error(exc: BaseException, icmp: IcmpError | None = None,
                           kernel_checked: bool = False, local_route: bool = True) -> NetFailure:
    """Map an exception from connect()/read() to what the kernel saw and its Winsock equivalent.

    `kernel_checked`: the ICMP error queue was read (Linux), so ECONNREFUSED without an ICMP
    error is a TCP reset. `local_route`: whether this machine has a route to the address; an
    unreachable errno with no ICMP and no route is a failure on this machine, not on the path.
    """
    if isinstance(exc, TimeoutError) and not exc.errno:
        return TIMED_OUT
    if not isinstance(exc, OSError) or not exc.errno:
        return NetFailure("socket-error", 0, "", type(exc).__name__, str(exc))
    if icmp is not None:
        return _icmp_rejected(exc, icmp)
    if exc.errno in _LOCAL_ERRNOS and kernel_checked:
        where = ("no route or no source address for it here" if not local_route
                 else "the next hop on this machine's network did not answer (ARP/ND)")
        return NetFailure("local", 0, "", f"this probing machine cannot send to the address: {where}",
                          str(exc), seen=f"local failure, no packet answered: {exc.strerror}")
    if exc.errno in _BY_ERRNO:
        kind, code, name, text = _BY_ERRNO[exc.errno]
        seen = "TCP reset (RST)" if exc.errno == errno.ECONNREFUSED and kernel_checked else ""
        if seen:
            text = "connection refused: the host or a firewall answered with a TCP reset"
        return NetFailure(kind, code, name, text, str(exc), seen=seen)
    # No reliable Winsock twin: Linux errnos do not line up with the WSA numbers.
    return NetFailure("socket-error", 0, "", f"socket error {errno.errorcode.get(exc.errno, exc.errno)}",
                      str(exc))


def classify_resolve_error(exc: BaseException) -> NetFailure:
    """Map a getaddrinfo failure (or a resolve timeout) to its Winsock equivalent."""
    if isinstance(exc, TimeoutError):
        return TRY_AGAIN
    if isinstance(exc, socket.gaierror) and exc.errno in _BY_GAI:
        found = _BY_GAI[exc.errno]
        return NetFailure(found.kind, found.winsock, found.winsock_name, found.description, str(exc))
    return NetFailure("not-found", 11001, "WSAHOST_NOT_FOUND", NOT_FOUND.description, str(exc))
