"""Get-AcceptedDomain (either end): the domains an organization accepts mail for."""

from __future__ import annotations

from hybridfw.connectors.interface import AcceptedDomain, ObjectReader, Origin
from hybridfw.connectors.values import Props


def is_initial_domain(domain: str) -> bool:
    """`contoso.onmicrosoft.com`: every tenant has one, an on-premises organization does not
    (it has `contoso.mail.onmicrosoft.com`, the coexistence domain, at most)."""
    d = domain.lower().rstrip(".")
    return d.endswith(".onmicrosoft.com") and not d.endswith(".mail.onmicrosoft.com")


class AcceptedDomainReader(ObjectReader[AcceptedDomain]):
    kind = "accepted-domain"
    cmdlet = "Get-AcceptedDomain"
    signature = ("DomainName", "DomainType")

    def read(self, props: Props, origin: Origin) -> AcceptedDomain:
        return AcceptedDomain(
            origin=origin, name=props.text("Name"),
            domain=props.text("DomainName", required=True).lower().rstrip("."),
            domain_type=props.text("DomainType"), default=props.boolean("Default"),
        )
