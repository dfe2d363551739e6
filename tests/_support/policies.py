"""Shared pieces of the differential policy tests: random networks, and the sample points at
every network's edges where a first-match verdict can change."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Protocol

from hypothesis import strategies as st

Net = ipaddress.IPv4Network


class HasNets(Protocol):
    """A rule of an abstract policy: its source and destination networks."""

    @property
    def src(self) -> Net: ...

    @property
    def dst(self) -> Net: ...


def draw_net(draw: st.DrawFn) -> Net:
    """A random network in 10.0.0.0/24 (prefix 24..32), or now and then 0.0.0.0/0."""
    if draw(st.integers(0, 9)) == 0:
        return Net("0.0.0.0/0")
    prefix = draw(st.integers(24, 32))
    host = draw(st.integers(0, 255))
    return Net(f"10.0.0.{host}/{prefix}", strict=False)


def sample_points(rules: Sequence[HasNets], extra: list[int]) -> tuple[list[int], list[int]]:
    """Addresses at and around every rule's network edges (plus `extra`), and the ports to try."""
    points = set(extra)
    for r in rules:
        for net in (r.src, r.dst):
            lo, hi = int(net.network_address), int(net.broadcast_address)
            points |= {lo, hi, max(0, lo - 1), min(hi + 1, 2**32 - 1)}
    return sorted(points), [19, 20, 22, 25, 27, 30, 31, 34]
