"""`hybridfw flows`: the flows Exchange hybrid needs, from a topology file and the endpoint data.

Exit codes: 0 listed, 2 bad topology or options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from hybridfw.commands._common import JsonOpt, TopologyOpt

if TYPE_CHECKING:
    from hybridfw.model import Flow


def _cell(cidrs: list[str], names: tuple[str, ...], limit: int = 6) -> str:
    items = cidrs + list(names)
    shown = "\n".join(items[:limit]) or "-"
    return shown + (f"\n… {len(items) - limit} more" if len(items) > limit else "")


def _table(flows: list[Flow], title: str) -> Any:
    """A table when it fits the terminal without cutting a CIDR or a name, else a list."""
    from hybridfw.console import width
    from hybridfw.layout import Column, table_or_list

    rows = []
    for flow in flows:
        marker = "" if flow.required else "\n[dim](if used)[/]"
        overrides = (f"\n[yellow]+{len(flow.override_sources.to_cidrs())} override(s)[/]"
                     if flow.override_sources else "")
        rows.append([
            f"[bold]{flow.id}[/]\n{flow.direction}{marker}",
            f"{flow.protocol}/{','.join(str(p) for p in flow.ports)}",
            _cell(flow.sources.to_cidrs(), flow.source_fqdns) + overrides,
            _cell(flow.destinations.to_cidrs(), flow.destination_fqdns),
            ",".join(str(i) for i in flow.endpoint_set_ids) or "-",
        ])
    columns = [Column(c) for c in ("flow", "ports", "sources", "destinations", "sets")]
    return table_or_list(title, columns, rows, width())


def register(app: typer.Typer) -> None:
    @app.command("flows")
    def flows_command(topology: TopologyOpt, json_out: JsonOpt = False) -> None:
        """List every flow Exchange hybrid needs through the on-premises firewall.

        Flows come from the topology's mode and the newest stored endpoint data (else the
        shipped snapshot). Exit codes: 0 listed, 2 bad topology or options.
        """
        from hybridfw.console import out, print_json, warn
        from hybridfw.endpoints import freshness_finding, load_current
        from hybridfw.flows import required_flows
        from hybridfw.topology import load_topology

        topo = load_topology(topology)
        data = load_current(topo.instance)
        flows = required_flows(topo, data)
        stale = freshness_finding(data)
        findings = [stale] if stale else []
        if json_out:
            print_json({"topology": str(topology), "mode": topo.mode, "instance": topo.instance,
                        "ipv6": topo.ipv6, "data": data.summary(),
                        "flows": [f.to_dict() for f in flows],
                        "findings": [f.to_dict() for f in findings]}, "flows")
            return
        title = f"{topo.mode} flows · endpoint data {data.version_label()}"
        out().print(_table(flows, title))
        for flow in flows:
            out().print(f"[bold]{flow.id}[/]: {flow.reason}")
        for finding in findings:
            warn(f"{finding.message}; {finding.fix}")
