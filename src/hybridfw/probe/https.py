"""Probe the published Autodiscover / EWS / MRSProxy endpoint the way Exchange Online reaches it.

TLS and the certificate are judged as for SMTP (TLS 1.2+, chain, name, expiry, self-signed).
Then each path gets an anonymous GET: Exchange answers 401 with `WWW-Authenticate` when the
virtual directory is published and reachable. A 403 (IP restriction, WAF), 404 (not published),
a redirect to a login page (a pre-authenticating reverse proxy, which these paths do not
support) or no answer in time become findings. HTTP/1.1 is spoken over asyncio streams so every
read stays under the step deadline.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from hybridfw.addresses import is_ip_address
from hybridfw.errors import InputError
from hybridfw.model import Severity
from hybridfw.probe.certificate import expected_name
from hybridfw.probe.interface import ClientCert, HttpsOptions, ProbeResult, StepStatus
from hybridfw.probe.net import (
    Channel,
    Connection,
    LineTooLong,
    PeerClosed,
    connect_first,
    resolve_addresses,
)
from hybridfw.probe.plaintext import plaintext_protocol
from hybridfw.probe.recorder import Recorder, StepFailure
from hybridfw.probe.tls import (
    inspecting_context,
    verifying_context,
)
from hybridfw.probe.tls_check import (
    ExchangeTexts,
    TlsOutcome,
    diagnose_handshake,
    handshake,
    judge_legacy,
    judge_session,
    legacy_verdicts,
)
from hybridfw.probe.winsock import NetFailure, failure_evidence


@dataclass(frozen=True)
class EndpointPath:
    """A URL path Exchange Online calls, spelled as Exchange configures it by default.

    Paths are sent exactly as given (IIS matches them case-insensitively, a reverse proxy in
    front may not). `wssecurity` endpoints authenticate inside the SOAP message, so an anonymous
    GET may be answered without a challenge. `no_redirects`: Exchange Online calls the URL and
    does not follow a redirect, so any redirect is an error.
    """

    name: str
    path: str
    wssecurity: bool = False
    no_redirects: bool = False


PATHS: dict[str, EndpointPath] = {p.name: p for p in (
    EndpointPath("autodiscover", "/autodiscover/autodiscover.svc"),
    EndpointPath("autodiscover-wssecurity", "/autodiscover/autodiscover.svc/WSSecurity", wssecurity=True),
    EndpointPath("ews", "/EWS/Exchange.asmx", no_redirects=True),
    EndpointPath("ews-wssecurity", "/EWS/Exchange.asmx/WSSecurity", wssecurity=True, no_redirects=True),
    EndpointPath("mrsproxy", "/EWS/mrsproxy.svc", no_redirects=True),
)}
_LOGIN_MARKERS = ("login", "logon", "signin", "sign-in", "adfs", "/auth", "sso", "saml", "oauth", "idp",
                  "owa/auth", "my.policy")
_WSSECURITY_REACHED = frozenset({200, 400, 405, 415})  # the service itself answering a bare GET
# A page with a password field is a login form: Exchange's services never send one to a bare GET
# (OWA's form lives under /owa), a pre-authenticating proxy answering 200 does.
_PASSWORD_FIELD = re.compile(rb"<input\b[^>]*\btype\s*=\s*[\"']?password", re.I)
BODY_PEEK = 65536  # bytes of a 200 answer searched for a login form
BODY_WAIT = 2.0  # seconds at most for them; a slower body is left unread (not judged a form)
PREAUTH_FIX = ("Publish this path without pre-authentication: Exchange Online authenticates itself "
               "(WS-Security/OAuth/NTLM) and cannot fill in a login page.")
MISMATCH_FIX = ("Bind a certificate whose subject or SAN covers this published name: the certificate "
                "on the reverse proxy / load balancer for this name, or the IIS binding of the Default "
                "Web Site on Exchange; or point the hybrid URLs (EWS ExternalUrl, Autodiscover) at a "
                "name the certificate covers.")
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)? (\d{3})(?: (.*))?$")
MAX_HEADERS = 100
NO_TEXTS = ExchangeTexts(mismatch_fix=MISMATCH_FIX)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def parse_web_target(text: str) -> tuple[str, int]:
    """`host`, `host:port` or an https:// URL -> (host, port)."""
    raw = text.strip()
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if parts.scheme != "https":
        raise InputError(f"{text!r}: only https:// URLs can be probed", field="HOST|URL")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise InputError(f"bad port in {text!r}", field="HOST|URL") from exc
    if not parts.hostname:
        raise InputError(f"no host in {text!r}", field="HOST|URL")
    return parts.hostname, port


