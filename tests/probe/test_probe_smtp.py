"""SMTP probe against real peers on 127.0.0.1: aiosmtpd with STARTTLS and trustme certificates,
and scripted servers that misbehave the ways firewalls and broken servers do."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import struct
import time
from pathlib import Path

import pytest
import trustme

from _support.probe_peers import Peers, RecordingHandler, closed_port, self_signed_context, server_context
from hybridfw.model import Severity
from hybridfw.probe.interface import EXCHANGE_PREFIX, ProbeResult, SmtpOptions, SmtpTarget, TlsOptions
from hybridfw.probe.smtp import probe_smtp_hosts, probe_smtp_hosts_sync
from hybridfw.probe.tls import can_offer

NAME = "mail.contoso.test"


def probe(port: int, ca_file: Path | None = None, *, cert_name: str = NAME, timeout: float = 3.0,
          legacy: bool = False, **smtp: object) -> ProbeResult:
    tls = TlsOptions(ca_file=ca_file, cert_name=cert_name, check_legacy_versions=legacy)
    options = SmtpOptions(timeout=timeout, helo="probe.contoso.test", tls=tls, **smtp)  # type: ignore[arg-type]
    return probe_smtp_hosts_sync([SmtpTarget("127.0.0.1", port)], options)[0]


def codes(result: ProbeResult, severity: Severity | None = None) -> set[str]:
    return {f.code for f in result.findings if severity is None or f.severity == severity}


def exchange_text(result: ProbeResult, code: str) -> str:
    finding = next(f for f in result.findings if f.code == code)
    return next(e for e in finding.evidence if e.startswith(EXCHANGE_PREFIX))[len(EXCHANGE_PREFIX):]


def step(result: ProbeResult, name: str) -> str:
    return next(s.status for s in result.steps if s.name == name)


# -- well-behaved servers ----------------------------------------------------------------------
def test_valid_certificate_passes_every_step(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    port = peers.smtp(server_context(ca.issue_cert(NAME), minimum=ssl.TLSVersion.TLSv1_2))
    result = probe(port, ca_file, legacy=True)
    assert result.ok, result.findings
    assert codes(result, Severity.ERROR) == set()
    assert [s.name for s in result.steps][:6] == ["resolve", "connect 127.0.0.1", "banner", "ehlo",
                                                  "starttls", "tls handshake"]
    assert all(s.status in ("pass", "skip") for s in result.steps), result.steps
    assert result.facts["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert "STARTTLS" in result.facts["ehlo_extensions"]
    assert result.facts["certificate"]["dns_names"] == [NAME]
    rendered = [t.render() for t in result.transcript]
    assert "C: EHLO probe.contoso.test" in rendered and "C: STARTTLS" in rendered
    assert any(line.startswith("S: 220 ") for line in rendered)
    if can_offer("TLSv1.0"):
        assert result.facts["legacy_tls"]["TLSv1.0"] == "refused"


def test_wildcard_certificate_matches_one_label(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    port = peers.smtp(server_context(ca.issue_cert("*.contoso.test")))
    assert probe(port, ca_file).ok
    deeper = probe(port, ca_file, cert_name="a.mail.contoso.test")
    assert "probe.cert.name-mismatch" in codes(deeper, Severity.ERROR)


def test_wrong_name_reports_subject_mismatch(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    port = peers.smtp(server_context(ca.issue_cert("exchange01.internal.test")))
    result = probe(port, ca_file)
    assert codes(result, Severity.ERROR) == {"probe.cert.name-mismatch"}
    text = exchange_text(result, "probe.cert.name-mismatch")
    assert text.startswith("450 4.4.317 Cannot connect to remote server [Message=SubjectMismatch "
                           f"Expected Subject: {NAME}. Presented Subject: ")
    assert text.endswith(f"[LastAttemptedIP=127.0.0.1:{port}] [SmtpSecurity=-1;-1]")


def test_tls_certificate_name_in_issuer_subject_form(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    port = peers.smtp(server_context(ca.issue_cert(NAME)))
    result = probe(port, ca_file, cert_name=f"<I>CN=Some CA, O=Some Org<S>CN={NAME}, O=Contoso")
    assert result.ok, result.findings


def test_expired_certificate(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    cert = ca.issue_cert(NAME, not_before=past - dt.timedelta(days=90), not_after=past)
    result = probe(peers.smtp(server_context(cert)), ca_file)
    assert {"probe.tls.chain-untrusted", "probe.cert.expired"} <= codes(result, Severity.ERROR)
    assert exchange_text(result, "probe.cert.expired") == "450 4.7.320 Certificate validation failed"
    assert step(result, "tls handshake") == "fail"
    assert step(result, "certificate fetch (unverified)") == "pass"


def test_certificate_expiring_soon_is_a_warning(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    result = probe(peers.smtp(server_context(ca.issue_cert(NAME, not_after=soon))), ca_file)
    assert result.ok
    assert codes(result, Severity.WARNING) == {"probe.cert.expires-soon"}


def test_self_signed_certificate(peers: Peers, tmp_path: Path, ca_file: Path) -> None:
    result = probe(peers.smtp(self_signed_context(NAME, tmp_path)), ca_file)
    assert {"probe.cert.self-signed", "probe.tls.chain-untrusted"} <= codes(result, Severity.ERROR)
    assert "probe.cert.name-mismatch" not in codes(result)
    assert result.facts["certificate"]["self_signed"] is True


def test_system_store_does_not_trust_a_private_ca(peers: Peers, ca: trustme.CA) -> None:
    result = probe(peers.smtp(server_context(ca.issue_cert(NAME))), None)
    assert codes(result, Severity.ERROR) == {"probe.tls.chain-untrusted"}


def test_no_starttls_offered(peers: Peers) -> None:
    result = probe(peers.smtp(None))
    assert codes(result, Severity.ERROR) == {"probe.smtp.no-starttls"}
    text = exchange_text(result, "probe.smtp.no-starttls")
    assert text.startswith("450 4.4.317 Cannot connect to remote server "
                           "[Message=451 5.7.3 STARTTLS is required to send mail]")
    assert "C: QUIT" in [t.render() for t in result.transcript]


def test_server_that_accepts_only_tls_1_0(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    context = server_context(ca.issue_cert(NAME), minimum=ssl.TLSVersion.TLSv1,
                             maximum=ssl.TLSVersion.TLSv1)
    result = probe(peers.smtp(context), ca_file, legacy=True)
    assert "probe.tls.handshake-failed" in codes(result, Severity.ERROR)
    assert "[SmtpSecurity=-2;-2]" in exchange_text(result, "probe.tls.handshake-failed")
    if can_offer("TLSv1.0"):
        assert result.facts["legacy_tls"]["TLSv1.0"] == "accepted"
        assert "probe.tls.legacy-only" in codes(result, Severity.ERROR)
    else:  # this OpenSSL build cannot send a TLS 1.0 ClientHello: the probe must say so
        assert result.facts["legacy_tls"]["TLSv1.0"] == "untestable"
        assert "probe.tls.legacy-untestable" in codes(result, Severity.INFO)


def test_tls_1_0_still_accepted_is_a_warning(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    context = server_context(ca.issue_cert(NAME), minimum=ssl.TLSVersion.TLSv1)
    result = probe(peers.smtp(context), ca_file, legacy=True)
    assert result.ok
    if can_offer("TLSv1.0"):
        assert "probe.tls.legacy-accepted" in codes(result, Severity.WARNING)
        assert result.facts["legacy_tls"] == {"TLSv1.0": "accepted", "TLSv1.1": "accepted"}
    else:
        assert result.facts["legacy_tls"]["TLSv1.0"] == "untestable"


# -- envelope and test message -----------------------------------------------------------------
def test_rcpt_accepted_and_message_sent(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    handler = RecordingHandler()
    port = peers.smtp(server_context(ca.issue_cert(NAME)), handler)
    result = probe(port, ca_file, rcpt="user@contoso.test", send=True)
    assert result.ok, result.findings
    assert step(result, "rcpt to") == "pass" and step(result, "data") == "pass"
    assert len(handler.messages) == 1 and b"hybridfw probe test message" in handler.messages[0]


def test_rcpt_rejected_without_data(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    handler = RecordingHandler()
    port = peers.smtp(server_context(ca.issue_cert(NAME)), handler)
    result = probe(port, ca_file, rcpt="nobody@contoso.test")
    assert codes(result, Severity.ERROR) == {"probe.smtp.rcpt-rejected"}
    assert exchange_text(result, "probe.smtp.rcpt-rejected").startswith("550 5.1.10")
    assert handler.messages == []
    assert "C: DATA" not in [t.render() for t in result.transcript]


def test_greylisted_recipient_is_a_deferral_warning(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    port = peers.smtp(server_context(ca.issue_cert(NAME)))
    result = probe(port, ca_file, rcpt="greylist@contoso.test", send=True)
    assert result.ok and codes(result) == {"probe.smtp.deferred"}  # not "the recipient must exist"
    assert "at RCPT TO greylist@contoso.test" in result.findings[0].message
    assert "delivery was not checked" in result.findings[0].message
    assert "C: DATA" not in [t.render() for t in result.transcript]


# -- misbehaving peers -------------------------------------------------------------------------
def test_closed_port_is_refused_10061(peers: Peers) -> None:
    port = closed_port()
    result = probe(port)
    assert codes(result) == {"probe.smtp.connect-refused"}
    assert exchange_text(result, "probe.smtp.connect-refused") == (
        "450 4.4.316 Connection refused [Message=Socket error code 10061] "
        f"[LastAttemptedServerName=127.0.0.1] [LastAttemptedIP=127.0.0.1:{port}]")
    assert result.facts["network_failure"]["winsock"] == 10061


def test_server_closing_after_ehlo_is_4_4_318(peers: Peers) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mail.contoso.test ESMTP\r\n")
        await reader.readline()
        writer.close()

    result = probe(peers.script(script))
    assert codes(result) == {"probe.smtp.closed-abruptly"}
    assert exchange_text(result, "probe.smtp.closed-abruptly").startswith(
        "450 4.4.318 Connection was closed abruptly")
    assert step(result, "ehlo") == "fail"


def test_reset_during_banner(peers: Peers) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await asyncio.sleep(0.2)  # let the probe connect and wait for the banner, then send a RST
        writer.transport.abort()

    result = probe(peers.script(script))
    assert codes(result) == {"probe.smtp.closed-abruptly"}
    assert "connection reset by the peer during 'banner'" in result.findings[0].message
    assert step(result, "banner") == "fail"


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickling"])
def test_stalled_banner_is_cut_off_at_the_timeout(peers: Peers, trickle: bool) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(200):  # a byte every 50 ms, never a line end: longer than any timeout here
            if trickle:
                writer.write(b"2")
            await asyncio.sleep(0.05)
        writer.close()

    started = time.perf_counter()
    result = probe(peers.script(script), timeout=0.6)
    assert time.perf_counter() - started < 3.0
    assert codes(result) == {"probe.smtp.stalled"}
    assert "at step 'banner'" in next(iter(result.findings)).message
    assert step(result, "banner") == "fail"


def test_masked_banner_from_inspecting_firewall(peers: Peers) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 ****************************************\r\n")
        await reader.readline()
        writer.write(b"250-mail.contoso.test\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n")
        await reader.readline()
        writer.write(b"221 bye\r\n")
        writer.close()

    result = probe(peers.script(script))
    assert {"probe.smtp.inspecting-middlebox", "probe.smtp.no-starttls"} == codes(result, Severity.ERROR)
    assert codes(result, Severity.WARNING) == set()  # STARTTLS stripped: the masked banner is an error
    assert step(result, "banner") == "warn"


def test_greeting_that_is_not_220(peers: Peers) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"554 5.7.1 Access denied\r\n")
        await reader.readline()
        writer.close()

    result = probe(peers.script(script))
    assert codes(result) == {"probe.smtp.banner-rejected"}
    assert "[Message=554 5.7.1 Access denied]" in exchange_text(result, "probe.smtp.banner-rejected")


def test_peer_that_is_not_smtp(peers: Peers) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await asyncio.sleep(0.5)
        writer.close()

    assert codes(probe(peers.script(script))) == {"probe.smtp.not-smtp"}


# -- many hosts --------------------------------------------------------------------------------
def test_many_hosts_concurrently_bounded_by_one_timeout(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    good = [peers.smtp(server_context(ca.issue_cert(NAME))) for _ in range(3)]
    stalled = [peers.script(silent) for _ in range(3)]
    ports = good + stalled + [closed_port()]
    options = SmtpOptions(timeout=0.8, helo="probe.contoso.test",
                          tls=TlsOptions(ca_file=ca_file, cert_name=NAME, check_legacy_versions=False))
    done: list[str] = []
    started = time.perf_counter()
    results = asyncio.run(probe_smtp_hosts([SmtpTarget("127.0.0.1", p) for p in ports], options,
                                           lambda r: done.append(r.target)))
    assert time.perf_counter() - started < 2.5  # sequential would be at least 3 x 0.8 s
    assert [r.port for r in results[:3]] == good  # results come back in target order
    assert [r.ok for r in results] == [True] * 3 + [False] * 4
    assert sorted(done) == sorted(r.target for r in results)


def test_certificate_facts_from_ssl_match_cryptography(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    """The verified path decodes with `ssl` (no cryptography import); both decodings must agree."""
    import smtplib

    from hybridfw.probe.certificate import facts_from_peercert, parse_certificate

    port = peers.smtp(server_context(ca.issue_cert(NAME, "alt.contoso.test", common_name=NAME)))
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.starttls(context=context)
        tls_socket = client.sock
        assert isinstance(tls_socket, ssl.SSLSocket)
        decoded, der = tls_socket.getpeercert(), tls_socket.getpeercert(binary_form=True)
    assert decoded and der
    assert facts_from_peercert(dict(decoded), der) == parse_certificate(der)


def test_connect_timeout_is_10060() -> None:
    """A listener with a full accept queue drops further SYNs: a real connect time-out on loopback."""
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):  # fills the queue, never accepted
            started = time.perf_counter()
            result = probe(port, timeout=0.5)
    assert time.perf_counter() - started < 2.0
    assert codes(result) == {"probe.smtp.connect-timeout"}
    assert exchange_text(result, "probe.smtp.connect-timeout").startswith(
        "450 4.4.315 Connection timed out [Message=Socket error code 10060]")


def test_second_address_answers_after_the_first_fails(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    """Addresses are tried in turn, as a sender does; the dead one is a warning, not the verdict."""
    from hybridfw.probe.net import connect_first
    from hybridfw.probe.recorder import Recorder, StepFailure
    from hybridfw.probe.winsock import NetFailure

    port = peers.smtp(server_context(ca.issue_cert(NAME)))  # listens on 127.0.0.1 only, not ::1

    async def run() -> Recorder:
        rec = Recorder("smtp", f"dual:{port}")

        def never(failure: NetFailure, address: str) -> StepFailure:
            raise AssertionError("one address answers")

        conn = await connect_first(rec, ["::1", "127.0.0.1"], port, 2.0, never)
        conn.writer.close()
        return rec

    result = asyncio.run(run()).result()
    assert result.address == "127.0.0.1"
    assert [s.status for s in result.steps] == ["fail", "pass"]
    assert codes(result, Severity.WARNING) == {"probe.smtp.address-failed"}
    assert "address ::1 failed" in result.findings[0].message
