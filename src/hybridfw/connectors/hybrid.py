"""Get-HybridConfiguration (on-premises): what the Hybrid Configuration Wizard last set up."""

from __future__ import annotations

from hybridfw.connectors.interface import HybridConfiguration, ObjectReader, Origin
from hybridfw.connectors.values import Props


class HybridConfigurationReader(ObjectReader[HybridConfiguration]):
    kind = "hybrid-configuration"
    cmdlet = "Get-HybridConfiguration"
    signature = ("OnPremisesSmartHost", "Features", "TlsCertificateName")

    def read(self, props: Props, origin: Origin) -> HybridConfiguration:
        return HybridConfiguration(
            origin=origin, tls_certificate_name=props.certificate_name("TlsCertificateName"),
            on_premises_smart_host=props.text("OnPremisesSmartHost").lower(),
            domains=tuple(d.lower() for d in props.texts("Domains")),
            features=props.texts("Features"),
        )
