"""`hybridfw audit RULESET... --topology FILE`: what an existing firewall really lets through."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hybridfw.commands._common import JsonOpt, TopologyOpt

if TYPE_CHECKING:
    from hybridfw.addresses import AddressSet
    from hybridfw.audit import AuditResult
    from hybridfw.counts import Unit
    from hybridfw.model import EndpointData

FORMATS = ("auto|iptables|nft|nft-json|asa|panos|panos-set|pfsense|opnsense|list|fortigate|srx|"
           "windows-netsh|windows-json")
# The PowerShell line for --format windows-json (docs/audit.md gives it too).
WINDOWS_JSON = (
    "@{Profiles = @(Get-NetFirewallProfile | Select-Object Name,Enabled,DefaultInboundAction,"
    "DefaultOutboundAction); Rules = @(Get-NetFirewallRule | ForEach-Object { $a = $_ | "
    "Get-NetFirewallAddressFilter; $p = $_ | Get-NetFirewallPortFilter; $s = $_ | "
    "Get-NetFirewallSecurityFilter; [pscustomobject]@{Name = $_.Name; DisplayName = $_.DisplayName; "
    "Enabled = [string]$_.Enabled; Direction = [string]$_.Direction; Profile = [string]$_.Profile; "
    "Action = [string]$_.Action; LocalAddress = $a.LocalAddress; RemoteAddress = $a.RemoteAddress; "
    "Protocol = $p.Protocol; LocalPort = $p.LocalPort; RemotePort = $p.RemotePort; Program = ($_ | "
    "Get-NetFirewallApplicationFilter).Program; Service = ($_ | Get-NetFirewallServiceFilter).Service; "
    "InterfaceType = [string]($_ | Get-NetFirewallInterfaceTypeFilter).InterfaceType; Authentication = "
    "[string]$s.Authentication; Encryption = [string]$s.Encryption; OverrideBlockRules = "
    "$s.OverrideBlockRules} })} | ConvertTo-Json -Depth 4 | Set-Content -Encoding UTF8 firewall.json")
_WINDOWS_JSON_HELP = WINDOWS_JSON.replace("[", "\\[")  # [string] is not rich markup

HELP = f"""Audit firewall ruleset file(s) against the flows Exchange hybrid needs.

For each required flow, on-premises address and port, first-match evaluation on address sets
says which Microsoft addresses are allowed, missing, shadowed (an accept exists but an earlier
deny wins), stale (accepted but in no current Microsoft set, e.g. retired EOP ranges) and
unknown (rules hybridfw cannot evaluate). Several files form one view (e.g. iptables-save and
ip6tables-save). Formats: {FORMATS}.

