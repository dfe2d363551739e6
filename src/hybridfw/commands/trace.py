"""`hybridfw trace`: explain message-trace and log failures; observed vs published EOP senders.

Exit codes: 0 no failures found (every status final), 1 failures diagnosed or messages whose
outcome is not known yet, 2 input error.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hybridfw.commands._common import JsonOpt
from hybridfw.trace.formats import format_names

if TYPE_CHECKING:
    from hybridfw.trace.report import TraceReport

FilesArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Message trace exports (CSV, JSON, Graph), historical search reports, Exchange "
                   "MSGTRK/RECV/SEND/CONNECTLOG logs, Get-MessageTrackingLog CSV, NDR text.",
                   dir_okay=False, show_default=False),
]
FormatOpt = Annotated[
    str,
    typer.Option("--format", help=f"auto, or one of: {', '.join(format_names())}."),
]
TextOpt = Annotated[
    list[str] | None,
    typer.Option("--text", help="An error string or NDR text to diagnose (repeat for several).",
                 show_default=False),
]


def _short(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S}" if when else "-"


def _cause_table(report: TraceReport) -> Any:
    from rich.table import Table

    table = Table(title=f"{report.failures} failure(s) by cause", show_lines=True)
    for column in ("count", "category", "cause", "first / last seen", "targets / domains"):
        table.add_column(column, overflow="fold")
    for cause in report.causes:
        where = [f"{ip} ({n})" for ip, n in cause.target_ips.most_common(3)]
        where += [f"@{d} ({n})" for d, n in cause.domains.most_common(3)]
        table.add_row(str(cause.count), cause.entry.category,
                      f"[bold]{cause.entry.id}[/]\n{cause.entry.cause}\n[dim]{' -> '.join(cause.chain)}[/]",
                      f"{_short(cause.first_seen)}\n{_short(cause.last_seen)}", "\n".join(where) or "-")
    return table


def _print_senders(report: TraceReport) -> None:
    from hybridfw.console import out

    senders = report.senders
    if senders is None:
        return
    out().print(f"Observed Exchange Online senders: {senders.counted} counted, {senders.listed} in the "
                f"published SMTP set, {len(senders.unlisted)} outside it, {senders.not_counted} not counted "
                f"(checked against {senders.endpoint_data}).")
    for rule in report.sender_rules:
        out().print(f"  rule: {rule}")
    for sender in senders.unlisted:
        t = sender.tally
        out().print(f"  [yellow]{sender.ip}[/] {t.count}x {_short(t.first_seen)} .. {_short(t.last_seen)} "
                    f"({sender.rule}: {sender.evidence})")
    if senders.unlisted:
        out().print("To admit them, add to the topology file:\n" + senders.overrides_toml(),
                    markup=False)


def _print_fixes(report: TraceReport) -> None:
    from hybridfw.console import out
    from hybridfw.trace.report import check_command, flow_hint

    out().print("[bold]What to do[/] (top causes first):")
    for cause in report.causes:
        hint = flow_hint(cause)
        out().print(f"- [bold]{cause.entry.id}[/] ({cause.hop}): {cause.entry.fix_for(cause.hop)} "
                    f"Check: [green]{check_command(cause)}[/]"
                    + (f"\n  {hint}" if hint else ""))
        if cause.story:
            out().print(f"  e.g. {cause.story}", markup=False)


def _print_report(report: TraceReport) -> None:
    from hybridfw.console import out

    for file in report.files:
        out().print(f"{file.path}: {file.format}, {file.encoding}, {file.rows} row(s)"
                    + (f", {file.skipped_rows} skipped" if file.skipped_rows else ""))
    for note in report.notes:
        out().print(f"[yellow]note:[/] {note}")
    if report.causes:
        out().print(_cause_table(report))
        _print_fixes(report)
    elif report.undecided_count:
        out().print(f"No failures among the messages with a final status; {report.undecided_count} "
                    "message(s) have none yet (below): not an all-clear.")
    else:
        out().print("No failures found.")
    if report.undecided_count:
        finding = next(f for f in report.findings if f.code == "trace.undecided.status-not-final")
        out().print(f"[yellow]undecided:[/] {finding.message}. {finding.fix}")
        for line in finding.evidence:
            out().print(f"  {line}", markup=False)
    _print_senders(report)


def register(app: typer.Typer) -> None:
    @app.command("trace")
    def trace_command(files: FilesArg = None, fmt: FormatOpt = "auto", text: TextOpt = None,
                      json_out: JsonOpt = False) -> None:
        """Explain failures in message traces, reports and Exchange logs.

        Also checks the Exchange Online sending addresses seen in them against the published
        EOP list.

        Nested errors are diagnosed by their innermost cause (e.g. 4.4.101 wrapping Winsock
        10061 = connection refused on TCP 25). Exit codes: 0 no failures found, 1 failures
        diagnosed or messages without a final status (GettingStatus, None), 2 input error.
        """
        from hybridfw.console import print_json
        from hybridfw.errors import InputError
        from hybridfw.trace import diagnose_files

        if not files and not text:
            raise InputError("give at least one FILE or --text", field="FILE")
        report = diagnose_files(files or [], fmt, texts=text or ())
        if json_out:
            print_json({"exit_code": report.exit_code, **report.to_dict()}, "trace")
        else:
            _print_report(report)
        raise typer.Exit(report.exit_code)
