"""One SMTP conversation over one connection, as Exchange Online's connector validation holds it.

Banner, EHLO, STARTTLS and the TLS handshake, then (on the main session) EHLO again and the
optional MAIL FROM / RCPT TO / DATA. Each step runs under the probe's per-step deadline.
Failures that end the conversation are raised as `StepFailure`s carrying the finding.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from hybridfw.model import Finding, Severity
from hybridfw.probe import exchange
from hybridfw.probe.interface import SmtpOptions, SmtpTarget
from hybridfw.probe.net import Channel
from hybridfw.probe.recorder import Recorder, StepFailure
from hybridfw.probe.tls_check import TlsOutcome

_REPLY_LINE = re.compile(r"^(\d{3})(?:([ -])(.*))?$")
_MASKED = re.compile(r"\*{5,}")  # "220 *****...": Cisco ASA-style ESMTP inspection masks the banner
MAX_REPLY_LINES = 200
MIDDLEBOX_FIX = ("Turn off SMTP/ESMTP inspection (e.g. Cisco ASA 'inspect esmtp', SMTP fix-up, "
                 "IPS SMTP proxies) for traffic between Exchange Online and the Exchange server: "
                 "Microsoft supports only plain TCP 25 pass-through in between.")


class NotSmtp(ValueError):
    """The peer answered something that is not an SMTP reply."""


@dataclass(frozen=True)
class SmtpReply:
    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.code} {' '.join(self.lines)}".strip()


@dataclass
class SessionOutcome(TlsOutcome):
    """What the conversation learnt, for the orchestrator to judge and report."""

    starttls_offered: bool = False
    masked_banner: str = ""  # the greeting, when an inspecting middlebox masked it


async def read_reply(channel: Channel) -> SmtpReply:
    lines: list[str] = []
    while len(lines) < MAX_REPLY_LINES:
        line = await channel.read_line()
        found = _REPLY_LINE.match(line)
        if not found:
            raise NotSmtp(line[:200])
        lines.append(found.group(3) or "")
        if found.group(2) != "-":
            return SmtpReply(int(found.group(1)), tuple(lines))
    raise NotSmtp(f"more than {MAX_REPLY_LINES} reply lines")


async def command(channel: Channel, line: str) -> SmtpReply:
    await channel.send_line(line)
    return await read_reply(channel)


def _where(rec: Recorder, target: SmtpTarget) -> tuple[str, str, int]:
    return target.host, rec.address, target.port


SLOW_GREETING = 5.0  # seconds: a greeting slower than this is a delay someone configured


def _deferred(rec: Recorder, what: str, reply: SmtpReply, not_checked: str) -> StepFailure:
    """A 4xx: a temporary deferral (greylisting, postscreen, a rate or connection limit), a warning."""
    return StepFailure(Finding(
        Severity.WARNING, "probe.smtp.deferred",
        f"the server defers the session at {what}: {reply.text!r} (greylisting, postscreen, a rate "
        f"or connection limit); Exchange Online retries deferred mail; {not_checked} not checked",
        ("Exchange Online retries deferred mail for up to 24 hours, then returns an NDR",),
        "If it lasts, exempt the Exchange Online address ranges from greylisting, postscreen and "
        "connection limits on this server, and re-run the probe to check the rest.", rec.target))


async def banner(rec: Recorder, channel: Channel, target: SmtpTarget, timeout: float,
                 outcome: SessionOutcome) -> None:
    async with rec.step("banner", timeout) as step:
        started = time.perf_counter()
        reply = await read_reply(channel)
        waited = time.perf_counter() - started
        step.detail = reply.text[:120]
        if 400 <= reply.code < 500:
            step.status = "warn"
            raise _deferred(rec, "connect", reply, "STARTTLS, TLS and the certificate were")
        if reply.code != 220:
            raise rec.fail("probe.smtp.banner-rejected",
                           f"greeting is {reply.code}, not 220: the server refuses the session",
                           fix="Check the receive connector's RemoteIPRanges/permissions and any "
                               "connection filtering for the Exchange Online addresses.",
                           exchange=exchange.cannot_connect(reply.text, *_where(rec, target)))
        if waited > SLOW_GREETING:
            step.status = "warn"
            rec.finding(Severity.WARNING, "probe.smtp.slow-greeting",
                        f"the greeting took {waited:.1f}s (a greeting delay: postscreen, tarpitting, or "
                        "a slow server)", fix="Exempt the Exchange Online address ranges from greeting "
                        "delays; every connection Exchange Online opens waits for it.")
        if _MASKED.search(" ".join(reply.lines)):
            step.status = "warn"
            outcome.masked_banner = reply.text  # judged once STARTTLS has been tried


def judge_masked_banner(rec: Recorder, outcome: SessionOutcome) -> None:
    """A masked banner is SMTP inspection: a warning while STARTTLS works, an error when it does not."""
    if not outcome.masked_banner:
        return
    what = (f"masked banner {outcome.masked_banner!r}: an SMTP-inspecting middlebox (e.g. Cisco ASA "
            "'inspect esmtp') sits in the path")
    if outcome.tls:
        rec.finding(Severity.WARNING, "probe.smtp.inspecting-middlebox",
                    what + "; STARTTLS works now, but such inspection can strip it (then Exchange Online "
                    "fails with 451 5.7.3 STARTTLS is required)", fix=MIDDLEBOX_FIX)
    else:
        rec.finding(Severity.ERROR, "probe.smtp.inspecting-middlebox",
                    what + "; STARTTLS is missing or broken behind it, the likely cause", fix=MIDDLEBOX_FIX)


async def ehlo(rec: Recorder, channel: Channel, target: SmtpTarget, helo: str, timeout: float,
               name: str = "ehlo") -> set[str]:
    """EHLO; returns the upper-case extension keywords."""
    async with rec.step(name, timeout) as step:
        reply = await command(channel, f"EHLO {helo}")
        if reply.code != 250:
            wants_cert = "certificate" in reply.text.lower()
            raise rec.fail("probe.smtp.ehlo-rejected", f"EHLO answered {reply.text!r}",
                           fix="The server wants a client certificate: Exchange Online presents its own; "
                               "re-run with --client-cert to test with one." if wants_cert else
                               "The target does not behave as an SMTP server for Exchange Online: "
                               "check the smart host name/port and the receive connector.",
                           exchange=exchange.cannot_connect(reply.text, *_where(rec, target)))
        keywords = {line.split(" ", 1)[0].upper() for line in reply.lines[1:] if line}
        step.detail = " ".join(sorted(keywords)) or "(no extensions)"
        return keywords


def _masked_extensions(keywords: set[str]) -> bool:
    return any(k and set(k) <= {"X", "0"} and len(k) >= 4 for k in keywords)


async def reach_starttls(rec: Recorder, channel: Channel, target: SmtpTarget, options: SmtpOptions,
                         outcome: SessionOutcome) -> None:
    """Banner, EHLO and the STARTTLS command, leaving the connection ready for a handshake."""
    timeout = options.timeout
    await banner(rec, channel, target, timeout, outcome)
    keywords = await ehlo(rec, channel, target, options.helo, timeout)
    rec.facts.setdefault("ehlo_extensions", sorted(keywords))
    if _masked_extensions(keywords):
        rec.finding(Severity.ERROR, "probe.smtp.inspecting-middlebox",
                    "EHLO extensions are masked (e.g. XXXXXXXA for STARTTLS): an SMTP-inspecting "
                    "firewall rewrites the session", fix=MIDDLEBOX_FIX,
                    exchange=exchange.cannot_connect(exchange.STARTTLS_REQUIRED, *_where(rec, target)))
    outcome.starttls_offered = "STARTTLS" in keywords
    if not outcome.starttls_offered:
        rec.add_step("starttls", "fail", "not offered after EHLO")
        raise rec.fail("probe.smtp.no-starttls", "STARTTLS is not offered after EHLO",
                       fix="Exchange offers STARTTLS only when the receive connector's certificate is "
                           "usable: enable the current third-party certificate for SMTP and set "
                           "TlsCertificateName on the receive connector (Event ID 12014 names the "
                           "problem), and remove any SMTP inspection in the path.",
                       exchange=exchange.cannot_connect(exchange.STARTTLS_REQUIRED, *_where(rec, target)))
    async with rec.step("starttls", timeout) as step:
        reply = await command(channel, "STARTTLS")
        step.detail = reply.text[:120]
        if reply.code != 220:
            raise rec.fail("probe.smtp.starttls-rejected", f"STARTTLS answered {reply.text!r}",
                           fix="Check the certificate bound to the receive connector.",
                           exchange=exchange.cannot_connect(reply.text, *_where(rec, target)))


async def envelope(rec: Recorder, channel: Channel, target: SmtpTarget, options: SmtpOptions) -> None:
    """MAIL FROM / RCPT TO, and DATA with a small message when asked to send."""
    timeout = options.timeout
    sender = options.mail_from or f"hybridfw-probe@{options.helo}"
    async with rec.step("mail from", timeout) as step:
        reply = await command(channel, f"MAIL FROM:<{sender}>")
        step.detail = reply.text[:120]
        if reply.code != 250:
            raise rec.fail("probe.smtp.mail-from-rejected", f"MAIL FROM answered {reply.text!r}",
                           fix="Check the receive connector's permission groups (AnonymousUsers, "
                               "ExchangeServers) and sender filtering.", exchange=reply.text)
    async with rec.step("rcpt to", timeout) as step:
        reply = await command(channel, f"RCPT TO:<{options.rcpt}>")
        step.detail = reply.text[:120]
        if 400 <= reply.code < 500:
            step.status = "warn"
            raise _deferred(rec, f"RCPT TO {options.rcpt}", reply, "delivery was")
        if reply.code not in (250, 251):
            raise rec.fail("probe.smtp.rcpt-rejected", f"RCPT TO {options.rcpt} answered {reply.text!r}",
                           fix="The recipient must exist on-premises (or be an accepted domain) and the "
                               "connector must accept mail for it from Exchange Online.",
                           exchange=reply.text)
    if options.send:
        await _data(rec, channel, sender, options)


async def _data(rec: Recorder, channel: Channel, sender: str, options: SmtpOptions) -> None:
    async with rec.step("data", options.timeout) as step:
        reply = await command(channel, "DATA")
        if reply.code != 354:
            raise rec.fail("probe.smtp.data-rejected", f"DATA answered {reply.text!r}",
                           exchange=reply.text)
        lines = test_message(sender, options.rcpt, options.helo).splitlines()
        await channel.send_lines([("." + line if line.startswith(".") else line) for line in lines])
        reply = await command(channel, ".")
        step.detail = reply.text[:120]
        if reply.code != 250:
            raise rec.fail("probe.smtp.message-rejected", f"the test message was answered {reply.text!r}",
                           fix="Check transport rules, size limits and anti-spam on the receiving side.",
                           exchange=reply.text)


def test_message(sender: str, rcpt: str, helo: str) -> str:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = rcpt
    message["Subject"] = "hybridfw probe test message"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=helo or None)
    message.set_content("Sent by `hybridfw probe smtp --send` to test the mail path. No action needed.\n")
    return message.as_string()


async def quit_politely(channel: Channel, timeout: float) -> None:
    """QUIT without caring for the answer: the probe's verdict is already made."""
    try:
        async with asyncio.timeout(min(timeout, 2.0)):
            await command(channel, "QUIT")
    except (OSError, TimeoutError, NotSmtp, ValueError, ssl.SSLError):
        pass
