"""Property: whatever sources a flow has, the rendered rules admit exactly those (read back)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.rules_extractors import EXTRACTORS
from hybridfw.addresses import AddressSet
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.model import Severity
from hybridfw.render import render_flows
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parents[2]
DATA = load_snapshot()
SMTP_IN = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), DATA)[0]


def _network(bits: int, value: int, prefix: int) -> str:
    import ipaddress

    network = (value >> (bits - prefix)) << (bits - prefix) if prefix else 0
    cls = ipaddress.IPv4Network if bits == 32 else ipaddress.IPv6Network
    return str(cls((network, prefix)))


V4 = st.builds(lambda v, p: _network(32, v, p), st.integers(0, 2**32 - 1), st.integers(8, 32))
V6 = st.builds(lambda v, p: _network(128, v, p), st.integers(0, 2**128 - 1), st.integers(16, 128))
SOURCES = st.lists(st.one_of(V4, V6), min_size=1, max_size=8).map(AddressSet.parse)


@settings(max_examples=25, deadline=None)
@given(SOURCES, st.sampled_from(["nftables", "iptables", "ciscoasa", "paloalto", "juniper",
                                 "cisco", "fortigate", "pf", "edl"]))
def test_rendered_sources_equal_flow_sources(sources: AddressSet, platform: str) -> None:
    flow = replace(SMTP_IN, sources=sources)
    result = render_flows([flow], platform, data=DATA)
    assert not [f for f in result.findings if f.severity is Severity.ERROR]
    # A family without a peer on the destination side cannot be rendered (and is reported).
    expected = AddressSet.union_all(sources.family(f) for f in (4, 6)
                                    if SMTP_IN.destinations.family(f))
    if platform == "edl":  # a feed lists the Microsoft side whatever the destination
        expected = sources
    assert EXTRACTORS[platform](result.files) == expected
