"""Exchange's own allow-lists and certificates, both ends: receive and send connectors,
certificates, Exchange Online inbound/outbound connectors, accepted domains, hybrid settings.

`read_exports(paths)` reads `ConvertTo-Json` exports of the seven cmdlets (each object's kind
found by its properties through `READERS`); `check_connectors(exports, topology, data)` audits
them (`hybridfw.connectors.checks`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hybridfw.connectors.accepted import AcceptedDomainReader
from hybridfw.connectors.certificate import ExchangeCertificateReader
from hybridfw.connectors.hybrid import HybridConfigurationReader
from hybridfw.connectors.inbound import InboundConnectorReader
from hybridfw.connectors.interface import AcceptedDomain, Exports, ObjectReader
from hybridfw.connectors.load import read_file, tenant_side
from hybridfw.connectors.outbound import OutboundConnectorReader
from hybridfw.connectors.receive import ReceiveConnectorReader
from hybridfw.connectors.send import SendConnectorReader

__all__ = ["READERS", "Exports", "read_exports"]

# One reader per cmdlet; detection asks every one, so the order is only the order of listing.
READERS: tuple[ObjectReader[Any], ...] = (
    ReceiveConnectorReader(), SendConnectorReader(), ExchangeCertificateReader(),
    InboundConnectorReader(), OutboundConnectorReader(), AcceptedDomainReader(),
    HybridConfigurationReader(),
)


def read_exports(paths: Sequence[Path | str]) -> Exports:
    """Read every file; raises InputError (file, object, property) on the first bad one."""
    by_kind: dict[str, list[Any]] = defaultdict(list)
    tenant: list[AcceptedDomain] = []
    onprem: list[AcceptedDomain] = []
    for path in paths:
        objects = read_file(Path(path), READERS)
        domains = [obj for kind, obj in objects if kind == "accepted-domain"]
        (tenant if tenant_side(domains) else onprem).extend(domains)
        for kind, obj in objects:
            by_kind[kind].append(obj)
    return Exports(
        paths=tuple(str(p) for p in paths), receive=tuple(by_kind["receive-connector"]),
        send=tuple(by_kind["send-connector"]), certificates=tuple(by_kind["exchange-certificate"]),
        inbound=tuple(by_kind["inbound-connector"]), outbound=tuple(by_kind["outbound-connector"]),
        tenant_domains=tuple(tenant), onprem_domains=tuple(onprem),
        hybrid=tuple(by_kind["hybrid-configuration"]),
        counts={r.kind: len(by_kind[r.kind]) for r in READERS},
    )
