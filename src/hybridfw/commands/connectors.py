"""`hybridfw connectors FILE... --topology FILE`: Exchange's own allow-lists and certificates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hybridfw.commands._common import JsonOpt

if TYPE_CHECKING:
    from hybridfw.connectors.result import ConnectorsResult


def _exports_help() -> str:
    """'Get-ReceiveConnector, ... (Exchange Management Shell) and ... (Exchange Online
    PowerShell)': the cmdlets of collect.EXPORTS (one per registered reader, tested)."""
    from hybridfw.connectors.collect import EXPORTS, SHELLS

    return " and ".join(
        ", ".join(cmdlet for where, cmdlet, _ in EXPORTS if where == shell) + f" ({short})"
        for shell, short in SHELLS)


HELP = f"""Check Exchange's receive and send connectors, certificates and the Exchange Online
connectors against the topology and the current Exchange Online addresses.

FILE: JSON written by ConvertTo-Json -Depth 4 from {_exports_help()}; arrays or single objects,
UTF-8 or UTF-16. Each object's kind is found by its properties. --collect-script prints the
(read-only) commands that write them.

Checks: RemoteIPRanges audited like a firewall rule (missing / stale Exchange Online sources,
Exchange's most-specific-range connector choice) with the Set-ReceiveConnector line that fixes
it; TlsCertificateName names an installed certificate that is valid for 30+ days and carries
the topology's name; the inbound connector's TlsSenderCertificateName matches that certificate
and an accepted domain; the outbound connector's TlsDomain and smart hosts; the send connector
to Exchange Online; CloudServicesMailEnabled on both ends.

--probe also connects to TCP 25 of the topology's SMTP addresses (as probe smtp does) and
compares the certificate presented with the outbound connector's TlsDomain and with the one the
receive connector's TlsCertificateName names.

Exit codes: 0 every check ran and passed (warnings allowed), 1 a problem found or a check could
not run (it says which input decides it), 2 usage or input error."""


def _print_human(result: ConnectorsResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    from hybridfw.console import findings_table, out

    console = out()
    console.print(f"[bold]Connectors[/] from {', '.join(result.inputs.get('files', []))} against "
                  f"endpoint data {escape(str(result.data.get('label', '')))}")
    if result.coverage:
        table = Table(title="RemoteIPRanges per listening address (TCP 25)")
        for column in ("server", "address", "chosen connectors", "allowed", "missing", "stale", "unknown"):
            table.add_column(column)
        for row in result.coverage:
            table.add_row(escape(row.server), row.address, escape(", ".join(row.connectors) or "-"),
                          str(len(row.allowed.to_cidrs())), str(len(row.missing.to_cidrs())),
                          str(len(row.stale.to_cidrs())), str(len(row.unknown.to_cidrs())))
        console.print(table)
    checks = Table(title="Checks")
    checks.add_column("check")
    checks.add_column("status")
    style = {"pass": "green", "warn": "yellow", "fail": "bold red", "not checked": "magenta"}
    for check in result.checks:
        checks.add_row(escape(check.title), f"[{style[check.status]}]{check.status}[/]")
    console.print(checks)
    shown = [f for f in result.findings if f.code != "connectors.receive.allowed"]
    if shown:
        console.print(findings_table(shown))
        for ref in dict.fromkeys(f.reference for f in shown if f.reference):
            console.print(f"[dim]see {escape(ref)}[/]")
    if result.fixes:
        console.print("[bold]Fixes[/] (Exchange Management Shell / Exchange Online PowerShell):")
        for line in result.fixes:
            console.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("connectors", help=HELP)
    def connectors(
        files: Annotated[list[Path] | None, typer.Argument(help="Export file(s).", dir_okay=False)] = None,
        topology: Annotated[Path | None, typer.Option(
            "--topology", "-t", dir_okay=False, help="Topology file (TOML).")] = None,
        collect: Annotated[bool, typer.Option(
            "--collect-script", help="Print the PowerShell that writes the exports, and exit.")] = False,
        resolve: Annotated[bool, typer.Option(
            "--resolve",
            help="Resolve the outbound connector's smart host names (system resolver).")] = False,
        probe: Annotated[bool, typer.Option(
            "--probe", help="Also read the certificate the topology's SMTP addresses present on "
                            "TCP 25 (probe smtp) and compare it with the connectors.")] = False,
        timeout: Annotated[float, typer.Option(
            "--timeout", min=0.1, help="Per-step timeout of --probe, in seconds.")] = 10.0,
        json_out: JsonOpt = False,
    ) -> None:
        import sys

        from hybridfw.errors import InputError

        if collect:
            from hybridfw.connectors.collect import collect_script

            sys.stdout.write(collect_script())
            raise typer.Exit(0)
        if not files:
            raise InputError("give the export file(s), or --collect-script", field="FILE")
        if topology is None:
            raise InputError("--topology is required", field="--topology")
        result = run(files, topology, resolve, timeout if probe else None)
        if json_out:
            from hybridfw.console import print_json

            print_json({**result.to_dict(), "exit_code": result.exit_code}, "connectors")
        else:
            _print_human(result)
        raise typer.Exit(result.exit_code)


def run(files: list[Path], topology: Path, resolve: bool, probe_timeout: float | None) -> ConnectorsResult:
    from hybridfw.connectors import read_exports
    from hybridfw.connectors.checks import check_connectors, system_resolver
    from hybridfw.endpoints import load_current
    from hybridfw.flows import required_flows
    from hybridfw.topology import load_topology

    topo = load_topology(topology)
    exports = read_exports(files)
    data = load_current(topo.instance)
    live = None
    if probe_timeout is not None:
        from hybridfw.connectors.live_check import probe_live

        live = probe_live(exports, topo, timeout=probe_timeout)
    return check_connectors(exports, topo, data, required_flows(topo, data),
                            resolve=system_resolver if resolve else None, live=live)
