"""Exchange's own allow-lists and certificates, both ends: receive and send connectors,
certificates, Exchange Online inbound/outbound connectors, accepted domains, hybrid settings.

`read_exports(paths)` reads `ConvertTo-Json` exports of the seven cmdlets (each object's kind
found by its properties through the readers listed in `READERS`, the `hybridfw.plugins`
mechanism); `check_connectors(exports, topology, data)` audits them (`hybridfw.connectors.checks`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from hybridfw.connectors.interface import AcceptedDomain, Exports, ObjectReader
from hybridfw.connectors.load import read_file, tenant_side
from hybridfw.plugins import PlugIn

__all__ = ["READERS", "Exports", "read_exports", "readers"]

# One reader per cmdlet, named by the object kind it reads (the keys of the JSON's
# inputs.objects); detection asks every one, so the order is only the order of listing.
READERS: tuple[PlugIn[type[ObjectReader[Any]]], ...] = (
    PlugIn("receive-connector", "hybridfw.connectors.receive", "ReceiveConnectorReader"),
    PlugIn("send-connector", "hybridfw.connectors.send", "SendConnectorReader"),
    PlugIn("exchange-certificate", "hybridfw.connectors.certificate", "ExchangeCertificateReader"),
    PlugIn("inbound-connector", "hybridfw.connectors.inbound", "InboundConnectorReader"),
    PlugIn("outbound-connector", "hybridfw.connectors.outbound", "OutboundConnectorReader"),
    PlugIn("accepted-domain", "hybridfw.connectors.accepted", "AcceptedDomainReader"),
    PlugIn("hybrid-configuration", "hybridfw.connectors.hybrid", "HybridConfigurationReader"),
)


@cache
def readers() -> tuple[ObjectReader[Any], ...]:
    """One instance of every reader, in `READERS` order (their modules imported on first use)."""
    return tuple(p.load()() for p in READERS)


def read_exports(paths: Sequence[Path | str]) -> Exports:
    """Read every file; raises InputError (file, object, property) on the first bad one."""
    by_kind: dict[str, list[Any]] = defaultdict(list)
    tenant: list[AcceptedDomain] = []
    onprem: list[AcceptedDomain] = []
    for path in paths:
        objects = read_file(Path(path), readers())
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
        counts={p.name: len(by_kind[p.name]) for p in READERS},
    )
