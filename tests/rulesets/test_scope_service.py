"""`Scope.admits_service` (no Match built) answers as `Scope.admits` of the same conditions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw.rulesets.model import Match
from hybridfw.rulesets.scope import Scope

_PACKETS = st.frozensets(st.tuples(st.sampled_from(("tcp", "udp", "icmp")), st.integers(0, 70)), max_size=4)
_PORTS = st.none() | st.lists(st.tuples(st.integers(0, 70), st.integers(0, 20)).map(
    lambda p: (p[0], p[0] + p[1])), max_size=3).map(tuple)


@settings(max_examples=examples(300), deadline=None)
@given(_PACKETS, _PACKETS, st.none() | st.frozensets(st.sampled_from(("tcp", "udp", "sctp"))), _PORTS)
def test_admits_service_is_admits_of_a_protocol_and_port_match(
        inbound: frozenset[tuple[str, int]], outbound: frozenset[tuple[str, int]],
        protocols: frozenset[str] | None, ports: tuple[tuple[int, int], ...] | None) -> None:
    scope = Scope(inbound=inbound, outbound=outbound)
    assert scope.admits_service(protocols, ports) == scope.admits(Match(protocols=protocols, dst_ports=ports))
