"""Terminal report: verdict table, findings, rules to add, rendered with rich."""

from __future__ import annotations

import io

from hybridfw.check.interface import FlowReadiness, ReadinessResult, Verdict
from hybridfw.model import Severity
from hybridfw.report.interface import ReportRenderer, coverage_line

_VERDICT_STYLE = {Verdict.READY: "bold green", Verdict.AT_RISK: "bold yellow",
                  Verdict.NOT_CHECKED: "bold magenta", Verdict.BROKEN: "bold red"}


def _coverage_text(fr: FlowReadiness) -> str:
    if not fr.coverage:
        return "[dim]not audited by address[/]"
    parts = []
    for c in fr.coverage:
        if not c.required and not c.beyond:
            continue
        style = "red" if c.missing else "yellow" if c.stale else "green"
        parts.append(f"[{style}]{coverage_line(c)}[/]")
    return "\n".join(parts) or "[dim]names only[/]"


def verdict_text(fr: FlowReadiness) -> str:
    text = f"[{_VERDICT_STYLE[fr.verdict]}]{fr.verdict}[/]"
    return text + " [dim](allowed)[/]" if fr.waived and fr.verdict is Verdict.NOT_CHECKED else text


def unchecked_hint(result: ReadinessResult) -> str:
    """Why the overall verdict is *not checked* and how to decide it; '' when it is not."""
    # A flow that no step checked but whose findings already break it (a published drop in a
    # deny log) is decided: broken, not "nothing looked at it".
    open_flows = [f.flow.id for f in result.flows
                  if not f.checked_by and not f.waived and f.verdict is Verdict.NOT_CHECKED]
    if not open_flows:
        return ""
    return (f"Not checked: {', '.join(open_flows)}. Nothing looked at these flows: give the "
            "firewall ruleset (--firewall FILE) or --probe; or name the flows you leave out on "
            "purpose with --allow-unchecked FLOW.")


class TerminalReport(ReportRenderer):
    """`width`: the terminal's (COLUMNS or real width); the flows table becomes a list when it
    would not fit without cutting a line. `quiet`: only the verdict line."""

    name = "terminal"

    def __init__(self, color: bool = False, width: int = 80, quiet: bool = False) -> None:
        self.color = color
        self.width = width
        self.quiet = quiet

    def render(self, result: ReadinessResult) -> str:
        from rich.markup import escape

        from hybridfw.console import findings_table
        from hybridfw.layout import Column, WholeLines, make_console, table_or_list, whole

        buf = io.StringIO()
        con = make_console(file=buf, force_terminal=self.color, no_color=not self.color,
                      width=self.width, highlight=False, soft_wrap=True)
        if self.quiet:
            con.print(overall_line(result))
            return buf.getvalue()
        con.print(WholeLines(whole(
            f"[bold]hybridfw check[/] {escape(result.topology)}  ·  endpoint data "
            f"{escape(result.instance)} {escape(result.data_version)} "
            f"({result.data_age_days} days old)")))
        columns = (Column("flow"), Column("proto/ports"), Column("verdict"),
                   Column("coverage (addresses)", prose=True))
        rows = [[escape(fr.flow.id),
                 f"{fr.flow.direction} {fr.flow.protocol}/{','.join(str(p) for p in fr.flow.ports)}",
                 verdict_text(fr), _coverage_text(fr)] for fr in result.flows]
        con.print(table_or_list("Flows", columns, rows, self.width), soft_wrap=False)
        shown = [f for f in result.findings if f.severity >= Severity.WARNING]
        if shown:
            con.print(findings_table(shown), soft_wrap=False)
        if len(shown) < len(result.findings):
            con.print(f"[dim]{len(result.findings) - len(shown)} informational findings not shown "
                      "(--json or --html lists them all)[/]")
        for fix in result.fixes:
            con.print(f"[bold]Rules to add[/] to {escape(fix.firewall)} ({escape(fix.platform)}):")
            for name, text in fix.files.items():
                con.print(f"[dim]# {escape(name)}[/]")
                con.print(text, markup=False, highlight=False)
        hint = unchecked_hint(result)
        if hint:
            con.print(escape(hint), soft_wrap=False)
        con.print(overall_line(result))
        return buf.getvalue()


def overall_line(result: ReadinessResult) -> str:
    style = _VERDICT_STYLE[result.verdict]
    return f"Overall: [{style}]{result.verdict}[/]  (steps: {', '.join(result.steps)})"


