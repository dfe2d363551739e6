"""The fast paths of AddressSet (the tight parse loop, the one-block CIDR text) against the plain
path they shortcut: `_parse_one` item by item, and `interval_to_cidrs` for every interval."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw.addresses import AddressError, AddressSet
from hybridfw.addresses.intervals import interval_to_cidrs
from hybridfw.addresses.parse import _parse_one
from hybridfw.addresses.text import _format_v4, _format_v6


@st.composite
def address_texts(draw: st.DrawFn) -> str:
    """Plain CIDRs mostly, and the spellings the fast loop must hand on: leading zeros, odd
    prefix lengths, spaces, ranges, zone ids, embedded IPv4, bad text."""
    if draw(st.booleans()):
        addr = ipaddress.IPv4Address(draw(st.integers(0, (1 << 32) - 1)))
        plen = draw(st.integers(0, 34))
    else:
        addr = ipaddress.IPv6Address(draw(st.integers(0, (1 << 128) - 1)))  # type: ignore[assignment]
        plen = draw(st.integers(0, 130))
    text = str(addr)
    suffix = draw(st.sampled_from(["", "/", f"/{plen}", f"/0{plen}", f"/ {plen}", "/x", "/-1"]))
    text += suffix
    edit = draw(st.sampled_from(["none", "none", "zero", "space", "range", "zone", "v4in6", "junk"]))
    if edit == "zero":
        text = "0" + text
    elif edit == "space":
        text = f" {text} "
    elif edit == "range":
        text = f"{addr}-{addr}"
    elif edit == "zone":
        text = f"{addr}%eth0"
    elif edit == "v4in6":
        text = "::ffff:1.2.3.4" + suffix
    elif edit == "junk":
        text = draw(st.text(max_size=12))
    return text


def plain_parse(items: list[str]) -> AddressSet | str:
    """The plain path: each item through `_parse_one`; the error message if one fails."""
    v4, v6 = [], []
    for item in items:
        try:
            fam, iv = _parse_one(item)
        except AddressError as exc:
            return str(exc)
        (v4 if fam == 4 else v6).append(iv)
    return AddressSet(v4, v6)


@settings(deadline=None, max_examples=examples(300))  # the CI box is shared; timing is not what is tested
@given(st.lists(address_texts(), max_size=8))
def test_fast_parse_equals_plain_parse(items: list[str]) -> None:
    expected = plain_parse(items)
    if isinstance(expected, str):
        with pytest.raises(AddressError) as info:
            AddressSet.parse(items)
        assert str(info.value) == expected  # the same first bad item, the same words
    else:
        assert AddressSet.parse(items) == expected


@settings(deadline=None, max_examples=examples(300))
@given(st.lists(st.tuples(st.integers(0, (1 << 32) - 1), st.integers(0, 40)), max_size=8),
       st.lists(st.tuples(st.integers(0, (1 << 128) - 1), st.integers(0, 140)), max_size=8))
def test_cidr_text_equals_plain_splitter(v4: list[tuple[int, int]], v6: list[tuple[int, int]]) -> None:
    # Intervals of every kind: one aligned block, unaligned runs, lengths not a power of two.
    s = AddressSet([(lo, min(lo + span * span, (1 << 32) - 1)) for lo, span in v4],
                   [(lo, min(lo + (1 << span) - 1, (1 << 128) - 1)) for lo, span in v6])
    plain = [f"{_format_v4(n)}/{p}" for lo, hi in s.v4 for n, p in interval_to_cidrs(lo, hi, 32)]
    plain += [f"{_format_v6(n)}/{p}" for lo, hi in s.v6 for n, p in interval_to_cidrs(lo, hi, 128)]
    assert s.to_cidrs() == plain
    assert s.to_cidrs(4) + s.to_cidrs(6) == plain
