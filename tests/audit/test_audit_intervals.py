"""The bisect fast paths of the evaluator agree with AddressSet's own operators."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridfw.addresses import AddressSet
from hybridfw.audit._intervals import intersect, overlaps, subtract

_iv = st.tuples(st.integers(0, 5000), st.integers(0, 300)).map(lambda t: (t[0], t[0] + t[1]))


def _set(ivs: list[tuple[int, int]], v6: list[tuple[int, int]]) -> AddressSet:
    return AddressSet(ivs, v6)


@settings(max_examples=100, deadline=None)
@given(st.lists(_iv, min_size=40, max_size=200), st.lists(_iv, max_size=60),
       st.lists(_iv, max_size=16), st.lists(_iv, max_size=4))
def test_fast_paths_equal_plain_operators(big4: list, big6: list, small4: list, small6: list) -> None:  # type: ignore[type-arg]
    big, small = _set(big4, big6), _set(small4, small6)
    assert intersect(big, small) == big & small
    assert subtract(big, small) == big - small
    assert subtract(big, big) == AddressSet.empty()
    assert overlaps(big, small) == bool(big & small)
    assert overlaps(small, big) == bool(big & small)
