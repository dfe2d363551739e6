"""The Exchange Online end: inbound and outbound connectors of type OnPremises against the
certificates the on-premises connectors present and the tenant's accepted domains."""

from __future__ import annotations

from collections.abc import Sequence

from hybridfw.connectors.interface import AcceptedDomain, ExchangeCertificate, Exports, InboundConnector
from hybridfw.connectors.result import (
    Check,
    ConnectorFinding,
    cloud_services_disabled,
    finding,
    is_onprem,
    not_checked,
)
from hybridfw.model import Severity
from hybridfw.probe.certificate import name_matches
from hybridfw.render.exchange import ps_string
from hybridfw.topology import Topology

_HINT = "export it with the commands of 'hybridfw connectors --collect-script'"


def _names(certs: Sequence[ExchangeCertificate]) -> list[str]:
    return list(dict.fromkeys(d for c in certs for d in c.domains))


def in_accepted_domain(name: str, domains: Sequence[AcceptedDomain]) -> bool:
    """`mail.contoso.com` or `*.contoso.com` lies in accepted domain `contoso.com`."""
    base = name.lower().removeprefix("*.")
    return any(base == d.domain or base.endswith("." + d.domain) for d in domains)


def inbound_findings(exports: Exports, presented: Sequence[ExchangeCertificate],
                     send_known: bool) -> list[ConnectorFinding]:
    onprem = [c for c in exports.inbound if is_onprem(c)]
    if not onprem:
        return [finding(Severity.ERROR, "connectors.exo.no-inbound",
                        "Exchange Online has no enabled inbound connector of type OnPremises: mail "
                        "from on-premises is not attributed to the tenant (550 5.7.64 TenantAttribution)",
                        fix="re-run the Hybrid Configuration Wizard", page="set-inbound")]
    return [f for c in onprem for f in _inbound_one(c, exports, presented, send_known)]


def _inbound_one(c: InboundConnector, exports: Exports, presented: Sequence[ExchangeCertificate],
                 send_known: bool) -> list[ConnectorFinding]:
    out: list[ConnectorFinding] = []
    subject = f"InboundConnector {c.identity}"
    name = c.tls_sender_certificate_name
    if not name:
        out.append(finding(Severity.WARNING, "connectors.exo.ip-attribution",
                           f"{subject} recognises on-premises by IP address, not certificate",
                           fix=f"Set-InboundConnector -Identity {ps_string(c.identity)} "
                               "-TlsSenderCertificateName <certificate name> -RequireTls $true",
                           page="attribution", subject=subject))
    else:
        out += _sender_name(c, exports, presented, send_known)
    if not c.require_tls:
        out.append(finding(Severity.WARNING, "connectors.exo.tls-not-required",
                           f"{subject} does not require TLS",
                           fix=f"Set-InboundConnector -Identity {ps_string(c.identity)} "
                               "-RequireTls $true",
                           page="set-inbound", subject=subject))
    if not c.cloud_services_mail_enabled:
        out.append(cloud_services_disabled("Set-InboundConnector", c.identity))
    return out


def _sender_name(c: InboundConnector, exports: Exports, presented: Sequence[ExchangeCertificate],
                 send_known: bool) -> list[ConnectorFinding]:
    """TlsSenderCertificateName against the send connector's certificate and the accepted domains."""
    out: list[ConnectorFinding] = []
    subject, name = f"InboundConnector {c.identity}", c.tls_sender_certificate_name
    names = _names(presented)
    if not presented:
        why = ("the send connector's certificate is unknown" if send_known
               else "no send connector to Exchange Online in the exports")
        out.append(not_checked(f"{subject} TlsSenderCertificateName {name}", why, _HINT, subject))
    elif not any(name_matches(name, d) for d in names):
        fix_name = names[0] if names else "<certificate name>"
        out.append(finding(
            Severity.ERROR, "connectors.exo.sender-name-mismatch",
            f"{subject}: TlsSenderCertificateName {name} matches no name of the certificate the "
            f"on-premises send connector presents ({', '.join(names)}): 550 5.7.64 "
            "TenantAttribution / 5.7.51 TenantInboundAttribution",
            fix=f"Set-InboundConnector -Identity {ps_string(c.identity)} "
                f"-TlsSenderCertificateName {fix_name}",
            page="set-inbound", subject=subject))
    if not exports.tenant_domains:
        out.append(not_checked(f"{subject}: {name} is an accepted domain",
                               "no Get-AcceptedDomain export from Exchange Online given", _HINT, subject))
    elif not in_accepted_domain(name, exports.tenant_domains):
        out.append(finding(
            Severity.ERROR, "connectors.exo.certificate-domain-not-accepted",
            f"{subject}: certificate name {name} lies in no accepted domain of the tenant; "
            "Exchange Online may attribute the mail to another tenant or reject it",
            fix=f"add and verify the domain of {name} in the tenant, or use a certificate "
                f"under an accepted domain and Set-InboundConnector -Identity {ps_string(c.identity)} "
                "-TlsSenderCertificateName <that name>",
            page="attribution", subject=subject))
    return out


