"""Probe a mail domain's DNS for hybrid: MX, SPF, Autodiscover, and that MX targets resolve.

MX should point at Exchange Online (`<tenant>.mail.protection.outlook.com`, or the newer
`*.mx.microsoft` DNSSEC namespace); SPF must include `spf.protection.outlook.com`, parse, stay
within 10 look-ups and not end in `+all`; Autodiscover must be published (CNAME/A or SRV).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from hybridfw.addresses.special import INTERNAL
from hybridfw.errors import InputError
from hybridfw.model import Severity
from hybridfw.probe.dns_spf import judge_spf
from hybridfw.probe.interface import DnsOptions, ProbeResult
from hybridfw.probe.recorder import Recorder

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


async def _mx(rec: Recorder, resolver: Resolver, domain: str, timeout: float) -> list[str]:
    async with rec.step("MX", timeout) as step:
        records = sorted(await query(resolver, domain, "MX"), key=lambda r: r.preference)
        targets = [str(r.exchange).rstrip(".").lower() for r in records]
        rec.facts["mx"] = [{"preference": r.preference, "exchange": t} for r, t in zip(records, targets,
                                                                                       strict=True)]
        step.detail = ", ".join(t or "." for t in targets) or "(none)"
        if "" in targets:
            step.status = "fail"
            rec.finding(Severity.ERROR, "probe.dns.null-mx",
                        f"{domain} publishes a null MX ('MX 0 .', RFC 7505): it declares that it "
                        "accepts no mail, and senders bounce mail for it at once",
                        fix="Remove the null MX and publish MX <domain-with-dashes>.mail.protection."
                            "outlook.com (the value the Microsoft 365 admin center shows).")
            return [t for t in targets if t]
        if not targets:
            step.status = "fail"
            rec.finding(Severity.ERROR, "probe.dns.no-mx", f"{domain} has no MX record",
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


async def addresses_of(resolver: Resolver, name: str) -> list[str]:
    return [r.to_text() for t in ("A", "AAAA") for r in await query(resolver, name, t)]


async def _dangling(resolver: Resolver, name: str) -> str:
    """' (a CNAME to X, which does not resolve)' when `name` is a dangling alias, else ''."""
    alias = [r.target.to_text().rstrip(".") for r in await query(resolver, name, "CNAME")]
    return f" (a CNAME to {alias[0]}, which does not resolve)" if alias else ""


async def _mx_resolve(rec: Recorder, resolver: Resolver, targets: list[str], timeout: float) -> None:
    for target in targets:
        async with rec.step(f"resolve {target}", timeout) as step:
            found = await addresses_of(resolver, target)
            rec.facts.setdefault("mx_addresses", {})[target] = found
            step.detail = ", ".join(found) or "no A/AAAA"
            if _internal_only(rec, target, found, "MX"):
                step.status = "warn"
            if not found:
                step.status = "fail"
                rec.finding(Severity.ERROR, "probe.dns.mx-unresolvable",
                            f"MX target {target} has no A/AAAA record{await _dangling(resolver, target)}",
                            fix="Correct the MX value; senders defer and finally bounce mail for it.",
                            evidence=("senders report e.g. 450 4.4.312 DNS query failed",))


async def _autodiscover(rec: Recorder, resolver: Resolver, domain: str, timeout: float) -> None:
    async with rec.step("Autodiscover", timeout) as step:
        name = f"autodiscover.{domain}"
        aliases = [r.target.to_text().rstrip(".") for r in await query(resolver, name, "CNAME")]
        found = [f"CNAME {a}" for a in aliases]
        addresses = await addresses_of(resolver, aliases[0]) if aliases else []
        if aliases and not addresses:
            step.status, step.detail = "fail", f"CNAME {aliases[0]} does not resolve"
            rec.facts["autodiscover"] = found
            rec.finding(Severity.ERROR, "probe.dns.autodiscover-dangling",
                        f"{name} is a CNAME to {aliases[0]}, which has no A/AAAA record (a dangling "
                        "alias): Autodiscover fails for clients and for Exchange Online",
                        fix="Point the CNAME at a name that exists (the on-premises Autodiscover name in "
                            "classic hybrid, or autodiscover.outlook.com), or remove it; a dangling "
                            "CNAME can also be taken over by whoever registers the target.")
            return
        if not found:
            addresses = await addresses_of(resolver, name)
            found = [f"{'AAAA' if ':' in a else 'A'} {a}" for a in addresses]
        if not found:
            srv = await query(resolver, f"_autodiscover._tcp.{domain}", "SRV")
            found = [f"SRV {r.target.to_text().rstrip('.') or '.'}:{r.port}" for r in srv]
            if srv and await _srv_unusable(rec, resolver, domain, srv):
                step.status, step.detail = "fail", ", ".join(found)
                rec.facts["autodiscover"] = found
                return
        step.detail = ", ".join(found) or "(none)"
        rec.facts["autodiscover"] = found
        if _internal_only(rec, name, addresses, "Autodiscover"):
            step.status = "warn"
        if not found:
            step.status = "fail"
            rec.finding(Severity.ERROR, "probe.dns.no-autodiscover",
                        f"no Autodiscover record for {domain} (CNAME/A {name} or SRV _autodiscover._tcp)",
                        fix="Publish autodiscover.<domain> pointing at the on-premises Exchange "
                            "(classic hybrid) or autodiscover.outlook.com once mailboxes are in the cloud.")


def _internal_only(rec: Recorder, name: str, addresses: list[str], what: str) -> bool:
    """A warning when every address of `name` is internal: Exchange Online resolves it on the
    Internet and cannot reach such an address."""
    ips = [ipaddress.ip_address(a) for a in addresses]
    if not ips or not all(INTERNAL.contains_address(int(ip), ip.version) for ip in ips):
        return False
    rec.finding(Severity.WARNING, f"probe.dns.{what.lower()}-internal",
                f"{what} name {name} resolves only to internal addresses ({', '.join(addresses)}): "
                "Exchange Online and senders on the Internet cannot reach them",
                fix="If this answer came from an internal resolver (split DNS), re-run with --nameserver "
                    "set to a public resolver; if public DNS publishes it, publish the public address "
                    "(the firewall's NAT address) instead.")
    return True


async def _srv_unusable(rec: Recorder, resolver: Resolver, domain: str, srv: list[Any]) -> bool:
    """An error when no SRV target of `_autodiscover._tcp` can be reached: the target `.` says
    the service is not offered (RFC 2782), a target without A/AAAA is a dangling pointer."""
    name = f"_autodiscover._tcp.{domain}"
    targets = [r.target.to_text().rstrip(".") for r in srv]
    if not any(targets):
        rec.finding(Severity.ERROR, "probe.dns.no-autodiscover",
                    f"{name} is SRV target '.': the domain declares that it offers no Autodiscover "
                    "(RFC 2782)", fix="Publish autodiscover.<domain> (CNAME/A) or an SRV record naming "
                                      "the Autodiscover host on 443.")
        return True
    for target in dict.fromkeys(t for t in targets if t):
        if await addresses_of(resolver, target):
            return False
    rec.finding(Severity.ERROR, "probe.dns.autodiscover-dangling",
                f"{name} points at {', '.join(t for t in targets if t)}, which has no A/AAAA record: "
                "Autodiscover by SRV fails for clients and for Exchange Online",
                fix="Point the SRV record at the Autodiscover host name that exists, or publish "
                    "autodiscover.<domain> (CNAME/A).")
    return True


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
        await judge_spf(rec, lambda n, t: query(resolver, n, t), name, options.timeout)
        await _autodiscover(rec, resolver, name, options.timeout)
    except (DnsUnavailable, TimeoutError) as exc:
        rec.finding(Severity.ERROR, "probe.dns.no-answer",
                    f"the name server did not answer at step '{rec.current}': {exc or 'timed out'}",
                    fix="Check --nameserver / the resolver configuration and that UDP/TCP 53 is open.")
    return rec.result()

