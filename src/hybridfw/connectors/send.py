"""Get-SendConnector (on-premises): the connector that sends to Exchange Online."""

from __future__ import annotations

import re

from hybridfw.connectors.interface import ObjectReader, Origin, SendConnector
from hybridfw.connectors.values import Props

_ADDRESS_SPACE = re.compile(r"^(?:(?P<type>[A-Za-z0-9-]+):)?(?P<domain>[^;]*)(?:;(?P<cost>\d+))?$")


def address_space_domain(text: str) -> str:
    """`smtp:contoso.mail.onmicrosoft.com;1` -> `contoso.mail.onmicrosoft.com`."""
    found = _ADDRESS_SPACE.match(text.strip())
    return (found["domain"] if found else text).strip().lower()


class SendConnectorReader(ObjectReader[SendConnector]):
    kind = "send-connector"
    cmdlet = "Get-SendConnector"
    signature = ("AddressSpaces", "SmartHosts", "DNSRoutingEnabled")

    def read(self, props: Props, origin: Origin) -> SendConnector:
        return SendConnector(
            origin=origin, name=props.text("Name", required=True),
            identity=props.text("Identity") or props.text("Name"),
            enabled=props.boolean("Enabled", default=True),
            address_spaces=tuple(address_space_domain(a) for a in props.texts("AddressSpaces")),
            smart_hosts=tuple(h.strip("[]").lower() for h in props.texts("SmartHosts")),
            dns_routing_enabled=props.boolean("DNSRoutingEnabled"),
            tls_certificate_name=props.certificate_name("TlsCertificateName"),
            tls_domain=props.text("TlsDomain").lower(),
            tls_auth_level=props.text("TlsAuthLevel"),
            require_tls=props.boolean("RequireTLS"),
            cloud_services_mail_enabled=props.boolean("CloudServicesMailEnabled"),
            fqdn=props.text("Fqdn"),
        )
