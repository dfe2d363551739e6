"""Get-ReceiveConnector (on-premises): bindings, RemoteIPRanges, permissions, certificate."""

from __future__ import annotations

from typing import Any

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.connectors.interface import Binding, ObjectReader, Origin, ReceiveConnector
from hybridfw.connectors.values import Props, ValueShapeError, items, scalar

# The flag values of Exchange's PermissionGroups and AuthMechanisms enums.
PERMISSION_GROUPS = {"None": 0, "AnonymousUsers": 1, "ExchangeUsers": 2, "ExchangeServers": 4,
                     "ExchangeLegacyServers": 8, "Partners": 16, "Custom": 32}
AUTH_MECHANISMS = {"None": 0, "Tls": 1, "Integrated": 2, "BasicAuth": 4, "BasicAuthRequireTLS": 8,
                   "ExchangeServer": 16, "ExternalAuthoritative": 32}


def parse_binding(value: Any) -> Binding:
    """`0.0.0.0:25`, `[::]:25`, `203.0.113.10:25`, or an IPEndPoint object (Address, Port)."""
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        host, port_text = scalar(lowered.get("address")), scalar(lowered.get("port"))
    else:
        text = scalar(value)
        if text.startswith("["):
            host, _, port_text = text[1:].partition("]:")
        else:
            host, _, port_text = text.rpartition(":")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueShapeError(f"bad binding {scalar(value) if not isinstance(value, dict) else value!r}:"
                         " expected address:port")
    host = host.strip("[]")
    try:
        if host in ("0.0.0.0", "::"):
            addresses = AddressSet.any(4 if host == "0.0.0.0" else 6)
        else:
            addresses = AddressSet.parse([host.split("%")[0]])
    except AddressError as exc:
        raise ValueShapeError(str(exc)) from None
    shown = f"[{host}]:{port_text}" if ":" in host else f"{host}:{port_text}"
    return Binding(shown, addresses, int(port_text))


class ReceiveConnectorReader(ObjectReader[ReceiveConnector]):
    kind = "receive-connector"
    cmdlet = "Get-ReceiveConnector"
    signature = ("Bindings", "RemoteIPRanges", "PermissionGroups")

    def read(self, props: Props, origin: Origin) -> ReceiveConnector:
        try:
            bindings = tuple(parse_binding(v) for v in items(props.get("Bindings")))
        except ValueShapeError as exc:
            raise props.fail("Bindings", str(exc)) from None
        return ReceiveConnector(
            origin=origin, name=props.text("Name", required=True),
            identity=props.text("Identity") or props.text("Name"),
            server=props.text("Server"), enabled=props.boolean("Enabled", default=True),
            bindings=bindings, remote_ranges=props.ranges("RemoteIPRanges", required=True),
            permission_groups=props.flags("PermissionGroups", PERMISSION_GROUPS),
            auth_mechanism=props.flags("AuthMechanism", AUTH_MECHANISMS),
            tls_certificate_name=props.certificate_name("TlsCertificateName"),
            tls_domain_capabilities=props.texts("TlsDomainCapabilities"),
            fqdn=props.text("Fqdn"), transport_role=props.text("TransportRole"),
        )
