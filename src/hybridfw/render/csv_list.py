"""Every flow as CSV rows: one row per address range or name, for spreadsheets and change tickets."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from hybridfw.model import EndpointData, Flow
from hybridfw.render.interface import Renderer, RenderResult

COLUMNS = ("flow", "direction", "protocol", "ports", "side", "kind", "value", "override",
           "required", "endpoint_set_ids", "endpoint_data")


def _rows(flow: Flow, version: str) -> list[list[str]]:
    overrides = set(flow.override_sources.to_cidrs())
    entries = [("source", "cidr", c) for c in flow.sources.to_cidrs()]
    entries += [("source", "fqdn", n) for n in flow.source_fqdns]
    entries += [("destination", "cidr", c) for c in flow.destinations.to_cidrs()]
    entries += [("destination", "fqdn", n) for n in flow.destination_fqdns]
    ports = " ".join(str(p) for p in flow.ports)
    ids = " ".join(str(i) for i in flow.endpoint_set_ids)
    return [[flow.id, flow.direction, flow.protocol, ports, side, kind, value,
             "yes" if side == "source" and value in overrides else "no",
             "yes" if flow.required else "no", ids, version]
            for side, kind, value in entries]


class CsvRenderer(Renderer):
    name = "csv"
    description = "CSV, one row per flow side and address range or name"

    def render(self, flows: Sequence[Flow], data: EndpointData) -> RenderResult:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for flow in flows:
            writer.writerows(_rows(flow, data.version_label()))
        return RenderResult(self.name, {"hybridfw-flows.csv": buffer.getvalue()}, [])
