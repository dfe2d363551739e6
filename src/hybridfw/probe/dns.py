"""Probe a mail domain's DNS for hybrid: MX, SPF, Autodiscover, and that MX targets resolve.

MX should point at Exchange Online (`<tenant>.mail.protection.outlook.com`, or the newer
`*.mx.microsoft` DNSSEC namespace); SPF must include `spf.protection.outlook.com`, parse, stay
within 10 look-ups and not end in `+all`; Autodiscover must be published (CNAME/A or SRV).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from hybridfw.errors import InputError
from hybridfw.model import Severity
from hybridfw.probe.interface import DnsOptions, Probe, ProbeResult
from hybridfw.probe.recorder import Recorder
from hybridfw.probe.spf import (
    EXCHANGE_ONLINE_INCLUDE,
    LOOKUP_LIMIT,
    SpfRecord,
    SpfSyntaxError,
    count_lookups,
    is_spf,
    parse_spf,
)

if TYPE_CHECKING:
    from dns.asyncresolver import Resolver

EXO_MX_SUFFIXES = (".mail.protection.outlook.com", ".mx.microsoft")


class DnsUnavailable(Exception):
    """No answer from the name server at all (timeout, refused, SERVFAIL)."""


def parse_nameserver(text: str) -> tuple[str, int]:
    """`IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address."""
    raw = text.strip()
    host, port = raw, "53"
    if raw.startswith("[") and "]" in raw:
        host, _, rest = raw[1:].partition("]")
        port = rest.lstrip(":") or "53"
    elif raw.count(":") == 1:
        host, port = raw.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError as exc:
        raise InputError(f"{text!r} is not an IP address", field="--nameserver") from exc
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"bad port in {text!r}", field="--nameserver")
    return host, int(port)


def make_resolver(options: DnsOptions) -> Resolver:
    import dns.asyncresolver
    import dns.resolver

    try:
        resolver = dns.asyncresolver.Resolver(configure=not options.nameserver)
    except dns.resolver.NoResolverConfiguration as exc:
        raise InputError("no system resolver configured here; name one", field="--nameserver") from exc
    if options.nameserver:
        resolver.nameservers = [options.nameserver]
        resolver.port = options.nameserver_port
    resolver.timeout = resolver.lifetime = options.timeout
    return resolver


async def query(resolver: Resolver, name: str, rdtype: str) -> list[Any]:
    """The answer's records; [] for NXDOMAIN / no data; DnsUnavailable when nobody answers."""
    import dns.exception
    import dns.resolver

    try:
        answer = await resolver.resolve(name, rdtype, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
        raise DnsUnavailable(f"{rdtype} {name}: {exc}") from exc
    return list(answer.rrset or [])


def _txt(record: Any) -> str:
    return b"".join(record.strings).decode("utf-8", "replace")


async def _mx(rec: Recorder, resolver: Resolver, domain: str, timeout: float) -> list[str]:
    async with rec.step("MX", timeout) as step:
        records = sorted(await query(resolver, domain, "MX"), key=lambda r: r.preference)
        targets = [str(r.exchange).rstrip(".").lower() for r in records]
        rec.facts["mx"] = [{"preference": r.preference, "exchange": t} for r, t in zip(records, targets,
                                                                                       strict=True)]
        step.detail = ", ".join(targets) or "(none)"
        if not targets or targets == [""]:
            step.status = "fail"
            rec.finding(Severity.ERROR, "probe.dns.no-mx", f"{domain} has no usable MX record",
                        fix="Publish MX <domain-with-dashes>.mail.protection.outlook.com (the value the "
                            "Microsoft 365 admin center shows for the domain).")
            return []
        at_exo = [t for t in targets if t.endswith(EXO_MX_SUFFIXES)]
        if len(at_exo) == len(targets):
            return targets
        step.status = "warn"
        others = ", ".join(t for t in targets if t not in at_exo)
        rec.finding(Severity.WARNING, "probe.dns.mx-mixed" if at_exo else "probe.dns.mx-elsewhere",
                    f"MX points {'partly ' if at_exo else ''}outside Exchange Online: {others}",
                    fix="Microsoft recommends MX at Exchange Online in hybrid; if mail must enter "
                        "on-premises or through a third-party filter first, keep the firewall open "
                        "for that path and enable Enhanced Filtering for Connectors.")
        return targets


async def _mx_resolve(rec: Recorder, resolver: Resolver, targets: list[str], timeout: float) -> None:
    for target in targets:
        async with rec.step(f"resolve {target}", timeout) as step:
            found = [r.to_text() for t in ("A", "AAAA") for r in await query(resolver, target, t)]
            step.detail = ", ".join(found) or "no A/AAAA"
            if not found:
                step.status = "fail"
                rec.finding(Severity.ERROR, "probe.dns.mx-unresolvable",
                            f"MX target {target} has no A/AAAA record",
                            fix="Correct the MX value; senders defer and finally bounce mail for it.",
                            evidence=("senders report e.g. 450 4.4.312 DNS query failed",))


async def _spf_text(rec: Recorder, resolver: Resolver, domain: str, timeout: float) -> str | None:
    async with rec.step("SPF", timeout) as step:
        texts = [_txt(r) for r in await query(resolver, domain, "TXT")]
        spf = [t for t in texts if is_spf(t)]
        step.detail = " | ".join(spf) or "(none)"
        rec.facts["spf"] = spf
        if len(spf) == 1:
            return spf[0]
        step.status = "fail"
        if spf:
            rec.finding(Severity.ERROR, "probe.dns.spf-multiple",
                        f"{len(spf)} SPF records: receivers treat this as a permanent error",
                        fix="Merge them into one v=spf1 record.", evidence=tuple(spf))
        else:
            rec.finding(Severity.ERROR, "probe.dns.no-spf", f"{domain} publishes no SPF record",
                        fix=f"Publish 'v=spf1 include:{EXCHANGE_ONLINE_INCLUDE} -all' plus your "
                            "on-premises outbound addresses (ip4:/ip6:).")
        return None


def _judge_all(rec: Recorder, record: SpfRecord) -> None:
    term = record.all_term()
    if term is not None and term.qualifier in ("", "+"):
        rec.finding(Severity.ERROR, "probe.dns.spf-plus-all",
                    "SPF ends in '+all': every host on the Internet may send as this domain",
                    fix="End the record with '-all' (or '~all' while testing).")
    elif term is not None and term.qualifier == "?":
        rec.finding(Severity.WARNING, "probe.dns.spf-neutral-all", "SPF ends in '?all' (neutral)",
                    fix="End the record with '-all' or '~all'.")


async def _spf(rec: Recorder, resolver: Resolver, domain: str, timeout: float) -> None:
    text = await _spf_text(rec, resolver, domain, timeout)
    if text is None:
        return
    try:
        record = parse_spf(text)
    except SpfSyntaxError as exc:
        rec.finding(Severity.ERROR, "probe.dns.spf-invalid", f"SPF record does not parse: {exc}",
                    fix="Correct the record (RFC 7208 syntax).", evidence=(text,))
        return
    _judge_all(rec, record)

    async def fetch(name: str) -> str | None:
        found = [t for t in (_txt(r) for r in await query(resolver, name, "TXT")) if is_spf(t)]
        return found[0] if len(found) == 1 else None

    seen: set[str] = set()
    problems: list[str] = []
    async with rec.step("SPF look-ups", timeout * 4) as step:
        lookups = await count_lookups(record, fetch, seen=seen, problems=problems)
        step.detail = f"{lookups} DNS look-up terms (limit {LOOKUP_LIMIT})"
        rec.facts["spf_lookups"] = lookups
    if lookups > LOOKUP_LIMIT:
        rec.finding(Severity.ERROR, "probe.dns.spf-too-many-lookups",
                    f"SPF needs {lookups} DNS look-ups; receivers stop at {LOOKUP_LIMIT} (permerror)",
                    fix="Replace include:/a/mx terms by ip4:/ip6: ranges or drop unused includes.")
    for problem in problems:
        rec.finding(Severity.ERROR, "probe.dns.spf-include-broken", f"SPF include problem: {problem}",
                    fix="Remove or correct the include; receivers treat it as a permanent error.")
    if EXCHANGE_ONLINE_INCLUDE not in seen:
        rec.finding(Severity.ERROR, "probe.dns.spf-no-exo",
                    f"SPF does not include {EXCHANGE_ONLINE_INCLUDE}: mail Exchange Online sends for "
                    "this domain fails SPF (5.7.23 at strict receivers)",
                    fix=f"Add 'include:{EXCHANGE_ONLINE_INCLUDE}' before the final all term.")


async def _autodiscover(rec: Recorder, resolver: Resolver, domain: str, timeout: float) -> None:
    async with rec.step("Autodiscover", timeout) as step:
        name = f"autodiscover.{domain}"
        found = [f"CNAME {r.target.to_text().rstrip('.')}" for r in await query(resolver, name, "CNAME")]
        if not found:
            found = [f"{t} {r.to_text()}" for t in ("A", "AAAA") for r in await query(resolver, name, t)]
        if not found:
            srv = await query(resolver, f"_autodiscover._tcp.{domain}", "SRV")
            found = [f"SRV {r.target.to_text().rstrip('.')}:{r.port}" for r in srv]
        step.detail = ", ".join(found) or "(none)"
        rec.facts["autodiscover"] = found
        if not found:
            step.status = "fail"
            rec.finding(Severity.ERROR, "probe.dns.no-autodiscover",
                        f"no Autodiscover record for {domain} (CNAME/A {name} or SRV _autodiscover._tcp)",
                        fix="Publish autodiscover.<domain> pointing at the on-premises Exchange "
                            "(classic hybrid) or autodiscover.outlook.com once mailboxes are in the cloud.")


async def probe_dns(domain: str, options: DnsOptions) -> ProbeResult:
    """Probe one domain. Name server silence is a finding; bad input raises InputError."""
    name = domain.strip().rstrip(".").lower()
    if not name or " " in name or "." not in name:
        raise InputError(f"{domain!r} is not a domain name", field="DOMAIN")
    rec = Recorder("dns", name)
    resolver = make_resolver(options)
    if options.nameserver:
        rec.address, rec.port = options.nameserver, options.nameserver_port
    try:
        targets = await _mx(rec, resolver, name, options.timeout)
        await _mx_resolve(rec, resolver, targets, options.timeout)
        await _spf(rec, resolver, name, options.timeout)
        await _autodiscover(rec, resolver, name, options.timeout)
    except (DnsUnavailable, TimeoutError) as exc:
        rec.finding(Severity.ERROR, "probe.dns.no-answer",
                    f"the name server did not answer at step '{rec.current}': {exc or 'timed out'}",
                    fix="Check --nameserver / the resolver configuration and that UDP/TCP 53 is open.")
    return rec.result()


class DnsProbe(Probe[DnsOptions]):
    kind = "dns"

    async def run(self, target: str) -> ProbeResult:
        return await probe_dns(target, self.options)
