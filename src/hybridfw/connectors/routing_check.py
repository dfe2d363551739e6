"""Routing between the ends: where Exchange Online's outbound connector delivers, how the
on-premises send connector reaches Exchange Online, and the receive connectors' TLS settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hybridfw.addresses import AddressSet, is_ip_address
from hybridfw.connectors.interface import Exports, SendConnector
from hybridfw.connectors.result import (
    Check,
    ConnectorFinding,
    cloud_services_disabled,
    finding,
    is_onprem,
    not_checked,
)
from hybridfw.model import Severity
from hybridfw.render.exchange import ps_string
from hybridfw.topology import Topology

Resolver = Callable[[str], Sequence[str]]
EXO_HOSTS = ".mail.protection.outlook.com"
EXO_ROUTING = ".mail.onmicrosoft.com"
EXO_TLS_DOMAIN = "mail.protection.outlook.com"
_HINT = "export it with the commands of 'hybridfw connectors --collect-script'"


def cloud_send_connectors(send: Sequence[SendConnector]) -> list[SendConnector]:
    """Enabled send connectors to Exchange Online: address space `*.mail.onmicrosoft.com` or a
    smart host under `mail.protection.outlook.com` (HealthChecker's rule)."""
    return [s for s in send if s.enabled and (
        any(a.endswith(EXO_ROUTING) or a == EXO_ROUTING[1:] for a in s.address_spaces)
        or any(h.endswith(EXO_HOSTS) for h in s.smart_hosts))]


def smart_host_findings(exports: Exports, topology: Topology, resolve: Resolver | None
                        ) -> list[ConnectorFinding]:
    out: list[ConnectorFinding] = []
    ours = topology.smtp.addresses
    onprem = [c for c in exports.outbound if is_onprem(c)]
    if not onprem:
        return [not_checked("outbound connector smart hosts", "no enabled outbound connector of "
                            "type OnPremises in the exports", "see the exo.outbound check")]
    for c in onprem:
        subject = f"OutboundConnector {c.identity}"
        if c.use_mx_record or not c.smart_hosts:
            out.append(finding(Severity.ERROR, "connectors.exo.mx-routing",
                               f"{subject} routes by MX record, which points back to Exchange Online: "
                               "a mail loop (5.4.14 Hop count exceeded)",
                               fix=f"Set-OutboundConnector -Identity {ps_string(c.identity)} "
                                   f"-UseMXRecord $false -SmartHosts "
                                   f"{topology.smtp.tls_certificate_name or '<on-premises FQDN>'}",
                               page="set-outbound", subject=subject))
            continue
        for host in c.smart_hosts:
            out += _judge_host(subject, host, ours, resolve)
    return out


def _judge_host(subject: str, host: str, ours: AddressSet,
                resolve: Resolver | None) -> list[ConnectorFinding]:
    if is_ip_address(host):
        if ours.contains_address(host):
            return []
        return [finding(Severity.ERROR, "connectors.exo.smart-host-elsewhere",
                        f"{subject}: smart host {host} is not one of the topology's SMTP addresses",
                        fix="point the smart host at the on-premises servers (or correct the topology)",
                        page="set-outbound", subject=subject)]
    if resolve is None:
        return [not_checked(f"{subject} smart host {host}", "name resolution was not asked for",
                            "run with --resolve", subject)]
    try:
        addresses = [a for a in resolve(host) if is_ip_address(a)]
    except OSError as exc:
        return [finding(Severity.WARNING, "connectors.exo.smart-host-unresolved",
                        f"{subject}: smart host {host} does not resolve here ({exc}); Exchange Online "
                        "reports '450 4.4.312 DNS query failed' if it does not resolve publicly",
                        fix="publish an A/AAAA record for it", page="set-outbound", subject=subject)]
    elsewhere = [a for a in addresses if not ours.contains_address(a)]
    if addresses and not elsewhere:
        return []
    return [finding(Severity.WARNING, "connectors.exo.smart-host-elsewhere",
                    f"{subject}: smart host {host} resolves here to {', '.join(addresses) or 'nothing'}, "
                    "not (only) to the topology's SMTP addresses (with split DNS, check the public answer)",
                    fix="correct the DNS record or the smart host", page="set-outbound", subject=subject)]


def send_findings(exports: Exports) -> list[ConnectorFinding]:
    cloud = cloud_send_connectors(exports.send)
    if not cloud:
        return [finding(Severity.ERROR, "connectors.send.no-cloud-connector",
                        "no enabled send connector to Exchange Online (address space "
                        "*.mail.onmicrosoft.com or a smart host *.mail.protection.outlook.com)",
                        fix="re-run the Hybrid Configuration Wizard", page="set-send")]
    out: list[ConnectorFinding] = []
    for s in cloud:
        subject, ident = f"SendConnector {s.identity}", ps_string(s.identity)
        by_dns = s.dns_routing_enabled and any(a.endswith(EXO_ROUTING) for a in s.address_spaces)
        by_host = bool(s.smart_hosts) and all(h.endswith(EXO_HOSTS) for h in s.smart_hosts)
        if not (by_dns or by_host):
            out.append(finding(Severity.ERROR, "connectors.send.wrong-target",
                               f"{subject} does not deliver to <tenant>.mail.protection.outlook.com "
                               f"(smart hosts: {', '.join(s.smart_hosts) or 'none'})",
                               fix=f"Set-SendConnector -Identity {ident} -SmartHosts "
                                   "<tenant>.mail.protection.outlook.com", page="set-send", subject=subject))
        if not s.require_tls:
            out.append(finding(Severity.ERROR, "connectors.send.tls-not-required",
                               f"{subject} does not require TLS; Exchange Online treats the mail as "
                               "anonymous Internet mail",
                               fix=f"Set-SendConnector -Identity {ident} -RequireTLS $true",
                               page="set-send", subject=subject))
        if s.tls_auth_level.lower() != "domainvalidation" or s.tls_domain != EXO_TLS_DOMAIN:
            out.append(finding(Severity.WARNING, "connectors.send.tls-domain",
                               f"{subject}: TlsAuthLevel {s.tls_auth_level or 'not set'}, TlsDomain "
                               f"{s.tls_domain or 'not set'}; expected DomainValidation with "
                               f"{EXO_TLS_DOMAIN}",
                               fix=f"Set-SendConnector -Identity {ident} -TlsAuthLevel DomainValidation "
                                   f"-TlsDomain {EXO_TLS_DOMAIN}", page="set-send", subject=subject))
        if not s.cloud_services_mail_enabled:
            out.append(cloud_services_disabled("Set-SendConnector", s.identity))
    return out


def receive_settings(exports: Exports, taking: set[str]) -> list[ConnectorFinding]:
    out: list[ConnectorFinding] = []
    for c in exports.receive:
        if c.identity not in taking:
            continue
        subject, ident = f"ReceiveConnector {c.identity}", ps_string(c.identity)
        if "Tls" not in c.auth_mechanism:
            out.append(finding(Severity.ERROR, "connectors.receive.no-starttls",
                               f"{subject} does not offer STARTTLS (AuthMechanism lacks Tls): "
                               "'451 5.7.3 STARTTLS is required to send mail'",
                               fix=f"Set-ReceiveConnector -Identity {ident} -AuthMechanism "
                                   f"{','.join(sorted(c.auth_mechanism | {'Tls'}))}",
                               page="set-receive", subject=subject))
        if not any(cap.lower().startswith(EXO_TLS_DOMAIN + ":") for cap in c.tls_domain_capabilities):
            out.append(finding(Severity.WARNING, "connectors.receive.no-cloud-capability",
                               f"{subject} lacks TlsDomainCapabilities "
                               f"{EXO_TLS_DOMAIN}:AcceptCloudServicesMail: mail from Exchange Online "
                               "is not treated as internal",
                               fix=f"Set-ReceiveConnector -Identity {ident} -TlsDomainCapabilities "
                                   f"{EXO_TLS_DOMAIN}:AcceptCloudServicesMail", page="set-receive",
                               subject=subject))
    return out


def check_routing(exports: Exports, topology: Topology, resolve: Resolver | None,
                  taking: set[str]) -> list[Check]:
    smart_title = "Exchange Online delivers to the topology's SMTP servers"
    smart = tuple(smart_host_findings(exports, topology, resolve)) if exports.outbound else (
        not_checked("outbound connector smart hosts", "no Get-OutboundConnector export given", _HINT),)
    send_title = "The send connector reaches Exchange Online with TLS"
    send = tuple(send_findings(exports)) if exports.send else (
        not_checked("send connector to Exchange Online", "no Get-SendConnector export given", _HINT),)
    receive = Check("onprem.receive-tls", "Receive connectors offer TLS and accept cloud mail",
                    tuple(receive_settings(exports, taking)) if taking else (not_checked(
                        "receive connectors' TLS settings", "no receive connector that Exchange "
                        "Online reaches was found in the exports", "see the RemoteIPRanges check"),))
    return [Check("exo.smart-hosts", smart_title, smart), Check("onprem.send", send_title, send), receive]
