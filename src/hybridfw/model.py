"""The few types every part of hybridfw shares: endpoint data, flows and findings."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from hybridfw.addresses import AddressSet
from hybridfw.errors import EXIT_OK, EXIT_PROBLEMS

INSTANCES = ("Worldwide", "USGovDoD", "USGovGCCHigh", "China")
STALE_AFTER_DAYS = 35  # Microsoft publishes monthly; older data has likely missed a version


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


def finding_order(finding: Finding) -> tuple[int, str, str, str]:
    """Findings as every output lists them: errors, then warnings, then info; by flow, code."""
    return (-int(finding.severity), finding.subject, finding.code, finding.message)


def exit_code_for(findings: Iterable[Finding]) -> int:
    """1 when any finding is an error (a problem to fix), else 0. Warnings inform only."""
    return EXIT_PROBLEMS if any(f.severity >= Severity.ERROR for f in findings) else EXIT_OK


@dataclass(frozen=True)
class Finding:
    """One thing an analysis found. Every output format renders these."""

    severity: Severity
    code: str  # stable, dotted: "endpoints.stale-data", "audit.missing", "probe.smtp.refused"
    message: str
    evidence: tuple[str, ...] = ()
    fix: str = ""
    subject: str = ""  # what it is about: a flow id, a host, a file

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": str(self.severity),
            "code": self.code,
            "subject": self.subject,
            "message": self.message,
            "evidence": list(self.evidence),
            "fix": self.fix,
        }


@dataclass(frozen=True)
class EndpointSet:
    """One endpoint set from the Microsoft 365 IP Address and URL web service."""

    id: int
    service_area: str
    service_area_display_name: str = ""
    urls: tuple[str, ...] = ()
    ips: AddressSet = field(default_factory=AddressSet.empty)
    ip_strings: tuple[str, ...] = ()  # as published, order kept
    tcp_ports: tuple[int, ...] = ()
    udp_ports: tuple[int, ...] = ()
    category: str = "Default"
    required: bool = False
    express_route: bool = False
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "serviceArea": self.service_area,
            "serviceAreaDisplayName": self.service_area_display_name,
            "urls": list(self.urls),
            "ips": list(self.ip_strings),
            "tcpPorts": list(self.tcp_ports),
            "udpPorts": list(self.udp_ports),
            "category": self.category,
            "required": self.required,
            "expressRoute": self.express_route,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class EndpointData:
    """One version of the endpoint list for one instance, and where it came from."""

    instance: str
    version: str | None  # service version YYYYMMDDNN; None when the source carries none
    data_date: datetime  # when the data was published/fetched (aware, UTC)
    source: Literal["store", "snapshot", "file"]
    label: str  # human description, e.g. "shipped snapshot fetched 2026-05-29 (no service version)"
    sha256: str
    sets: tuple[EndpointSet, ...]

    def age_days(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        return max(0, (now - self.data_date).days)

    def is_stale(self, now: datetime | None = None) -> bool:
        return self.age_days(now) > STALE_AFTER_DAYS

    def by_id(self, set_id: int) -> EndpointSet | None:
        return next((s for s in self.sets if s.id == set_id), None)

    def version_label(self) -> str:
        return self.version or f"{self.source} {self.data_date:%Y-%m-%d}"

    def summary(self) -> dict[str, Any]:
        """The data in use as every JSON answer gives it: the `data` block of the commands'
        --json documents (`$defs/data` in the schemas), `endpoint_data` in the automation API."""
        return {"instance": self.instance, "version": self.version, "source": self.source,
                "label": self.label, "sha256": self.sha256, "data_date": self.data_date.isoformat(),
                "age_days": self.age_days(), "stale": self.is_stale()}


Direction = Literal["inbound", "outbound"]


@dataclass(frozen=True)
class Flow:
    """A network flow Exchange hybrid needs through the on-premises firewall.

    `sources`/`destinations` are address sets; where Microsoft publishes only names, those are
    in `source_fqdns`/`destination_fqdns` (FQDN objects). `override_sources` are addresses the
    admin added in the topology's [overrides] (already included in `sources`).
    """

    id: str
    direction: Direction
    protocol: Literal["tcp", "udp"]
    ports: tuple[int, ...]
    sources: AddressSet
    destinations: AddressSet
    reason: str
    source_fqdns: tuple[str, ...] = ()
    destination_fqdns: tuple[str, ...] = ()
    endpoint_set_ids: tuple[int, ...] = ()
    override_sources: AddressSet = field(default_factory=AddressSet.empty)
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "direction": self.direction,
            "protocol": self.protocol,
            "ports": list(self.ports),
            "sources": self.sources.to_cidrs(),
            "source_fqdns": list(self.source_fqdns),
            "destinations": self.destinations.to_cidrs(),
            "destination_fqdns": list(self.destination_fqdns),
            "endpoint_set_ids": list(self.endpoint_set_ids),
            "override_sources": self.override_sources.to_cidrs(),
            "required": self.required,
            "reason": self.reason,
        }
