"""Every platform: the smtp-inbound rule's sources, read back out of the text, are the EOP set."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.rules_extractors import EXTRACTORS
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.model import Severity
from hybridfw.render import platforms, render_flows
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parents[2]
DATA = load_snapshot()
FLOWS = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), DATA)
EOP = eop_smtp_addresses(DATA.sets)


def test_at_least_25_platforms_and_every_one_has_an_extractor() -> None:
    assert len(platforms()) >= 25
    assert sorted(platforms()) == sorted(EXTRACTORS)


@pytest.mark.parametrize("platform", sorted(EXTRACTORS))
def test_smtp_inbound_sources_equal_eop_set(platform: str) -> None:
    result = render_flows(FLOWS, platform, data=DATA)
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert errors == []
    found = EXTRACTORS[platform](result.files)
    assert found.family(4) == EOP.family(4), platform
    assert found.family(6) == EOP.family(6), platform
    assert EOP.family(6)  # the comparison above covers IPv6, not an empty set
