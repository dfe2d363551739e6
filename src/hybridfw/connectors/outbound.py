"""Get-OutboundConnector (Exchange Online): how the tenant delivers to on-premises."""

from __future__ import annotations

from hybridfw.connectors.interface import ObjectReader, Origin, OutboundConnector
from hybridfw.connectors.values import Props


class OutboundConnectorReader(ObjectReader[OutboundConnector]):
    kind = "outbound-connector"
    cmdlet = "Get-OutboundConnector"
    signature = ("ConnectorType", "SmartHosts", "TlsSettings", "RecipientDomains")

    def read(self, props: Props, origin: Origin) -> OutboundConnector:
        return OutboundConnector(
            origin=origin, name=props.text("Name", required=True),
            identity=props.text("Identity") or props.text("Name"),
            enabled=props.boolean("Enabled", default=True),
            connector_type=props.text("ConnectorType"),
            smart_hosts=tuple(h.strip("[]").lower() for h in props.texts("SmartHosts")),
            tls_domain=props.text("TlsDomain").lower(), tls_settings=props.text("TlsSettings"),
            use_mx_record=props.boolean("UseMXRecord"),
            recipient_domains=tuple(d.lower() for d in props.texts("RecipientDomains")),
            cloud_services_mail_enabled=props.boolean("CloudServicesMailEnabled"),
        )
