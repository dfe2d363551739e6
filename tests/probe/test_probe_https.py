"""HTTPS probe against a real HTTPS server on 127.0.0.1 answering like Exchange (401 with
Negotiate/NTLM), like a broken publishing (403, 404), a pre-authenticating proxy (redirect to a
login page), or not at all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from _support.probe_peers import EXCHANGE_401, HttpsPeers, closed_port, self_signed_context, server_context
from hybridfw.model import Severity
from hybridfw.probe.https import PATHS, probe_https
from hybridfw.probe.interface import HttpsOptions, ProbeResult, TlsOptions

NAME = "mail.contoso.test"
AUTODISCOVER, EWS, MRS = "/autodiscover/autodiscover.svc", "/EWS/Exchange.asmx", "/EWS/mrsproxy.svc"
THREE = ("autodiscover", "ews", "mrsproxy")


@pytest.fixture
def web(ca: trustme.CA) -> Iterator[HttpsPeers]:
    servers = HttpsPeers(lambda: server_context(ca.issue_cert(NAME)))
    yield servers
    servers.close()


def probe(port: int, ca_file: Path | None, timeout: float = 3.0, legacy: bool = False,
          paths: tuple[str, ...] = THREE, overrides: tuple[tuple[str, str], ...] = ()) -> ProbeResult:
    options = HttpsOptions(timeout=timeout, paths=paths, overrides=overrides,
                           tls=TlsOptions(ca_file=ca_file, cert_name=NAME, check_legacy_versions=legacy))
    return asyncio.run(probe_https(f"https://127.0.0.1:{port}/", options))


def codes(result: ProbeResult, severity: Severity | None = None) -> set[str]:
    return {f.code for f in result.findings if severity is None or f.severity == severity}


def test_published_endpoints_answer_401_with_challenge(web: HttpsPeers, ca_file: Path) -> None:
    port = web.start({AUTODISCOVER: EXCHANGE_401, EWS: EXCHANGE_401, MRS: EXCHANGE_401})
    result = probe(port, ca_file, legacy=True)
    assert result.ok, result.findings
    assert codes(result, Severity.ERROR) == set() and codes(result, Severity.WARNING) == set()
    assert result.facts["auth_schemes"] == {"autodiscover": ["Negotiate", "NTLM"],
                                            "ews": ["Negotiate", "NTLM"], "mrsproxy": ["Negotiate", "NTLM"]}
    assert [s.status for s in result.steps if s.name.startswith("GET ")] == ["pass"] * 3
    sent = [t.render() for t in result.transcript]
    assert f"C: GET {MRS} HTTP/1.1" in sent
    assert f"C: Host: {NAME}:{port}" in sent  # an address target asks for the expected name (SNI, Host)


def test_not_published_forbidden_and_login_redirect(web: HttpsPeers, ca_file: Path) -> None:
    port = web.start({
        AUTODISCOVER: (403, []),
        EWS: (302, [("Location", "https://sts.contoso.test/adfs/ls/?wa=wsignin1.0")]),
        # MRS not routed: 404
    })
    result = probe(port, ca_file)
    assert codes(result, Severity.ERROR) == {"probe.https.forbidden", "probe.https.login-redirect",
                                             "probe.https.not-found"}
    redirect = next(f for f in result.findings if f.code == "probe.https.login-redirect")
    assert "sts.contoso.test/adfs" in redirect.message


def test_401_without_challenge_and_autodiscover_redirect_are_warnings(web: HttpsPeers, ca_file: Path) -> None:
    port = web.start({AUTODISCOVER: (301, [("Location", "https://mail2.contoso.test/autodiscover/")]),
                      EWS: (401, []), MRS: EXCHANGE_401})
    result = probe(port, ca_file)
    assert result.ok
    assert codes(result, Severity.WARNING) == {"probe.https.no-challenge", "probe.https.redirect"}


@pytest.mark.parametrize("location", ["https://mail2.contoso.test/EWS/Exchange.asmx",
                                      "https://apm.contoso.test/my.policy"])
def test_any_redirect_on_ews_or_mrsproxy_is_an_error(web: HttpsPeers, ca_file: Path, location: str) -> None:
    port = web.start({AUTODISCOVER: EXCHANGE_401, EWS: (302, [("Location", location)]),
                      MRS: (301, [("Location", location)])})
    result = probe(port, ca_file)
    assert not result.ok
    expected = "probe.https.login-redirect" if "my.policy" in location else "probe.https.redirect"
    assert [(f.code, f.severity) for f in result.findings] == [(expected, Severity.ERROR)] * 2


def test_wssecurity_paths_and_a_configured_url(web: HttpsPeers, ca_file: Path) -> None:
    port = web.start({AUTODISCOVER: EXCHANGE_401, AUTODISCOVER + "/WSSecurity": (405, []),
                      "/proxy/EWS/Exchange.asmx": EXCHANGE_401, EWS + "/WSSecurity": (200, []),
                      MRS: EXCHANGE_401})
    result = probe(port, ca_file, paths=tuple(PATHS), overrides=(("ews", "/proxy/EWS/Exchange.asmx"),))
    assert result.findings == (), result.findings
    sent = [t.text for t in result.transcript if t.direction == "C" and t.text.startswith("GET ")]
    assert sent == [f"GET {p} HTTP/1.1" for p in (AUTODISCOVER, AUTODISCOVER + "/WSSecurity",
                                                   "/proxy/EWS/Exchange.asmx", EWS + "/WSSecurity", MRS)]


def test_stalled_path_is_reported_within_bounds(web: HttpsPeers, ca_file: Path) -> None:
    port = web.start({AUTODISCOVER: EXCHANGE_401, EWS: EXCHANGE_401, MRS: "stall"})
    started = time.perf_counter()
    result = probe(port, ca_file, timeout=0.5)
    assert time.perf_counter() - started < 2.5
    assert codes(result, Severity.ERROR) == {"probe.https.no-answer"}
    assert "mrsproxy" in result.findings[0].message


def test_self_signed_certificate_still_checks_paths(web: HttpsPeers, tmp_path: Path, ca_file: Path) -> None:
    port = web.start({AUTODISCOVER: EXCHANGE_401, EWS: EXCHANGE_401, MRS: EXCHANGE_401},
                 self_signed_context(NAME, tmp_path))
    result = probe(port, ca_file)
    assert codes(result, Severity.ERROR) == {"probe.tls.chain-untrusted", "probe.cert.self-signed"}
    assert [s.status for s in result.steps if s.name.startswith("GET ")] == ["pass"] * 3


def test_wrong_certificate_name(web: HttpsPeers, ca: trustme.CA, ca_file: Path) -> None:
    port = web.start({AUTODISCOVER: EXCHANGE_401, EWS: EXCHANGE_401, MRS: EXCHANGE_401},
                 server_context(ca.issue_cert("owa.other.test")))
    result = probe(port, ca_file)
    assert codes(result, Severity.ERROR) == {"probe.cert.name-mismatch"}
    mismatch = result.findings[0]
    assert "IIS binding" in mismatch.fix and "TlsCertificateName" not in mismatch.fix  # HTTPS advice
    assert not any(e.startswith("Exchange Online would report") for e in mismatch.evidence)


def test_closed_port_is_a_finding(ca_file: Path) -> None:
    port = closed_port()
    result = probe(port, ca_file)
    assert codes(result) == {"probe.https.refused"}
    assert (result.address, result.port) == ("127.0.0.1", port)
    assert "Winsock 10061" in result.findings[0].message
