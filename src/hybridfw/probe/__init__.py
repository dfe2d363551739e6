"""Probe the path as Exchange Online does: SMTP connector validation, HTTPS publishing, DNS.

Public API (for the CLI and the `check` command):

    from hybridfw.probe import SmtpOptions, parse_target, probe_smtp_hosts_sync
    results = probe_smtp_hosts_sync([parse_target("mail.contoso.com")], SmtpOptions(timeout=10))
    for r in results: r.findings, r.to_dict()

Async variants (`probe_smtp_hosts`, `probe_https`, `probe_dns`) run inside an event loop.
Probes are found by kind in `PROBES`; each module holds one kind. Names load on first use, so
`hybridfw probe smtp` does not pay for the HTTPS and DNS modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from hybridfw.probe.smtp import (
        SmtpProbe,
        parse_target,
        probe_smtp,
        probe_smtp_hosts,
        probe_smtp_hosts_sync,
    )

    PROBES: dict[str, type[Probe[Any]]]

_HOMES = {
    "hybridfw.probe.interface": ("DnsOptions", "HttpsOptions", "Probe", "ProbeResult", "SmtpOptions",
                                 "SmtpProbeResult", "SmtpTarget", "Step", "TlsOptions", "TranscriptLine"),
    "hybridfw.probe.smtp": ("SmtpProbe", "parse_target", "probe_smtp", "probe_smtp_hosts",
                            "probe_smtp_hosts_sync"),
    "hybridfw.probe.https": ("HttpsProbe", "probe_https"),
    "hybridfw.probe.dns": ("DnsProbe", "probe_dns"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}
__all__ = [
    "PROBES", "DnsOptions", "DnsProbe", "HttpsOptions", "HttpsProbe", "Probe", "ProbeResult", "SmtpOptions",
    "SmtpProbe", "SmtpProbeResult", "SmtpTarget", "Step", "TlsOptions", "TranscriptLine", "parse_target",
    "probe_dns", "probe_https", "probe_smtp", "probe_smtp_hosts", "probe_smtp_hosts_sync",
]
assert set(__all__) == {"PROBES", *_WHERE}, "keep __all__ and _HOMES in step"


def __getattr__(name: str) -> Any:
    if name == "PROBES":
        kinds = [__getattr__(n) for n in ("SmtpProbe", "HttpsProbe", "DnsProbe")]
        return {kind.kind: kind for kind in kinds}
    if name not in _WHERE:
        raise AttributeError(f"module 'hybridfw.probe' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
