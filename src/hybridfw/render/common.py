"""Helpers every renderer shares: comments, the FQDN allow-list, and the address-coverage guard."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from hybridfw.addresses import AddressSet, Family
from hybridfw.model import EndpointData, Finding, Flow, Severity

FAMILIES: tuple[Family, ...] = (4, 6)


def flow_comment(flow: Flow, data: EndpointData, limit: int = 100) -> str:
    """`hybridfw <flow id>; endpoint data <version>`, cut to the platform's comment limit."""
    text = f"hybridfw {flow.id}; endpoint data {data.version_label()}"
    return text if len(text) <= limit else text[: limit - 1] + "~"


def safe_name(flow_id: str, suffix: str = "", limit: int = 28) -> str:
    """An object name every platform accepts: upper case, letters, digits and underscores,
    at most `limit` characters (pf shortens longer table names and then finds them clashing)."""
    base = re.sub(r"[^A-Za-z0-9]+", "_", flow_id).upper()
    if len(base) + len(suffix) > limit:
        digest = hashlib.sha256(flow_id.encode()).hexdigest()[:6].upper()
        base = f"{base[: limit - len(suffix) - 7].rstrip('_')}_{digest}"
    return base + suffix


def short_term_name(flow_id: str, limit: int) -> str:
    """Flow ids fit today; a longer one keeps its start plus a short hash so names stay unique
    (aerleon accepts only letters, digits, '-' and '_' in term names)."""
    if len(flow_id) <= limit:
        return flow_id
    digest = hashlib.sha256(flow_id.encode()).hexdigest()[:6]
    return f"{flow_id[: limit - 7].rstrip('-_')}-{digest}"


def renders_as_addresses(flow: Flow) -> bool:
    """False for flows Microsoft gives only as names: those become FQDN objects or allow-lists."""
    return bool(flow.destinations) or not flow.destination_fqdns


def fqdn_flows(flows: Iterable[Flow]) -> list[Flow]:
    return [f for f in flows if f.destination_fqdns or f.source_fqdns]


def fqdn_allowlist(flows: Sequence[Flow], data: EndpointData, platform: str) -> str:
    """Plain text for a proxy / URL filter: the names Microsoft gives only as URLs, per flow."""
    lines = [
        f"# hybridfw: names to allow on your proxy or URL filter ({platform} has no FQDN objects)",
        f"# endpoint data {data.version_label()}; one pattern per line, '*.' = any sub-domain",
    ]
    for flow in fqdn_flows(flows):
        ports = ",".join(str(p) for p in flow.ports)
        sources = " ".join(flow.sources.to_cidrs()) or "any"
        lines += ["", f"# flow {flow.id}: {flow.protocol}/{ports} from {sources}"]
        lines += list(flow.destination_fqdns or flow.source_fqdns)
    return "\n".join(lines) + "\n"


def _network_strings(addresses: AddressSet, family: Family) -> list[str]:
    # A CIDR's network address appears verbatim in every notation the renderers use
    # (prefix, netmask, wildcard mask, `host`); `any` (a /0) is spelled differently everywhere.
    return [c.split("/")[0] for c in addresses.to_cidrs(family) if not c.endswith("/0")]


def expected_families(flow: Flow) -> list[Family]:
    """Families in which the flow can carry traffic: both sides have addresses in it."""
    return [f for f in FAMILIES
            if flow.sources.family(f) and (flow.destinations.family(f) or not flow.destinations)]


def coverage_findings(flows: Sequence[Flow], text: str, platform: str, *,
                      check_sources: bool = True, check_destinations: bool = True) -> list[Finding]:
    """Check the rendered text still names every address of every flow; say why where it can't.

    This is the guard against aerleon dropping addresses (IPv6 above all) without a word.
    """
    findings: list[Finding] = []
    for flow in flows:
        if not renders_as_addresses(flow):
            continue  # name-only flows become FQDN objects or the allow-list, checked apart
        sides = [(check_sources, flow.sources), (check_destinations, flow.destinations)]
        for family in expected_families(flow):
            missing = [n for check, side in sides if check
                       for n in _network_strings(side, family) if n not in text]
            if missing:
                findings.append(Finding(
                    Severity.ERROR, "render.address-lost",
                    f"{platform}: IPv{family} addresses of flow {flow.id} are missing from the "
                    "rendered rules", evidence=tuple(missing[:8]), subject=flow.id,
                    fix="use another platform name for this device or add these ranges by hand"))
        findings += _unreachable_family(flow, platform)
    return findings


def _unreachable_family(flow: Flow, platform: str) -> list[Finding]:
    out = []
    for family in FAMILIES:
        lonely = flow.sources.family(family) if not flow.destinations.family(family) else None
        if lonely and flow.destinations:
            out.append(Finding(
                Severity.INFO, "render.family-without-peer",
                f"{platform}: flow {flow.id} has IPv{family} sources but no IPv{family} "
                f"destination, so no IPv{family} rule is rendered for it",
                evidence=tuple(lonely.to_cidrs()[:4]), subject=flow.id,
                fix=f"add the servers' IPv{family} addresses to the topology if they have any"))
    return out