def parse_paths(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in PATHS]
    if unknown or not names:
        raise InputError(f"unknown path name(s) {', '.join(unknown) or '(none)'}; choose from "
                         f"{', '.join(PATHS)}", field="--paths")
    return names


async def read_head(channel: Channel) -> HttpAnswer:
    found = _STATUS_LINE.match(await channel.read_line())
    if not found:
        raise LineTooLong("not an HTTP status line")
    headers: list[tuple[str, str]] = []
    while len(headers) < MAX_HEADERS:
        line = await channel.read_line()
        if not line:
            break
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return HttpAnswer(int(found.group(1)), found.group(2) or "", tuple(headers))


def parse_url_override(text: str) -> tuple[str, str, int, str]:
    """`NAME=https://host[:port]/path` -> (name, host, port, path)."""
    name, sep, url = text.partition("=")
    name = name.strip().lower()
    if not sep or name not in PATHS:
        raise InputError(f"{text!r}: expected NAME=URL with NAME one of {', '.join(PATHS)}", field="--url")
    host, port = parse_web_target(url)
    path = urlsplit(url.strip()).path
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise InputError(f"{text!r}: the URL needs a path", field="--url")
    return name, host, port, path


def https_overrides(urls: list[str], host: str, port: int) -> tuple[tuple[str, str], ...]:
    """`--url NAME=URL` options as (name, path) pairs; each URL must be on the probed host."""
    found: dict[str, str] = {}
    for text in urls:
        name, url_host, url_port, path = parse_url_override(text)
        if (url_host.lower(), url_port) != (host.lower(), port):
            raise InputError(f"{text!r} is on {url_host}:{url_port}, not on the target {host}:{port}; "
                             "probe that host separately", field="--url")
        found[name] = path
    return tuple(found.items())


def _redirect(rec: Recorder, endpoint: EndpointPath, where: str, location: str) -> StepStatus:
    login = any(m in location.lower() for m in _LOGIN_MARKERS)
    if login:
        rec.finding(Severity.ERROR, "probe.https.login-redirect", f"{where} -> {location}", fix=PREAUTH_FIX)
        return "fail"
    severity = Severity.ERROR if endpoint.no_redirects else Severity.WARNING
    rec.finding(severity, "probe.https.redirect", f"{where} -> {location}",
                fix="Publish the path itself at the URL the hybrid configuration names: Exchange Online "
                    "calls it directly and does not follow redirects.")
    return "fail" if endpoint.no_redirects else "warn"


def _judge_answer(rec: Recorder, endpoint: EndpointPath, answer: HttpAnswer, body: bytes = b"") -> StepStatus:
    """Findings for one path's answer (and the start of a 200's body); returns the step status."""
    schemes = [v.split(" ", 1)[0] for v in answer.header_values("WWW-Authenticate")]
    where = f"{endpoint.name} ({endpoint.path}) answered {answer.status} {answer.reason}".rstrip()
    location = (answer.header_values("Location") or [""])[0]
    if answer.status == 200 and _PASSWORD_FIELD.search(body):
        rec.finding(Severity.ERROR, "probe.https.login-page",
                    f"{where} with a login form (a password field): a pre-authenticating reverse proxy",
                    fix=PREAUTH_FIX)
        return "fail"
    if answer.status == 401 and schemes:
        rec.facts.setdefault("auth_schemes", {})[endpoint.name] = schemes
        return "pass"
    if answer.status in (301, 302, 303, 307, 308):
        return _redirect(rec, endpoint, where, location)
    if endpoint.wssecurity and answer.status in _WSSECURITY_REACHED:
        return "pass"  # authentication happens inside the SOAP message, not on a bare GET
    severity, code, fix = _BY_STATUS.get(answer.status, _OTHER)
    if answer.status == 401:
        severity, code, fix = _NO_CHALLENGE
    rec.finding(severity, code, where, fix=fix)
    return "fail" if severity == Severity.ERROR else "warn"


