"""Writes the connectors fixtures: objects with the properties Microsoft's cmdlet reference
documents, in the shapes ConvertTo-Json gives them (PowerShell 5.1: enums as numbers, dates as
/Date(ms)/, IP ranges as IPRange objects; PowerShell 7: enums and ranges as strings, ISO dates).
Run `python tests/data/connectors/make_fixtures.py` to regenerate; the files are committed.

The organization: contoso.com, one Mailbox server EX1 (203.0.113.10, 2001:db8::10), a
certificate mail.contoso.com valid until 2099, an old one that expired; a receive connector
"Inbound from Office 365" scoped to Exchange Online plus one stray retired range; a relay
connector; the Hybrid Configuration Wizard's send connector and Exchange Online connectors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ISSUER = "CN=Example TLS RSA CA G1, O=Example CA Inc, C=US"
SUBJECT = "CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, S=WA, C=US"
OLD_SUBJECT = "CN=mail.contoso.com, O=Contoso Ltd, C=US"
TLS_NAME = f"<I>{ISSUER}<S>{SUBJECT}"


def ip_range(expression: str, low: str, high: str, cidr: int | None, fmt: int) -> dict[str, Any]:
    """An IPRange as PowerShell 5.1 writes the deserialized object."""
    return {"LowerBound": low, "UpperBound": high, "Netmask": None, "CIDRLength": cidr,
            "RangeFormat": fmt, "Size": None, "Expression": expression}


def receive_connectors() -> list[dict[str, Any]]:
    base = {"RunspaceId": "7f1c9c55-0d1c-4a3e-9d7e-0c5f3f6d2a10", "Server": "EX1",
            "Enabled": True, "Fqdn": "mail.contoso.com", "MaxMessageSize": "36 MB (37,748,736 bytes)",
            "ProtocolLoggingLevel": 0, "RequireTLS": False, "IsValid": True}
    default_frontend = {
        **base, "Name": "Default Frontend EX1", "Identity": "EX1\\Default Frontend EX1",
        "TransportRole": "FrontendTransport", "Bindings": ["10.0.0.10:25", "[fd00::10]:25"],
        "RemoteIPRanges": [ip_range("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::",
                                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None, 1),
                           ip_range("0.0.0.0-255.255.255.255", "0.0.0.0", "255.255.255.255", None, 1)],
        "PermissionGroups": 13, "AuthMechanism": 31, "TlsCertificateName": TLS_NAME,
        "TlsDomainCapabilities": ["mail.protection.outlook.com:AcceptCloudServicesMail"],
    }
    cloud = {
        **base, "Name": "Inbound from Office 365", "Identity": "EX1\\Inbound from Office 365",
        "TransportRole": "FrontendTransport", "Bindings": ["203.0.113.10:25", "[2001:db8::10]:25"],
        "RemoteIPRanges": [
            ip_range("40.92.0.0/15", "40.92.0.0", "40.93.255.255", 15, 0),
            ip_range("40.107.0.0/16", "40.107.0.0", "40.107.255.255", 16, 0),
            ip_range("52.100.0.0/14", "52.100.0.0", "52.103.255.255", 14, 0),
            ip_range("104.47.0.0-104.47.127.255", "104.47.0.0", "104.47.127.255", None, 1),
            ip_range("23.103.132.0(255.255.252.0)", "23.103.132.0", "23.103.135.255", 22, 2),
            ip_range("2a01:111:f400::/48", "2a01:111:f400::",
                     "2a01:111:f400:ffff:ffff:ffff:ffff:ffff", 48, 0),
        ],
        "PermissionGroups": 1, "AuthMechanism": 1, "TlsCertificateName": TLS_NAME,
        "TlsDomainCapabilities": ["mail.protection.outlook.com:AcceptCloudServicesMail"],
    }
    relay = {
        **base, "Name": "Relay apps", "Identity": "EX1\\Relay apps", "TransportRole": "FrontendTransport",
        "Bindings": ["203.0.113.10:25"], "RemoteIPRanges": [ip_range("40.107.7.0/24", "40.107.7.0",
                                                                     "40.107.7.255", 24, 0)],
        "PermissionGroups": 4, "AuthMechanism": 16, "TlsCertificateName": None,
        "TlsDomainCapabilities": [],
    }
    return [default_frontend, cloud, relay]


def receive_connector_ps7() -> dict[str, Any]:
    """One connector as PowerShell 7 writes it (-EnumsAsStrings): names and range strings."""
    return {"Name": "Inbound from Office 365", "Identity": "EX2\\Inbound from Office 365",
            "Server": "EX2", "Enabled": True, "TransportRole": "FrontendTransport",
            "Bindings": ["0.0.0.0:25", "[::]:25"],
            "RemoteIPRanges": ["40.92.0.0/15", "40.107.0.0-40.107.255.255", "52.100.0.0(255.252.0.0)",
                               "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"],
            "PermissionGroups": "AnonymousUsers, ExchangeServers", "AuthMechanism": "Tls, ExchangeServer",
            "TlsCertificateName": {"CertificateIssuer": ISSUER, "CertificateSubject": SUBJECT},
            "TlsDomainCapabilities": {"value": ["mail.protection.outlook.com:AcceptCloudServicesMail"],
                                      "Count": 1},
            "Fqdn": "mail.contoso.com"}


def send_connectors() -> list[dict[str, Any]]:
    return [{
        "Name": "Outbound to Office 365 - 5c2c1c44-1b3a-4a8e-9f7e-33e4a2a1b0c9",
        "Identity": "Outbound to Office 365 - 5c2c1c44-1b3a-4a8e-9f7e-33e4a2a1b0c9",
        "AddressSpaces": ["smtp:contoso.mail.onmicrosoft.com;1"], "SmartHosts": [],
        "DNSRoutingEnabled": True, "RequireTLS": True, "TlsAuthLevel": "DomainValidation",
        "TlsDomain": "mail.protection.outlook.com", "TlsCertificateName": TLS_NAME,
        "CloudServicesMailEnabled": True, "Enabled": True, "Fqdn": "mail.contoso.com",
        "SourceTransportServers": ["EX1"], "Port": 25,
    }, {
        "Name": "Internet", "Identity": "Internet", "AddressSpaces": ["SMTP:*;1"], "SmartHosts": [],
        "DNSRoutingEnabled": True, "RequireTLS": False, "TlsAuthLevel": None, "TlsDomain": None,
        "TlsCertificateName": None, "CloudServicesMailEnabled": False, "Enabled": True,
        "Fqdn": None, "SourceTransportServers": ["EX1"], "Port": 25,
    }]


def certificates() -> list[dict[str, Any]]:
    return [{
        "Identity": "EX1\\3D7B2C1E9F0A4B5C6D7E8F9011223344556677AA",
        "Thumbprint": "3D7B2C1E9F0A4B5C6D7E8F9011223344556677AA", "Subject": SUBJECT, "Issuer": ISSUER,
        "CertificateDomains": ["mail.contoso.com", "autodiscover.contoso.com", "contoso.com"],
        "NotBefore": "/Date(1764547200000)/", "NotAfter": "/Date(4102444799000)/",
        "Services": 24, "IsSelfSigned": False, "Status": 1, "HasPrivateKey": True,
    }, {
        "Identity": "EX1\\11AA22BB33CC44DD55EE66FF7788990011223344",
        "Thumbprint": "11AA22BB33CC44DD55EE66FF7788990011223344", "Subject": OLD_SUBJECT,
        "Issuer": ISSUER, "CertificateDomains": ["mail.contoso.com"],
        "NotBefore": "/Date(1672531200000)/", "NotAfter": "/Date(1704067199000)/",
        "Services": 16, "IsSelfSigned": False, "Status": 1, "HasPrivateKey": True,
    }]


def inbound_connector() -> dict[str, Any]:
    return {"Name": "Inbound from 6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
            "Identity": "Inbound from 6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "Enabled": True,
            "ConnectorType": "OnPremises", "ConnectorSource": "HybridWizard",
            "SenderIPAddresses": [], "SenderDomains": ["smtp:*;1"], "RequireTls": True,
            "RestrictDomainsToCertificate": False, "RestrictDomainsToIPAddresses": False,
            "TlsSenderCertificateName": "mail.contoso.com", "CloudServicesMailEnabled": True,
            "WhenChanged": "2026-11-02T09:14:55+00:00"}


def outbound_connector() -> dict[str, Any]:
    return {"Name": "Outbound to 6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
            "Identity": "Outbound to 6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "Enabled": True,
            "ConnectorType": "OnPremises", "ConnectorSource": "HybridWizard", "UseMXRecord": False,
            "SmartHosts": ["mail.contoso.com"], "TlsDomain": "mail.contoso.com",
            "TlsSettings": "DomainValidation", "RecipientDomains": ["contoso.com"],
            "RouteAllMessagesViaOnPremises": False, "CloudServicesMailEnabled": True,
            "IsTransportRuleScoped": False}


def accepted(domains: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"Name": d, "DomainName": d, "DomainType": t, "Default": i == 0}
            for i, (d, t) in enumerate(domains)]


def hybrid_configuration() -> dict[str, Any]:
    return {"Identity": "Hybrid Configuration", "TlsCertificateName": TLS_NAME,
            "OnPremisesSmartHost": "mail.contoso.com", "Domains": ["contoso.com"],
            "Features": ["FreeBusy", "MoveMailbox", "Mailtips", "MessageTracking", "OwaRedirection",
                         "OnlineArchive", "SecureMail", "Photos"],
            "ReceivingTransportServers": ["EX1"], "SendingTransportServers": ["EX1"],
            "EdgeTransportServers": []}


def write(name: str, doc: Any, encoding: str = "utf-8-sig") -> None:
    text = json.dumps(doc, indent=4)
    (HERE / name).write_bytes(text.replace("\n", "\r\n").encode(encoding))


def main() -> None:
    write("receive-connectors.json", receive_connectors())
    write("receive-connector-ps7-utf16.json", receive_connector_ps7(), "utf-16")
    write("send-connectors.json", send_connectors())
    write("exchange-certificates.json", certificates())
    write("inbound-connector.json", inbound_connector())
    write("outbound-connector.json", outbound_connector())
    write("accepted-domains-tenant.json", accepted([("contoso.com", "InternalRelay"),
                                                    ("contoso.onmicrosoft.com", "Authoritative"),
                                                    ("contoso.mail.onmicrosoft.com", "Authoritative")]))
    write("accepted-domains-onprem.json", accepted([("contoso.com", "Authoritative"),
                                                    ("contoso.mail.onmicrosoft.com", "Authoritative")]))
    write("hybrid-configuration-utf16.json", hybrid_configuration(), "utf-16")


if __name__ == "__main__":
    main()