def check_exo_inbound(exports: Exports, presented: Sequence[ExchangeCertificate],
                      send_known: bool) -> Check:
    name, title = "exo.inbound", "Exchange Online recognises on-premises mail by its certificate"
    if not exports.inbound:
        return Check(name, title, (not_checked("Exchange Online inbound connector",
                                               "no Get-InboundConnector export given", _HINT),))
    return Check(name, title, tuple(inbound_findings(exports, presented, send_known)))


def outbound_findings(exports: Exports, topology: Topology, presented: Sequence[ExchangeCertificate],
                      receive_known: bool) -> list[ConnectorFinding]:
    onprem = [c for c in exports.outbound if is_onprem(c)]
    if not onprem:
        return [finding(Severity.ERROR, "connectors.exo.no-outbound",
                        "Exchange Online has no enabled outbound connector of type OnPremises: mail "
                        "to on-premises mailboxes does not go to your servers",
                        fix="re-run the Hybrid Configuration Wizard", page="set-outbound")]
    out: list[ConnectorFinding] = []
    for c in onprem:
        subject = f"OutboundConnector {c.identity}"
        want = c.tls_domain or topology.smtp.tls_certificate_name
        set_line = (f"Set-OutboundConnector -Identity {ps_string(c.identity)} -TlsSettings "
                    f"DomainValidation -TlsDomain {want}")
        if c.tls_settings.lower() not in ("domainvalidation", "certificatevalidation"):
            out.append(finding(Severity.WARNING, "connectors.exo.tls-not-validated",
                               f"{subject}: TlsSettings is {c.tls_settings or 'not set'}; the certificate "
                               "on-premises presents is not verified", fix=set_line,
                               page="set-outbound", subject=subject))
        elif c.tls_settings.lower() == "domainvalidation" and not c.tls_domain:
            out.append(finding(Severity.ERROR, "connectors.exo.no-tls-domain",
                               f"{subject}: DomainValidation without TlsDomain", fix=set_line,
                               page="set-outbound", subject=subject))
        elif c.tls_settings.lower() == "domainvalidation":
            out += _tls_domain(c.identity, c.tls_domain, topology, presented, receive_known)
        if not c.cloud_services_mail_enabled:
            out.append(cloud_services_disabled("Set-OutboundConnector", c.identity))
    return out


def _tls_domain(identity: str, tls_domain: str, topology: Topology,
                presented: Sequence[ExchangeCertificate], receive_known: bool) -> list[ConnectorFinding]:
    subject = f"OutboundConnector {identity}"
    out: list[ConnectorFinding] = []
    names = _names(presented)
    if not presented:
        why = ("the receive connector's certificate is unknown" if receive_known
               else "no receive connector taking Exchange Online mail in the exports")
        out.append(not_checked(f"{subject} TlsDomain {tls_domain}", why, _HINT, subject))
    elif not any(name_matches(tls_domain, d) for d in names):
        out.append(finding(
            Severity.ERROR, "connectors.exo.tls-domain-mismatch",
            f"{subject}: TlsDomain {tls_domain} matches no name of the certificate the receive "
            f"connector presents ({', '.join(names)}): '450 4.4.317 ... SubjectMismatch'",
            fix=f"Set-OutboundConnector -Identity {ps_string(identity)} -TlsDomain {names[0]}",
            page="set-outbound", subject=subject))
    expected = topology.smtp.tls_certificate_name
    if expected and not name_matches(tls_domain, expected):
        out.append(finding(
            Severity.WARNING, "connectors.exo.tls-domain-topology",
            f"{subject}: TlsDomain {tls_domain} differs from the topology's certificate name "
            f"{topology.smtp.tls_certificate_name}", fix="correct one of the two",
            page="set-outbound", subject=subject))
    return out


def check_exo_outbound(exports: Exports, topology: Topology, presented: Sequence[ExchangeCertificate],
                       receive_known: bool) -> Check:
    name, title = "exo.outbound", "Exchange Online verifies the certificate on-premises presents"
    if not exports.outbound:
        return Check(name, title, (not_checked("Exchange Online outbound connector",
                                               "no Get-OutboundConnector export given", _HINT),))
    return Check(name, title, tuple(outbound_findings(exports, topology, presented, receive_known)))
