"""The texts Exchange Online shows (message trace, connector validation) for each SMTP failure.

Codes and wording come from Microsoft's mail-flow-intelligence and NDR pages and the hybrid
certificate blog (see the facts reference §2.2/§3). Where Microsoft publishes only the code, the
bracketed details follow the shape seen in real message traces.
"""

from __future__ import annotations

from dataclasses import dataclass

from hybridfw.probe.winsock import NetFailure


@dataclass(frozen=True)
class ExchangeFailure:
    code: str  # the finding code
    message: str
    fix: str
    exchange: str
    likely: bool = False  # the Exchange Online text is the likely one (an ICMP reject)


def last_attempted(host: str, address: str, port: int) -> str:
    where = f"[LastAttemptedServerName={host}]"
    if address:
        shown = f"[{address}]" if ":" in address else address
        where += f" [LastAttemptedIP={shown}:{port}]"
    return where


_FIREWALL_FIX = ("Allow TCP {port} from the Exchange Online (EOP) address ranges on the firewall and "
                 "check that NAT points at the Exchange/Edge server, whose receive connector listens.")


def connect_failure(failure: NetFailure, host: str, address: str, port: int) -> ExchangeFailure:
    """The finding for a resolve/connect failure, by Winsock classification."""
    tail = last_attempted(host, address, port)
    n = failure.winsock
    if failure.kind in ("not-found", "try-again", "no-data"):
        return ExchangeFailure(
            "probe.smtp.dns-failed", f"cannot resolve {host}: {failure.description} (Winsock {n})",
            "Fix the smart host name on the Exchange Online outbound connector, or publish an A/AAAA "
            "record for it in public DNS.",
            f"450 4.4.312 DNS query failed [Message=Socket error code {n}] {tail}")
    if failure.kind == "local":
        return ExchangeFailure(
            "probe.smtp.local-failure",
            f"not tested: {failure.description} ({failure.seen}); this says nothing about the path "
            "Exchange Online takes", "Run the probe from a machine with a route to the target (from "
            "outside, as Exchange Online reaches it).", "")
    if failure.kind == "icmp-rejected":
        refused = failure.winsock == 10061
        return ExchangeFailure(
            "probe.smtp.connect-rejected", f"TCP {port}: {failure.description}",
            "A firewall or router in the path rejects the connection: " + _FIREWALL_FIX.format(port=port),
            (f"450 4.4.316 Connection refused [Message=Socket error code {n}] {tail}" if refused else
             "450 4.4.101 Proxy session setup failed on Frontend with '441 4.4.1 Error encountered while "
             f"communicating with primary target IP address: \"Failed to connect. Winsock error code: {n}, "
             f"Win32 error code: {n}.\"' {tail}"), likely=True)
    if failure.kind == "refused":
        return ExchangeFailure(
            "probe.smtp.connect-refused", f"TCP {port} refused: {failure.description}",
            _FIREWALL_FIX.format(port=port),
            f"450 4.4.316 Connection refused [Message=Socket error code {n}] {tail}")
    if failure.kind == "timed-out":
        return ExchangeFailure(
            "probe.smtp.connect-timeout", f"TCP {port} timed out: {failure.description}",
            "A firewall drops the packets or the host is down: " + _FIREWALL_FIX.format(port=port),
            f"450 4.4.315 Connection timed out [Message=Socket error code {n}] {tail}")
    if failure.kind in ("reset", "aborted"):
        return ExchangeFailure(
            "probe.smtp.connect-reset", f"TCP {port} reset: {failure.description}",
            "A device in the path resets the session: check the firewall's SMTP/IPS policy.",
            f"450 4.4.318 Connection was closed abruptly [Message=Socket error code {n}] {tail}")
    return ExchangeFailure(
        "probe.smtp.connect-failed", f"TCP {port} failed: {failure.description} (Winsock {n})",
        "Check routing to the host and " + _FIREWALL_FIX.format(port=port),
        "450 4.4.101 Proxy session setup failed on Frontend with '441 4.4.1 Error encountered while "
        f"communicating with primary target IP address: \"Failed to connect. Winsock error code: {n}, "
        f"Win32 error code: {n}.\"' {tail}")


def cannot_connect(detail: str, host: str, address: str, port: int, security: str = "") -> str:
    tail = last_attempted(host, address, port)
    text = f"450 4.4.317 Cannot connect to remote server [Message={detail}] {tail}"
    return f"{text} [SmtpSecurity={security}]" if security else text


STARTTLS_REQUIRED = "451 5.7.3 STARTTLS is required to send mail"
TLS_NEGOTIATION_FAILED = "451 4.4.0 TLS negotiation failed with error SocketError"
CLOSED_ABRUPTLY = "450 4.4.318 Connection was closed abruptly"
CERTIFICATE_INVALID = "450 4.7.320 Certificate validation failed"
# A peer that connects and then goes silent: Exchange gives up with a time-out; the exact
# bracketed detail for a stall after connect is not published, so only the code is claimed.
TIMED_OUT = "450 4.4.315 Connection timed out"


def subject_mismatch(expected: str, subject: str, thumbprint: str, host: str, address: str,
                     port: int) -> str:
    detail = (f"SubjectMismatch Expected Subject: {expected}. Presented Subject: {subject}. "
              f"Thumbprint: {thumbprint}")
    return cannot_connect(detail, host, address, port, "-1;-1")
