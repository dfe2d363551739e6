"""Helpers for the audit tests: the founding scenario's address lists and flows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.model import Flow

AUDIT_DATA = Path(__file__).parent.parent / "data" / "audit"
MAIL_V4 = "203.0.113.10"
MAIL_V6 = "2001:db8::10"


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
