"""What a connectors check returns: findings that name the Microsoft page they follow, the
RemoteIPRanges coverage per listening address, and one status per check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hybridfw.addresses import AddressSet
from hybridfw.errors import EXIT_OK, EXIT_PROBLEMS
from hybridfw.model import Finding, Severity

Status = Literal["pass", "warn", "fail", "not checked"]
NOT_CHECKED = "connectors.not-checked"

# The Microsoft pages the checks follow.
PAGES = {
    "receive": "https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors",
    "set-receive": "https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector",
    "set-send": "https://learn.microsoft.com/powershell/module/exchange/set-sendconnector",
    "certificates": "https://learn.microsoft.com/exchange/certificate-requirements",
    "enable-cert": "https://learn.microsoft.com/powershell/module/exchange/enable-exchangecertificate",
    "set-inbound": "https://learn.microsoft.com/powershell/module/exchange/set-inboundconnector",
    "set-outbound": "https://learn.microsoft.com/powershell/module/exchange/set-outboundconnector",
    "transport": "https://learn.microsoft.com/exchange/transport-routing",
    "attribution": ("Microsoft 365 message center MC1226222 (Prevent/Fix: Guidance for "
                    "On-Premises Connectors Configuration)"),
    "endpoints": ("https://learn.microsoft.com/microsoft-365/enterprise/"
                  "urls-and-ip-address-ranges"),
}


@dataclass(frozen=True)
class ConnectorFinding(Finding):
    """A Finding that also names the Microsoft page it follows."""

    reference: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "reference": self.reference}


def finding(severity: Severity, code: str, message: str, *, fix: str = "", page: str = "",
            subject: str = "", evidence: tuple[str, ...] = ()) -> ConnectorFinding:
    return ConnectorFinding(severity, code, message, evidence, fix, subject,
                            reference=PAGES.get(page, page))


def cloud_services_disabled(cmdlet: str, identity: str) -> ConnectorFinding:
    """CloudServicesMailEnabled off on a connector between the ends (either end)."""
    from hybridfw.render.exchange import ps_string

    noun = cmdlet.removeprefix("Set-")
    return finding(Severity.ERROR, "connectors.cloud-services-mail-disabled",
                   f"{noun} {identity}: CloudServicesMailEnabled is off, so the internal headers "
                   "that make hybrid mail internal are dropped",
                   fix=f"{cmdlet} -Identity {ps_string(identity)} -CloudServicesMailEnabled $true",
                   page="transport", subject=f"{noun} {identity}")


def is_onprem(connector: Any) -> bool:
    """An enabled Exchange Online connector of type OnPremises (the hybrid ones)."""
    return bool(connector.enabled) and str(connector.connector_type).lower() == "onpremises"


def not_checked(what: str, why: str, decide: str, subject: str = "") -> ConnectorFinding:
    """A check that could not run: what, why, and the input that would decide it."""
    return finding(Severity.WARNING, NOT_CHECKED, f"{what}: not checked ({why})", fix=decide,
                   subject=subject)


@dataclass(frozen=True)
class Check:
    """One check (e.g. `receive.remote-ip-ranges`) and the findings it made."""

    name: str
    title: str
    findings: tuple[ConnectorFinding, ...]

    @property
    def status(self) -> Status:
        if any(f.severity >= Severity.ERROR for f in self.findings):
            return "fail"
        if any(f.code == NOT_CHECKED for f in self.findings):
            return "not checked"
        if any(f.severity >= Severity.WARNING for f in self.findings):
            return "warn"
        return "pass"

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "title": self.title, "status": self.status,
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class ReceiveCoverage:
    """One listening address of one server (port 25) against the Exchange Online sources.

    `allowed`: required sources a connector that takes Exchange Online mail is chosen for;
    `missing`: required sources no such connector is chosen for; `stale`: sources the
    Exchange Online connector(s) are chosen for that are in no current set for the flow;
    `captured`: required sources a connector without anonymous permission wins (in `missing`);
    `unknown`: sources two connectors' equally specific ranges both claim.
    """

    server: str
    address: str
    port: int
    connectors: tuple[str, ...]  # the connectors taking Exchange Online mail here
    allowed: AddressSet
    missing: AddressSet
    stale: AddressSet
    unknown: AddressSet = field(default_factory=AddressSet.empty)
    captured: tuple[tuple[str, AddressSet], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "address": self.address, "port": self.port,
                "connectors": list(self.connectors), "allowed": self.allowed.to_cidrs(),
                "missing": self.missing.to_cidrs(), "stale": self.stale.to_cidrs(),
                "unknown": self.unknown.to_cidrs(),
                "captured": [{"connector": n, "addresses": a.to_cidrs()} for n, a in self.captured]}


@dataclass(frozen=True)
class ConnectorsResult:
    checks: tuple[Check, ...]
    coverage: tuple[ReceiveCoverage, ...] = ()
    fixes: tuple[str, ...] = ()  # cmdlet lines, in the order to run them
    inputs: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # the endpoint data block (EndpointData.summary())

    @property
    def findings(self) -> tuple[ConnectorFinding, ...]:
        return tuple(f for c in self.checks for f in c.findings)

    @property
    def exit_code(self) -> int:
        """0 only when every check ran and passed (warnings allowed); a check that could not
        run is not an all-clear."""
        return EXIT_OK if all(c.status in ("pass", "warn") for c in self.checks) else EXIT_PROBLEMS

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "data": self.data, "checks": [c.to_dict() for c in self.checks],
                "receive_coverage": [r.to_dict() for r in self.coverage],
                "fixes": list(self.fixes)}
