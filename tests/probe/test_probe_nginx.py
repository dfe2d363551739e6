"""`probe https` against a real nginx publishing Exchange's paths case-sensitively (as many
reverse proxies do): /EWS/Exchange.asmx answers 401 Negotiate, /ews/exchange.asmx is 404,
MRSProxy is behind a 302 to an F5-APM-style login page, and a plain-HTTP port is "not TLS"."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from _support.real_servers import Nginx, own_loopback
from hybridfw.model import Severity
from hybridfw.probe.https import probe_https
from hybridfw.probe.interface import HttpsOptions, ProbeResult, TlsOptions

pytestmark = pytest.mark.server
NAME = "mail.contoso.test"
CHALLENGE = ("add_header WWW-Authenticate Negotiate always; add_header WWW-Authenticate NTLM always; "
             "return 401;")
LOCATIONS = f"""
    location = /autodiscover/autodiscover.svc {{ {CHALLENGE} }}
    location = /EWS/Exchange.asmx {{ {CHALLENGE} }}
    location = /EWS/mrsproxy.svc {{ return 302 https://apm.contoso.test/my.policy; }}
"""


@pytest.fixture(scope="module")
def nginx(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    server = Nginx(tmp_path_factory.mktemp("nginx"),
                   ca.issue_cert(NAME).private_key_and_cert_chain_pem.bytes(), LOCATIONS)
    yield server
    server.close()


def probe(port: int, ca_file: Path, paths: tuple[str, ...] = ("autodiscover", "ews", "mrsproxy"),
          legacy: bool = False) -> ProbeResult:
    options = HttpsOptions(timeout=5.0, paths=paths,
                           tls=TlsOptions(ca_file=ca_file, cert_name=NAME, check_legacy_versions=legacy))
    return asyncio.run(probe_https(f"{own_loopback()}:{port}", options))


def _status(port: int, ca_file: Path, path: str) -> bytes:
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection((own_loopback(), port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=NAME) as tls:
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {NAME}\r\nConnection: close\r\n\r\n".encode())
        return tls.recv(64).split(b"\r\n")[0]


def test_ews_published_case_sensitively_is_published(nginx: Nginx, ca_file: Path) -> None:
    assert _status(nginx.tls_port, ca_file, "/ews/exchange.asmx") == b"HTTP/1.1 404 Not Found"  # real
    result = probe(nginx.tls_port, ca_file, legacy=True)
    both = ["Negotiate", "NTLM"]
    assert result.facts["auth_schemes"] == {"autodiscover": both, "ews": both}
    assert [(f.code, f.severity) for f in result.findings] == [("probe.https.login-redirect", Severity.ERROR)]
    assert "apm.contoso.test/my.policy" in result.findings[0].message
    assert set(result.facts["legacy_tls"].values()) <= {"refused", "untestable"}


def test_plain_http_port_is_not_tls(nginx: Nginx, ca_file: Path) -> None:
    result = probe(nginx.plain_port, ca_file, legacy=True)
    assert [f.code for f in result.findings] == ["probe.https.not-tls"]
    assert result.findings[0].message == ("the port does not speak TLS: it answers in plain HTTP "
                                          "(HTTP/1.1 404 Not Found)")
    assert set(result.facts["legacy_tls"].values()) <= {"not-reached", "untestable"}
