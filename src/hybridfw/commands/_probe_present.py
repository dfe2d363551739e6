"""Human and JSON views of probe results (one document for any number of targets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hybridfw.model import Finding
from hybridfw.probe.interface import ProbeResult

_STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def all_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    return [f for r in results for f in r.findings]


def json_document(command: str, results: Sequence[ProbeResult],
                  about_run: Sequence[Finding] = ()) -> dict[str, Any]:
    """Stable keys: command, ok, targets, results[], findings[] (all targets, flattened, then
    `about_run`: what the run itself left out, e.g. a topology's ranges)."""
    findings = all_findings(results) + list(about_run)
    return {
        "command": command,
        "ok": all(r.ok for r in results),
        "targets": [r.target for r in results],
        "results": [r.to_dict() for r in results],
        "findings": [f.to_dict() for f in findings],
    }


def _steps_table(result: ProbeResult) -> Any:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("step")
    table.add_column("result")
    table.add_column("ms", justify="right")
    table.add_column("detail", overflow="fold")
    for step in result.steps:
        style = _STATUS_STYLE[step.status]
        ms = f"{step.elapsed_ms:.1f}" if step.elapsed_ms else ""
        table.add_row(step.name, f"[{style}]{step.status}[/]", ms, step.detail)
    return table


def print_results(results: Sequence[ProbeResult], *, transcript: bool = True,
                  about_run: Sequence[Finding] = ()) -> None:
    from rich.markup import escape

    from hybridfw.console import findings_table, out

    console = out()
    for result in results:
        verdict = "[green]OK[/]" if result.ok else "[bold red]PROBLEMS[/]"
        via = f" via {result.address}" if result.address else ""
        console.print(f"\n[bold]{result.kind} {escape(result.target)}[/]{escape(via)}: {verdict} "
                      f"({result.elapsed_ms:.0f} ms)")
        console.print(_steps_table(result))
        cert = result.facts.get("certificate")
        if cert:
            names = ", ".join(cert["dns_names"]) or "(no SAN)"
            console.print(escape(f"certificate: {cert['subject'] or '(empty subject)'}; names {names}; "
                                 f"issuer {cert['issuer']}; valid until {cert['not_after'][:10]}; "
                                 f"thumbprint {cert['thumbprint']}"))
        if transcript and result.transcript:
            console.print("[bold]transcript[/]")
            for line in result.transcript:
                console.print(f"[dim]{escape(line.render())}[/]")
    findings = all_findings(results) + list(about_run)
    if findings:
        console.print(findings_table(findings, title="Probe findings"))
    else:
        console.print("\n[green]All steps passed.[/]")
