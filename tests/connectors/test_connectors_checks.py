"""Every finding of the TLS, Exchange Online and routing checks, each from one change to a
healthy set of exports (the fixtures with the receive connectors scoped to current EOP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from _support.connectors import MAIN_FILES, TOPOLOGY, fixture, write_json
from hybridfw.connectors import read_exports
from hybridfw.connectors.checks import check_connectors
from hybridfw.connectors.result import ConnectorsResult
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.model import Severity
from hybridfw.topology import load_topology

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SNAPSHOT = load_snapshot()
Docs = dict[str, Any]


def healthy() -> Docs:
    docs = {name: fixture(name) for name in MAIN_FILES}
    receive = [c for c in docs["receive-connectors.json"] if c["Name"] != "Relay apps"]
    receive[1]["RemoteIPRanges"] = eop_smtp_addresses(SNAPSHOT.sets).to_cidrs()
    docs["receive-connectors.json"] = receive
    return docs


def run(tmp: Path, change: Callable[[Docs], None] = lambda docs: None,
        resolve: Callable[[str], list[str]] | None = lambda name: ["203.0.113.10", "2001:db8::10"],
        topology: str = TOPOLOGY) -> ConnectorsResult:
    docs = healthy()
    change(docs)
    paths = [write_json(tmp / name, doc) for name, doc in docs.items() if doc is not None]
    (tmp / "t.toml").write_text(topology)
    topo = load_topology(tmp / "t.toml")
    return check_connectors(read_exports(paths), topo, SNAPSHOT, required_flows(topo, SNAPSHOT), now=NOW,
                            resolve=resolve)


def test_healthy_exports_pass_every_check(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert {c.name: c.status for c in result.checks} == {
        "receive.remote-ip-ranges": "pass", "onprem.certificates": "pass", "exo.inbound": "pass",
        "exo.outbound": "pass", "exo.smart-hosts": "pass", "onprem.send": "pass",
        "onprem.receive-tls": "pass"}
    assert result.exit_code == 0 and not result.fixes


def _cert(docs: Docs) -> dict[str, Any]:
    return docs["exchange-certificates.json"][0]


def _ms(when: datetime) -> str:
    return f"/Date({int(when.timestamp() * 1000)})/"


def _set(name: str, index: int | None, **values: Any) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        doc = docs[name] if index is None else docs[name][index]
        doc.update(values)
    return change


CASES: list[tuple[str, Callable[[Docs], None], str, Severity, str]] = [
    ("renewed and old one removed", lambda d: d["exchange-certificates.json"].pop(0),
     "connectors.tls.certificate-not-found", Severity.ERROR, "-TlsCertificateName"),
    ("expired", lambda d: _cert(d).update(NotAfter=_ms(NOW - timedelta(days=1))),
     "connectors.cert.expired", Severity.ERROR, ""),
    ("expires in 20 days", lambda d: _cert(d).update(NotAfter=_ms(NOW + timedelta(days=20, hours=1))),
     "connectors.cert.expires-soon", Severity.ERROR, ""),
    ("expires in 45 days", lambda d: _cert(d).update(NotAfter=_ms(NOW + timedelta(days=45, hours=1))),
     "connectors.cert.expires-soon", Severity.WARNING, ""),
    ("not enabled for SMTP", lambda d: _cert(d).update(Services=8),
     "connectors.cert.smtp-not-enabled", Severity.WARNING,
     "Enable-ExchangeCertificate -Thumbprint 3D7B2C1E9F0A4B5C6D7E8F9011223344556677AA -Services SMTP"),
    ("self-signed", lambda d: _cert(d).update(IsSelfSigned=True),
     "connectors.cert.self-signed", Severity.ERROR, ""),
    ("other names", lambda d: _cert(d).update(CertificateDomains=["smtp.contoso.net"]),
     "connectors.cert.name-missing", Severity.ERROR, ""),
    ("send connector without certificate name", _set("send-connectors.json", 0, TlsCertificateName=None),
     "connectors.tls.no-certificate-name", Severity.ERROR,
     'Set-SendConnector -Identity "Outbound to Office 365 - 5c2c1c44-1b3a-4a8e-9f7e-33e4a2a1b0c9" '
     '-TlsCertificateName "<I>CN=Example TLS RSA CA G1'),
    ("bad certificate name", _set("send-connectors.json", 0, TlsCertificateName="mail.contoso.com"),
     "connectors.tls.bad-certificate-name", Severity.ERROR, ""),
    ("hybrid configuration names another", _set("hybrid-configuration-utf16.json", None,
                                                TlsCertificateName="<I>CN=Old CA<S>CN=mail.contoso.com"),
     "connectors.tls.hybrid-mismatch", Severity.WARNING, "Set-HybridConfiguration -TlsCertificateName"),
    ("inbound expects another name", _set("inbound-connector.json", None,
                                          TlsSenderCertificateName="smtp.fabrikam.com"),
     "connectors.exo.sender-name-mismatch", Severity.ERROR,
     'Set-InboundConnector -Identity "Inbound from 6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f" '
     "-TlsSenderCertificateName mail.contoso.com"),
    ("certificate domain not accepted", lambda d: d["accepted-domains-tenant.json"].pop(0),
     "connectors.exo.certificate-domain-not-accepted", Severity.ERROR, ""),
    ("inbound by IP", _set("inbound-connector.json", None, TlsSenderCertificateName=None,
                           SenderIPAddresses=["203.0.113.10"]),
     "connectors.exo.ip-attribution", Severity.WARNING, ""),
    ("inbound without TLS", _set("inbound-connector.json", None, RequireTls=False),
     "connectors.exo.tls-not-required", Severity.WARNING, ""),
    ("inbound without cloud services", _set("inbound-connector.json", None, CloudServicesMailEnabled=False),
     "connectors.cloud-services-mail-disabled", Severity.ERROR, "-CloudServicesMailEnabled $true"),
    ("no inbound of type OnPremises", _set("inbound-connector.json", None, ConnectorType="Partner"),
     "connectors.exo.no-inbound", Severity.ERROR, ""),
    ("outbound TlsDomain elsewhere", _set("outbound-connector.json", None, TlsDomain="*.fabrikam.com"),
     "connectors.exo.tls-domain-mismatch", Severity.ERROR,
     'Set-OutboundConnector -Identity "Outbound to 6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f" '
     "-TlsDomain mail.contoso.com"),
    ("outbound without validation", _set("outbound-connector.json", None, TlsSettings="EncryptionOnly"),
     "connectors.exo.tls-not-validated", Severity.WARNING, "-TlsSettings DomainValidation"),
    ("outbound by MX", _set("outbound-connector.json", None, UseMXRecord=True, SmartHosts=[]),
     "connectors.exo.mx-routing", Severity.ERROR, "-UseMXRecord $false -SmartHosts mail.contoso.com"),
    ("smart host address elsewhere", _set("outbound-connector.json", None, SmartHosts=["[198.51.100.9]"]),
     "connectors.exo.smart-host-elsewhere", Severity.ERROR, ""),
    ("send without TLS", _set("send-connectors.json", 0, RequireTLS=False),
     "connectors.send.tls-not-required", Severity.ERROR, "-RequireTLS $true"),
    ("send TlsDomain", _set("send-connectors.json", 0, TlsAuthLevel="EncryptionOnly", TlsDomain=None),
     "connectors.send.tls-domain", Severity.WARNING,
     "-TlsAuthLevel DomainValidation -TlsDomain mail.protection.outlook.com"),
    ("send without cloud services", _set("send-connectors.json", 0, CloudServicesMailEnabled=False),
     "connectors.cloud-services-mail-disabled", Severity.ERROR, "Set-SendConnector"),
    ("send to the wrong place", _set("send-connectors.json", 0, DNSRoutingEnabled=False,
                                     SmartHosts=["relay.contoso.net"]),
     "connectors.send.wrong-target", Severity.ERROR, ""),
    ("no send connector to EXO", lambda d: d["send-connectors.json"].pop(0),
     "connectors.send.no-cloud-connector", Severity.ERROR, ""),
    ("receive without STARTTLS", lambda d: d["receive-connectors.json"][1].update(AuthMechanism=16),
     "connectors.receive.no-starttls", Severity.ERROR, "-AuthMechanism ExchangeServer,Tls"),
    ("receive without cloud capability", lambda d: d["receive-connectors.json"][1].update(
        TlsDomainCapabilities=[]), "connectors.receive.no-cloud-capability", Severity.WARNING, ""),
]


@pytest.mark.parametrize(("change", "code", "severity", "fix"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_finding(tmp_path: Path, change: Callable[[Docs], None], code: str, severity: Severity,
                      fix: str) -> None:
    result = run(tmp_path, change)
    found = [f for f in result.findings if f.code == code]
    assert found, [f.code for f in result.findings]
    assert {f.severity for f in found} == {severity}
    assert all(f.reference for f in found)
    if fix:
        assert any(f.fix.startswith(fix) or fix in f.fix for f in found), [f.fix for f in found]
    assert result.exit_code == (1 if severity == Severity.ERROR else 0)


def test_wildcard_tls_domain_matches_as_exchange_does(tmp_path: Path) -> None:
    ok = run(tmp_path, _set("outbound-connector.json", None, TlsDomain="*.contoso.com"))
    assert not [f for f in ok.findings if f.code.startswith("connectors.exo.tls-domain")]
    deep = run(tmp_path, _set("outbound-connector.json", None, TlsDomain="*.eu.contoso.com"))
    assert "connectors.exo.tls-domain-mismatch" in {f.code for f in deep.findings}


def test_split_dns_answer_is_a_warning_and_unresolved_is_named(tmp_path: Path) -> None:
    inside = run(tmp_path, resolve=lambda name: ["10.0.0.10"])
    assert [f.severity for f in inside.findings if f.code == "connectors.exo.smart-host-elsewhere"] == [
        Severity.WARNING]

    def fail(name: str) -> list[str]:
        raise OSError("Name or service not known")

    assert "connectors.exo.smart-host-unresolved" in {f.code for f in run(tmp_path, resolve=fail).findings}


@pytest.mark.parametrize("dropped", ["exchange-certificates.json", "inbound-connector.json",
                                     "outbound-connector.json", "send-connectors.json",
                                     "accepted-domains-tenant.json", "receive-connectors.json"])
def test_a_missing_export_is_not_checked_never_an_all_clear(tmp_path: Path, dropped: str) -> None:
    result = run(tmp_path, lambda docs: docs.update({dropped: None}))
    assert "not checked" in {c.status for c in result.checks}
    assert result.exit_code == 1
    unchecked = [f for f in result.findings if f.code == "connectors.not-checked"]
    assert unchecked and all("not checked" in f.message and f.fix for f in unchecked)


def test_without_resolution_smart_host_names_are_not_checked(tmp_path: Path) -> None:
    result = run(tmp_path, resolve=None)
    check = next(c for c in result.checks if c.name == "exo.smart-hosts")
    assert check.status == "not checked" and result.exit_code == 1


def test_no_check_passes_on_nothing(tmp_path: Path) -> None:
    """A check with nothing to examine says so: no receive connector reached, no send connector,
    no OnPremises outbound connector."""
    result = run(tmp_path, lambda docs: docs.update({"receive-connectors.json": None,
                                                     "send-connectors.json": None}))
    status = {c.name: c.status for c in result.checks}
    assert status["onprem.receive-tls"] == "not checked"
    assert status["onprem.certificates"] == "not checked"
    partner = run(tmp_path, _set("outbound-connector.json", None, ConnectorType="Partner"))
    status = {c.name: c.status for c in partner.checks}
    assert status["exo.smart-hosts"] == "not checked" and status["exo.outbound"] == "fail"
