"""Helpers for the vendor-format audit tests: founding-scenario address sets computed straight
from the data files (not through hybridfw's endpoint selection), and the required flows."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_ruleset
from hybridfw.audit.interface import FlowCoverage
from hybridfw.endpoints import load_current
from hybridfw.flows import required_flows
from hybridfw.model import Flow
from hybridfw.rulesets import parse_files
from hybridfw.rulesets.scope import Scope
from hybridfw.topology import load_topology

TESTS = Path(__file__).parent.parent
DATA = TESTS / "data" / "audit_vendor"
REPO = TESTS.parent
SNAPSHOT = REPO / "src" / "hybridfw" / "data" / "worldwide-endpoints-2026-05-29.json"
MAIL_V4 = "203.0.113.10"
MAIL_V6 = "2001:db8::10"


def eop_2015() -> AddressSet:
    """Product EOP of the July 2015 XML list: the stale list of the founding story."""
    root = ET.parse(DATA / "o365ipaddresses-2015-07-01.xml").getroot()
    product = next(p for p in root.iter("product") if p.get("name") == "EOP")
    return AddressSet.parse((a.text or "").strip() for a in product.iter("address"))


def current_smtp_sources() -> AddressSet:
    """The Exchange endpoint set(s) with TCP 25, read from the shipped answer with plain json."""
    found = AddressSet.empty()
    for item in json.loads(SNAPSHOT.read_text()):
        ports = [p.strip() for p in str(item.get("tcpPorts", "")).split(",")]
        if item.get("serviceArea") == "Exchange" and "25" in ports:
            found = found | AddressSet.parse(item.get("ips", []))
    return found


def smtp_inbound() -> Flow:
    """The smtp-inbound flow of examples/hybrid.toml against the shipped data."""
    topology = load_topology(REPO / "examples" / "hybrid.toml")
    flows = required_flows(topology, load_current())
    return next(f for f in flows if f.id == "smtp-inbound")


def probe(path: Path, destination: str, port: int, entry: str, sources: AddressSet | None = None,
          fmt: str = "auto") -> FlowCoverage:
    """Audit one inbound TCP port to one address on one entry; sources default to every address
    of the destination's family, so `allowed` is exactly what the ruleset accepts."""
    family = 6 if ":" in destination else 4
    required = AddressSet.any(family) if sources is None else sources
    flow = Flow(id="probe", direction="inbound", protocol="tcp", ports=(port,), sources=required,
                destinations=AddressSet.parse([destination]), reason="test")
    result = audit_ruleset(parse_files([path], fmt), [flow], entry=entry)
    (row,) = result.flows
    return row


def addrs(*items: str) -> AddressSet:
    return AddressSet.parse(items)


def parsed_text(text: str, path: str, fmt: str, scope: Scope | None = None) -> str:
    """A parse of `text` as one comparable string: chains, entries, findings and the count left
    out, or the error and its line. hybridfw is looked up when called: inside the pure world of
    `_support.native`, its pure modules parse."""
    rulesets = importlib.import_module("hybridfw.rulesets")
    errors = importlib.import_module("hybridfw.errors")
    try:
        ruleset = rulesets.parse_text(text, path, fmt, scope)
    except errors.InputError as exc:
        return f"error {exc} at {exc.line}"
    chains = sorted((key, chain.name, chain.policy, chain.rules) for key, chain in ruleset.chains.items())
    return repr((chains, ruleset.entries, ruleset.findings, ruleset.omitted))
