"""`hybridfw audit RULESET... --topology FILE`: what an existing firewall really lets through."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hybridfw.commands._common import AliasFileOpt, JsonOpt, TopologyOpt
from hybridfw.rulesets import format_choices

if TYPE_CHECKING:
    from hybridfw.addresses import AddressSet
    from hybridfw.audit import AuditResult, Interfaces
    from hybridfw.audit.paths import Placement
    from hybridfw.counts import Unit
    from hybridfw.model import EndpointData, Flow

FORMATS = format_choices()  # from the parser registry (no parser module is imported here)
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

Where the firewall sits decides the path: --placement host (it is the Exchange server:
INPUT/OUTPUT) or gateway (traffic is routed through it: FORWARD), or \\[firewall] placement
in the topology. Without it both are evaluated, each row names its assumption, and the worst
decides. ACL bindings are chained along the path (outside in, then inside out).

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
    for line in _path_notes(result):
        console.print(line, markup=False, highlight=False)
    console.print(findings_table(result.findings))
    console.print(f"[bold]Rules to add[/] ({fixes['platform']}):")
    if fixes["note"]:
        console.print(f"[yellow]{fixes['note']}[/]")
    if not fixes["files"]:
        console.print("nothing to add: every required flow is allowed" if not fixes["note"] else "")
    for name, text in fixes["files"].items():
        console.print(f"[dim]# {name}[/]")
        console.print(text, markup=False, highlight=False, soft_wrap=True)


def _path_notes(result: AuditResult) -> list[str]:
    """Which assumptions chose the paths above, and the paths evaluated but judged off the
    flows' path (every evaluated entry is shown, not only the deciding ones)."""
    notes = sorted({f"{row.entry}: {row.assumption}" for row in result.flows if row.assumption})
    lines = [f"Assumed path {n}" for n in notes]
    if notes:
        lines.append("  (every assumed path is evaluated and the worst decides; name the placement "
                     "with --placement / [firewall] placement, the interfaces with "
                     "--outside-interface / --inside-interface)")
    off: dict[str, list[str]] = {}
    for row in result.off_path:
        verdict = ("missing" if row.missing else "unknown" if row.unknown else "allowed")
        off.setdefault(f"{row.flow} via {row.entry}", []).append(verdict)
    for where, verdicts in off.items():
        counts = ", ".join(f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts))
        lines.append(f"Also evaluated, not on the flow's path (no rule there is meant for it): "
                     f"{where} ({counts})")
    return lines


def _fixed_out(rulesets: list[Path], directory: Path, flows: list[Flow], fmt: str,
               entry: str | None, interfaces: Interfaces, remove_stale: bool,
               current: AddressSet) -> dict[str, Any]:
    """Patch the files, write them under `directory` (atomically), and say what it took."""
    from hybridfw.audit.diff import unified
    from hybridfw.audit.patch import patch_files
    from hybridfw.fileio import write_atomic

    outcome = patch_files(rulesets, flows, fmt, entry, interfaces, remove_stale, current)
    files = []
    for path in rulesets:
        text = outcome.texts[str(path)]
        target = directory / path.name
        write_atomic(target, text)
        diff = unified(str(path), path.read_text(encoding="utf-8", errors="replace"), text,
                       str(target))
        files.append({"input": str(path), "written": str(target), "diff": diff})
    return {"files": files, "rounds": outcome.rounds, "still_missing": outcome.still_missing,
            "notes": outcome.notes,
            **({"still_retired": outcome.still_retired} if remove_stale else {})}


def _print_patched(patched: dict[str, Any]) -> None:
    from hybridfw.console import out

    console = out()
    console.print(f"[bold]Patched copies[/] ({patched['rounds']} round(s) of fix and re-audit):")
    for item in patched["files"]:
        console.print(f"[dim]# {item['written']}[/]")
        console.print(item["diff"] or "(unchanged)\n", markup=False, highlight=False, end="",
                      soft_wrap=True)
    for note in patched["notes"]:
        console.print(f"[yellow]{note}[/]")
    for left in patched["still_missing"]:
        console.print(f"[bold red]still missing after patching:[/] {left}")
    if "still_retired" in patched:
        for left in patched["still_retired"]:
            console.print(f"[yellow]retired ranges still admitted after patching:[/] {left}")
        if not patched["still_retired"]:
            console.print("Re-audit of the patched copies: no retired Microsoft range admitted.")


def _checked_options(outside: str | None, inside: str | None,
                     placement: str | None) -> Placement | None:
    """Interface names and the placement as given on the command line, or an InputError."""
    from hybridfw.audit.paths import as_placement
    from hybridfw.errors import InputError
    from hybridfw.topology import interface_name_problem

    for option, name in (("--outside-interface", outside), ("--inside-interface", inside)):
        if name is not None and (problem := interface_name_problem(name)):
            raise InputError(problem, field=option)
    return as_placement(placement, field="--placement")


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
        rulesets: Annotated[list[Path], typer.Argument(help="Ruleset file(s).")],
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
        placement: Annotated[str | None, typer.Option(
            "--placement", metavar="host|gateway",
            help="Where the firewall sits: host (it is the audited server: INPUT/OUTPUT) or "
                 "gateway (traffic is routed through it: FORWARD). Overrides the topology's; "
                 "without either, both paths are evaluated and the worst decides.")] = None,
        fixed_out: Annotated[Path | None, typer.Option(
            "--fixed-out", metavar="DIR", file_okay=False,
            help="Write a patched copy of each ruleset file (same name) into DIR: every line "
                 "kept, the missing accepts inserted where they take effect; re-audited until "
                 "nothing is missing (iptables, nft text, pfSense, OPNsense, FortiGate, SRX, "
                 "Windows exports).")] = None,
        remove_stale: Annotated[bool, typer.Option(
            "--remove-stale", help="With --fixed-out: also delete accept rules that admit only "
                                   "retired Microsoft ranges (a rule it cannot delete safely, e.g. "
                                   "an SRX policy, is named in a note with the reason), and take "
                                   "retired members out of the address groups / address-sets / "
                                   "aliases accept rules name (never out of a shared group).")] = False,
        alias_files: AliasFileOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        from hybridfw.audit import Interfaces, audit_files
        from hybridfw.audit.fix import fix_to_show
        from hybridfw.audit.stale_members import published_now
        from hybridfw.console import print_json
        from hybridfw.endpoints import load_current
        from hybridfw.flows import required_flows
        from hybridfw.model import exit_code_for
        from hybridfw.rulesets.alias_lists import alias_lists, read_alias_file
        from hybridfw.topology import load_topology

        chosen = _checked_options(outside, inside, placement)
        lists = [read_alias_file(spec) for spec in alias_files or []]
        topo = load_topology(topology)
        data = load_current(topo.instance)
        flows = required_flows(topo, data)
        interfaces = Interfaces.given(topo.firewall, outside, inside, chosen)
        with alias_lists(lists):
            result = audit_files(rulesets, flows, fmt=fmt, entry=entry, interfaces=interfaces)
            fixes = fix_to_show(result, flows, data)
            patched = (_fixed_out(rulesets, fixed_out, flows, fmt, entry, interfaces,
                                  remove_stale, published_now(data)) if fixed_out is not None else None)
        if json_out:
            doc = {**result.to_dict(), "format": result.format, "rules_to_add": fixes,
                   "data": data.summary()}
            print_json({**doc, "fixed_out": patched} if patched is not None else doc, "audit")
        else:
            _print_human(result, fixes, data)
            if patched is not None:
                _print_patched(patched)
        raise typer.Exit(exit_code_for(result.findings))
