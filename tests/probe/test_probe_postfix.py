"""`probe smtp` against a real Postfix: one master, one smtpd per case on its own loopback port
(good, wrong name, expired, self-signed, no STARTTLS, TLS >= 1.2 only, legacy TLS allowed, one
connection per client, reject at connect, masked banner, deferral at connect), certificates from
the test CA."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from _support.real_servers import Postfix, own_loopback
from hybridfw.model import Severity
from hybridfw.probe.https import probe_https
from hybridfw.probe.interface import HttpsOptions, ProbeResult, SmtpOptions, SmtpTarget, TlsOptions
from hybridfw.probe.smtp import probe_smtp
from hybridfw.probe.tls import can_offer

pytestmark = pytest.mark.server
NAME = "mail.contoso.test"
HOST = own_loopback()  # where this process's Postfix listens
TLS12 = ["smtpd_tls_protocols=>=TLSv1.2"]
LEGACY_OPEN: list[str] = []  # Debian's Postfix 3.7 defaults still accept TLS 1.0 and 1.1
VARIANTS: dict[str, list[str]] = {
    "good": TLS12,
    "wrong-name": ["smtpd_tls_cert_file={dir}/etc/wrong.pem", "smtpd_tls_key_file={dir}/etc/wrong.pem"],
    "expired": ["smtpd_tls_cert_file={dir}/etc/expired.pem", "smtpd_tls_key_file={dir}/etc/expired.pem"],
    "self-signed": ["smtpd_tls_cert_file={dir}/etc/self.pem", "smtpd_tls_key_file={dir}/etc/self.pem"],
    "no-starttls": ["smtpd_tls_security_level=none"],
    "legacy-open": LEGACY_OPEN,
    "limit-1": ["smtpd_client_connection_count_limit=1", "smtpd_client_event_limit_exceptions=",
                *LEGACY_OPEN],
    "reject": ["smtpd_delay_reject=no", "smtpd_client_restrictions=reject"],
    "masked": ["smtpd_banner=******************************"],
    "defer": ["smtpd_delay_reject=no", "smtpd_client_restrictions=defer"],
    "chacha-only": ["smtpd_tls_protocols=>=TLSv1.2,<=TLSv1.2",
                    "tls_medium_cipherlist=ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"],
    "client-cert": [*TLS12, "smtpd_tls_security_level=encrypt", "smtpd_tls_req_ccert=yes",
                    "smtpd_tls_CAfile={dir}/etc/ca.pem"],
}


def _self_signed_pem(name: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def postfix(ca: trustme.CA) -> Iterator[dict[str, int]]:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    pem = {
        "good.pem": ca.issue_cert(NAME).private_key_and_cert_chain_pem.bytes(),
        "wrong.pem": ca.issue_cert("exchange01.corp.contoso.local").private_key_and_cert_chain_pem.bytes(),
        "expired.pem": ca.issue_cert(NAME, not_before=past - dt.timedelta(days=90),
                                     not_after=past).private_key_and_cert_chain_pem.bytes(),
        "self.pem": _self_signed_pem(NAME),
        "ca.pem": ca.cert_pem.bytes(),
    }
    server = Postfix(VARIANTS, pem)
    yield server.ports
    server.close()


def probe(port: int, ca_file: Path, legacy: bool = False, timeout: float = 5.0,
          client_cert: Path | None = None) -> ProbeResult:
    options = SmtpOptions(timeout=timeout, helo="probe.contoso.test",
                          tls=TlsOptions(ca_file=ca_file, cert_name=NAME, check_legacy_versions=legacy,
                                         client_cert=client_cert))
    return asyncio.run(probe_smtp(SmtpTarget(HOST, port), options))


def codes(result: ProbeResult, severity: Severity | None = None) -> set[str]:
    return {f.code for f in result.findings if severity is None or f.severity == severity}


def test_good_postfix_with_tls12_minimum_passes(postfix: dict[str, int], ca_file: Path) -> None:
    result = probe(postfix["good"], ca_file, legacy=True)
    assert result.ok and codes(result, Severity.WARNING) == set(), result.findings
    assert result.facts["tls"]["version"] == "TLSv1.3"
    assert set(result.facts["legacy_tls"].values()) <= {"refused", "untestable"}
    assert "ESMTP Postfix" in next(s.detail for s in result.steps if s.name == "banner")


@pytest.mark.parametrize(("variant", "expected"), [
    ("wrong-name", {"probe.cert.name-mismatch"}),
    ("expired", {"probe.tls.chain-untrusted", "probe.cert.expired"}),
    ("self-signed", {"probe.tls.chain-untrusted", "probe.cert.self-signed"}),
    ("no-starttls", {"probe.smtp.no-starttls"}),
    ("reject", {"probe.smtp.banner-rejected"}),
])
def test_broken_postfix_cases(postfix: dict[str, int], ca_file: Path, variant: str,
                              expected: set[str]) -> None:
    result = probe(postfix[variant], ca_file)
    assert codes(result, Severity.ERROR) == expected, result.findings


def test_legacy_tls_allowed_is_a_warning(postfix: dict[str, int], ca_file: Path) -> None:
    loose = probe(postfix["legacy-open"], ca_file, legacy=True)
    assert loose.ok
    if can_offer("TLSv1.0"):
        assert loose.facts["legacy_tls"] == {"TLSv1.0": "accepted", "TLSv1.1": "accepted"}
        assert codes(loose, Severity.WARNING) == {"probe.tls.legacy-accepted"}


def test_masked_banner_with_working_starttls_is_a_warning(postfix: dict[str, int], ca_file: Path) -> None:
    result = probe(postfix["masked"], ca_file)
    assert result.ok and codes(result, Severity.WARNING) == {"probe.smtp.inspecting-middlebox"}
    finding = result.findings[0]
    assert "inspect esmtp" in finding.message and "can strip it" in finding.message


def test_deferral_at_connect_is_a_warning_that_says_what_was_not_checked(postfix: dict[str, int],
                                                                         ca_file: Path) -> None:
    result = probe(postfix["defer"], ca_file, legacy=True)
    assert result.ok and codes(result) == {"probe.smtp.deferred"}
    assert "450 4.3.2" in result.findings[0].message
    assert "STARTTLS, TLS and the certificate were not checked" in result.findings[0].message
    assert set(result.facts["legacy_tls"].values()) <= {"not-reached", "untestable"}


def _greeting(port: int) -> bytes:
    with socket.create_connection((HOST, port), timeout=10) as sock:
        return sock.recv(200)


def _counted_session(port: int) -> socket.socket:
    """A session the connection limit counts. Retried for a few seconds while Postfix's anvil
    still counts an earlier client that has gone (the fixture's readiness check connects too)."""
    deadline = time.monotonic() + 5
    while True:
        sock = socket.create_connection((HOST, port), timeout=10)
        greeting = sock.recv(200)
        if greeting.startswith(b"220 ") or time.monotonic() > deadline:
            assert greeting.startswith(b"220 "), greeting
            return sock
        sock.close()
        time.sleep(0.1)


def test_connection_limit_1_never_fails_the_main_session(postfix: dict[str, int], ca_file: Path) -> None:
    """The legacy sessions come after the main one, one at a time: 421 never hits the main probe."""
    with _counted_session(postfix["limit-1"]):
        assert _greeting(postfix["limit-1"]).startswith(b"421 ")  # the limit is real
    time.sleep(0.2)  # Postfix's anvil hears of the disconnect
    for _ in range(5):
        result = probe(postfix["limit-1"], ca_file, legacy=True)
        assert result.ok, result.findings
        if can_offer("TLSv1.0"):
            assert result.facts["legacy_tls"] == {"TLSv1.0": "accepted", "TLSv1.1": "accepted"}


def test_https_probe_of_an_smtp_port_is_not_tls(postfix: dict[str, int], ca_file: Path) -> None:
    options = HttpsOptions(timeout=5.0, tls=TlsOptions(ca_file=ca_file, cert_name=NAME))
    result = asyncio.run(probe_https(f"{HOST}:{postfix['good']}", options))
    assert [f.code for f in result.findings] == ["probe.https.not-tls"]
    greeting = "a plain-text greeting, e.g. SMTP (220 mail.contoso.test ESMTP Postfix)"
    assert greeting in result.findings[0].message


def test_receive_connector_requiring_a_client_certificate(postfix: dict[str, int], ca: trustme.CA,
                                                          ca_file: Path, tmp_path: Path) -> None:
    without = probe(postfix["client-cert"], ca_file)
    assert codes(without) == {"probe.smtp.ehlo-rejected"}  # 421 4.7.1 ... No client certificate presented
    assert "--client-cert" in without.findings[0].fix
    client = tmp_path / "client.pem"
    ca.issue_cert("mail.protection.outlook.test").private_key_and_cert_chain_pem.write_to_path(str(client))
    with_cert = probe(postfix["client-cert"], ca_file, legacy=True, client_cert=client)
    assert with_cert.ok and codes(with_cert, Severity.WARNING) == set(), with_cert.findings
    assert "ehlo (tls)" in [s.name for s in with_cert.steps if s.status == "pass"]


def test_tls12_without_exchange_online_suites_is_no_common_cipher(postfix: dict[str, int],
                                                                   ca_file: Path) -> None:
    result = probe(postfix["chacha-only"], ca_file, legacy=True)
    assert codes(result, Severity.ERROR) == {"probe.tls.handshake-failed", "probe.tls.no-common-cipher"}
    common = next(f for f in result.findings if f.code == "probe.tls.no-common-cipher")
    assert "TLSv1.2 ECDHE-" in common.message and "CHACHA20" in common.message
