"""`AddressSet`: an immutable set of IPv4 and IPv6 addresses as canonical intervals per family."""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable

from hybridfw.addresses.intervals import (
    MAX,
    Family,
    Interval,
    intersect,
    merge,
    subtract,
)
from hybridfw.addresses.parse import _parse_fast, _parse_one
from hybridfw.addresses.text import cidr_text


class AddressSet:
    """An immutable set of IPv4 and IPv6 addresses."""

    __slots__ = ("_hash", "v4", "v6")

    v4: tuple[Interval, ...]
    v6: tuple[Interval, ...]
    _hash: int | None

    def __init__(self, v4: Iterable[Interval] = (), v6: Iterable[Interval] = ()) -> None:
        """Build from inclusive integer intervals (any order, overlaps allowed)."""
        object.__setattr__(self, "v4", merge(list(v4)))
        object.__setattr__(self, "v6", merge(list(v6)))
        object.__setattr__(self, "_hash", None)

    @classmethod
    def from_canonical(cls, v4: tuple[Interval, ...], v6: tuple[Interval, ...]) -> AddressSet:
        """The set of intervals that are already canonical (sorted, merged, none adjacent: what
        `hybridfw.addresses.intervals` returns). Not checked: for hot paths that made them so."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "v4", v4)
        object.__setattr__(obj, "v6", v6)
        object.__setattr__(obj, "_hash", None)
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
        return cls.from_canonical(merge(v4), merge(v6))

    @classmethod
    def empty(cls) -> AddressSet:
        return cls.from_canonical((), ())

    @classmethod
    def any(cls, family: Family | None = None) -> AddressSet:
        """Every address of one family, or of both when `family` is None."""
        v4 = ((0, MAX[4]),) if family in (None, 4) else ()
        v6 = ((0, MAX[6]),) if family in (None, 6) else ()
        return cls.from_canonical(v4, v6)

    # -- algebra ------------------------------------------------------------------------------
    def __or__(self, other: AddressSet) -> AddressSet:
        if not other:
            return self
        if not self:
            return other
        return AddressSet(self.v4 + other.v4, self.v6 + other.v6)

    def __sub__(self, other: AddressSet) -> AddressSet:
        return AddressSet.from_canonical(subtract(self.v4, other.v4), subtract(self.v6, other.v6))

    def __and__(self, other: AddressSet) -> AddressSet:
        return AddressSet.from_canonical(intersect(self.v4, other.v4), intersect(self.v6, other.v6))

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
        if family == 4:
            return AddressSet.from_canonical(self.v4, ())
        return AddressSet.from_canonical((), self.v6)

    def covers(self, family: Family) -> bool:
        """Whether every address of `family` is in the set."""
        return (self.v4 if family == 4 else self.v6) == ((0, MAX[family]),)

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
        i = bisect_right(ivs, (value, MAX[6] + 1)) - 1
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

    def to_cidrs(self, family: Family | None = None) -> list[str]:
        """The minimal sorted list of CIDR strings (IPv4 first), e.g. ['40.92.0.0/15', ...]."""
        return cidr_text(self.v4 if family in (None, 4) else None, self.v6 if family in (None, 6) else None)

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


