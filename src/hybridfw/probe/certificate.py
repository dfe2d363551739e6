"""What a presented certificate says, and whether Exchange Online would accept it.

Name matching follows what Exchange does for `TlsDomain` / `TlsCertificateName`: the subject
common name or any DNS SAN may match; a wildcard stands for exactly one left-most label
(`*.contoso.com` matches `mail.contoso.com`, not `contoso.com` nor `a.mail.contoso.com`); an
embedded wildcard (`m*.contoso.com`) matches nothing. The expected name may itself be a wildcard
(a connector's TlsDomain `*.contoso.com`), which any single-label name under it satisfies.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hybridfw.model import Severity
from hybridfw.probe.recorder import Recorder

_TLS_CERT_NAME = re.compile(r"^<I>(?P<issuer>.*)<S>(?P<subject>.*)$", re.S)
_CN = re.compile(r"(?:^|,)\s*CN=(?P<cn>[^,]+)", re.I)


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    common_names: tuple[str, ...]
    dns_names: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    self_signed: bool
    thumbprint: str  # SHA-1, upper-case hex, as Windows and Exchange show it
    serial: str

    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.common_names + self.dns_names))

    def days_left(self, now: datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject, "issuer": self.issuer, "dns_names": list(self.dns_names),
            "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
            "self_signed": self.self_signed, "thumbprint": self.thumbprint, "serial": self.serial,
        }


def parse_certificate(der: bytes) -> CertificateFacts:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        dns_names = ()
    common_names = tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        common_names=common_names, dns_names=dns_names,
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        self_signed=_is_self_signed(cert), thumbprint=hashlib.sha1(der).hexdigest().upper(),
        serial=format(cert.serial_number, "X"),
    )


_SHORT_NAMES = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
                "countryName": "C", "localityName": "L", "stateOrProvinceName": "ST",
                "domainComponent": "DC", "emailAddress": "emailAddress", "serialNumber": "serialNumber"}


def _dn(rdns: Any) -> str:
    """`getpeercert()`'s name tuples as an RFC 4514 string (most specific first, like cryptography)."""
    parts = [f"{_SHORT_NAMES.get(k, k)}={v}" for rdn in reversed(rdns) for k, v in rdn]
    return ",".join(parts)


def facts_from_peercert(peercert: dict[str, Any], der: bytes) -> CertificateFacts:
    """The same facts from the `ssl` module's decoding of a *verified* certificate.

    Avoids loading `cryptography` on the common path (chain verified), which keeps the CLI lean.
    Self-signature is judged by name only here: a verified self-signed certificate is one the
    trust store itself holds.
    """
    import ssl

    subject, issuer = peercert.get("subject", ()), peercert.get("issuer", ())
    return CertificateFacts(
        subject=_dn(subject), issuer=_dn(issuer),
        common_names=tuple(v for rdn in subject for k, v in rdn if k == "commonName"),
        dns_names=tuple(v for k, v in peercert.get("subjectAltName", ()) if k == "DNS"),
        not_before=datetime.fromtimestamp(ssl.cert_time_to_seconds(peercert["notBefore"]), UTC),
        not_after=datetime.fromtimestamp(ssl.cert_time_to_seconds(peercert["notAfter"]), UTC),
        self_signed=subject == issuer, thumbprint=hashlib.sha1(der).hexdigest().upper(),
        serial=str(peercert.get("serialNumber", "")).upper().lstrip("0"),
    )


def _is_self_signed(cert: Any) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # signature or algorithm mismatch: issued by a same-named CA
        return False
    return True


def expected_name(cert_name: str) -> str:
    """The DNS name to match from a connector setting: a plain FQDN or `<I>issuer<S>subject`."""
    found = _TLS_CERT_NAME.match(cert_name.strip())
    if not found:
        return cert_name.strip()
    cn = _CN.search(found.group("subject"))
    return cn.group("cn").strip() if cn else ""


def _wildcard_base(name: str) -> str | None:
    """`*.contoso.com` -> `contoso.com`; None for names without a valid left-most wildcard."""
    if not name.startswith("*.") or "*" in name[2:] or not name[2:]:
        return None
    return name[2:]


def _one_label_under(name: str, base: str) -> bool:
    head, _, rest = name.partition(".")
    return bool(head) and "*" not in head and rest == base


