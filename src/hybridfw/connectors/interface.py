"""The objects read from Exchange exports, and the base class of one reader per object kind.

One reader per cmdlet's object kind (`Get-ReceiveConnector`, `Get-SendConnector`, ...). A
reader recognises its objects by their properties (its `signature`), never by the file name,
and turns one exported object into one frozen dataclass below.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from hybridfw.addresses import AddressSet
from hybridfw.connectors.values import IpRange, Props


@dataclass(frozen=True)
class Origin:
    """Where an object came from: the file and its position there (from 1)."""

    path: str
    number: int

    def describe(self) -> str:
        return f"{self.path} object {self.number}"


@dataclass(frozen=True)
class Binding:
    """A receive connector's local endpoint: `0.0.0.0` / `[::]` stand for every address."""

    text: str
    addresses: AddressSet
    port: int


@dataclass(frozen=True)
class ReceiveConnector:
    origin: Origin
    name: str
    identity: str
    server: str
    enabled: bool
    bindings: tuple[Binding, ...]
    remote_ranges: tuple[IpRange, ...]
    permission_groups: frozenset[str]
    auth_mechanism: frozenset[str]
    tls_certificate_name: str
    tls_domain_capabilities: tuple[str, ...]
    fqdn: str
    transport_role: str

    @property
    def remote_set(self) -> AddressSet:
        return AddressSet.union_all(r.addresses for r in self.remote_ranges)


@dataclass(frozen=True)
class SendConnector:
    origin: Origin
    name: str
    identity: str
    enabled: bool
    address_spaces: tuple[str, ...]  # domains, "smtp:" type and ";cost" removed
    smart_hosts: tuple[str, ...]
    dns_routing_enabled: bool
    tls_certificate_name: str
    tls_domain: str
    tls_auth_level: str
    require_tls: bool
    cloud_services_mail_enabled: bool
    fqdn: str


@dataclass(frozen=True)
class ExchangeCertificate:
    origin: Origin
    thumbprint: str
    subject: str
    issuer: str
    domains: tuple[str, ...]  # CertificateDomains: subject CN and SAN DNS names
    not_before: datetime | None
    not_after: datetime | None
    services: frozenset[str]
    self_signed: bool
    server: str


@dataclass(frozen=True)
class InboundConnector:
    origin: Origin
    name: str
    identity: str
    enabled: bool
    connector_type: str
    tls_sender_certificate_name: str
    require_tls: bool
    restrict_domains_to_certificate: bool
    cloud_services_mail_enabled: bool
    sender_ip_addresses: tuple[IpRange, ...]


@dataclass(frozen=True)
class OutboundConnector:
    origin: Origin
    name: str
    identity: str
    enabled: bool
    connector_type: str
    smart_hosts: tuple[str, ...]
    tls_domain: str
    tls_settings: str
    use_mx_record: bool
    recipient_domains: tuple[str, ...]
    cloud_services_mail_enabled: bool


@dataclass(frozen=True)
class AcceptedDomain:
    origin: Origin
    name: str
    domain: str
    domain_type: str
    default: bool


@dataclass(frozen=True)
class HybridConfiguration:
    origin: Origin
    tls_certificate_name: str
    on_premises_smart_host: str
    domains: tuple[str, ...]
    features: tuple[str, ...]


T = TypeVar("T")


class ObjectReader(abc.ABC, Generic[T]):
    """Reads the objects of one cmdlet. `signature`: properties every such object has and no
    object of another registered kind has all of."""

    kind: ClassVar[str]
    cmdlet: ClassVar[str]
    signature: ClassVar[tuple[str, ...]]

    def detect(self, props: Props) -> bool:
        return all(props.has(name) for name in self.signature)

    @abc.abstractmethod
    def read(self, props: Props, origin: Origin) -> T:
        """One object; raises InputError naming the property that is wrong."""


@dataclass(frozen=True)
class Exports:
    """Everything read from the given files, by kind. `tenant_domains` are the accepted domains
    of an Exchange Online export, `onprem_domains` those of an on-premises one."""

    paths: tuple[str, ...] = ()
    receive: tuple[ReceiveConnector, ...] = ()
    send: tuple[SendConnector, ...] = ()
    certificates: tuple[ExchangeCertificate, ...] = ()
    inbound: tuple[InboundConnector, ...] = ()
    outbound: tuple[OutboundConnector, ...] = ()
    tenant_domains: tuple[AcceptedDomain, ...] = ()
    onprem_domains: tuple[AcceptedDomain, ...] = ()
    hybrid: tuple[HybridConfiguration, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)  # kind -> objects read

    def to_dict(self) -> dict[str, Any]:
        return {"files": list(self.paths), "objects": dict(self.counts)}
