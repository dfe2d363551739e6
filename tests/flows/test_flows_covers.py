"""`covers` (URL pattern matching without regexes) says what fnmatchcase says."""

from __future__ import annotations

from fnmatch import fnmatchcase
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridfw.flows.interface import covers

# A small alphabet so wildcards, repeats and overlaps meet often.
PATTERN = st.text(alphabet="ab.*-?[]!", max_size=12)
HOST = st.text(alphabet="ab.-*?[]", max_size=14)


@given(PATTERN, HOST)
def test_covers_is_fnmatchcase_or_equal(pattern: str, host: str) -> None:
    assert covers(pattern, host) == (fnmatchcase(host, pattern) or host == pattern)


def test_every_short_star_pattern() -> None:
    """Exhaustive: every pattern of up to 5 of a, b, * against every host of up to 5 of a, b."""
    words = ["".join(w) for n in range(6) for w in product("ab", repeat=n)]
    for pattern in ("".join(p) for n in range(6) for p in product("ab*", repeat=n)):
        for host in words:
            assert covers(pattern, host) == fnmatchcase(host, pattern), (pattern, host)


@st.composite
def near_misses(draw: st.DrawFn) -> tuple[str, str]:
    """A '*' pattern and a host made from its pieces: stars filled or pieces dropped, doubled
    or overlapped, so matches and near misses are both common."""
    pieces = draw(st.lists(st.sampled_from(["a", "b", "ab", "ba", "aba", "."]), max_size=5))
    stars = draw(st.lists(st.booleans(), min_size=len(pieces) + 1, max_size=len(pieces) + 1))
    pattern = "".join(("*" if star else "") + piece for star, piece in zip(stars, [*pieces, ""], strict=True))
    host = ""
    for piece in pieces:
        host += draw(st.sampled_from(["", "a", "b"])) + draw(st.sampled_from([piece, "", piece * 2,
                                                                           piece[1:]]))
    return pattern, host


@settings(max_examples=200)
@given(near_misses())
def test_star_patterns(case: tuple[str, str]) -> None:
    pattern, host = case
    assert covers(pattern, host) == fnmatchcase(host, pattern)


def test_microsoft_shapes() -> None:
    assert covers("*.protection.outlook.com", "contoso-com.mail.protection.outlook.com")
    assert covers("autodiscover.*.onmicrosoft.com", "autodiscover.contoso.onmicrosoft.com")
    assert not covers("*.outlook.com", "outlook.com")
    assert covers("outlook.office365.com", "outlook.office365.com")
    assert not covers("a*a", "a")  # the fixed ends may not overlap
