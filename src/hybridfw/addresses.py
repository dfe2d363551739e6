"""Address sets as sorted, merged integer intervals per address family.

All set algebra works on intervals, so a /8 costs the same as a /32 and nothing is ever
expanded address by address. IPv4 and IPv6 are kept apart: an IPv4 interval never touches an
IPv6 one, and IPv4-mapped IPv6 addresses stay IPv6 (that is how firewalls treat them).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

Family = Literal[4, 6]
Interval = tuple[int, int]  # inclusive bounds

_MAX = {4: (1 << 32) - 1, 6: (1 << 128) - 1}
_BITS = {4: 32, 6: 128}


class AddressError(ValueError):
    """An address, network or range that cannot be parsed. The message names the bad text."""


def _merge(intervals: list[Interval]) -> tuple[Interval, ...]:
    """Sort and merge overlapping or adjacent intervals."""
    if not intervals:
        return ()
    intervals.sort()
    out: list[Interval] = []
    cur_lo, cur_hi = intervals[0]
    for lo, hi in intervals:
        if lo <= cur_hi + 1:
            if hi > cur_hi:
                cur_hi = hi
        else:
            out.append((cur_lo, cur_hi))
            cur_lo, cur_hi = lo, hi
    out.append((cur_lo, cur_hi))
    return tuple(out)


def _subtract(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    j = 0
    nb = len(b)
    for lo, hi in a:
        while j < nb and b[j][1] < lo:
            j += 1
        k = j
        cur = lo
        while k < nb and b[k][0] <= hi:
            blo, bhi = b[k]
            if blo > cur:
                out.append((cur, blo - 1))
            if bhi + 1 > cur:
                cur = bhi + 1
            if cur > hi:
                break
            k += 1
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def _intersect(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _interval_to_cidrs(lo: int, hi: int, bits: int) -> Iterator[tuple[int, int]]:
    """Yield (network, prefixlen) covering [lo, hi] exactly with the fewest CIDR blocks."""
    while lo <= hi:
        # Largest block aligned at lo ...
        size = (lo & -lo).bit_length() - 1 if lo else bits
        # ... that does not run past hi.
        span = (hi - lo + 1).bit_length() - 1
        if span < size:
            size = span
        yield lo, bits - size
        lo += 1 << size


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
    bits = _BITS[fam]
    plen = int(plen_text) if slash else bits
    if plen > bits:
        return None
    return fam, value & ~((1 << (bits - plen)) - 1), plen


def prefix_interval(family: Family, first: int, plen: int) -> Interval:
    """The addresses of the network `first`/`plen` as an interval."""
    return first, first | ((1 << (_BITS[family] - plen)) - 1)


# Host mask per prefix-length text, so the hot loop of `parse` checks and
# converts a prefix length with one dict lookup; any other spelling ("024", " 24") misses and
# takes the general way. benchmarks/address_sets.py "build": about 3.3x -> 7x with _parse_fast.
_HOSTMASK_BY_TEXT = {
    fam: {str(plen): (1 << (bits - plen)) - 1 for plen in range(bits + 1)}
    for fam, bits in _BITS.items()
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


def _append_cidr_text(
    out: list[str], intervals: tuple[Interval, ...], bits: int, fmt: Callable[[int], str]
) -> None:
    """Append the minimal CIDR text of `intervals` to `out`."""
    append = out.append
    for lo, hi in intervals:
        # Most intervals are one aligned block: printed without the general splitter.
        # benchmarks/address_sets.py "to minimal CIDR text": 2.1x -> 2.3x (no generator).
        size = hi - lo + 1
        if not size & (size - 1) and not lo & (size - 1):
            append(f"{fmt(lo)}/{bits + 1 - size.bit_length()}")
            continue
        for net, plen in _interval_to_cidrs(lo, hi, bits):
            append(f"{fmt(net)}/{plen}")


class AddressSet:
    """An immutable set of IPv4 and IPv6 addresses."""

    __slots__ = ("_hash", "v4", "v6")

    v4: tuple[Interval, ...]
    v6: tuple[Interval, ...]
    _hash: int | None

    def __init__(self, v4: Iterable[Interval] = (), v6: Iterable[Interval] = ()) -> None:
        """Build from inclusive integer intervals (any order, overlaps allowed)."""
        object.__setattr__(self, "v4", _merge(list(v4)))
        object.__setattr__(self, "v6", _merge(list(v6)))
        object.__setattr__(self, "_hash", None)

    @classmethod
    def _raw(cls, v4: tuple[Interval, ...], v6: tuple[Interval, ...]) -> AddressSet:
        # The slots' own descriptors: the hot path of parsing, cheaper than object.__setattr__.
        obj = _new(cls)
        _set_v4(obj, v4)
        _set_v6(obj, v6)
        _set_hash(obj, None)
        return obj

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("AddressSet is immutable")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def parse(cls, items: Iterable[str]) -> AddressSet:
        """Parse addresses, CIDRs and ranges. Raises AddressError naming the first bad item."""
        v4: list[Interval] = []
        v6: list[Interval] = []
        for item in _parse_fast(items, v4, v6):
            fam, iv = _parse_one(item)
            (v4 if fam == 4 else v6).append(iv)
        return cls._raw(_merge(v4), _merge(v6))

    @classmethod
    def empty(cls) -> AddressSet:
        return cls._raw((), ())

    @classmethod
    def any(cls, family: Family | None = None) -> AddressSet:
        """Every address of one family, or of both when `family` is None."""
        v4 = ((0, _MAX[4]),) if family in (None, 4) else ()
        v6 = ((0, _MAX[6]),) if family in (None, 6) else ()
        return cls._raw(v4, v6)

    # -- algebra ------------------------------------------------------------------------------
    def __or__(self, other: AddressSet) -> AddressSet:
        if not other:
            return self
        if not self:
            return other
        return AddressSet(self.v4 + other.v4, self.v6 + other.v6)

    def __sub__(self, other: AddressSet) -> AddressSet:
        return AddressSet._raw(_subtract(self.v4, other.v4), _subtract(self.v6, other.v6))

    def __and__(self, other: AddressSet) -> AddressSet:
        return AddressSet._raw(_intersect(self.v4, other.v4), _intersect(self.v6, other.v6))

    union = __or__
    difference = __sub__
    intersection = __and__

    @staticmethod
    def union_all(sets: Iterable[AddressSet]) -> AddressSet:
        v4: list[Interval] = []
        v6: list[Interval] = []
        for s in sets:
            v4.extend(s.v4)
            v6.extend(s.v6)
        return AddressSet(v4, v6)

    def family(self, family: Family) -> AddressSet:
        """Only the addresses of one family."""
        return AddressSet._raw(self.v4, ()) if family == 4 else AddressSet._raw((), self.v6)

    def covers(self, family: Family) -> bool:
        """Whether every address of `family` is in the set."""
        return (self.v4 if family == 4 else self.v6) == ((0, _MAX[family]),)

    def issubset(self, other: AddressSet) -> bool:
        return not (self - other)

    def __le__(self, other: AddressSet) -> bool:
        return self.issubset(other)

    def isdisjoint(self, other: AddressSet) -> bool:
        return not (self & other)

    def contains_address(self, address: str | int, family: Family | None = None) -> bool:
        """Membership of one address, given as text or as an integer with its family."""
        if isinstance(address, str):
            ip = ipaddress.ip_address(address.strip())
            value, fam = int(ip), ip.version
        else:
            if family is None:
                raise ValueError("an integer address needs its family")
            value, fam = address, family
        ivs = self.v4 if fam == 4 else self.v6
        i = bisect_right(ivs, (value, _MAX[6] + 1)) - 1
        return i >= 0 and ivs[i][0] <= value <= ivs[i][1]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, AddressSet):
            return item.issubset(self)
        if isinstance(item, str):
            return self.contains_address(item)
        return False

    # -- views --------------------------------------------------------------------------------
    def __bool__(self) -> bool:
        return bool(self.v4 or self.v6)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AddressSet):
            return NotImplemented
        return self.v4 == other.v4 and self.v6 == other.v6

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = hash((self.v4, self.v6))
            object.__setattr__(self, "_hash", h)
        return h

    def num_addresses(self, family: Family | None = None) -> int:
        total = 0
        if family in (None, 4):
            total += sum(hi - lo + 1 for lo, hi in self.v4)
        if family in (None, 6):
            total += sum(hi - lo + 1 for lo, hi in self.v6)
        return total

    def cidr_blocks(self, family: Family) -> Iterator[tuple[int, int]]:
        """(network as int, prefix length) pairs, minimal and sorted."""
        bits = _BITS[family]
        for lo, hi in self.v4 if family == 4 else self.v6:
            yield from _interval_to_cidrs(lo, hi, bits)

    def to_cidrs(self, family: Family | None = None) -> list[str]:
        """The minimal sorted list of CIDR strings (IPv4 first), e.g. ['40.92.0.0/15', ...]."""
        out: list[str] = []
        if family in (None, 4):
            _append_cidr_text(out, self.v4, 32, _format_v4)
        if family in (None, 6):
            _append_cidr_text(out, self.v6, 128, _format_v6)
        return out

    def to_ranges(self, family: Family | None = None) -> list[str]:
        """Intervals as `first-last` strings (a single address stands alone)."""
        out: list[str] = []
        for fam, ivs, cls in ((4, self.v4, ipaddress.IPv4Address), (6, self.v6, ipaddress.IPv6Address)):
            if family not in (None, fam):
                continue
            for lo, hi in ivs:
                out.append(str(cls(lo)) if lo == hi else f"{cls(lo)}-{cls(hi)}")
        return out

    def __repr__(self) -> str:
        cidrs = self.to_cidrs()
        shown = ", ".join(cidrs[:6]) + (f", … ({len(cidrs)} blocks)" if len(cidrs) > 6 else "")
        return f"AddressSet([{shown}])"


_new = object.__new__
_set_v4 = vars(AddressSet)["v4"].__set__
_set_v6 = vars(AddressSet)["v6"].__set__
_set_hash = vars(AddressSet)["_hash"].__set__
