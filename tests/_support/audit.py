"""Helpers for the audit tests: the founding scenario's address lists and flows."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from _support.random_rulesets import DST, IN_IFACE
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_ruleset, audit_scope
from hybridfw.audit.evaluate import Evaluator, Probe
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text
from hybridfw.rulesets.model import Ruleset

AUDIT_DATA = Path(__file__).parent.parent / "data" / "audit"
MAIL_V4 = "203.0.113.10"
MAIL_V6 = "2001:db8::10"
# The topology the audit CLI tests write: SMTP to the mail server, HTTPS to the web server.
TOPOLOGY = """instance = "Worldwide"
mode = "classic-full"
ipv6 = true

[smtp]
addresses = ["203.0.113.10", "2001:db8::10"]
tls_certificate_name = "mail.contoso.com"

[web]
addresses = ["203.0.113.20"]
names = ["mail.contoso.com"]
"""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hybridfw", *args], capture_output=True, text=True,
                          timeout=120)


def eop_2015() -> AddressSet:
    """Product EOP of the 2015 XML list: the stale list of the founding story."""
    root = ET.parse(AUDIT_DATA / "o365ipaddresses-2015-07-01.xml").getroot()
    product = next(p for p in root.iter("product") if p.get("name") == "EOP")
    return AddressSet.parse(a.text or "" for a in product.iter("address"))


def current_eop() -> AddressSet:
    return eop_smtp_addresses(load_snapshot().sets)


def smtp_inbound(destinations: str = f"{MAIL_V4},{MAIL_V6}") -> Flow:
    return Flow(id="smtp-inbound", direction="inbound", protocol="tcp", ports=(25,),
                sources=current_eop(), destinations=AddressSet.parse(destinations.split(",")),
                reason="Exchange Online delivers mail to on-premises", endpoint_set_ids=(10,))


def accepted_sources(ruleset: Ruleset, port: int) -> AddressSet:
    """What hybridfw's evaluator accepts from any IPv4 source to DST:port on IN_IFACE (chain `input`)."""
    entry = next(e for e in ruleset.entries if e.name == "input")
    probe = Probe("destination", int(ipaddress.IPv4Address(DST)), 4, port, in_interface=IN_IFACE)
    outcome = Evaluator(ruleset).run_entry(entry, probe, AddressSet.any(4))
    assert not outcome.unknown, [d.reason for d in outcome.unknown]
    return outcome.accepted_set()


def audit_summary(text: str, fmt: str, flows: list[Flow], scoped: bool,
                  interfaces: Interfaces | None = None) -> tuple[Any, ...]:
    """What an audit of `text` says (rows, evidence, shadows), from a scoped or a full parse:
    the scoped-parse tests compare the two."""
    ruleset = parse_text(text, f"t.{fmt}", fmt, audit_scope(flows) if scoped else None)
    result = audit_ruleset(ruleset, flows, interfaces=interfaces)
    return (result.to_dict(), [row.evidence for row in result.flows],
            [[s.to_dict() for s in row.shadowed] for row in result.flows])
