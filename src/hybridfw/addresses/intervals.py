"""Interval algebra on sorted, merged, inclusive integer intervals: the ground AddressSet
stands on, public for code that works on the intervals of a set directly (the audit's
evaluator). `merge` makes canonical tuples (sorted, merged: no overlap, no two intervals
adjacent) of any list; the other functions take and return canonical tuples."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

Family = Literal[4, 6]
Interval = tuple[int, int]  # inclusive bounds

MAX = {4: (1 << 32) - 1, 6: (1 << 128) - 1}  # the last address of each family
BITS = {4: 32, 6: 128}


def merge(intervals: list[Interval]) -> tuple[Interval, ...]:
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


def subtract(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    """The intervals of `a` less those of `b`."""
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


def intersect(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    """The intervals both `a` and `b` hold."""
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


def interval_to_cidrs(lo: int, hi: int, bits: int) -> Iterator[tuple[int, int]]:
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
