"""`hybridfw drops`: what did the firewall drop that Microsoft sent?

Exit codes: 0 nothing Microsoft sends for a required flow was dropped, 1 something was (or
could not be ruled out), 2 input error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from hybridfw.commands._common import JsonOpt, TopologyOpt
from hybridfw.drops import format_names

if TYPE_CHECKING:
    from hybridfw.drops.report import DropsReport

FilesArg = Annotated[
    list[str],
    typer.Argument(help="Deny logs (plain or .gz); '-' reads standard input.", show_default=False),
]
FormatOpt = Annotated[
    str,
    typer.Option("--format", help=f"auto, or one of: {', '.join(format_names())}."),
]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Only drops at or after this ISO time "
                                              "(UTC unless it names a zone).", show_default=False)]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Only drops at or before this ISO time.",
                                              show_default=False)]
FirewallOpt = Annotated[
    list[str] | None,
    typer.Option("--firewall", help="Ruleset file(s) to replay each Microsoft drop through (the audit's "
                 "evaluation): names the dropping rule, flags 'the audit says allowed'. Repeat for "
                 "e.g. iptables-save + ip6tables-save.", show_default=False),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Also list not-microsoft sources (counted either way).")]


def _when(text: str | None, option: str) -> datetime | None:
    from hybridfw.errors import InputError

    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"not an ISO date/time: {text!r}", field=option) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _short(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S}" if when else "-"


def _print(report: DropsReport, show_all: bool) -> None:
    from rich.table import Table

    from hybridfw.console import findings_table, out

    for file in report.files:
        s = file.stats
        out().print(f"{file.name}: {file.format}, {file.drops} drop(s), {s.not_drops} allowed record(s), "
                    f"{s.other} other line(s), {s.malformed} unreadable", markup=False)
    counts = ", ".join(f"{klass} {n}" for klass, n in report.counts().items())
    out().print(f"Drops on required flows by class: {counts}; {report.unrelated} drop(s) on no "
                f"required flow. Compared with {report.endpoint_data}.", markup=False)
    table = Table(title="Dropped sources by flow and class", show_lines=True)
    columns = ["flow", "class", "source block", "count", "first / last seen", "rule", "set"]
    with_firewall = any(b.firewall for b in report.buckets)
    for column in columns + (["--firewall says"] if with_firewall else []):
        table.add_column(column, overflow="fold")
    for b in report.buckets:
        if b.verdict.klass == "not-microsoft" and not show_all:
            continue
        table.add_row(b.flow, b.verdict.klass, b.source, str(b.count),
                      f"{_short(b.first_seen)}\n{_short(b.last_seen)}",
                      b.rules.most_common(1)[0][0] if b.rules else "-", b.verdict.set_name or "-",
                      *([b.firewall or "-"] if with_firewall else []))
    if table.row_count:
        out().print(table)
    out().print(findings_table(report.findings))


def register(app: typer.Typer) -> None:
    @app.command("drops")
    def drops_command(files: FilesArg, topology: TopologyOpt, fmt: FormatOpt = "auto",
                      since: SinceOpt = None, until: UntilOpt = None, firewall: FirewallOpt = None,
                      show_all: AllOpt = False, json_out: JsonOpt = False) -> None:
        """Read firewall deny logs and class every dropped source Microsoft may have sent.

        Each drop is tied to a required flow of the topology (protocol, port, on-premises
        address) and its Microsoft end is classed: published (error), published-elsewhere,
        exchange-unlisted, retired (warnings) or not-microsoft (counted). Formats are
        auto-detected: netfilter LOG lines (kernel log, syslog, dmesg, journalctl, -o json),
        Cisco ASA, PAN-OS CSV, pfSense/OPNsense filterlog, FortiGate, Windows pfirewall.log.
        Exit codes: 0 nothing Microsoft sends for a required flow was dropped, 1 something was
        (or unreadable lines may hide it), 2 input error.
        """
        from hybridfw.audit import Interfaces
        from hybridfw.console import print_json
        from hybridfw.drops.run import analyse_drops
        from hybridfw.endpoints import load_current
        from hybridfw.flows import required_flows
        from hybridfw.topology import load_topology

        window = _when(since, "--since"), _when(until, "--until")
        topo = load_topology(topology)
        data = load_current(topo.instance)
        report = analyse_drops(files, required_flows(topo, data), data, fmt=fmt,
                               since=window[0], until=window[1], firewall=firewall or (),
                               interfaces=Interfaces.given(topo.firewall))
        if json_out:

            print_json({**report.to_dict(show_all=show_all), "data": data.summary()}, "drops")
        else:
            _print(report, show_all)
        raise typer.Exit(report.exit_code)
