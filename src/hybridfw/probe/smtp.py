"""Probe smart hosts on TCP 25 the way Exchange Online validates an outbound connector.

Per host: resolve, connect, banner, EHLO, STARTTLS, TLS handshake (TLS 1.2+, chain), then the
certificate's name, validity and issuer, and optionally MAIL FROM / RCPT TO / DATA. TLS 1.0 and
1.1 acceptance is tested in separate sessions, one at a time, after the main one. Many hosts run
concurrently; each step is bounded by the timeout, so no host can hold the run open.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import replace

from hybridfw.errors import InputError
from hybridfw.model import Severity
from hybridfw.probe import exchange
from hybridfw.probe.interface import ProbeResult, SmtpOptions, SmtpTarget
from hybridfw.probe.loop import run
from hybridfw.probe.net import (
    Channel,
    Connection,
    LineTooLong,
    PeerClosed,
    connect_first,
    resolve_addresses,
)
from hybridfw.probe.recorder import Recorder, StepFailure
from hybridfw.probe.smtp_session import (
    NotSmtp,
    SessionOutcome,
    ehlo,
    envelope,
    judge_masked_banner,
    quit_politely,
    reach_starttls,
)
from hybridfw.probe.tls import (
    inspecting_context,
    verifying_context,
)
from hybridfw.probe.tls_check import (
    ExchangeTexts,
    diagnose_handshake,
    handshake,
    judge_legacy,
    judge_session,
    legacy_verdicts,
)
from hybridfw.probe.winsock import NetFailure, classify_connect_error, failure_evidence

OnDone = Callable[[ProbeResult], None]


def parse_target(text: str, default_port: int = 25) -> SmtpTarget:
    """`host`, `host:port`, `[v6]:port` or a bare IPv6 address."""
    raw = text.strip()
    host, port_text = raw, ""
    if raw.startswith("["):
        host, sep, rest = raw[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InputError(f"bad host {text!r}: expected [address]:port", field="HOST")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    if not host or " " in host or "/" in host:
        raise InputError(f"bad host {text!r}", field="HOST")
    if not port_text:
        return SmtpTarget(host, default_port)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError(f"bad port in {text!r}: expected 1-65535", field="HOST")
    return SmtpTarget(host, int(port_text))


def _failure_raiser(rec: Recorder, target: SmtpTarget) -> Callable[[NetFailure, str], StepFailure]:
    def raise_for(failure: NetFailure, address: str) -> StepFailure:
        rec.facts["network_failure"] = failure.to_dict()
        found = exchange.connect_failure(failure, target.host, address, target.port)
        return rec.fail(found.code, found.message, fix=found.fix, exchange=found.exchange,
                        likely=found.likely, evidence=failure_evidence(failure))
    return raise_for


def _interrupted(rec: Recorder, target: SmtpTarget, exc: BaseException, timeout: float) -> None:
    """One finding for a conversation that ended early: stall, close, reset or not SMTP."""
    step = rec.current or "session"
    where = (target.host, rec.address, target.port)
    if isinstance(exc, TimeoutError):
        rec.finding(Severity.ERROR, "probe.smtp.stalled",
                    f"no complete answer within {timeout:g}s at step '{step}' (stalled or trickling peer)",
                    fix="A device or a hung transport service holds the session: check the Exchange "
                        "transport service and any proxy/IPS in the path.",
                    exchange=f"{exchange.TIMED_OUT} {exchange.last_attempted(*where)}")
    elif isinstance(exc, PeerClosed | ConnectionResetError):
        kind = "reset" if isinstance(exc, ConnectionResetError) else "closed"
        rec.finding(Severity.ERROR, "probe.smtp.closed-abruptly",
                    f"connection {kind} by the peer during '{step}'",
                    fix="Typical of SMTP inspection on a firewall, or an overloaded/hung transport "
                        "service: remove SMTP inspection and check the Exchange server.",
                    exchange=f"{exchange.CLOSED_ABRUPTLY} {exchange.last_attempted(*where)}")
    elif isinstance(exc, NotSmtp | LineTooLong):
        rec.finding(Severity.ERROR, "probe.smtp.not-smtp",
                    f"the peer does not speak SMTP at step '{step}': {exc}",
                    fix="The smart host/port points at something else (a web server, a VPN portal?).",
                    exchange=exchange.cannot_connect(str(exc)[:80], *where))
    else:
        failure = classify_connect_error(exc)
        rec.finding(Severity.ERROR, "probe.smtp.socket-error", f"{failure.description} during '{step}'",
                    exchange=f"{exchange.CLOSED_ABRUPTLY} [Message=Socket error code {failure.winsock}]")


async def _converse(rec: Recorder, channel: Channel, target: SmtpTarget, options: SmtpOptions,
                    context: ssl.SSLContext, outcome: SessionOutcome, *, full: bool) -> None:
    """Run the conversation, turning every way it can end early into one finding."""
    try:
        await reach_starttls(rec, channel, target, options, outcome)
        if await handshake(rec, channel, target.host, context, options.timeout, outcome,
                           _texts(rec, target)) and full:
            await ehlo(rec, channel, target, options.helo, options.timeout, name="ehlo (tls)")
            if options.rcpt:
                await envelope(rec, channel, target, options)
            await quit_politely(channel, options.timeout)
    except StepFailure as failure:
        rec.add(failure.finding)
        if not failure.finding.code.startswith("probe.tls."):  # after a failed handshake: no SMTP left
            await quit_politely(channel, options.timeout)
    except (TimeoutError, OSError, NotSmtp, LineTooLong, ssl.SSLError) as exc:
        _interrupted(rec, target, exc, options.timeout)
    finally:
        await channel.close()


async def _side_session(target: SmtpTarget, address: str, options: SmtpOptions,
                        context: ssl.SSLContext) -> tuple[bool, SessionOutcome]:
    """A separate, unrecorded session up to the handshake: (reached STARTTLS, outcome)."""
    scratch = Recorder("smtp", str(target))
    scratch.address = address
    outcome = SessionOutcome()
    try:
        async with asyncio.timeout(options.timeout):
            reader, writer = await asyncio.open_connection(address, target.port)
    except (OSError, TimeoutError):
        return False, outcome
    channel = Channel(Connection(reader, writer, address), None)
    await _converse(scratch, channel, target, options, context, outcome, full=False)
    return outcome.starttls_offered, outcome


def _texts(rec: Recorder, target: SmtpTarget) -> ExchangeTexts:
    where = (target.host, rec.address, target.port)
    return ExchangeTexts(
        handshake_failed=exchange.cannot_connect(exchange.TLS_NEGOTIATION_FAILED, *where, "-2;-2"),
        invalid=exchange.CERTIFICATE_INVALID,
        mismatch=lambda expected, subject, thumb: exchange.subject_mismatch(expected, subject, thumb, *where),
    )


async def _fetch_certificate(target: SmtpTarget, address: str, options: SmtpOptions) -> bytes:
    """A second session without verification, to see the certificate that failed it."""
    _, outcome = await _side_session(target, address, options, inspecting_context(options.tls.client()))
    return outcome.certificate_der


async def probe_smtp(target: SmtpTarget, options: SmtpOptions) -> ProbeResult:
    """Probe one smart host. Target failures are findings; this never raises for them."""
    if not options.helo:
        options = _with_helo(options)
    rec = Recorder("smtp", str(target))
    rec.port = target.port
    raise_for = _failure_raiser(rec, target)
    try:
        addresses = await resolve_addresses(rec, target.host, target.port, options.timeout, raise_for)
        conn = await connect_first(rec, addresses, target.port, options.timeout, raise_for)
    except StepFailure as failure:
        rec.add(failure.finding)
        return rec.result()
    outcome = SessionOutcome()
    context = verifying_context(options.tls.ca_file, options.tls.client())
    await _converse(rec, Channel(conn, rec), target, options, context, outcome, full=True)
    judge_masked_banner(rec, outcome)
    await diagnose_handshake(rec, outcome, lambda ctx: _side_session(target, conn.address, options, ctx),
                             options.tls.client())
    await judge_session(rec, target.host, options.tls, outcome,
                        lambda: _fetch_certificate(target, conn.address, options), _texts(rec, target))
    if options.tls.check_legacy_versions:  # after the main session, one at a time (connection limits)
        legacy = await legacy_verdicts(lambda ctx: _side_session(target, conn.address, options, ctx),
                                       reached=outcome.reached(), client=options.tls.client())
        judge_legacy(rec, legacy, outcome)
    return rec.result()


def _with_helo(options: SmtpOptions) -> SmtpOptions:
    return replace(options, helo=socket.gethostname() or "localhost")


async def probe_smtp_hosts(targets: Sequence[SmtpTarget], options: SmtpOptions,
                           on_done: OnDone | None = None) -> list[ProbeResult]:
    """Probe many smart hosts concurrently; results come back in the order of `targets`."""
    if not options.helo:
        options = _with_helo(options)
    limit = asyncio.Semaphore(max(1, options.concurrency))

    async def one(target: SmtpTarget) -> ProbeResult:
        async with limit:
            result = await probe_smtp(target, options)
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(t) for t in targets)))


def probe_smtp_hosts_sync(targets: Sequence[SmtpTarget], options: SmtpOptions,
                          on_done: OnDone | None = None) -> list[ProbeResult]:
    """`probe_smtp_hosts` for callers without an event loop (the `check` command, scripts)."""
    return run(probe_smtp_hosts(targets, options, on_done))

