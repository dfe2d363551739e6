"""TLS names across the two ends.

On-premises, a connector's `TlsCertificateName` (`<I>issuer<S>subject`) must name an installed
certificate; Exchange takes the matching one with the latest expiry. That certificate is what
the receive connector presents to Exchange Online (checked against the outbound connector's
`TlsDomain`) and what the send connector presents (checked against the inbound connector's
`TlsSenderCertificateName`, which must also lie in an accepted domain of the tenant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hybridfw.connectors.interface import ExchangeCertificate, Exports
from hybridfw.connectors.result import Check, ConnectorFinding, ReceiveCoverage, finding, not_checked
from hybridfw.connectors.routing_check import cloud_send_connectors
from hybridfw.connectors.values import normal_dn, parse_tls_certificate_name
from hybridfw.model import Severity
from hybridfw.probe.certificate import name_matches
from hybridfw.render.exchange import ps_string
from hybridfw.topology import Topology

EXPIRY_ERROR_DAYS = 30
EXPIRY_WARNING_DAYS = 60
_EXPORT_HINT = "export it with the commands of 'hybridfw connectors --collect-script'"


@dataclass(frozen=True)
class Named:
    """An on-premises connector that names a certificate: its cmdlet noun, identity, name."""

    cmdlet: str  # "ReceiveConnector" | "SendConnector"
    identity: str
    tls_certificate_name: str
    server: str = ""


def matching_certificates(tls_name: str, certificates: Sequence[ExchangeCertificate],
                          server: str = "") -> list[ExchangeCertificate]:
    parsed = parse_tls_certificate_name(tls_name)
    if parsed is None:
        return []
    issuer, subject = (normal_dn(p) for p in parsed)
    host = server.split(".")[0].lower()
    return [c for c in certificates if normal_dn(c.issuer) == issuer and normal_dn(c.subject) == subject
            and (not host or not c.server or c.server.split(".")[0].lower() == host)]


def chosen_certificate(tls_name: str, certificates: Sequence[ExchangeCertificate],
                       server: str = "") -> ExchangeCertificate | None:
    """The certificate Exchange uses for `tls_name`: of the matches, the latest to expire."""
    found = matching_certificates(tls_name, certificates, server)
    return max(found, key=lambda c: c.not_after or datetime.min) if found else None


def carries(cert: ExchangeCertificate, name: str) -> bool:
    return any(name_matches(name, d) for d in cert.domains)


def _candidate(topology: Topology, certificates: Sequence[ExchangeCertificate]) -> ExchangeCertificate | None:
    usable = [c for c in certificates if carries(c, topology.smtp.tls_certificate_name) and not c.self_signed]
    return max(usable, key=lambda c: c.not_after or datetime.min, default=None)


def set_name_line(item: Named, cert: ExchangeCertificate | None) -> str:
    value = (ps_string(f"<I>{cert.issuer}<S>{cert.subject}") if cert else
             '"<I>$($c.Issuer)<S>$($c.Subject)"  # $c = Get-ExchangeCertificate -Thumbprint <new>')
    return f"Set-{item.cmdlet} -Identity {ps_string(item.identity)} -TlsCertificateName {value}"


def judge_certificate(cert: ExchangeCertificate, topology: Topology, now: datetime,
                      subject: str) -> list[ConnectorFinding]:
    out = []
    where = f"certificate {cert.thumbprint} ({cert.subject})"
    days = (cert.not_after - now).days if cert.not_after else None
    renew = ("renew it, Enable-ExchangeCertificate -Thumbprint <new> -Services SMTP, then point "
             "the connectors' TlsCertificateName at the new one (or re-run the Hybrid Configuration "
             "Wizard's 'Update Secure Mail Certificate')")
    if days is not None and days < 0:
        out.append(finding(Severity.ERROR, "connectors.cert.expired",
                           f"{where} expired on {cert.not_after:%Y-%m-%d}; Exchange Online rejects it "
                           "(450 4.7.320 Certificate validation failed)", fix=renew,
                           page="certificates", subject=subject))
    elif days is not None and days < EXPIRY_WARNING_DAYS:
        severity = Severity.ERROR if days < EXPIRY_ERROR_DAYS else Severity.WARNING
        out.append(finding(severity, "connectors.cert.expires-soon",
                           f"{where} expires in {days} days ({cert.not_after:%Y-%m-%d})", fix=renew,
                           page="certificates", subject=subject))
    if "SMTP" not in cert.services:
        out.append(finding(Severity.WARNING, "connectors.cert.smtp-not-enabled",
                           f"{where} is not enabled for SMTP (services: "
                           f"{', '.join(sorted(cert.services)) or 'none'})",
                           fix=f"Enable-ExchangeCertificate -Thumbprint {cert.thumbprint} -Services SMTP",
                           page="enable-cert", subject=subject))
    if cert.self_signed:
        out.append(finding(Severity.ERROR, "connectors.cert.self-signed",
                           f"{where} is self-signed; hybrid mail flow needs a certificate from a "
                           "trusted third-party CA", fix=renew, page="certificates", subject=subject))
    if not carries(cert, topology.smtp.tls_certificate_name):
        out.append(finding(Severity.ERROR, "connectors.cert.name-missing",
                           f"{where} does not carry the topology's certificate name "
                           f"{topology.smtp.tls_certificate_name} (names: {', '.join(cert.domains)})",
                           fix="use a certificate with that name in its subject or SAN",
                           page="certificates", subject=subject))
    return out


def judge_named(item: Named, exports: Exports, topology: Topology, now: datetime
                ) -> tuple[list[ConnectorFinding], ExchangeCertificate | None]:
    subject = f"{item.cmdlet} {item.identity}"
    certs = exports.certificates
    if not item.tls_certificate_name:
        return [finding(Severity.ERROR, "connectors.tls.no-certificate-name",
                        f"{subject} has no TlsCertificateName: it presents a default certificate "
                        "Exchange Online does not expect",
                        fix=set_name_line(item, _candidate(topology, certs)),
                        page="certificates", subject=subject)], None
    if parse_tls_certificate_name(item.tls_certificate_name) is None:
        return [finding(Severity.ERROR, "connectors.tls.bad-certificate-name",
                        f"{subject}: TlsCertificateName {item.tls_certificate_name!r} is not "
                        "<I>issuer<S>subject", fix=set_name_line(item, _candidate(topology, certs)),
                        page="certificates", subject=subject)], None
    if not certs:
        return [not_checked(f"{subject} certificate", "no Get-ExchangeCertificate export given",
                            _EXPORT_HINT, subject)], None
    cert = chosen_certificate(item.tls_certificate_name, certs, item.server)
    if cert is None:
        return [finding(Severity.ERROR, "connectors.tls.certificate-not-found",
                        f"{subject}: TlsCertificateName names no installed certificate (renewed or "
                        "removed?); STARTTLS fails: '451 5.7.3 STARTTLS is required to send mail'",
                        fix=set_name_line(item, _candidate(topology, certs)), page="certificates",
                        subject=subject, evidence=(item.tls_certificate_name,))], None
    return judge_certificate(cert, topology, now, subject), cert


def onprem_named(exports: Exports, rows: Sequence[ReceiveCoverage]) -> tuple[list[Named], list[Named]]:
    taking = {name for row in rows for name in row.connectors}
    receive = [Named("ReceiveConnector", c.identity, c.tls_certificate_name, c.server)
               for c in exports.receive if c.identity in taking]
    send = [Named("SendConnector", s.identity, s.tls_certificate_name)
            for s in cloud_send_connectors(exports.send)]
    return receive, send


def presented_by_receive(exports: Exports, rows: Sequence[ReceiveCoverage]) -> list[ExchangeCertificate]:
    """The certificates the receive connectors Exchange Online reaches present (as exported)."""
    receive, _ = onprem_named(exports, rows)
    found = (chosen_certificate(r.tls_certificate_name, exports.certificates, r.server) for r in receive)
    return [c for c in found if c is not None]


def check_tls(exports: Exports, topology: Topology, rows: Sequence[ReceiveCoverage],
              now: datetime) -> list[Check]:
    from hybridfw.connectors.exo_check import check_exo_inbound, check_exo_outbound

    receive, send = onprem_named(exports, rows)
    found: list[ConnectorFinding] = []
    presented: dict[str, list[ExchangeCertificate]] = {"receive": [], "send": []}
    for side, items in (("receive", receive), ("send", send)):
        for item in items:
            more, cert = judge_named(item, exports, topology, now)
            found += more
            if cert is not None:
                presented[side].append(cert)
    found += hybrid_agreement(exports, receive + send)
    if not receive:
        found.append(not_checked("the receive side's certificate", "no receive connector that "
                                 "Exchange Online reaches in the exports", _EXPORT_HINT))
    if not send:
        found.append(not_checked("the send side's certificate", "no send connector to Exchange "
                                 "Online in the exports", _EXPORT_HINT))
    onprem = Check("onprem.certificates", "On-premises connectors name an installed, valid certificate",
                   tuple(found))
    return [onprem,
            check_exo_inbound(exports, presented["send"], bool(send)),
            check_exo_outbound(exports, topology, presented["receive"], bool(receive))]


def hybrid_agreement(exports: Exports, named: Sequence[Named]) -> list[ConnectorFinding]:
    """HealthChecker's check: the connectors name the certificate the hybrid configuration does."""
    out = []
    for hybrid in exports.hybrid:
        want = parse_tls_certificate_name(hybrid.tls_certificate_name)
        for item in named:
            have = parse_tls_certificate_name(item.tls_certificate_name)
            if want and have and tuple(map(normal_dn, want)) != tuple(map(normal_dn, have)):
                out.append(finding(
                    Severity.WARNING, "connectors.tls.hybrid-mismatch",
                    f"{item.cmdlet} {item.identity} names another certificate than "
                    "Get-HybridConfiguration's TlsCertificateName",
                    fix=f"Set-HybridConfiguration -TlsCertificateName "
                        f"{ps_string(item.tls_certificate_name)}"
                        "  # or re-run the Hybrid Configuration Wizard",
                    page="certificates", subject=f"{item.cmdlet} {item.identity}"))
    return out
