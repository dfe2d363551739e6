"""Helpers for the connectors tests: fixture paths, a topology, export writers, the 2015 list."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from hybridfw.addresses import AddressSet

DATA = Path(__file__).parent.parent / "data" / "connectors"
AUDIT_DATA = Path(__file__).parent.parent / "data" / "audit"
MAIL_V4, MAIL_V6 = "203.0.113.10", "2001:db8::10"
MAIN_FILES = ("receive-connectors.json", "send-connectors.json", "exchange-certificates.json",
              "inbound-connector.json", "outbound-connector.json", "accepted-domains-tenant.json",
              "accepted-domains-onprem.json", "hybrid-configuration-utf16.json")

TOPOLOGY = f"""instance = "Worldwide"
mode = "classic-full"
[smtp]
addresses = ["{MAIL_V4}", "{MAIL_V6}"]
tls_certificate_name = "mail.contoso.com"
[web]
addresses = ["203.0.113.20"]
"""


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_bytes().decode("utf-16" if "utf16" in name else "utf-8-sig"))


def write_json(path: Path, doc: Any, encoding: str = "utf-8") -> Path:
    path.write_bytes(json.dumps(doc, indent=2).encode(encoding))
    return path


def topology_file(tmp: Path, text: str = TOPOLOGY) -> Path:
    path = tmp / "topology.toml"
    path.write_text(text)
    return path


def eop_2015() -> AddressSet:
    """Product EOP of the 2015 XML list (the founding story's stale list)."""
    root = ET.parse(AUDIT_DATA / "o365ipaddresses-2015-07-01.xml").getroot()
    product = next(p for p in root.iter("product") if p.get("name") == "EOP")
    return AddressSet.parse(a.text or "" for a in product.iter("address"))


def scoped_connector(ranges: list[Any], name: str = "Inbound from Office 365",
                     bindings: tuple[str, ...] = (f"{MAIL_V4}:25", f"[{MAIL_V6}]:25"),
                     **extra: Any) -> dict[str, Any]:
    """A receive connector object as Get-ReceiveConnector exports it (PowerShell 5.1 numbers)."""
    return {"Name": name, "Identity": f"EX1\\{name}", "Server": "EX1", "Enabled": True,
            "TransportRole": "FrontendTransport", "Bindings": list(bindings), "RemoteIPRanges": ranges,
            "PermissionGroups": 1, "AuthMechanism": 1, "TlsCertificateName": None,
            "TlsDomainCapabilities": ["mail.protection.outlook.com:AcceptCloudServicesMail"], **extra}
