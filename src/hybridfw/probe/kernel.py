"""What this machine's kernel saw when a connect failed: a TCP reset, an ICMP error (type, code
and the router or firewall that sent it), silence, or a failure on this machine itself.

Linux reports an ICMP error on a TCP connect only as an errno (port unreachable looks exactly
like a reset: ECONNREFUSED). With IP_RECVERR / IPV6_RECVERR set before the connect, the kernel
also queues the ICMP message itself on the socket's error queue; reading it tells a firewall's
ICMP reject apart from a host's reset, and names who sent it. Elsewhere (or if the kernel
queues nothing) the errno alone is used.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from dataclasses import dataclass

IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
MSG_ERRQUEUE = getattr(socket, "MSG_ERRQUEUE", 0x2000)
_ORIGIN_ICMP, _ORIGIN_ICMP6 = 2, 3
_EXTENDED_ERR = struct.Struct("=IBBBBII")  # struct sock_extended_err

# ICMP destination unreachable (type 3) and ICMPv6 destination unreachable (type 1) codes.
ICMP_UNREACH = {0: "net unreachable", 1: "host unreachable", 2: "protocol unreachable",
                3: "port unreachable", 9: "network administratively prohibited",
                10: "host administratively prohibited", 13: "communication administratively prohibited"}
ICMP6_UNREACH = {0: "no route to destination", 1: "communication administratively prohibited",
                 3: "address unreachable", 4: "port unreachable", 5: "source address failed policy",
                 6: "reject route to destination"}


@dataclass(frozen=True)
class IcmpError:
    version: int  # 4 or 6
    type: int
    code: int
    sender: str

    @property
    def name(self) -> str:
        unreachable = (self.version, self.type) in ((4, 3), (6, 1))
        table = ICMP_UNREACH if self.version == 4 else ICMP6_UNREACH
        return table.get(self.code, f"code {self.code}") if unreachable else f"type {self.type}"

    @property
    def port_unreachable(self) -> bool:
        return self.name == "port unreachable"

    @property
    def net_level(self) -> bool:
        """The error names the network, not the host (net unreachable / prohibited, no route)."""
        return self.name in ("net unreachable", "network administratively prohibited",
                             "no route to destination", "reject route to destination")

    def render(self) -> str:
        v6 = "v6" if self.version == 6 else ""
        return f"ICMP{v6} type {self.type} code {self.code} ({self.name}) from {self.sender}"

    def to_dict(self) -> dict[str, object]:
        return {"version": self.version, "type": self.type, "code": self.code, "name": self.name,
                "sender": self.sender}


def enable_icmp_errors(sock: socket.socket) -> None:
    level, option = ((socket.IPPROTO_IPV6, IPV6_RECVERR) if sock.family == socket.AF_INET6
                     else (socket.IPPROTO_IP, IP_RECVERR))
    with contextlib.suppress(OSError):
        sock.setsockopt(level, option, 1)


def _sender(raw: bytes, version: int) -> str:
    with contextlib.suppress(struct.error, OSError, ValueError):
        family = struct.unpack_from("=H", raw)[0]
        if version == 4 and family == socket.AF_INET:
            return socket.inet_ntop(socket.AF_INET, raw[4:8])
        if family == socket.AF_INET6:
            return socket.inet_ntop(socket.AF_INET6, raw[8:24])
    return "?"


def read_icmp_error(sock: socket.socket) -> IcmpError | None:
    """The ICMP error the kernel queued for this socket's failed connect, if any."""
    try:
        _, ancillary, _, _ = sock.recvmsg(0, 1024, MSG_ERRQUEUE)
    except (OSError, ValueError):
        return None  # nothing queued (a reset, silence) or no error queue here
    for _level, _kind, data in ancillary:
        if len(data) < _EXTENDED_ERR.size:
            continue
        _errno, origin, icmp_type, code, _pad, _info, _data = _EXTENDED_ERR.unpack_from(data)
        if origin in (_ORIGIN_ICMP, _ORIGIN_ICMP6):
            version = 4 if origin == _ORIGIN_ICMP else 6
            return IcmpError(version, icmp_type, code, _sender(data[_EXTENDED_ERR.size:], version))
    return None


def has_local_route(address: str) -> bool:
    """Whether this machine has a route and a source address for `address` (no packet is sent)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 9))
        except OSError:
            return False
    return True
