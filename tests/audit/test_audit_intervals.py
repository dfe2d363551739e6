"""The bisect fast paths of the evaluator agree with AddressSet's own operators."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridfw.addresses import AddressSet, intervals
from hybridfw.audit._intervals import (
    _LARGE,
    Live,
    _fits,
    intersect,
    overlapping,
    overlaps,
    put,
    split_off,
    take,
    union,
)

_iv = st.tuples(st.integers(0, 5000), st.integers(0, 300)).map(lambda t: (t[0], t[0] + t[1]))
# A fragmented "still undecided" set: many short intervals with gaps (some only one apart,
# so merging adjacent intervals is exercised), enough of them for the fast paths to apply.
_fragmented = st.lists(st.tuples(st.integers(1, 40), st.integers(0, 30)),
                       min_size=_LARGE, max_size=250)


def _chain(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, at = [], 0
    for gap, width in pieces:
        out.append((at + gap, at + gap + width))
        at += gap + width + 1
    return out


@settings(max_examples=150, deadline=None)
@given(_fragmented, st.lists(_iv, max_size=60), st.lists(_iv, max_size=16),
       st.lists(_iv, max_size=4))
def test_fast_paths_equal_plain_operators(big4: list, big6: list, small4: list, small6: list) -> None:  # type: ignore[type-arg]
    big, small = AddressSet(_chain(big4), big6), AddressSet(small4, small6)
    assert _fits(big, small) == (len(small.v4) + len(small.v6) <= 16)
    assert intersect(big, small) == big & small
    # (the evaluator subtracts in place, with take(); the interval library's own subtract:)
    assert AddressSet.from_canonical(intervals.subtract(big.v4, small.v4),
                                     intervals.subtract(big.v6, small.v6)) == big - small
    assert union(big, small) == big | small
    assert union(small, big) == big | small
    assert union(big, big - small) == big
    assert intervals.subtract(big.v4, big.v4) == () and intervals.subtract(big.v6, big.v6) == ()
    assert overlaps(big, small) == bool(big & small)
    assert overlaps(small, big) == bool(big & small)


@settings(max_examples=150, deadline=None)
@given(_fragmented, st.lists(_iv, max_size=24), st.lists(_iv, max_size=24))
def test_in_place_take_and_put_equal_plain_operators(big: list, small: list, back: list) -> None:  # type: ignore[type-arg]
    whole, cut, extra = AddressSet(_chain(big)), AddressSet(small), AddressSet(back)
    rest = Live(whole.v4)
    taken = take(rest, cut.v4)  # up to 24 intervals: both the bisect and the linear way
    assert AddressSet(taken) == whole & cut and tuple(taken) == (whole & cut).v4
    assert rest.pieces() == (whole - cut).v4  # still canonical: sorted, merged
    returned = (extra - (whole - cut)).v4
    put(rest, returned)
    assert rest.pieces() == ((whole - cut) | AddressSet(returned)).v4
    every = (whole | extra).v4  # a put of intervals that touch or overlap several of rest's
    put(rest, every)
    assert rest.pieces() == every
    empty = Live()
    put(empty, cut.v4)
    assert empty.pieces() == cut.v4
    few = Live(cut.v4[:16])  # a few undecided intervals, a big returned set put back
    put(few, whole.v4)
    assert few.pieces() == (AddressSet(cut.v4[:16]) | whole).v4


@settings(max_examples=150, deadline=None)
@given(_fragmented, st.lists(_iv, min_size=1, max_size=3), st.booleans())
def test_split_off_equals_take(big: list, nets: list, negated: bool) -> None:  # type: ignore[type-arg]
    # A RETURN of `! -s NET` (pieces: NET's complement) or of `-s NET`, within [0, last].
    last = 20_000
    whole, net = AddressSet(_chain(big)), AddressSet(nets)
    pieces = intervals.subtract(((0, last),), net.v4) if negated else net.v4
    rest = Live(whole.v4)
    kept = split_off(rest, pieces, last)
    if kept is None:  # not the smaller part: nothing changed
        assert rest.pieces() == whole.v4
        return
    assert kept.pieces() == (whole - AddressSet(pieces)).v4  # what the walk goes on with
    assert rest.pieces() == (whole & AddressSet(pieces)).v4  # what the RETURN takes
    assert 2 * len(kept.starts) <= len(whole.v4)


@settings(max_examples=150, deadline=None)
@given(_fragmented, st.lists(st.lists(_iv, max_size=6), max_size=8), st.lists(_iv, max_size=40),
       st.lists(_iv, max_size=3))
def test_overlapping_equals_plain_intersection(big: list, smalls: list, other6: list,  # type: ignore[type-arg]
                                               small6: list) -> None:  # type: ignore[type-arg]
    # Decisions of a few intervals (and one larger than the set) against a fragmented set.
    other = AddressSet(_chain(big), other6)
    sets = [AddressSet(s, small6) for s in smalls] + [AddressSet(_chain(big + big)), AddressSet.empty()]
    # ... and some that end where one of its intervals starts, or start where one ends, or just miss.
    for lo, hi in other.v4[:8]:
        sets += [AddressSet([(max(0, lo - 3), lo)]), AddressSet([(hi, hi + 2)]),
                 AddressSet([(hi + 1, hi + 1)])]
    assert overlapping(sets, other) == [bool(s & other) for s in sets]
    assert overlapping(sets, AddressSet.empty()) == [False] * len(sets)
