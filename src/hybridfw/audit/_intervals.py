"""Set operations tuned for first-match evaluation: a large "still undecided" set against a
rule's small address match. AddressSet's own operators walk both operands (linear in the large
one); these find the few affected intervals with bisect, so a rule costs O(k log n) instead of
O(n) and a 100k-rule chain walk stays fast while the undecided set fragments."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from hybridfw.addresses import AddressSet, Interval, intervals

_SMALL = 16  # at most this many intervals in the rule's set for the bisect path
_LARGE = 64  # and at least this many in the undecided set for it to pay off
_TOP = 1 << 129
_BISECT_RATIO = 8  # take(): bisect per interval of the smaller set while it is 8x smaller


def _and_family(big: Sequence[Interval], small: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in small:
        i = bisect_right(big, (lo, _TOP)) - 1  # the last interval starting at or before lo
        if i >= 0 and big[i][1] >= lo:
            end = big[i][1]
            out.append((lo, end if end < hi else hi))
            if end >= hi:
                continue
        i += 1  # intervals from here on start after lo
        j = bisect_right(big, (hi, _TOP))  # ... and these after hi
        if i < j:
            # All but the last lie wholly inside [lo, hi] (the next one starts at or before hi).
            out.extend(big[i:j - 1])
            start, end = big[j - 1]
            out.append((start, end if end < hi else hi))
    return out


def _fits(big: AddressSet, small: AddressSet) -> bool:
    # A set much smaller than the other takes the bisect path too: a rule's named set of 20
    # against a stage's fragmented accepted set made the evidence step linear in it, at every
    # accept rule (benchmarks/audit.py --format nft --named-sets-only: audit 12.7 -> XX s).
    size, other = _size(small), _size(big)
    return other >= _LARGE and (size <= _SMALL or size * _BISECT_RATIO <= other)


def _size(s: AddressSet) -> int:
    return len(s.v4) + len(s.v6)


def _overlaps_family(big: tuple[Interval, ...], small: tuple[Interval, ...]) -> bool:
    for lo, hi in small:
        i = bisect_right(big, (lo, _TOP)) - 1
        if i >= 0 and big[i][1] >= lo:
            return True
        if i + 1 < len(big) and big[i + 1][0] <= hi:
            return True
    return False


def overlaps(a: AddressSet, b: AddressSet) -> bool:
    """Whether a and b share an address: O(k log n) for the smaller set's k intervals."""
    if _size(a) < _size(b):
        a, b = b, a
    return _overlaps_family(a.v4, b.v4) or _overlaps_family(a.v6, b.v6)


def overlapping(sets: Sequence[AddressSet], other: AddressSet) -> list[bool]:
    """[overlaps(s, other) for s in sets], `other`'s starts and ends read once into int lists:
    a flow's evidence tests every decision against its required, missing and stale sets."""
    starts4, ends4 = [lo for lo, _ in other.v4], [hi for _, hi in other.v4]
    starts6, ends6 = [lo for lo, _ in other.v6], [hi for _, hi in other.v6]
    size = len(starts4) + len(starts6)
    out: list[bool] = []
    for one in sets:
        if _size(one) > size:
            out.append(overlaps(one, other))  # a bisect in the larger one
        else:
            out.append(_hits(starts4, ends4, one.v4) or _hits(starts6, ends6, one.v6))
    return out


def _hits(starts: list[int], ends: list[int], small: tuple[Interval, ...]) -> bool:
    """Whether an interval of `small` overlaps one of (starts, ends) (canonical)."""
    for lo, hi in small:
        i = bisect_right(starts, lo) - 1  # the last interval starting at or before lo
        if i >= 0 and ends[i] >= lo:
            return True
        if i + 1 < len(starts) and starts[i + 1] <= hi:
            return True
    return False


def intersect(big: AddressSet, small: AddressSet) -> AddressSet:
    """big & small, fast when one of them has few intervals."""
    if _size(big) < _size(small):
        big, small = small, big
    if not _fits(big, small):
        return big & small
    # Pieces come out sorted and separated (both inputs are canonical), so skip re-merging.
    return AddressSet.from_canonical(tuple(_and_family(big.v4, small.v4)),
                                     tuple(_and_family(big.v6, small.v6)))


def _or_family(big: tuple[Interval, ...], small: tuple[Interval, ...]) -> tuple[Interval, ...]:
    merged = Live(big)
    put(merged, small)
    return merged.pieces()


def union(big: AddressSet, small: AddressSet) -> AddressSet:
    """big | small, fast when one of them has few intervals (a chain's returns put back)."""
    if _size(big) < _size(small):
        big, small = small, big
    if not _fits(big, small):
        return big | small
    return AddressSet.from_canonical(_or_family(big.v4, small.v4), _or_family(big.v6, small.v6))


# -- in place, for a chain walk's undecided set ------------------------------------------------
# A walk over a big chain removes a piece from the undecided set at every rule; lists changed
# in place (one memmove) cost far less than a new tuple per rule.

