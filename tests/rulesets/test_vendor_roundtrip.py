"""Round trip: the rules hybridfw renders for ASA and PAN-OS, read back by the vendor parsers,
must admit every required flow exactly (nothing missing, stale or unknown). Also: every file of
every format here is auto-detected as its own format, and the shared samples too."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import DATA, REPO
from hybridfw.audit import audit_files
from hybridfw.endpoints import load_current
from hybridfw.flows import required_flows
from hybridfw.render import render_flows
from hybridfw.rulesets import detect_format
from hybridfw.topology import load_topology

SAMPLES = REPO.parent / "shared" / "data" / "firewall-samples"


@pytest.mark.parametrize(("platform", "fmt", "main_file"), [
    ("ciscoasa", "asa", "hybridfw.asa"), ("paloalto", "panos", "hybridfw.xml")])
def test_rendered_rules_audit_complete(tmp_path: Path, platform: str, fmt: str, main_file: str) -> None:
    data = load_current()
    flows = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), data)
    rendered = render_flows(flows, platform, data=data)
    path = tmp_path / main_file
    path.write_text(rendered.files[main_file])
    result = audit_files([path], flows, fmt="auto")
    assert result.format == fmt and result.platform == platform
    audited = {row.flow for row in result.flows}
    assert {"smtp-inbound", "smtp-outbound", "https-inbound"} <= audited
    for row in result.flows:
        assert row.complete and not row.stale, (row.flow, row.entry, row.address)
        assert row.allowed, (row.flow, row.address)


@pytest.mark.parametrize(("name", "fmt"), [
    ("asa-features.cfg", "asa"), ("panos-features.xml", "panos"),
    ("panos-features.set", "panos-set"), ("pfsense-features.xml", "pfsense")])
def test_fixtures_are_detected(name: str, fmt: str) -> None:
    assert detect_format((DATA / name).read_text(), name).name == fmt


@pytest.mark.parametrize(("name", "fmt"), [
    ("paloalto-xml__iron-skillet__panos_full.xml", "panos"),
    ("paloalto-set__iron-skillet__panos_full.conf", "panos-set"),
    ("iptables-save__moby_docker-bridge__iptables.golden", "iptables"),
    ("nft-list-table__moby_docker-bridges__ip.golden", "nft"),
    ("nft-json-list-ruleset__nftables-rs__nftables-init.json", "nft-json")])
def test_samples_are_detected(name: str, fmt: str) -> None:
    assert detect_format((SAMPLES / name).read_text(), name).name == fmt


def test_iron_skillet_set_rules_are_unknown_not_guessed() -> None:
    """The template's block rules use Palo Alto's external lists: hybridfw cannot know them."""
    flows = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), load_current())
    result = audit_files([SAMPLES / "paloalto-set__iron-skillet__panos_full.conf"], flows)
    smtp = [r for r in result.flows if r.flow == "smtp-inbound"]
    assert smtp and all(r.unknown and not r.allowed and not r.missing for r in smtp)
    assert any("panw-highrisk-ip-list" in e for r in smtp for e in r.evidence["unknown"])
