"""Shared pieces of the differential policy tests: the abstract policy and its oracles, random
policies, the sample points at every network's edges where a verdict can change, and the check
that a parsed ruleset gives the oracle's verdict at every sample point."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from hypothesis import strategies as st

from hybridfw.addresses import AddressSet
from hybridfw.audit.evaluate import Evaluator, Probe
from hybridfw.rulesets import parsers

Net = ipaddress.IPv4Network


class HasNets(Protocol):
    """A rule of an abstract policy: its source and destination networks."""

    @property
    def src(self) -> Net: ...

    @property
    def dst(self) -> Net: ...


# Strategies made once (one made in each draw is validated anew each time).
_TENTH = st.integers(0, 9)
_PREFIX = st.integers(24, 32)
_HOST = st.integers(0, 255)


def draw_net(draw: st.DrawFn) -> Net:
    """A random network in 10.0.0.0/24 (prefix 24..32), or now and then 0.0.0.0/0."""
    if draw(_TENTH) == 0:
        return Net("0.0.0.0/0")
    prefix = draw(_PREFIX)
    host = draw(_HOST)
    return Net(f"10.0.0.{host}/{prefix}", strict=False)


def sample_points(rules: Sequence[HasNets], extra: list[int]) -> tuple[list[int], list[int]]:
    """Addresses at and around every rule's network edges (plus `extra`), and the ports to try."""
    points = set(extra)
    for r in rules:
        for net in (r.src, r.dst):
            lo, hi = int(net.network_address), int(net.broadcast_address)
            points |= {lo, hi, max(0, lo - 1), min(hi + 1, 2**32 - 1)}
    return sorted(points), [19, 20, 22, 25, 27, 30, 31, 34]


@dataclass(frozen=True)
class Policy:
    """One rule of the abstract policy."""

    permit: bool
    src: Net
    dst: Net
    ports: tuple[int, int] | None
    negate_src: bool = False
    enabled: bool = True

    @cached_property
    def _spans(self) -> tuple[int, int, int, int]:
        """The first and last address of `src` and of `dst` (what `address in network` compares)."""
        return (int(self.src.network_address), int(self.src.broadcast_address),
                int(self.dst.network_address), int(self.dst.broadcast_address))

    def matches(self, src: int, dst: int, port: int) -> bool:
        # integer bounds, not IPv4Address(x) in network: the oracle asks ~10^5 times per example
        src_lo, src_hi, dst_lo, dst_hi = self._spans
        return (self.enabled and (src_lo <= src <= src_hi) != self.negate_src and dst_lo <= dst <= dst_hi
                and (self.ports is None or self.ports[0] <= port <= self.ports[1]))


Oracle = Callable[[list[Policy], int, int, int, bool], bool]


def first_match(rules: list[Policy], src: int, dst: int, port: int, default: bool) -> bool:
    first = next((r for r in rules if r.matches(src, dst, port)), None)
    return default if first is None else first.permit


_COUNT = st.integers(1, 7)
_PORTS = st.none() | st.tuples(st.integers(20, 30), st.integers(0, 4)).map(lambda t: (t[0], t[0] + t[1]))
_PERMIT = st.booleans()
_QUARTER = st.integers(0, 3)
_SIXTH = st.integers(0, 5)


@st.composite
def policies(draw: st.DrawFn, negation: bool = True, disabling: bool = True) -> list[Policy]:
    out = []
    for _ in range(draw(_COUNT)):
        ports = draw(_PORTS)
        out.append(Policy(draw(_PERMIT), draw_net(draw), draw_net(draw), ports,
                          negation and draw(_QUARTER) == 0,
                          not (disabling and draw(_SIXTH) == 0)))
    return out


def assert_matches_oracle(fmt: str, text: str, entry_name: str, rules: list[Policy], extra: list[int], *,
                          default: bool = False, oracle: Oracle = first_match) -> None:
    """Parse `text` as `fmt`; at every sample point the entry's verdict is the oracle's."""
    ruleset = parsers()[fmt].parse(text, "random")
    evaluator = Evaluator(ruleset)
    (entry,) = [e for e in ruleset.entries if e.name == entry_name]
    addresses, ports = sample_points(rules, extra)
    for dst in addresses[::3]:
        for port in ports:
            outcome = evaluator.run_entry(entry, Probe("destination", dst, 4, port),
                                          AddressSet(v4=[(a, a) for a in addresses]))
            assert not outcome.unknown_set()
            accepted = outcome.accepted_set()
            for src in addresses:
                expected = oracle(rules, src, dst, port, default)
                assert accepted.contains_address(src, 4) == expected, (src, dst, port, text)
