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


def _nginx(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory, locations: str) -> Iterator[Nginx]:
    server = Nginx(tmp_path_factory.mktemp("nginx"),
                   ca.issue_cert(NAME).private_key_and_cert_chain_pem.bytes(), locations)
    yield server
    server.close()


@pytest.fixture(scope="module")
def nginx(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    yield from _nginx(ca, tmp_path_factory, LOCATIONS)


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


# A pre-authenticating proxy that answers every path 200 with its own login page (no redirect),
# and a service page without a form (what a WCF/ASMX service shows a bare GET).
LOGIN_PAGE = ("<html><body><form method=post action=/my.policy><input type=text name=username>"
              "<input type=\"password\" name=password><input type=submit value=Logon></form></body></html>")
PREAUTH_LOCATIONS = f"""
    location ~ ^/EWS/ {{ default_type text/html; return 200 '{LOGIN_PAGE}'; }}
    location ~ ^/autodiscover/ {{ default_type text/html; return 200 '<html><body>Service</body></html>'; }}
"""


@pytest.fixture(scope="module")
def preauth(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    yield from _nginx(ca, tmp_path_factory, PREAUTH_LOCATIONS)


def test_login_page_answered_200_is_pre_authentication(preauth: Nginx, ca_file: Path) -> None:
    """The WS-Security paths passed on any 200 and the others were warnings: exit 0 for a proxy
    that shows Exchange Online a login form."""
    paths = ("autodiscover", "autodiscover-wssecurity", "ews", "ews-wssecurity", "mrsproxy")
    result = probe(preauth.tls_port, ca_file, paths=paths)
    assert not result.ok
    by_code = sorted((f.code, f.message.split(" ", 1)[0]) for f in result.findings)
    assert by_code == [("probe.https.anonymous", "autodiscover"),
                       ("probe.https.login-page", "ews"), ("probe.https.login-page", "ews-wssecurity"),
                       ("probe.https.login-page", "mrsproxy")], result.findings
    assert {s.name: s.status for s in result.steps if s.name.startswith("GET")} == {
        "GET /autodiscover/autodiscover.svc": "warn", "GET /autodiscover/autodiscover.svc/WSSecurity": "pass",
        "GET /EWS/Exchange.asmx": "fail", "GET /EWS/Exchange.asmx/WSSecurity": "fail",
        "GET /EWS/mrsproxy.svc": "fail"}
