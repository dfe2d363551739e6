"""Probe the path as Exchange Online does: SMTP connector validation, HTTPS publishing, DNS.

Public API (for the CLI and the `check` command):

    from hybridfw.probe import SmtpOptions, parse_target, probe_smtp_hosts_sync
    results = probe_smtp_hosts_sync([parse_target("mail.contoso.com")], SmtpOptions(timeout=10))
    for r in results: r.findings, r.to_dict()

Async variants (`probe_smtp_hosts`, `probe_https`, `probe_dns`) run inside an event loop.
Probes are found by kind in `PROBES`; each module holds one kind.
"""

from __future__ import annotations

from typing import Any

from hybridfw.probe.dns import DnsProbe, probe_dns
from hybridfw.probe.https import HttpsProbe, probe_https
from hybridfw.probe.interface import (
    DnsOptions,
    HttpsOptions,
    Probe,
    ProbeResult,
    SmtpOptions,
    SmtpProbeResult,
    SmtpTarget,
    Step,
    TlsOptions,
    TranscriptLine,
)
from hybridfw.probe.smtp import SmtpProbe, parse_target, probe_smtp, probe_smtp_hosts, probe_smtp_hosts_sync

PROBES: dict[str, type[Probe[Any]]] = {probe.kind: probe for probe in (SmtpProbe, HttpsProbe, DnsProbe)}

__all__ = [
    "PROBES",
    "DnsOptions",
    "DnsProbe",
    "HttpsOptions",
    "HttpsProbe",
    "Probe",
    "ProbeResult",
    "SmtpOptions",
    "SmtpProbe",
    "SmtpProbeResult",
    "SmtpTarget",
    "Step",
    "TlsOptions",
    "TranscriptLine",
    "parse_target",
    "probe_dns",
    "probe_https",
    "probe_smtp",
    "probe_smtp_hosts",
    "probe_smtp_hosts_sync",
]
