"""Address text to intervals: one address, network or range, and the tight loop for plain
`address[/prefix]` lists that most inputs are."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable

from hybridfw.addresses.intervals import BITS, Family, Interval


class AddressError(ValueError):
    """An address, network or range that cannot be parsed. The message names the bad text."""


def _dotted_quad(text: str, decimal_zeros: bool = False) -> int | None:
    """IPv4 text to int; None if not that. Leading zeros are refused (as ipaddress does) unless
    `decimal_zeros`, which reads them as decimal (as iptables does)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
            return None
        if part[0] == "0" and len(part) > 1 and not decimal_zeros:
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = (value << 8) | octet
    return value


_LEADING_ZERO = re.compile(r"(?:^|\.)0[0-9]")


def _pton_takes_zeros() -> bool:
    """Whether this platform's inet_pton accepts "01.2.3.4" (glibc and BSD refuse it)."""
    try:
        socket.inet_pton(socket.AF_INET, "01.2.3.4")
    except OSError:
        return False
    return True


_PTON_TAKES_ZEROS = _pton_takes_zeros()


def parse_prefix(text: str, *, decimal_zeros: bool = False) -> tuple[Family, int, int] | None:
    """One address or network (`a.b.c.d[/n]`, `x:y::z[/n]`) as (family, first address, prefix
    length), host bits masked off, without building ipaddress objects: the hot path of big
    rulesets. None for anything else (ranges, lists, zone ids, embedded IPv4, bad text); callers
    then take the general way, which decides and words the error, so the accepted language stays
    ipaddress's. `decimal_zeros`: see `_dotted_quad`.
    """
    addr, slash, plen_text = text.partition("/")
    # At most 3 digits: int() of a 5000-digit string raises ValueError, not AddressError.
    if slash and not (plen_text.isascii() and plen_text.isdigit() and len(plen_text) <= 3):
        return None
    value: int | None
    if ":" in addr:
        if "%" in addr or "." in addr:  # zone ids, embedded IPv4: leave to ipaddress
            return None
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET6, addr), "big")
        except (OSError, ValueError):  # ValueError: a NUL in the text
            return None
        fam: Family = 6
    else:
        try:  # C speed for the common case
            value = int.from_bytes(socket.inet_pton(socket.AF_INET, addr), "big")
        except (OSError, ValueError):
            value = None
        # Platforms differ on leading zeros: those (and anything inet_pton refused) are decided
        # here, the same everywhere.
        if value is None or (_PTON_TAKES_ZEROS and _LEADING_ZERO.search(addr)):
            value = _dotted_quad(addr, decimal_zeros)
            if value is None:
                return None
        fam = 4
    bits = BITS[fam]
    plen = int(plen_text) if slash else bits
    if plen > bits:
        return None
    return fam, value & ~((1 << (bits - plen)) - 1), plen


def prefix_interval(family: Family, first: int, plen: int) -> Interval:
    """The addresses of the network `first`/`plen` as an interval."""
    return first, first | ((1 << (BITS[family] - plen)) - 1)


# Host mask per prefix-length text, so the hot loop of `parse` checks and
# converts a prefix length with one dict lookup; any other spelling ("024", " 24") misses and
# takes the general way. benchmarks/address_sets.py "build": about 3.3x -> 7x with _parse_fast.
_HOSTMASK_BY_TEXT = {
    fam: {str(plen): (1 << (bits - plen)) - 1 for plen in range(bits + 1)}
    for fam, bits in BITS.items()
}


def _parse_fast(
    items: Iterable[str], v4: list[Interval], v6: list[Interval]
) -> list[str]:
    """The common case of `parse` in one tight loop: plain `address[/prefix]` text, the same
    language as `parse_prefix` minus its leading-zero and odd-prefix cases. Appends intervals to
    `v4`/`v6` and returns the items it did not take, for `_parse_one` to decide (it must agree
    on everything taken here: tests/addresses/test_addresses_fast_parse.py)."""
    rest: list[str] = []
    masks4, masks6 = _HOSTMASK_BY_TEXT[4], _HOSTMASK_BY_TEXT[6]
    pton, from_bytes = socket.inet_pton, int.from_bytes
    af4, af6 = socket.AF_INET, socket.AF_INET6
    check_zeros = _PTON_TAKES_ZEROS
    for text in items:
        addr, slash, plen_text = text.partition("/")
        try:
            if ":" in addr:
                mask = masks6.get(plen_text) if slash else 0
                if mask is None or "%" in addr or "." in addr:
                    rest.append(text)
                    continue
                value = from_bytes(pton(af6, addr), "big") & ~mask
                v6.append((value, value | mask))
            else:
                mask = masks4.get(plen_text) if slash else 0
                if mask is None or (check_zeros and _LEADING_ZERO.search(addr)):
                    rest.append(text)
                    continue
                value = from_bytes(pton(af4, addr), "big") & ~mask
                v4.append((value, value | mask))
        except (OSError, ValueError):  # not plain text (a range, spaces, leading zeros ...)
            rest.append(text)
    return rest


def _parse_one(text: str) -> tuple[Family, Interval]:
    """Parse an address, a CIDR (host bits allowed and masked off) or an `a-b` range."""
    s = text.strip()
    if not s:
        raise AddressError("empty address")
    if "-" not in s:
        fast = parse_prefix(s)
        if fast is not None:
            return fast[0], prefix_interval(*fast)
    try:
        if "-" in s and "/" not in s:
            left, _, right = s.partition("-")
            a = ipaddress.ip_address(left.strip())
            b = ipaddress.ip_address(right.strip())
            if a.version != b.version:
                raise AddressError(f"range mixes IPv4 and IPv6: {text!r}")
            if int(a) > int(b):
                raise AddressError(f"range runs backwards: {text!r}")
            fam: Family = 4 if a.version == 4 else 6
            return fam, (int(a), int(b))
        net = ipaddress.ip_network(s, strict=False)
    except AddressError:
        raise  # already says what is wrong (it is a ValueError too)
    except ValueError as exc:
        raise AddressError(f"not an IP address, network or range: {text!r}") from exc
    fam = 4 if net.version == 4 else 6
    lo = int(net.network_address)
    return fam, (lo, lo + net.num_addresses - 1)


def is_ip_address(text: str) -> bool:
    """True when `text` is one IPv4 or IPv6 address as written (no prefix, no name)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