class Live:
    """A chain walk's undecided set (one family, canonical) as two int lists, the starts and
    the ends of its intervals: a bisect compares ints, not (lo, hi) tuples, and a cut makes no
    tuple (benchmarks/audit.py --all-relevant: see `take`)."""

    __slots__ = ("ends", "starts")

    def __init__(self, pieces: Sequence[Interval] = ()) -> None:
        self.starts: list[int] = [lo for lo, _ in pieces]
        self.ends: list[int] = [hi for _, hi in pieces]

    def pieces(self) -> tuple[Interval, ...]:
        """Its intervals, canonical."""
        return tuple(zip(self.starts, self.ends, strict=True))

    def clear(self) -> None:
        self.starts.clear()
        self.ends.clear()

    def replace(self, pieces: Sequence[Interval]) -> None:
        """Hold `pieces` (canonical) instead, in place."""
        self.starts[:] = [lo for lo, _ in pieces]
        self.ends[:] = [hi for _, hi in pieces]


def take(rest: Live, small: tuple[Interval, ...]) -> list[Interval]:
    """Remove `small` from `rest` in place; return what was removed (canonical)."""
    starts, ends = rest.starts, rest.ends
    # A rule's set of more than _SMALL intervals (a named set of 20) against a fragmented
    # undecided set still takes the bisect path while it is much the smaller: linear merges
    # made the --format nft audit quadratic (benchmarks/audit.py --format nft: see issue-19 note).
    if len(small) > _SMALL and len(small) * _BISECT_RATIO > len(starts):
        frozen = rest.pieces()
        rest.replace(intervals.subtract(frozen, small))
        return list(intervals.intersect(frozen, small))
    taken: list[Interval] = []
    for lo, hi in small:  # per interval of `small`: two bisects and one memmove
        i = bisect_right(starts, lo) - 1  # the last interval starting at or before lo
        if i < 0 or ends[i] < lo:
            i += 1  # the first interval that reaches lo or lies after it
        j = bisect_right(starts, hi)  # the first that starts after hi
        if i >= j:
            continue  # nothing of rest in [lo, hi]
        # rest[i:j] all overlap [lo, hi]: only the two ends can stick out.
        first, end = starts[i], ends[j - 1]
        if j - i == 1:
            taken.append((first if first > lo else lo, end if end < hi else hi))
        else:
            taken.append((first if first > lo else lo, ends[i]))
            taken.extend(zip(starts[i + 1:j - 1], ends[i + 1:j - 1], strict=True))
            taken.append((starts[j - 1], end if end < hi else hi))
        if first < lo and end > hi:
            starts[i:j] = [first, hi + 1]
            ends[i:j] = [lo - 1, end]
        elif first < lo:
            starts[i:j] = [first]
            ends[i:j] = [lo - 1]
        elif end > hi:
            starts[i:j] = [hi + 1]
            ends[i:j] = [end]
        else:
            del starts[i:j]
            del ends[i:j]
    return taken


def split_off(rest: Live, pieces: Sequence[Interval], last: int) -> Live | None:
    """For a RETURN that takes most of `rest`: the part of `rest` outside `pieces`, cut out of
    `rest` into a new set (`rest` then holds what `pieces` take); None when that part is not
    the smaller (or the complement of `pieces` within [0, last] is not a few intervals)."""
    outside: list[Interval] = []
    at = 0
    for lo, hi in pieces:
        if lo > at:
            outside.append((at, lo - 1))
        at = hi + 1
    if at <= last:
        outside.append((at, last))
    if len(outside) > _SMALL:
        return None
    starts = rest.starts
    count = 0
    for lo, hi in outside:
        count += bisect_right(starts, hi) - bisect_left(starts, lo)
    if 2 * (count + len(outside)) > len(starts):
        return None
    return Live(take(rest, tuple(outside)))


def put(rest: Live, back: tuple[Interval, ...]) -> None:
    """Add `back` to `rest` (both canonical) in place, merging touching intervals."""
    if not rest.starts:
        rest.replace(back)
        return
    if len(back) > _SMALL:
        if len(rest.starts) <= _SMALL:
            # A few undecided intervals into a big returned set: each put in by bisect, no sort
            # and no new tuple per interval (benchmarks/audit.py --all-relevant).
            few = rest.pieces()
            rest.replace(back)
            _put_few(rest, few)
            return
        rest.replace(intervals.merge([*rest.pieces(), *back]))
        return
    _put_few(rest, back)


def _put_few(rest: Live, back: tuple[Interval, ...]) -> None:
    """`put` of a few intervals: per interval two bisects and one memmove."""
    starts, ends = rest.starts, rest.ends
    for lo, hi in back:
        # Every interval of `rest` that overlaps or touches [lo, hi] merges into one: from the
        # last starting before lo (if it reaches lo - 1) to the last starting at hi + 1 or before.
        i = bisect_left(starts, lo) - 1
        if i < 0 or ends[i] < lo - 1:
            i += 1
        j = bisect_right(starts, hi + 1)
        if j > i:
            lo, hi = min(lo, starts[i]), max(hi, ends[j - 1])
        starts[i:j] = [lo]
        ends[i:j] = [hi]
