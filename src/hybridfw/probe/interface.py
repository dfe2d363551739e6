"""What every probe returns: timed steps, a transcript, facts and findings.

A probe runs the steps Exchange Online runs against a host (SMTP connector validation, HTTPS
publishing checks, DNS look-ups) and reports each failure as a `Finding` with cause, fix and,
for SMTP, the text Exchange Online would show for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hybridfw.model import Finding

StepStatus = Literal["pass", "warn", "fail", "skip"]
Speaker = Literal["C", "S", "*"]  # client line, server line, note (TLS, connect, close)

DEFAULT_TIMEOUT = 10.0
ClientCert = tuple[Path, Path | None] | None  # (certificate PEM, key PEM or None: in the first file)
EXCHANGE_PREFIX = "Exchange Online would report: "
EXCHANGE_LIKELY_PREFIX = "Exchange Online would likely report: "


@dataclass(frozen=True)
class Step:
    """One step of a probe, timed from its start to its end."""

    name: str
    status: StepStatus
    elapsed_ms: float
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "elapsed_ms": round(self.elapsed_ms, 2),
                "detail": self.detail}


@dataclass(frozen=True)
class TranscriptLine:
    """One line of the conversation as the peers exchanged it (`C:` sent, `S:` received)."""

    direction: Speaker
    text: str
    at_ms: float = 0.0

    def render(self) -> str:
        return f"{self.direction}: {self.text}"

    def to_dict(self) -> dict[str, Any]:
        return {"direction": self.direction, "text": self.text, "at_ms": round(self.at_ms, 2)}


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of probing one target. `ok` is false when any finding is an error."""

    kind: str  # "smtp" | "https" | "dns"
    target: str
    address: str = ""  # the IP address the probe talked to, when there was one
    port: int = 0
    steps: tuple[Step, ...] = ()
    transcript: tuple[TranscriptLine, ...] = ()
    findings: tuple[Finding, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return all(f.severity < 2 for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "address": self.address,
            "port": self.port,
            "ok": self.ok,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "steps": [s.to_dict() for s in self.steps],
            "transcript": [t.to_dict() for t in self.transcript],
            "facts": self.facts,
            "findings": [f.to_dict() for f in self.findings],
        }




@dataclass(frozen=True)
class SmtpTarget:
    """A smart host as a connector names it: a DNS name or an address, and a port."""

    host: str
    port: int = 25

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class TlsOptions:
    """How certificates are judged: trust anchors, expected name, and what else to test."""

    ca_file: Path | None = None  # None: the system trust store
    cert_name: str = ""  # the name Exchange Online expects (TlsDomain / TlsCertificateName)
    check_legacy_versions: bool = True  # also try TLS 1.0 and 1.1 in separate handshakes
    expiry_warning_days: int = 30
    client_cert: Path | None = None  # presented as Exchange Online presents its own (PEM)
    client_key: Path | None = None  # None: the key is in client_cert

    def client(self) -> ClientCert:
        return (self.client_cert, self.client_key) if self.client_cert is not None else None


@dataclass(frozen=True)
class SmtpOptions:
    timeout: float = DEFAULT_TIMEOUT  # per step: a stalled or trickling peer is cut off here
    helo: str = ""  # empty: this machine's host name
    mail_from: str = ""  # empty: hybridfw-probe@<helo>
    rcpt: str = ""  # adds MAIL FROM / RCPT TO
    send: bool = False  # also DATA with a small test message
    tls: TlsOptions = field(default_factory=TlsOptions)
    concurrency: int = 500


@dataclass(frozen=True)
class HttpsOptions:
    timeout: float = DEFAULT_TIMEOUT
    paths: tuple[str, ...] = ("autodiscover", "autodiscover-wssecurity", "ews", "ews-wssecurity", "mrsproxy")
    overrides: tuple[tuple[str, str], ...] = ()  # (path name, URL path) as the topology/--url set it
    tls: TlsOptions = field(default_factory=TlsOptions)


@dataclass(frozen=True)
class DnsOptions:
    timeout: float = DEFAULT_TIMEOUT
    nameserver: str = ""  # empty: the system resolver configuration
    nameserver_port: int = 53
