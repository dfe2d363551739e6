"""Rules through aerleon's generators, used in memory (`aerleon.api.Generate` writes nothing).

One `AerleonTarget` row per platform (see `aerleon_targets.py`) says how to call the generator;
this module turns flows into one aerleon policy per address-family group, runs it, applies the
row's fix-ups and then checks that every address made it into the text.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hybridfw.model import EndpointData, Finding, Flow, Severity
from hybridfw.render.common import (
    coverage_findings,
    flow_comment,
    fqdn_allowlist,
    fqdn_flows,
    renders_as_addresses,
    safe_name,
    short_term_name,
)
from hybridfw.render.fqdn_objects import FqdnEmitter, FqdnObjects
from hybridfw.render.interface import Renderer, RenderResult

Fixup = Callable[[dict[str, str], Sequence[Flow], EndpointData], dict[str, str]]
_DIRECTIONS = ("inbound", "outbound")


@dataclass(frozen=True)
class AerleonTarget:
    """How one platform is produced by one aerleon generator.

    `header` is the target's option string, formatted with: name (hybridfw-in / hybridfw-out),
    chain (hybridfw_in / hybridfw_out), dir (in / out), gdir (INGRESS / EGRESS), family
    (mixed / inet / inet6), evo (ingress / egress) and zones (from-zone untrust to-zone trust,
    reversed outbound).
    """

    name: str
    target: str
    description: str
    header: str = "{name} {family}"
    # One policy (file) per entry; ("inet", "inet6") where the target needs a filter per family.
    families: tuple[str, ...] = ("mixed",)
    # Cloud policies attach to the servers themselves: the on-prem side must be left out.
    attached_to_servers: bool = False
    term_limit: int = 24  # iptables chain names; the strictest generator's limit is used for all
    comment_limit: int = 100  # ASA cuts remarks at 100, nft rejects comments over 128
    # Generators that accept only one filter per policy (NSX, GCP hierarchical) get one file
    # per direction.
    file_per_direction: bool = False
    fixups: tuple[Fixup, ...] = ()
    fqdn_objects: FqdnEmitter | None = None


def _header(spec: AerleonTarget, direction: str, family: str, split: bool) -> str:
    suffix = "" if not split else ("-v4" if family == "inet" else "-v6")
    short = "in" if direction == "inbound" else "out"
    zones = ("from-zone untrust to-zone trust" if direction == "inbound"
             else "from-zone trust to-zone untrust")
    return spec.header.format(
        name=f"hybridfw-{short}{suffix}", chain=f"hybridfw_{short}", dir=short,
        gdir="INGRESS" if direction == "inbound" else "EGRESS", family=family, zones=zones,
        evo="ingress" if direction == "inbound" else "egress",
    ).strip()


def _definitions(flows: Sequence[Flow]) -> dict[str, Any]:
    networks: dict[str, Any] = {}
    services: dict[str, Any] = {}
    for flow in flows:
        for suffix, addresses in (("_SRC", flow.sources), ("_DST", flow.destinations)):
            if addresses:
                networks[safe_name(flow.id, suffix)] = {
                    "values": [{"address": c} for c in addresses.to_cidrs()]}
        # Ports go in as named services: aerleon accepts nothing else in a term.
        services[_service(flow)] = [{"port": p, "protocol": flow.protocol} for p in flow.ports]
    return {"networks": networks, "services": services}


def _service(flow: Flow) -> str:
    return f"{flow.protocol.upper()}_" + "_".join(str(p) for p in flow.ports)


def _term(spec: AerleonTarget, flow: Flow, data: EndpointData) -> dict[str, Any] | None:
    if not renders_as_addresses(flow):
        return None  # names only: FQDN objects or the allow-list carry it
    term: dict[str, Any] = {
        "name": short_term_name(flow.id, spec.term_limit),
        "comment": flow_comment(flow, data, spec.comment_limit),
        "protocol": flow.protocol, "destination-port": _service(flow), "action": "accept",
    }
    keep_source = not (spec.attached_to_servers and flow.direction == "outbound")
    keep_destination = not (spec.attached_to_servers and flow.direction == "inbound")
    if flow.sources and keep_source:
        term["source-address"] = safe_name(flow.id, "_SRC")
    if flow.destinations and keep_destination:
        term["destination-address"] = safe_name(flow.id, "_DST")
    return term


def _policy_name(family: str, split_family: bool, direction: str | None) -> str:
    name = "hybridfw"
    if direction is not None:
        name += "-in" if direction == "inbound" else "-out"
    if split_family:
        name += "-v4" if family == "inet" else "-v6"
    return name


def _policies(spec: AerleonTarget, flows: Sequence[Flow], data: EndpointData) -> list[Any]:
    split = len(spec.families) > 1
    groups: list[tuple[str | None, tuple[str, ...]]] = (
        [(d, (d,)) for d in _DIRECTIONS] if spec.file_per_direction else [(None, _DIRECTIONS)])
    policies = []
    for family in spec.families:
        for file_direction, directions in groups:
            filters = []
            for direction in directions:
                terms = [t for f in flows if f.direction == direction
                         if (t := _term(spec, f, data)) is not None]
                if terms:
                    comment = (f"hybridfw: Exchange hybrid {direction} flows; endpoint data "
                               f"{data.version_label()}")
                    filters.append({"header": {"targets": {spec.target: _header(
                        spec, direction, family, split)}, "comment": comment}, "terms": terms})
            if filters:
                policies.append({"filename": _policy_name(family, split, file_direction),
                                 "filters": filters})
    return policies


def _builtin_generators_once() -> None:
    """aerleon.api re-runs pip entry-point plugin discovery for every policy (a third of the
    render time, measured); hybridfw only uses aerleon's built-in generators, so set the
    supervisor up once without discovery and make later Start() calls no-ops."""
    from aerleon.lib import plugin_supervisor as ps

    supervisor = ps.PluginSupervisor
    if getattr(supervisor, "_hybridfw_started", False):
        return
    supervisor.Start(ps.PluginSupervisorConfiguration(disable_discovery=True))
    supervisor.Start = lambda config=None: None  # type: ignore[method-assign]
    supervisor._hybridfw_started = True  # type: ignore[attr-defined]


class _DeferredParser:
    """Stands in for the ply parser aerleon.lib.policy builds at import; builds it on first use."""

    def __init__(self, build: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self._build, self._args, self._kwargs = build, args, kwargs
        self._module: Any = None
        self._parser: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._parser is None:
            self._parser = self._build(*self._args, module=self._module, **self._kwargs)
        return getattr(self._parser, name)


def _import_policy_module() -> None:
    """aerleon.lib.policy builds its LALR parser for .pol files (ply, tables not written) every
    time it is imported: 0.23 s, a quarter of an audit of a small ruleset. hybridfw hands aerleon
    its policies as data and never parses .pol text, so that build is deferred to first use
    (`_DeferredParser`); the parser aerleon gets is the same one, built from the same module."""
    if "aerleon.lib.policy" in sys.modules:
        return
    from aerleon._vendor.ply import yacc

    real: Callable[..., Any] = yacc.yacc
    deferred: list[_DeferredParser] = []

    def build_later(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("module") is not None:
            return real(*args, **kwargs)
        deferred.append(_DeferredParser(real, args, kwargs))
        return deferred[-1]

    yacc.yacc = build_later
    try:
        from aerleon.lib import policy
    finally:
        yacc.yacc = real
    for stand_in in deferred:
        stand_in._module = policy


def generate(spec: AerleonTarget, flows: Sequence[Flow], data: EndpointData) -> dict[str, str]:
    """aerleon's files for `flows` (raises aerleon's errors)."""
    _import_policy_module()
    from aerleon import api
    from aerleon.lib import naming

    _builtin_generators_once()

    # aerleon logs chatty warnings through absl (e.g. custom iptables chains); our findings
    # carry what matters.
    logging.getLogger("absl").setLevel(logging.ERROR)
    policies = _policies(spec, flows, data)
    if not policies:
        return {}
    definitions = naming.Naming()
    definitions.ParseDefinitionsObject(_definitions(flows), "hybridfw")
    return dict(api.Generate(policies, definitions) or {})


class AerleonRenderer(Renderer):
    def __init__(self, spec: AerleonTarget) -> None:
        self.spec = spec
        self.name = spec.name
        self.description = spec.description

    def render(self, flows: Sequence[Flow], data: EndpointData) -> RenderResult:
        spec = self.spec
        try:
            files = generate(spec, flows, data)
        except Exception as exc:  # aerleon raises many unrelated types; one finding says it
            return RenderResult(spec.name, {}, [Finding(
                Severity.ERROR, "render.generator-failed",
                f"aerleon {spec.target} could not render these flows: {exc}".strip(),
                subject=spec.name)])
        for fixup in spec.fixups:
            files = fixup(files, flows, data)
        findings = _coverage(spec, flows, "\n".join(files.values()))
        files, more = _names(spec, flows, data, files)
        return RenderResult(spec.name, files, findings + more)


def _coverage(spec: AerleonTarget, flows: Sequence[Flow], text: str) -> list[Finding]:
    if not spec.attached_to_servers:
        return coverage_findings(flows, text, spec.name)
    # Policies attached to the servers carry only the Microsoft side of each flow: the
    # sources of inbound flows and the destinations of outbound ones. Check exactly that.
    inbound = [f for f in flows if f.direction == "inbound"]
    outbound = [f for f in flows if f.direction == "outbound"]
    return (coverage_findings(inbound, text, spec.name, check_destinations=False)
            + coverage_findings(outbound, text, spec.name, check_sources=False)
            + _attached_findings(flows, spec))


def _attached_findings(flows: Sequence[Flow], spec: AerleonTarget) -> list[Finding]:
    return [Finding(
        Severity.INFO, "render.attach-to-servers",
        f"{spec.name} policies apply to the instances they are attached to: the on-premises side "
        "of each flow is not in the rules", subject=spec.name,
        fix="attach the inbound policy to the Exchange servers (target tags / pod selector)")]


def _names(spec: AerleonTarget, flows: Sequence[Flow], data: EndpointData,
           files: dict[str, str]) -> tuple[dict[str, str], list[Finding]]:
    """FQDN objects where the platform has them, else a proxy allow-list — never left out."""
    named = fqdn_flows(flows)
    if not named:
        return files, []
    objects = (spec.fqdn_objects([f for f in named if not renders_as_addresses(f)], data)
               if spec.fqdn_objects else FqdnObjects({}, frozenset()))
    files = {**files, **objects.files,
             "hybridfw-fqdn-allowlist.txt": fqdn_allowlist(named, data, spec.name)}
    return files, [_name_finding(flow, objects) for flow in named]


def _name_finding(flow: Flow, objects: FqdnObjects) -> Finding:
    names = set(flow.destination_fqdns)
    if renders_as_addresses(flow):
        return Finding(
            Severity.INFO, "render.fqdn-allowlist",
            f"flow {flow.id}: the published addresses are in the rules; the {len(names)} "
            "name(s) Microsoft lists with them are also in hybridfw-fqdn-allowlist.txt",
            subject=flow.id)
    left = names - objects.covered
    where = f"{len(names) - len(left)} as FQDN objects ({', '.join(sorted(objects.files))}), " \
        if objects.covered else ""
    if not left:
        return Finding(Severity.INFO, "render.fqdn-objects",
                       f"flow {flow.id}: its {len(names)} name(s) are {where.rstrip(', ')}",
                       subject=flow.id)
    return Finding(
        Severity.WARNING, "render.fqdn-allowlist",
        f"flow {flow.id}: Microsoft gives its destinations only as names; {where}"
        f"{len(left)} in hybridfw-fqdn-allowlist.txt for the proxy or URL filter",
        evidence=tuple(sorted(left)[:6]), subject=flow.id,
        fix="allow these names on the web proxy or URL filter")