_OTHER = (Severity.WARNING, "probe.https.unexpected-status",
          "Expected 401 with WWW-Authenticate from Exchange; check what answers on this name.")
_NO_CHALLENGE = (Severity.WARNING, "probe.https.no-challenge",
                 "401 without WWW-Authenticate: something other than Exchange answers (a proxy?).")
_BY_STATUS: dict[int, tuple[Severity, str, str]] = {
    200: (Severity.WARNING, "probe.https.anonymous",
          "Answered without asking for authentication: check that this is Exchange and not a proxy page."),
    403: (Severity.ERROR, "probe.https.forbidden",
          "An IP restriction, WAF or reverse-proxy rule blocks the path: allow the Exchange Online "
          "address ranges (endpoint set 1) to reach it."),
    404: (Severity.ERROR, "probe.https.not-found",
          "The path is not published: add it to the reverse-proxy/load-balancer rules and check the "
          "virtual directory exists."),
}
for _status in (500, 502, 503, 504):
    _BY_STATUS[_status] = (Severity.ERROR, "probe.https.server-error",
                           "The server or a proxy in front of it fails: check the IIS application pool "
                           "and the proxy's back-end health.")


async def _open(rec: Recorder | None, address: str, port: int, timeout: float) -> Channel:
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(address, port)
    return Channel(Connection(reader, writer, address), rec)


async def _body_start(channel: Channel, answer: HttpAnswer) -> bytes:
    """The first bytes of a 200's body (what is read within BODY_WAIT); empty for other answers."""
    if answer.status != 200:
        return b""
    try:
        async with asyncio.timeout(BODY_WAIT):
            return await channel.read_upto(BODY_PEEK)
    except (TimeoutError, OSError, ssl.SSLError):
        return b""


async def _check_path(rec: Recorder, host: str, port: int, endpoint: EndpointPath, timeout: float,
                      client: ClientCert = None) -> None:
    path, name = endpoint.path, endpoint.name
    channel: Channel | None = None
    try:
        async with rec.step(f"GET {path}", timeout) as step:
            channel = await _open(rec, rec.address, port, timeout)
            await channel.start_tls(inspecting_context(client), host)
            authority = host if port == 443 else f"{host}:{port}"
            await channel.send_lines([f"GET {path} HTTP/1.1", f"Host: {authority}",
                                      "User-Agent: hybridfw-probe", "Connection: close", ""])
            answer = await read_head(channel)
            step.detail = f"{answer.status} " + ", ".join(answer.header_values("WWW-Authenticate"))
            step.status = _judge_answer(rec, endpoint, answer, await _body_start(channel, answer))
    except (TimeoutError, OSError, PeerClosed, LineTooLong) as exc:
        what = "no answer in time" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
        rec.finding(Severity.ERROR, "probe.https.no-answer", f"{name} ({path}): {what}",
                    fix="Check the reverse proxy / load balancer in front of Exchange and the IIS "
                        "application pool for this virtual directory.")
    finally:
        if channel is not None:
            await channel.close()


async def _tls_only(address: str, host: str, port: int, timeout: float,
                    context: ssl.SSLContext) -> tuple[bool, TlsOutcome]:
    """An unrecorded TLS session (legacy versions, a failed certificate): (connected, outcome)."""
    outcome = TlsOutcome()
    scratch = Recorder("https", host)
    try:
        channel = await _open(None, address, port, timeout)
    except (OSError, TimeoutError):
        return False, outcome
    try:
        await handshake(scratch, channel, host, context, timeout, outcome, NO_TEXTS)
    except (StepFailure, TimeoutError, OSError):
        pass
    finally:
        await channel.close()
    return True, outcome


