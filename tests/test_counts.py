"""Readable address counts: the unit named, never a power of two, never a gap rounded away."""

from __future__ import annotations

import pytest

from hybridfw.check.interface import FamilyCoverage
from hybridfw.counts import exact, in_unit, is_wide, readable, unit_for
from hybridfw.report.interface import coverage_line, share


@pytest.mark.parametrize(("count", "family", "text"), [
    (491_520, 4, "491,520 addresses"),
    (2 << 80, 6, "2 /48 blocks"),
    (1 << 64, 6, "1 /64 blocks"),
    (5, 6, "5 addresses"),
    ((2 << 80) - (1 << 75), 6, "≈1.97 /48 blocks"),
])
def test_readable(count: int, family: int, text: str) -> None:
    assert readable(count, family) == text


def test_a_nonzero_count_never_shows_as_zero() -> None:
    assert in_unit(1, unit_for(6, 1 << 100)) == "<0.001"
    assert share(1, 10**9) == "<1%" and share(10**9 - 1, 10**9) == ">99%" and share(0, 5) == "0%"


def test_json_counts_exact_and_ipv6_as_strings() -> None:
    assert exact(2**81 + 1, 6) == "2417851639229258349412353" and exact(7, 4) == 7


def test_wide_is_half_the_family() -> None:
    assert is_wide(1 << 31, 4) and not is_wide((1 << 31) - 1, 4) and is_wide(1 << 127, 6)


def test_outbound_open_to_any_is_not_stale() -> None:
    out = FamilyCoverage(4, "outbound", 100, 100, 0, (1 << 32) - 100)
    assert out.open_to_any and out.stale == 0 and out.other == 0
    assert coverage_line(out) == "IPv4: 100 of 100 addresses allowed (100%); open to any destination"
    inbound = FamilyCoverage(4, "inbound", 100, 50, 50, 1024)
    assert inbound.stale == 1024 and "1,024 stale" in coverage_line(inbound)
    narrow_out = FamilyCoverage(6, "outbound", 1 << 81, 1 << 81, 0, 1 << 80)
    assert coverage_line(narrow_out) == ("IPv6: 2 of 2 /48 blocks allowed (100%), "
                                         "1 other destinations")
