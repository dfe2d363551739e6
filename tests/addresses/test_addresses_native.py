"""Differential: the compiled CIDR text (`hybridfw.addresses._cidrtext`) against the pure path.

`AddressSet.to_cidrs` uses the C formatter when the optional compiled build made it; the pure
`text._append_cidr_text` stays the reference, and `ipaddress.summarize_address_range` is the
oracle for both. Random sets lean on the places where the text changes shape: zero runs of every
length and position, IPv4-mapped and IPv4-compatible IPv6, the ends of both address spaces.
"""

from __future__ import annotations

import ipaddress
import os
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw import native
from hybridfw.addresses import AddressSet, text

if os.environ.get("HYBRIDFW_PURE", "") not in ("", "0"):
    pytest.skip("HYBRIDFW_PURE is set: the compiled formatter is not loaded", allow_module_level=True)
if text._cidrtext is None:
    # Only a build without a C compiler or Python's headers may lack it (CI has both: there the
    # missing extension is a failure, never a skip).
    _why = native.read_info()
    if _why is None or not _why.pure_reason or _why.pure_reason.startswith("HYBRIDFW_PURE"):
        pytest.fail("hybridfw.addresses._cidrtext is not built: pip install -e . (see hatch_build.py)",
                    pytrace=False)
    pytest.skip(f"built without a C toolchain: {_why.pure_reason}", allow_module_level=True)

MAX6 = (1 << 128) - 1
ANCHORS6 = (0, 1, 0xFFFF << 32, 1 << 32, 1 << 48, 1 << 80, 1 << 96, 0x2001_0DB8 << 96, MAX6)


@st.composite
def hextets(draw: st.DrawFn) -> int:
    """An IPv6 value whose hextets are mostly zero or small, so zero runs of every shape occur."""
    if draw(st.booleans()):
        return draw(st.sampled_from(ANCHORS6)) + draw(st.integers(-70000, 70000)) & MAX6
    parts = draw(st.lists(st.sampled_from((0, 0, 0, 1, 0xF, 0x10, 0xABC, 0xFFFF)), min_size=8, max_size=8))
    return int("".join(f"{h:04x}" for h in parts), 16)


def spans(values: st.SearchStrategy[int], top: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    size = st.one_of(st.integers(0, 300), st.integers(0, top.bit_length()).map(lambda n: (1 << n) - 1))
    pair = st.tuples(values, size).map(lambda p: (p[0], min(p[0] + p[1], top)))
    return st.lists(pair, max_size=12)


def pure_text(s: AddressSet) -> list[str]:
    with mock.patch.object(text, "_cidrtext", None):
        return s.to_cidrs()


def oracle(s: AddressSet) -> list[str]:
    out = []
    for ivs, cls in ((s.v4, ipaddress.IPv4Address), (s.v6, ipaddress.IPv6Address)):
        for lo, hi in ivs:
            out += [str(net) for net in ipaddress.summarize_address_range(cls(lo), cls(hi))]
    return out


@settings(max_examples=examples(300), deadline=None)
@given(v4=spans(st.integers(0, 2**32 - 1), 2**32 - 1), v6=spans(hextets(), MAX6))
def test_compiled_text_equals_pure_text(v4: list[tuple[int, int]], v6: list[tuple[int, int]]) -> None:
    s = AddressSet(v4=v4, v6=v6)
    compiled = s.to_cidrs()
    assert compiled == pure_text(s) == oracle(s)
    assert s.to_cidrs(4) + s.to_cidrs(6) == compiled
    assert s.to_cidrs(6) == [c for c in compiled if ":" in c]


def test_whole_spaces_and_edges() -> None:
    s = AddressSet(v4=[(0, 2**32 - 1)], v6=[(0, MAX6)])
    assert s.to_cidrs() == ["0.0.0.0/0", "::/0"]
    edges = AddressSet(v4=[(1, 2**32 - 2)], v6=[(1, MAX6 - 1)])
    assert edges.to_cidrs() == pure_text(edges) == oracle(edges)
    mapped = AddressSet.parse(["::ffff:192.0.2.0/120", "::192.0.2.1", "1::", "1:0:0:1::"])
    assert mapped.to_cidrs() == pure_text(mapped) == oracle(mapped)


def test_bad_input_raises_instead_of_printing() -> None:
    assert text._cidrtext is not None
    for bad in ([(0, 2**32)], [(-1, 1)], [(0, "1")], [(0,)]):
        with pytest.raises((TypeError, ValueError, OverflowError)):
            text._cidrtext.extend([], bad, 32, str)
    out: list[str] = []
    text._cidrtext.extend(out, [(2, 1)], 32, str)  # empty, as interval_to_cidrs has it
    assert out == []
