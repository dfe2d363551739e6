"""The TLS part every probe shares: the handshake as a timed step, then the judgement of the
session (version, cipher, chain, certificate) and of the legacy-version sessions.

SMTP runs the handshake after STARTTLS, HTTPS right after connect; both hand the outcome here.
The Exchange Online texts are passed in by the caller (HTTPS has none to show).
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hybridfw.addresses import is_ip_address
from hybridfw.model import Severity
from hybridfw.probe.certificate import (
    expected_name,
    facts_from_peercert,
    judge_certificate,
    now_utc,
    parse_certificate,
)
from hybridfw.probe.interface import ClientCert, StepStatus, TlsOptions
from hybridfw.probe.net import Channel
from hybridfw.probe.recorder import Recorder
from hybridfw.probe.tls import (
    LEGACY_VERSIONS,
    any_suite_context,
    can_offer,
    exchange_online_suites,
    handshake_error_text,
    pinned_context,
    session_facts,
    version_at_least_1_2,
)

HANDSHAKE_FIX = ("Enable TLS 1.2 (SCHANNEL Protocols\\TLS 1.2 Server Enabled, .NET SchUseStrongCrypto) "
                 "and modern cipher suites on the server, and make sure no device in the path "
                 "terminates or inspects TLS.")


@dataclass
class TlsOutcome:
    tls: dict[str, Any] = field(default_factory=dict)
    certificate_der: bytes = b""
    peercert: dict[str, Any] = field(default_factory=dict)  # decoded by ssl; empty when unverified
    verify_error: str = ""
    handshake_error: str = ""

    def reached(self) -> bool:
        """Whether the session got as far as a TLS handshake (whatever its outcome)."""
        return bool(self.tls or self.verify_error or self.handshake_error)


@dataclass(frozen=True)
class ExchangeTexts:
    """What Exchange Online would show; empty strings where it shows nothing comparable."""

    handshake_failed: str = ""
    invalid: str = ""
    mismatch: Callable[[str, str, str], str] = lambda expected, subject, thumbprint: ""
    mismatch_fix: str = ""  # empty: the SMTP connector advice


async def handshake(rec: Recorder, channel: Channel, host: str, context: ssl.SSLContext,
                    timeout: float, outcome: TlsOutcome, texts: ExchangeTexts) -> bool:
    """TLS handshake as a step; False when the chain failed verification (caller inspects the cert)."""
    rec.line("*", "TLS handshake")
    sni = None if is_ip_address(host) else host
    async with rec.step("tls handshake", timeout) as step:
        try:
            await channel.start_tls(context, sni)
        except ssl.SSLCertVerificationError as exc:
            outcome.verify_error = str(exc.verify_message or exc)
            step.status, step.detail = "fail", outcome.verify_error
            rec.line("*", f"TLS failed: {outcome.verify_error}")
            return False
        except (ssl.SSLError, OSError) as exc:
            outcome.handshake_error = step.detail = handshake_error_text(exc)
            rec.line("*", f"TLS failed: {outcome.handshake_error}")
            raise rec.fail("probe.tls.handshake-failed", f"TLS handshake failed: {outcome.handshake_error}",
                           fix=HANDSHAKE_FIX, exchange=texts.handshake_failed) from exc
        ssl_object = channel.ssl_object()
        if ssl_object is not None:
            outcome.tls = session_facts(ssl_object)
            outcome.certificate_der = ssl_object.getpeercert(binary_form=True) or b""
            outcome.peercert = dict(ssl_object.getpeercert() or {})
        step.detail = f"{outcome.tls.get('version', '')} {outcome.tls.get('cipher', '')}".strip()
        rec.line("*", f"TLS established: {step.detail}")
        return True


async def judge_session(rec: Recorder, host: str, options: TlsOptions, outcome: TlsOutcome,
                        fetch_unverified: Callable[[], Awaitable[bytes]], texts: ExchangeTexts) -> None:
    """Version, chain and certificate findings once the main session is over."""
    if outcome.tls:
        rec.facts["tls"] = outcome.tls
        version = str(outcome.tls.get("version", ""))
        rec.add_step("tls version", "pass" if version_at_least_1_2(version) else "fail", version)
        rec.add_step("cipher", "pass", str(outcome.tls.get("cipher", "")))
    der, peercert = outcome.certificate_der, outcome.peercert
    if outcome.verify_error:
        rec.finding(Severity.ERROR, "probe.tls.chain-untrusted",
                    f"certificate chain not trusted: {outcome.verify_error}",
                    fix="Use a certificate from a public CA and install the full intermediate chain "
                        "on the server" + (" (or check --ca-file)" if options.ca_file else "") + ".",
                    exchange=texts.invalid)
        der, peercert = await fetch_unverified(), {}
        rec.add_step("certificate fetch (unverified)", "pass" if der else "fail", "for diagnosis only")
    elif outcome.tls:
        rec.add_step("certificate chain", "pass", "trusted" + (" (--ca-file)" if options.ca_file else ""))
    if not der:
        return
    facts = facts_from_peercert(peercert, der) if peercert else parse_certificate(der)
    rec.facts["certificate"] = facts.to_dict()
    wanted = expected_name(options.cert_name) or ("" if is_ip_address(host) else host)
    judge_certificate(rec, facts, expected=wanted, now=now_utc(), warn_days=options.expiry_warning_days,
                      mismatch_exchange=texts.mismatch(wanted, facts.subject, facts.thumbprint),
                      invalid_exchange=texts.invalid, mismatch_fix=texts.mismatch_fix)


SideSession = Callable[[ssl.SSLContext], Awaitable[tuple[bool, TlsOutcome]]]  # -> (reached TLS?, outcome)


async def legacy_verdicts(session: SideSession, *, reached: bool,
                          client: ClientCert = None) -> dict[str, str]:
    """TLS 1.0 and 1.1, each in its own session pinned to it, one after the other.

    Run after the main session so a server with a per-client connection limit never sees them
    alongside it. accepted | refused | untestable (this OpenSSL will not offer it) |
    not-reached (the main session, or this one, never got to a handshake).
    """
    verdicts: dict[str, str] = {}
    for name in LEGACY_VERSIONS:
        if not can_offer(name):
            verdicts[name] = "untestable"
            continue
        if not reached:
            verdicts[name] = "not-reached"
            continue
        got_there, outcome = await session(pinned_context(name, client))
        verdicts[name] = ("accepted" if outcome.tls else "refused") if got_there else "not-reached"
    return verdicts


async def diagnose_handshake(rec: Recorder, outcome: TlsOutcome, session: SideSession,
                             client: ClientCert = None) -> None:
    """After a failed handshake: does the server speak TLS 1.2+ with suites outside Exchange Online's?"""
    if not outcome.handshake_error or outcome.tls:
        return
    reached, other = await session(any_suite_context(client))
    if not reached or not other.tls:
        rec.add_step("tls 1.2+ with any suite", "fail", "refused too: no TLS 1.2 or later at all")
        return
    found = f"{other.tls.get('version', '')} {other.tls.get('cipher', '')}".strip()
    rec.add_step("tls 1.2+ with any suite", "warn", found)
    rec.finding(Severity.ERROR, "probe.tls.no-common-cipher",
                f"the server speaks TLS ({found} when offered every suite) but none of the TLS 1.2 "
                "cipher suites Exchange Online documents", fix="Enable at least one of Exchange Online's "
                "suites on the server (e.g. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 with an RSA "
                "certificate); Microsoft's list: " + ", ".join(i for i, _ in exchange_online_suites()) + ".",
                evidence=("source: Microsoft, Technical reference details about encryption, "
                          "'TLS cipher suites supported by Office 365'",))


