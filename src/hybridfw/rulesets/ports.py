"""Destination ports as sorted, merged inclusive intervals (helpers for the parsers)."""

from __future__ import annotations

PortInterval = tuple[int, int]  # inclusive


def merge_ports(intervals: list[PortInterval]) -> tuple[PortInterval, ...]:
    """Sort and merge port intervals (helpers for parsers)."""
    out: list[PortInterval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return tuple(out)


def complement_ports(intervals: tuple[PortInterval, ...]) -> tuple[PortInterval, ...]:
    """Every port 0–65535 not in `intervals` (how a parser folds ``! --dport``)."""
    out: list[PortInterval] = []
    nxt = 0
    for lo, hi in merge_ports(list(intervals)):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= 65535:
        out.append((nxt, 65535))
    return tuple(out)
