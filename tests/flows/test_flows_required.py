"""required_flows: the HCW options matrix, selection by content, overrides, IPv6 off."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw.addresses import AddressSet
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.model import Flow
from hybridfw.topology import Topology, load_topology

REPO = Path(__file__).resolve().parents[2]
DATA = load_snapshot()
EOP = eop_smtp_addresses(DATA.sets)
CLASSIC = load_topology(REPO / "examples" / "hybrid.toml")
MODERN = load_topology(REPO / "examples" / "modern.toml")


def by_id(flows: list[Flow]) -> dict[str, Flow]:
    return {f.id: f for f in flows}


def test_classic_full_flows() -> None:
    flows = by_id(required_flows(CLASSIC, DATA))
    assert list(flows) == ["smtp-inbound", "smtp-outbound", "https-inbound", "https-outbound",
                           "crl-outbound"]
    inbound = flows["smtp-inbound"]
    assert (inbound.direction, inbound.protocol, inbound.ports) == ("inbound", "tcp", (25,))
    assert inbound.sources == EOP and inbound.destinations == CLASSIC.smtp.addresses
    assert inbound.endpoint_set_ids == (10,)
    assert flows["smtp-outbound"].destinations == EOP
    assert "*.mail.protection.outlook.com" in flows["smtp-outbound"].destination_fqdns
    https_in = flows["https-inbound"]
    assert https_in.ports == (443,) and https_in.destinations == CLASSIC.web.addresses
    assert https_in.sources.contains_address("40.96.0.1")  # Exchange Online (set 1)
    assert not https_in.sources.contains_address("40.92.0.1")  # EOP SMTP is not a 443 source
    out = flows["https-outbound"]
    assert out.sources.contains_address("203.0.113.20")
    assert out.destinations.contains_address("20.190.128.1")  # login.microsoftonline.com (set 56)
    assert {"login.microsoftonline.com", "outlook.office365.com"} <= set(out.destination_fqdns)
    crl = flows["crl-outbound"]
    assert crl.ports == (80,) and not crl.destinations
    assert {"crl.microsoft.com", "ctldl.windowsupdate.com"} <= set(crl.destination_fqdns)


def _with(topology: Topology, **changes: object) -> Topology:
    return replace(topology, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("mode", "expected"), [
    ("classic-minimal", {"https-inbound", "https-outbound", "crl-outbound"}),
    ("modern-minimal", {"https-outbound", "crl-outbound", "hybrid-agent-outbound"}),
    ("modern-full", {"smtp-inbound", "smtp-outbound", "https-outbound", "crl-outbound",
                     "hybrid-agent-outbound"}),
])
def test_hcw_options_matrix(mode: str, expected: set[str]) -> None:
    topology = MODERN if mode.startswith("modern") else CLASSIC
    assert set(by_id(required_flows(_with(topology, mode=mode), DATA))) == expected


def test_modern_with_published_autodiscover_is_optional_inbound_443() -> None:
    topology = _with(MODERN, web=CLASSIC.web)
    flows = by_id(required_flows(topology, DATA))
    assert flows["https-inbound"].required is False
    assert "Autodiscover" in flows["https-inbound"].reason
    assert flows["hybrid-agent-exchange"].ports == (80, 443, 5985, 5986)
    agent = flows["hybrid-agent-outbound"]
    assert agent.sources == MODERN.hybrid_agent.addresses and agent.ports == (80, 443)
    assert "*.msappproxy.net" in agent.destination_fqdns


def test_edge_servers_are_not_https_sources() -> None:
    flows = by_id(required_flows(MODERN, DATA))
    # Edge only: the Mailbox servers are unknown, so the rule admits any source and says so.
    assert flows["https-outbound"].sources == AddressSet.any()
    assert "any source" in flows["https-outbound"].reason


def test_sets_are_selected_by_content_not_id() -> None:
    renumbered = replace(DATA, sets=tuple(replace(s, id=s.id + 1000) for s in DATA.sets))
    old, new = by_id(required_flows(CLASSIC, DATA)), by_id(required_flows(CLASSIC, renumbered))
    for flow_id, flow in old.items():
        assert new[flow_id].sources == flow.sources
        assert new[flow_id].destinations == flow.destinations
        assert new[flow_id].endpoint_set_ids == tuple(i + 1000 for i in flow.endpoint_set_ids)


def test_ipv6_off_drops_v6_and_says_so() -> None:
    v4_only = _with(CLASSIC, ipv6=False,
                    smtp=replace(CLASSIC.smtp, addresses=CLASSIC.smtp.addresses.family(4)))
    for flow in required_flows(v4_only, DATA):
        assert not flow.sources.family(6) and not flow.destinations.family(6)
    inbound = by_id(required_flows(v4_only, DATA))["smtp-inbound"]
    assert "ipv6 = false" in inbound.reason and "2 IPv6 range(s)" in inbound.reason


OVERRIDES = st.lists(
    st.tuples(st.integers(0, 2**32 - 1), st.integers(8, 32)).map(
        lambda t: f"{t[0] >> (32 - t[1]) << (32 - t[1]):d}/{t[1]}"), max_size=6)


@settings(max_examples=examples(60), deadline=None)
@given(OVERRIDES)
def test_overrides_are_added_and_marked(raw: list[str]) -> None:
    import ipaddress

    cidrs = [str(ipaddress.IPv4Network((int(c.split("/")[0]), int(c.split("/")[1])))) for c in raw]
    extra = AddressSet.parse(cidrs)
    topology = _with(CLASSIC, overrides=replace(CLASSIC.overrides, smtp_inbound=extra))
    inbound = by_id(required_flows(topology, DATA))["smtp-inbound"]
    assert inbound.sources == EOP | extra
    assert inbound.override_sources == extra
    assert inbound.to_dict()["override_sources"] == extra.to_cidrs()