def judge_legacy(rec: Recorder, legacy: dict[str, str], outcome: TlsOutcome) -> None:
    """Findings for TLS 1.0/1.1 verdicts: accepted, refused, untestable here, or not reached."""
    rec.facts["legacy_tls"] = legacy
    for name, verdict in legacy.items():
        status: StepStatus = "warn" if verdict == "accepted" else "pass" if verdict == "refused" else "skip"
        rec.add_step(f"{name} accepted?", status, verdict)
        if verdict == "accepted":
            rec.finding(Severity.WARNING, "probe.tls.legacy-accepted", f"the server still accepts {name}",
                        fix="Disable TLS 1.0/1.1 in SCHANNEL once all senders use TLS 1.2 (Exchange "
                            "Server TLS guidance); Exchange Online uses TLS 1.2 or later only.")
        elif verdict == "untestable":
            rec.finding(Severity.INFO, "probe.tls.legacy-untestable",
                        f"this machine's OpenSSL cannot offer {name}; acceptance not tested")
    if outcome.handshake_error and "accepted" in legacy.values():
        rec.finding(Severity.ERROR, "probe.tls.legacy-only",
                    "the server accepts only TLS 1.0/1.1; Exchange Online needs TLS 1.2 or later",
                    fix="Enable TLS 1.2 for SCHANNEL server and client and for .NET "
                        "(SchUseStrongCrypto, SystemDefaultTlsVersions), then restart.")
