"""External dynamic lists: one CIDR per line per flow (PAN-OS, FortiGate, Check Point feeds)."""

from __future__ import annotations

from collections.abc import Sequence

from hybridfw.model import EndpointData, Finding, Flow, Severity
from hybridfw.render.interface import Renderer, RenderResult


def microsoft_side(flow: Flow) -> tuple[list[str], tuple[str, ...]]:
    """The CIDRs and names of the Microsoft end of a flow (what a feed has to carry)."""
    if flow.direction == "inbound":
        return flow.sources.to_cidrs(), flow.source_fqdns
    return flow.destinations.to_cidrs(), flow.destination_fqdns


class EdlRenderer(Renderer):
    name = "edl"
    description = ("External dynamic lists: hybridfw-<flow>.txt, one CIDR per line (Microsoft "
                   "side); -domains.txt for names")

    def render(self, flows: Sequence[Flow], data: EndpointData) -> RenderResult:
        files: dict[str, str] = {}
        findings: list[Finding] = []
        for flow in flows:
            cidrs, names = microsoft_side(flow)
            # Feeds take no comments on some firewalls: the version goes in the file name list
            # (the JSON output) and the findings, not in the lists themselves.
            if cidrs:
                files[f"hybridfw-{flow.id}.txt"] = "\n".join(cidrs) + "\n"
            if names:
                files[f"hybridfw-{flow.id}-domains.txt"] = "\n".join(names) + "\n"
            if not cidrs and not names:
                findings.append(Finding(
                    Severity.INFO, "render.edl-internal-flow",
                    f"flow {flow.id} has no Microsoft side (internal); no list written",
                    subject=flow.id))
        findings.append(Finding(
            Severity.INFO, "render.edl-version",
            f"lists built from endpoint data {data.version_label()}", subject=self.name))
        return RenderResult(self.name, files, findings)
