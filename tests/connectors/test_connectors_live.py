"""`--probe`: the certificate a real SMTP server on loopback presents, judged against the exports."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from _support.connectors import DATA, MAIN_FILES, topology_file
from _support.probe_peers import Peers, closed_port, server_context
from hybridfw.connectors import read_exports
from hybridfw.connectors.interface import ExchangeCertificate, Exports, Origin
from hybridfw.connectors.live_check import judge_live, probe_live
from hybridfw.topology import Topology, load_topology

LOOPBACK_TOPOLOGY = """mode = "classic-full"
[smtp]
addresses = ["127.0.0.1"]
tls_certificate_name = "mail.contoso.com"
[web]
addresses = ["127.0.0.1"]
"""


@pytest.fixture(scope="module")
def peers() -> Iterator[Peers]:
    hosts = Peers()
    yield hosts
    hosts.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def served(peers: Peers, ca: trustme.CA) -> tuple[int, str]:
    """An SMTP server with STARTTLS presenting mail.contoso.com; (port, SHA-1 thumbprint)."""
    leaf = ca.issue_cert("mail.contoso.com")
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    return peers.smtp(server_context(leaf)), hashlib.sha1(der).hexdigest().upper()


def _setup(tmp: Path, ca: trustme.CA) -> tuple[Exports, Topology, Path]:
    ca_file = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    exports = read_exports([DATA / n for n in MAIN_FILES])
    return exports, load_topology(topology_file(tmp, LOOPBACK_TOPOLOGY)), ca_file


def _cert(thumbprint: str) -> ExchangeCertificate:
    return ExchangeCertificate(Origin("x", 1), thumbprint, "CN=mail.contoso.com", "CN=CA",
                               ("mail.contoso.com",), None, datetime(2099, 1, 1, tzinfo=UTC),
                               frozenset({"SMTP"}), False, "EX1")


def test_presented_certificate_is_the_one_the_connectors_expect(tmp_path: Path, ca: trustme.CA,
                                                                served: tuple[int, str]) -> None:
    port, thumbprint = served
    exports, topology, ca_file = _setup(tmp_path, ca)
    results = probe_live(exports, topology, timeout=5, port=port, ca_file=ca_file)
    check = judge_live(results, exports, topology, [_cert(thumbprint)])
    assert check.status == "pass", [f.message for f in check.findings]
    assert [f.code for f in check.findings] == ["connectors.live.ok"]

    other = judge_live(results, exports, topology, [_cert("00" * 20)])
    assert "connectors.live.other-certificate" in {f.code for f in other.findings}


def test_name_the_outbound_connector_expects_is_not_presented(tmp_path: Path, ca: trustme.CA,
                                                              served: tuple[int, str]) -> None:
    port, thumbprint = served
    exports, topology, ca_file = _setup(tmp_path, ca)
    import dataclasses

    outbound = dataclasses.replace(exports.outbound[0], tls_domain="smtp.fabrikam.com")
    exports = dataclasses.replace(exports, outbound=(outbound,))
    results = probe_live(exports, topology, timeout=5, port=port, ca_file=ca_file)
    check = judge_live(results, exports, topology, [_cert(thumbprint)])
    assert check.status == "fail"
    assert "connectors.live.name-mismatch" in {f.code for f in check.findings}


def test_untrusted_chain_is_relayed(tmp_path: Path, ca: trustme.CA, served: tuple[int, str]) -> None:
    port, thumbprint = served
    exports, topology, _ = _setup(tmp_path, ca)
    results = probe_live(exports, topology, timeout=5, port=port)  # system trust store only
    check = judge_live(results, exports, topology, [_cert(thumbprint)])
    assert check.status == "fail" and not any(f.code == "connectors.live.ok" for f in check.findings)


def test_nothing_listening_is_a_failure_not_a_pass(tmp_path: Path, ca: trustme.CA) -> None:
    exports, topology, ca_file = _setup(tmp_path, ca)
    results = probe_live(exports, topology, timeout=3, port=closed_port(), ca_file=ca_file)
    check = judge_live(results, exports, topology, [])
    assert check.status == "fail"
    assert any("refused" in f.message.lower() or "10061" in f.message for f in check.findings)


def test_command_wires_probe_into_the_checks(tmp_path: Path, ca: trustme.CA, served: tuple[int, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`hybridfw connectors --probe` runs probe_live on the topology and adds live.certificate."""
    import hybridfw.connectors.live_check as live
    from hybridfw.commands.connectors import run

    port, _ = served
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    real = live.probe_live
    seen: list[float] = []

    def on_loopback(exports: Exports, topology: Topology, *, timeout: float) -> list[object]:
        seen.append(timeout)
        return real(exports, topology, timeout=timeout, port=port, ca_file=ca_file)

    monkeypatch.setattr(live, "probe_live", on_loopback)
    result = run([DATA / n for n in MAIN_FILES], topology_file(tmp_path, LOOPBACK_TOPOLOGY), False, 4.0)
    assert seen == [4.0]
    check = next(c for c in result.checks if c.name == "live.certificate")
    assert {f.subject for f in check.findings} == {f"127.0.0.1:{port}"}
    assert all(c.name != "live.certificate" for c in run(
        [DATA / n for n in MAIN_FILES], topology_file(tmp_path, LOOPBACK_TOPOLOGY), False, None).checks)
