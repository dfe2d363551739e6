"""Get-InboundConnector (Exchange Online): how the tenant recognises mail from on-premises."""

from __future__ import annotations

from hybridfw.connectors.interface import InboundConnector, ObjectReader, Origin
from hybridfw.connectors.values import Props


class InboundConnectorReader(ObjectReader[InboundConnector]):
    kind = "inbound-connector"
    cmdlet = "Get-InboundConnector"
    signature = ("ConnectorType", "SenderIPAddresses", "TlsSenderCertificateName")

    def read(self, props: Props, origin: Origin) -> InboundConnector:
        return InboundConnector(
            origin=origin, name=props.text("Name", required=True),
            identity=props.text("Identity") or props.text("Name"),
            enabled=props.boolean("Enabled", default=True),
            connector_type=props.text("ConnectorType"),
            tls_sender_certificate_name=props.text("TlsSenderCertificateName").lower(),
            require_tls=props.boolean("RequireTls"),
            restrict_domains_to_certificate=props.boolean("RestrictDomainsToCertificate"),
            cloud_services_mail_enabled=props.boolean("CloudServicesMailEnabled"),
            sender_ip_addresses=props.ranges("SenderIPAddresses"),
        )