Interface matches (-i/-o, iifname/oifname) are decided when the firewall's interface names
are known: --outside-interface (where Microsoft's traffic arrives) and --inside-interface
(towards the Exchange servers), or \\[firewall] outside_interface / inside_interface in the
topology. Without them such rules make the addresses they decide unknown.

Windows Defender Firewall on the Exchange server (block rules win over allow rules, then the
profile's default): give one file with the output of 'netsh advfirewall show allprofiles'
followed by 'netsh advfirewall firewall show rule name=all verbose' (English), or the JSON of
this PowerShell line: {_WINDOWS_JSON_HELP}
Name the profile (domain, private or public) with --outside-interface to decide rules and
defaults limited to profiles.

Exit codes: 0 every required flow fully allowed, 1 something missing, shadowed or undecidable,
2 usage or input error."""


def _print_human(result: AuditResult, fixes: dict[str, Any], data: EndpointData) -> None:
    from hybridfw.console import findings_table, out, width
    from hybridfw.counts import is_wide, unit_for
    from hybridfw.layout import Column, table_or_list

    console = out()
    console.print(f"[bold]Audit[/] of {', '.join(result.paths)} ({result.format}) against "
                  f"endpoint data {data.version_label()}")
    columns = [Column(c) for c in ("flow", "entry", "on-premises", "port", "allowed", "missing",
                                   "shadowed", "stale / open", "unknown")]
    rows = []
    for row in result.flows:
        fam = 6 if ":" in row.address else 4
        wide = is_wide(row.stale.num_addresses(), fam)
        sets = (row.allowed, row.missing, row.unknown) + (() if wide else (row.stale,))
        unit = unit_for(fam, max(a.num_addresses() for a in sets))
        rows.append([row.flow, row.entry, row.address, str(row.port),
                     _count(row.allowed, unit), _red(row.missing, unit), _red_n(len(row.shadowed)),
                     "open to any" if wide else _count(row.stale, unit), _count(row.unknown, unit)])
    console.print(table_or_list("Coverage per flow (IPv4 in addresses, IPv6 in /48 or /64 blocks)",
                                columns, rows, width()))
    console.print(findings_table(result.findings))
    console.print(f"[bold]Rules to add[/] ({fixes['platform']}):")
    if fixes["note"]:
        console.print(f"[yellow]{fixes['note']}[/]")
    if not fixes["files"]:
        console.print("nothing to add: every required flow is allowed" if not fixes["note"] else "")
    for name, text in fixes["files"].items():
        console.print(f"[dim]# {name}[/]")
        console.print(text, markup=False, highlight=False)


def _count(addresses: AddressSet, unit: Unit) -> str:
    """Addresses in the unit `check` uses (hybridfw.counts): IPv4 addresses, IPv6 blocks; one
    unit per row."""
    from hybridfw.counts import in_unit

    return f"{in_unit(addresses.num_addresses(), unit)} {unit.name}" if addresses else "0"


def _red(addresses: AddressSet, unit: Unit) -> str:
    return f"[bold red]{_count(addresses, unit)}[/]" if addresses else "0"


def _red_n(count: int) -> str:
    return f"[bold red]{count}[/]" if count else "0"


def register(app: typer.Typer) -> None:
    @app.command("audit", help=HELP)
    def audit(
        rulesets: Annotated[list[Path], typer.Argument(help="Ruleset file(s).", dir_okay=False)],
        topology: TopologyOpt,
        fmt: Annotated[str, typer.Option("--format", "-f", help=FORMATS)] = "auto",
        entry: Annotated[str | None, typer.Option(
            "--entry", help="Audit only this entry (input, forward, output, an ACL binding).")] = None,
        outside: Annotated[str | None, typer.Option(
            "--outside-interface", metavar="NAME",
            help="The interface Microsoft's traffic arrives on (overrides the topology's).")] = None,
        inside: Annotated[str | None, typer.Option(
            "--inside-interface", metavar="NAME",
            help="The interface towards the Exchange servers (overrides the topology's).")] = None,
        json_out: JsonOpt = False,
    ) -> None:
        from hybridfw.audit import Interfaces, audit_files
        from hybridfw.audit.fix import rules_to_add
        from hybridfw.console import exit_code_for, print_json
        from hybridfw.endpoints import load_current
        from hybridfw.errors import InputError
        from hybridfw.flows import required_flows
        from hybridfw.schemas import data_block
        from hybridfw.topology import interface_name_problem, load_topology

        for option, name in (("--outside-interface", outside), ("--inside-interface", inside)):
            if name is not None and (problem := interface_name_problem(name)):
                raise InputError(problem, field=option)
        topo = load_topology(topology)
        data = load_current(topo.instance)
        flows = required_flows(topo, data)
        result = audit_files(rulesets, flows, fmt=fmt, entry=entry,
                             interfaces=Interfaces.given(topo.firewall, outside, inside))
        fixes = rules_to_add(result, flows, data)
        if json_out:
            print_json({**result.to_dict(), "format": result.format, "rules_to_add": fixes,
                        "data": data_block(data)}, "audit")
        else:
            _print_human(result, fixes, data)
        raise typer.Exit(exit_code_for(result.findings))
