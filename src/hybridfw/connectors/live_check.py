"""`--probe`: the certificate the topology's SMTP servers really present, compared with the
exports (`probe smtp` does the talking; this module only judges what it saw).

Exchange Online's outbound connector checks the presented certificate against its `TlsDomain`;
the receive connector's `TlsCertificateName` says which installed certificate should be
presented. A live answer that differs from either is what Exchange Online would reject.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hybridfw.connectors.interface import ExchangeCertificate, Exports
from hybridfw.connectors.result import Check, ConnectorFinding, finding, is_onprem
from hybridfw.model import Finding, Severity
from hybridfw.probe.certificate import name_matches
from hybridfw.topology import Topology

NAME, TITLE = "live.certificate", "The SMTP servers present the certificate the connectors expect"


def expected_name(exports: Exports, topology: Topology) -> str:
    """The name Exchange Online will check: the OnPremises outbound connector's TlsDomain, else
    the topology's certificate name."""
    for c in exports.outbound:
        if is_onprem(c) and c.tls_domain:
            return c.tls_domain
    return topology.smtp.tls_certificate_name


def _relayed(f: Finding, target: str) -> ConnectorFinding:
    return finding(f.severity, f.code, f"{target}: {f.message}", fix=f.fix, subject=target,
                   evidence=f.evidence, page="certificates" if ".cert" in f.code else "receive")


def judge_live(results: Sequence[Any], exports: Exports, topology: Topology,
               presented: Sequence[ExchangeCertificate]) -> Check:
    """One Check from `probe smtp` results (ProbeResult objects, one per address)."""
    want = expected_name(exports, topology)
    thumbprints = {c.thumbprint.upper() for c in presented}
    out: list[ConnectorFinding] = []
    for result in results:
        target = f"{result.address or result.target}:{result.port or 25}"
        cert = result.facts.get("certificate")
        errors = [f for f in result.findings if f.severity >= Severity.ERROR]
        if cert is None:
            out += [_relayed(f, target) for f in errors] or [finding(
                Severity.ERROR, "connectors.live.no-certificate",
                f"{target}: no certificate was presented (no STARTTLS or the handshake failed)",
                fix="see the probe's steps: hybridfw probe smtp " + target, subject=target)]
            continue
        names = [*cert.get("dns_names", [])] or [cert.get("subject", "")]
        if want and not any(name_matches(want, n) for n in names):
            out.append(finding(
                Severity.ERROR, "connectors.live.name-mismatch",
                f"{target} presents {cert.get('subject')} (names {', '.join(names)}), not {want}: "
                "Exchange Online reports '450 4.4.317 ... SubjectMismatch'",
                fix="point the receive connector's TlsCertificateName at the certificate with "
                    f"{want} (Set-ReceiveConnector -TlsCertificateName)", page="certificates",
                subject=target))
        thumbprint = str(cert.get("thumbprint", "")).upper()
        if thumbprints and thumbprint not in thumbprints:
            out.append(finding(
                Severity.ERROR, "connectors.live.other-certificate",
                f"{target} presents certificate {thumbprint}, not the one the receive connector's "
                f"TlsCertificateName names ({', '.join(sorted(thumbprints))}): another server, a "
                "device in front, or a stale binding answers", fix="find what answers on port 25 "
                "(NAT, load balancer, SMTP inspection) and make it the Exchange server",
                page="certificates", subject=target))
        out += [_relayed(f, target) for f in errors]  # chain trust, TLS versions: probe smtp's verdicts
        if not any(f.subject == target for f in out):
            out.append(finding(Severity.INFO, "connectors.live.ok",
                               f"{target} presents {cert.get('subject')} ({thumbprint})", subject=target))
    return Check(NAME, TITLE, tuple(out))


def probe_live(exports: Exports, topology: Topology, *, timeout: float, port: int = 25,
               ca_file: Path | None = None) -> list[Any]:
    """`probe smtp` against every topology SMTP address, expecting `expected_name`."""
    from hybridfw.probe.interface import SmtpOptions, SmtpTarget, TlsOptions
    from hybridfw.probe.smtp import probe_smtp_hosts_sync

    tls = TlsOptions(ca_file=ca_file, cert_name=expected_name(exports, topology))
    options = SmtpOptions(timeout=timeout, tls=tls)
    targets = [SmtpTarget(address, port) for address in topology.smtp.address_strings]
    return list(probe_smtp_hosts_sync(targets, options))