def name_matches(expected: str, presented: str) -> bool:
    """Exchange's rule for one presented name (CN or SAN) against the expected name."""
    want = expected.strip().lower().rstrip(".")
    have = presented.strip().lower().rstrip(".")
    if not want or not have:
        return False
    if "*" in want:
        base = _wildcard_base(want)
        return base is not None and (have == want or _one_label_under(have, base))
    if "*" in have:
        base = _wildcard_base(have)
        return base is not None and _one_label_under(want, base)
    return want == have


def certificate_matches(facts: CertificateFacts, expected: str) -> bool:
    return any(name_matches(expected, name) for name in facts.names())


def judge_certificate(rec: Recorder, facts: CertificateFacts, *, expected: str, now: datetime,
                      warn_days: int, mismatch_exchange: str, invalid_exchange: str,
                      mismatch_fix: str = "") -> None:
    """Steps and findings for name, validity period and issuer. Chain trust is judged by the caller."""
    _judge_name(rec, facts, expected, mismatch_exchange, mismatch_fix or SMTP_MISMATCH_FIX)
    _judge_validity(rec, facts, now, warn_days, invalid_exchange)
    if facts.self_signed:
        rec.add_step("certificate issuer", "fail", "self-signed")
        rec.finding(Severity.ERROR, "probe.cert.self-signed",
                    "certificate is self-signed; hybrid mail flow needs a certificate from a public CA",
                    fix="Install a certificate from a trusted third-party CA with the connector's name "
                        "in the subject or SAN, and re-run the Hybrid Configuration Wizard.",
                    exchange=invalid_exchange, evidence=(f"subject {facts.subject}",))
    else:
        rec.add_step("certificate issuer", "pass", facts.issuer)


def _judge_validity(rec: Recorder, facts: CertificateFacts, now: datetime, warn_days: int,
                    invalid_exchange: str) -> None:
    days = facts.days_left(now)
    until = f"valid until {facts.not_after:%Y-%m-%d}"
    if days < 0:
        rec.add_step("certificate expiry", "fail", f"expired {facts.not_after:%Y-%m-%d}")
        rec.finding(Severity.ERROR, "probe.cert.expired",
                    f"certificate expired on {facts.not_after:%Y-%m-%d}",
                    fix="Renew the certificate, enable it for SMTP/IIS, and point the connector's "
                        "TlsCertificateName at the new one (re-run the Hybrid Configuration Wizard).",
                    exchange=invalid_exchange, evidence=(f"subject {facts.subject}",))
    elif now < facts.not_before:
        rec.add_step("certificate expiry", "fail", f"not valid before {facts.not_before:%Y-%m-%d}")
        rec.finding(Severity.ERROR, "probe.cert.not-yet-valid",
                    f"certificate is not valid before {facts.not_before:%Y-%m-%d %H:%M} UTC",
                    fix="Check the server clock and the certificate's validity period.",
                    exchange=invalid_exchange)
    elif days < warn_days:
        rec.add_step("certificate expiry", "warn", f"{until} ({int(days)} days)")
        rec.finding(Severity.WARNING, "probe.cert.expires-soon",
                    f"certificate expires in {int(days)} days ({facts.not_after:%Y-%m-%d})",
                    fix="Renew now and update TlsCertificateName on the connectors before it lapses.")
    else:
        rec.add_step("certificate expiry", "pass", f"{until} ({int(days)} days)")


SMTP_MISMATCH_FIX = ("Present a certificate whose subject or SAN covers the name the Exchange Online "
                     "connector expects (TlsDomain / TlsSenderCertificateName), or correct that name; "
                     "check TlsCertificateName on the receive connector.")


def _judge_name(rec: Recorder, facts: CertificateFacts, expected: str, mismatch_exchange: str,
                fix: str) -> None:
    presented = ", ".join(facts.names()) or "(none)"
    if not expected:
        rec.add_step("certificate name", "skip", f"not checked; presents {presented}")
        rec.finding(Severity.INFO, "probe.cert.name-not-checked",
                    "no certificate name to compare with (target is an address); use --cert-name",
                    evidence=("presented names: " + presented,))
        return
    if certificate_matches(facts, expected):
        rec.add_step("certificate name", "pass", f"{expected} matches {presented}")
        return
    rec.add_step("certificate name", "fail", f"{expected} not in {presented}")
    rec.finding(Severity.ERROR, "probe.cert.name-mismatch",
                f"certificate does not match {expected!r} (subject or SAN, one left-most wildcard label)",
                fix=fix, exchange=mismatch_exchange, evidence=("presented names: " + presented,))


def now_utc() -> datetime:
    return datetime.now(UTC)
