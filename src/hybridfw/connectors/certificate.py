"""Get-ExchangeCertificate (on-premises): names, validity and the services a certificate serves."""

from __future__ import annotations

from hybridfw.connectors.interface import ExchangeCertificate, ObjectReader, Origin
from hybridfw.connectors.values import Props

# The flag values of Exchange's AllowedServices enum.
ALLOWED_SERVICES = {"None": 0, "IMAP": 1, "POP": 2, "UM": 4, "IIS": 8, "SMTP": 16,
                    "Federation": 32, "UMCallRouter": 64}


class ExchangeCertificateReader(ObjectReader[ExchangeCertificate]):
    kind = "exchange-certificate"
    cmdlet = "Get-ExchangeCertificate"
    signature = ("Thumbprint", "NotAfter", "Subject", "Issuer")

    def read(self, props: Props, origin: Origin) -> ExchangeCertificate:
        return ExchangeCertificate(
            origin=origin, thumbprint=props.text("Thumbprint", required=True).upper(),
            subject=props.text("Subject", required=True), issuer=props.text("Issuer", required=True),
            domains=tuple(d.lower() for d in props.texts("CertificateDomains")),
            not_before=props.date("NotBefore"), not_after=props.date("NotAfter", required=True),
            services=props.flags("Services", ALLOWED_SERVICES),
            self_signed=props.boolean("IsSelfSigned"),
            server=_server(props),
        )


def _server(props: Props) -> str:
    """The server holding the certificate: the collect script's HybridfwServer, else the
    `SERVER\\thumbprint` form of Identity; "" when neither says."""
    identity = props.text("Identity")
    return props.text("HybridfwServer") or (identity.partition("\\")[0] if "\\" in identity else "")
