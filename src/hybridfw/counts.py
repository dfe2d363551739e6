"""Address counts people can read, and exact counts machines can read.

IPv4 counts are addresses. IPv6 counts are named in /48 blocks (the usual site prefix) or, below
one /48, /64 blocks (one subnet), always with the unit, never as a power of two. One line of
output uses one unit (`unit_for` of the largest number), so the numbers compare at a glance.
JSON carries IPv6 counts as decimal strings: integers above 2**53 are rounded by jq and JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDE_SHARE = 2  # "open to any": the set covers at least 1/WIDE_SHARE of its family
_FAMILY_BITS = {4: 32, 6: 128}


@dataclass(frozen=True)
class Unit:
    name: str  # "addresses", "/48 blocks", "/64 blocks"
    size: int  # addresses per unit


ADDRESSES = Unit("addresses", 1)
BLOCKS_48 = Unit("/48 blocks", 1 << 80)
BLOCKS_64 = Unit("/64 blocks", 1 << 64)


def unit_for(family: int, largest: int) -> Unit:
    if family == 6 and largest >= BLOCKS_48.size:
        return BLOCKS_48
    if family == 6 and largest >= BLOCKS_64.size:
        return BLOCKS_64
    return ADDRESSES


def in_unit(count: int, unit: Unit) -> str:
    """'491,520', '2', '≈20,308', '≈0.031', '<0.001' (a nonzero count never shows as 0)."""
    whole, rest = divmod(count, unit.size)
    if not rest:
        return f"{whole:,}"
    value = count / unit.size
    if value >= 10:
        return f"≈{value:,.0f}"
    if value >= 0.001:
        return f"≈{value:.3g}"
    return "<0.001"


def readable(count: int, family: int) -> str:
    """One count with its unit: '491,520 addresses', '2 /48 blocks'."""
    unit = unit_for(family, count)
    return f"{in_unit(count, unit)} {unit.name}"


def exact(count: int, family: int) -> int | str:
    """For JSON: IPv4 counts as numbers, IPv6 counts as decimal strings (exact in any reader)."""
    return str(count) if family == 6 else count


def is_wide(count: int, family: int) -> bool:
    """Whether `count` addresses are (almost) the whole family: open to any address."""
    return count * WIDE_SHARE >= 1 << _FAMILY_BITS[family]
