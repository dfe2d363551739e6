"""Intervals to text: minimal CIDR blocks, with IPv4 and IPv6 addresses printed without
building ipaddress objects (the hot path of to_cidrs)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from hybridfw.addresses.intervals import Interval, interval_to_cidrs

try:  # the optional compiled build's C formatter (hatch_build.py); the pure code is the reference
    from hybridfw.addresses import _cidrtext
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _cidrtext = None  # type: ignore[assignment]

# Octet text by value: benchmarks/address_sets.py "to minimal CIDR text", v4 half about 40 % faster.
_OCTET_TEXT = tuple(str(octet) for octet in range(256))


def _format_v4(value: int) -> str:
    o = _OCTET_TEXT
    return f"{o[value >> 24]}.{o[(value >> 16) & 255]}.{o[(value >> 8) & 255]}.{o[value & 255]}"


def _format_v6(value: int) -> str:
    """RFC 5952 text, the same as str(IPv6Address) but without building the object (hot path
    of to_cidrs). IPv4-mapped addresses go through ipaddress: its spelling of them differs
    between Python versions, and we must say what it says."""
    if value >> 80:
        # The first 48 bits are not all zero, so no C library takes it for an embedded IPv4
        # address; inet_ntop then prints RFC 5952 text (the property tests hold it to that).
        return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
    if value >> 32 == 0xFFFF:
        return str(ipaddress.IPv6Address(value))
    hextets = [f"{(value >> shift) & 0xFFFF:x}" for shift in range(112, -16, -16)]
    best_start, best_len, start = -1, 0, -1
    for i, h in enumerate([*hextets, "end"]):
        if h == "0":
            if start < 0:
                start = i
        elif start >= 0:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = -1
    if best_len < 2:  # a lone zero hextet is never compressed
        return ":".join(hextets)
    head = ":".join(hextets[:best_start])
    tail = ":".join(hextets[best_start + best_len:])
    return f"{head}::{tail}"


def cidr_text(v4: tuple[Interval, ...] | None, v6: tuple[Interval, ...] | None) -> list[str]:
    """The minimal CIDR text of the canonical intervals `v4` then `v6` (None: that family left out)."""
    out: list[str] = []
    if _cidrtext is not None:
        # The compiled formatter: benchmarks/address_sets.py "to minimal CIDR text" 3.2x -> see
        # docs/development.md (it equals the pure path: tests/addresses/test_addresses_native.py).
        if v4 is not None:
            _cidrtext.extend(out, v4, 32, _format_v6)
        if v6 is not None:
            _cidrtext.extend(out, v6, 128, _format_v6)
        return out
    if v4 is not None:
        _append_cidr_text(out, v4, 32, _format_v4)
    if v6 is not None:
        _append_cidr_text(out, v6, 128, _format_v6)
    return out


def _append_cidr_text(
    out: list[str], intervals: tuple[Interval, ...], bits: int, fmt: Callable[[int], str]
) -> None:
    """Append the minimal CIDR text of `intervals` to `out` (the pure path)."""
    append = out.append
    for lo, hi in intervals:
        # Most intervals are one aligned block: printed without the general splitter.
        # benchmarks/address_sets.py "to minimal CIDR text": 2.1x -> 2.3x (no generator).
        size = hi - lo + 1
        if not size & (size - 1) and not lo & (size - 1):
            append(f"{fmt(lo)}/{bits + 1 - size.bit_length()}")
            continue
        for net, plen in interval_to_cidrs(lo, hi, bits):
            append(f"{fmt(net)}/{plen}")
