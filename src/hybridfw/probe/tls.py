"""TLS contexts as Exchange Online uses them, and what the local OpenSSL can still test.

Exchange Online requires TLS 1.2 or later toward on-premises servers; whether a server still
accepts TLS 1.0/1.1 is tested in separate handshakes pinned to one version. Modern OpenSSL
builds may refuse to offer those versions at all; `can_offer` finds out locally (a ClientHello
into a memory buffer) so a probe can say "cannot test" instead of "refused".
"""

from __future__ import annotations

import functools
import ssl
import warnings
from pathlib import Path
from typing import Any

LEGACY_VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
}


def _present(context: ssl.SSLContext, client: tuple[Path, Path | None] | None) -> ssl.SSLContext:
    """Offer a client certificate, as Exchange Online does when it connects to on-premises."""
    if client is not None:
        cert, key = client
        context.load_cert_chain(str(cert), str(key) if key is not None else None)
    return context


EXO_SUITES_RESOURCE = "exo-tls-cipher-suites.toml"


@functools.lru_cache(maxsize=1)
def exchange_online_suites() -> tuple[tuple[str, str], ...]:
    """(IANA name, OpenSSL name) of the TLS 1.2 suites Exchange Online documents, strongest first."""
    import tomllib
    from importlib import resources

    data = tomllib.loads(resources.files("hybridfw.data").joinpath(EXO_SUITES_RESOURCE).read_text("utf-8"))
    return tuple((s["iana"], s["openssl"]) for s in data["tls12"])


@functools.lru_cache(maxsize=8)
def verifying_context(ca_file: Path | None, client: tuple[Path, Path | None] | None = None) -> ssl.SSLContext:
    """Chain verification against `ca_file` or the system store; TLS 1.2 minimum.

    Host name checking is off here: the name is matched separately with Exchange's own rules
    (subject or SAN, one left-most wildcard label) against the name the connector expects.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # TLS 1.2: only the suites Exchange Online documents, so a failed handshake means it would fail
    # too. TLS 1.3 suites cannot be narrowed from Python; OpenSSL's (all AEAD) are offered.
    context.set_ciphers(":".join(name for _, name in exchange_online_suites()))
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    if ca_file is None:
        context.load_default_certs()
    else:
        context.load_verify_locations(cafile=str(ca_file))
    return _present(context, client)


@functools.lru_cache(maxsize=8)
def inspecting_context(client: tuple[Path, Path | None] | None = None, ciphers: str = "") -> ssl.SSLContext:
    """No verification, TLS 1.2+: to fetch a certificate that failed verification (and explain
    why) and for the HTTP requests; `ciphers` narrows or widens the suites offered."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if ciphers:
        context.set_ciphers(ciphers)
    return _present(context, client)


def any_suite_context(client: tuple[Path, Path | None] | None = None) -> ssl.SSLContext:
    """TLS 1.2+ with every suite this OpenSSL has: tells "no suite in common" from "no TLS 1.2"."""
    return inspecting_context(client, "ALL:@SECLEVEL=0")


@functools.lru_cache(maxsize=8)
def pinned_context(version_name: str, client: tuple[Path, Path | None] | None = None) -> ssl.SSLContext:
    """A context offering exactly one (legacy) version, at security level 0 so SHA-1 suites work."""
    version = LEGACY_VERSIONS[version_name]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return _present(context, client)


@functools.lru_cache(maxsize=4)
def can_offer(version_name: str) -> bool:
    """Whether this OpenSSL build will send a ClientHello for the version at all."""
    try:
        context = pinned_context(version_name)
    except (ssl.SSLError, ValueError):
        return False
    client = context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    try:
        client.do_handshake()
    except ssl.SSLWantReadError:
        return True  # a ClientHello went out and it now waits for the server
    except ssl.SSLError:
        return False
    return False


def handshake_error_text(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return str(exc) or type(exc).__name__


def session_facts(ssl_object: ssl.SSLObject) -> dict[str, Any]:
    cipher = ssl_object.cipher()
    return {
        "version": ssl_object.version() or "",
        "cipher": cipher[0] if cipher else "",
        "cipher_bits": cipher[2] if cipher else 0,
    }


def version_at_least_1_2(version: str) -> bool:
    return version in ("TLSv1.2", "TLSv1.3")