def _failure_raiser(rec: Recorder, host: str, port: int) -> Callable[[NetFailure, str], StepFailure]:
    def raise_for(failure: NetFailure, address: str) -> StepFailure:
        rec.facts["network_failure"] = failure.to_dict()
        if failure.kind == "local":
            return rec.fail("probe.https.local-failure", f"{host}:{port} not tested: {failure.description}",
                            fix="Run the probe from a machine with a route to the target (from outside, as "
                                "Exchange Online reaches it).", evidence=failure_evidence(failure))
        likely = ", likely" if failure.likely else ""
        code = f" (Winsock {failure.winsock}{likely})" if failure.winsock else ""
        return rec.fail(f"probe.https.{failure.kind}", f"{host}:{port} {failure.description}{code}",
                        fix="Allow TCP 443 from the Exchange Online address ranges (endpoint set 1) to "
                            "the published name, and check DNS and NAT for it.",
                        evidence=failure_evidence(failure))
    return raise_for


async def _main_handshake(rec: Recorder, conn: Connection, host: str, options: HttpsOptions) -> TlsOutcome:
    outcome = TlsOutcome()
    channel = Channel(conn, rec)
    try:
        await handshake(rec, channel, host, verifying_context(options.tls.ca_file, options.tls.client()),
                        options.timeout,
                        outcome, NO_TEXTS)
    except StepFailure as failure:
        await channel.close()
        speaks = await plaintext_protocol(conn.address, rec.port, options.timeout)
        if not speaks:
            rec.add(failure.finding)
            return outcome
        outcome.handshake_error = ""  # no TLS server there: legacy versions are not reached either
        rec.finding(Severity.ERROR, "probe.https.not-tls",
                    f"the port does not speak TLS: it answers in {speaks}",
                    fix="Point the published name and port at the HTTPS listener of the reverse proxy "
                        "or Exchange (TLS on 443); check the NAT / port-forward rule for it.")
    except TimeoutError:
        rec.finding(Severity.ERROR, "probe.https.no-answer",
                    f"TLS handshake: no answer within {options.timeout:g}s")
    finally:
        await channel.close()
    return outcome


def server_name(host: str, cert_name: str) -> str:
    """The name for SNI and the Host header: the host, or for an address target the expected name.

    A reverse proxy that serves several names picks the certificate and the site by SNI/Host, so
    probing `https://203.0.113.20` with `--cert-name mail.contoso.com` must ask for that name.
    """
    wanted = expected_name(cert_name)
    return wanted if is_ip_address(host) and wanted and "*" not in wanted else host


async def probe_https(target: str, options: HttpsOptions) -> ProbeResult:
    """Probe one published web name. Target failures are findings; bad input raises InputError."""
    host, port = parse_web_target(target)
    rec = Recorder("https", f"{host}:{port}")
    rec.port = port
    raise_for = _failure_raiser(rec, host, port)
    try:
        addresses = await resolve_addresses(rec, host, port, options.timeout, raise_for)
        conn = await connect_first(rec, addresses, port, options.timeout, raise_for)
    except StepFailure as failure:
        rec.add(failure.finding)
        return rec.result()
    timeout, name = options.timeout, server_name(host, options.tls.cert_name)
    outcome = await _main_handshake(rec, conn, name, options)
    await diagnose_handshake(rec, outcome, lambda ctx: _tls_only(conn.address, name, port, timeout, ctx),
                             options.tls.client())

    async def fetch() -> bytes:
        context = inspecting_context(options.tls.client())
        return (await _tls_only(conn.address, name, port, timeout, context))[1].certificate_der

    await judge_session(rec, name, options.tls, outcome, fetch, NO_TEXTS)
    if outcome.tls or outcome.verify_error:
        overrides = dict(options.overrides)
        for path_name in options.paths:
            endpoint = replace(PATHS[path_name], path=overrides.get(path_name, PATHS[path_name].path))
            await _check_path(rec, name, port, endpoint, timeout, options.tls.client())
    if options.tls.check_legacy_versions:  # after the main session, one at a time
        legacy = await legacy_verdicts(lambda context: _tls_only(conn.address, name, port, timeout, context),
                                       reached=outcome.reached(), client=options.tls.client())
        judge_legacy(rec, legacy, outcome)
    return rec.result()

