"""Which hosts a topology asks to probe, and probing them all at once.

SMTP: every single address in `[smtp] addresses` on TCP 25, judged against the topology's
`tls_certificate_name` (a plain FQDN or Exchange's `<I>issuer<S>subject` form). HTTPS: every
name in `[web] names` on 443 with each path as Exchange spells it by default, except the paths
`[web] urls` names (`ews = "https://mail.contoso.com/EWS/Exchange.asmx"`): those are requested
exactly at that URL, as Exchange Online calls the configured URL. Address ranges cannot be
probed host by host and are noted.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, replace
from typing import Any

from hybridfw.errors import InputError
from hybridfw.model import Finding, Severity
from hybridfw.probe.https import PATHS, parse_url_override, probe_https
from hybridfw.probe.interface import HttpsOptions, ProbeResult, SmtpOptions, SmtpTarget
from hybridfw.probe.smtp import probe_smtp_hosts


@dataclass(frozen=True)
class WebTarget:
    """One published host:port and the paths to request there (names, and configured paths)."""

    host: str
    port: int
    paths: tuple[str, ...]
    overrides: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.host if self.port == 443 else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ProbePlan:
    smtp_targets: tuple[SmtpTarget, ...]
    cert_name: str
    web_targets: tuple[WebTarget, ...]
    skipped: tuple[str, ...]  # ranges that are not single hosts

    @property
    def web_names(self) -> tuple[str, ...]:
        return tuple(str(t) for t in self.web_targets)

    def to_dict(self) -> dict[str, Any]:
        return {"smtp": [str(t) for t in self.smtp_targets], "cert_name": self.cert_name,
                "https": list(self.web_names), "skipped": list(self.skipped)}


def web_targets(names: tuple[str, ...], urls: tuple[tuple[str, str], ...]) -> tuple[WebTarget, ...]:
    """Each name with the default paths the URLs leave; each URL's host with its configured paths."""
    configured: dict[tuple[str, int], dict[str, str]] = {}
    for name, url in urls:
        try:
            path_name, host, port, path = parse_url_override(f"{name}={url}")
        except InputError as exc:
            raise InputError(str(exc), field=f"web.urls.{name}") from None
        configured.setdefault((host.lower(), port), {})[path_name] = path
    overridden = {n for paths in configured.values() for n in paths}
    defaults = tuple(n for n in PATHS if n not in overridden)
    targets: list[WebTarget] = []
    for host in dict.fromkeys(n.lower() for n in names):
        extra = configured.pop((host, 443), {})
        targets.append(WebTarget(host, 443, defaults + tuple(extra), tuple(extra.items())))
    targets += [WebTarget(host, port, tuple(paths), tuple(paths.items()))
                for (host, port), paths in configured.items()]
    return tuple(t for t in targets if t.paths)


def plan_from_topology(topology: Any) -> ProbePlan:
    """Targets from a `hybridfw.topology.Topology` (duck-typed: smtp/web sections)."""
    targets: list[SmtpTarget] = []
    skipped: list[str] = []
    for text in topology.smtp.address_strings:
        network = ipaddress.ip_network(text, strict=False)
        if network.num_addresses == 1:
            targets.append(SmtpTarget(str(network.network_address), 25))
        else:
            skipped.append(text)
    web = web_targets(tuple(topology.web.names), tuple(getattr(topology.web, "urls", ())))
    return ProbePlan(tuple(targets), topology.smtp.tls_certificate_name, web, tuple(skipped))


def not_probed(plan: ProbePlan) -> list[Finding]:
    """One warning per SMTP range of the topology: probing its single hosts says nothing about
    the hosts in it, so no report may read as an all-clear for them."""
    return [Finding(Severity.WARNING, "probe.topology.range-not-probed",
                    f"SMTP address range {text} is not probed host by host: the path to its hosts was "
                    "not checked", fix=f"Probe each server in it: hybridfw probe smtp HOST --cert-name "
                    f"{plan.cert_name or 'NAME'}; or list single addresses in [smtp].", subject=text)
            for text in plan.skipped]


async def probe_plan(plan: ProbePlan, smtp: SmtpOptions, https: HttpsOptions) -> list[ProbeResult]:
    """All SMTP and HTTPS probes of the plan, concurrently; SMTP results first, in plan order."""
    smtp = replace(smtp, tls=replace(smtp.tls, cert_name=smtp.tls.cert_name or plan.cert_name))
    web = [asyncio.create_task(probe_https(f"{t.host}:{t.port}",
                                           replace(https, paths=t.paths, overrides=t.overrides)))
           for t in plan.web_targets]
    results = await probe_smtp_hosts(plan.smtp_targets, smtp)
    return results + [await task for task in web]
