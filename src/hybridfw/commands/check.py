"""`hybridfw check`: one readiness verdict per flow, the findings behind it and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hybridfw.commands._common import AliasFileOpt, JsonOpt, QuietOpt, TopologyOpt

FirewallOpt = Annotated[
    list[Path] | None,
    typer.Option("--firewall", "-f", dir_okay=False,
                 help="Firewall ruleset to audit (repeat; files of one firewall, e.g. v4 and v6 dumps)."),
]
TraceOpt = Annotated[
    list[Path] | None,
    typer.Option("--trace", dir_okay=False, help="Message trace or protocol log to diagnose (repeat)."),
]
DropsOpt = Annotated[
    list[Path] | None,
    typer.Option("--drops", dir_okay=False, help="Firewall deny log to read (repeat; see `hybridfw "
                 "drops`): a dropped published Exchange Online source makes its flow broken."),
]
ConnectorsOpt = Annotated[
    list[Path] | None,
    typer.Option("--connectors", dir_okay=False, help="Exchange connector/certificate export to check "
                 "(repeat; see `hybridfw connectors`): findings join the smtp-inbound/-outbound flows."),
]
ProbeOpt = Annotated[bool, typer.Option("--probe", help="Also probe the on-premises SMTP/HTTPS endpoints.")]
AllowUncheckedOpt = Annotated[
    list[str] | None,
    typer.Option("--allow-unchecked", metavar="FLOW",
                 help="A flow you leave unchecked on purpose (repeat, or comma-separated): it "
                      "stays 'not checked' but no longer keeps the overall verdict from ready."),
]
HtmlOpt = Annotated[
    Path | None,
    typer.Option("--html", dir_okay=False, help="Also write a self-contained HTML report to this file."),
]


def check(topology: TopologyOpt, firewall: FirewallOpt = None, trace: TraceOpt = None,
          drops: DropsOpt = None, probe: ProbeOpt = False, allow_unchecked: AllowUncheckedOpt = None,
          html: HtmlOpt = None, json_output: JsonOpt = False, quiet: QuietOpt = False,
          connectors: ConnectorsOpt = None, alias_files: AliasFileOpt = None) -> None:
    """One readiness verdict per flow (ready / at risk / not checked / broken), with findings
    and fixes.

    A flow nothing checked (no firewall audit by address, no probe) is 'not checked', never
    ready; the overall verdict is ready only when every flow was checked and passed.

    Runs endpoint freshness, the flows, an audit of each firewall file, optional probes,
    traces and firewall deny logs (--drops; a dropped published source makes its flow broken),
    Exchange's own connectors and certificates (--connectors, as `hybridfw connectors` checks them),
    and prints the exact rules to add for the firewall's own platform. The audit
    decides interface matches with the topology's \\[firewall] outside_interface and
    inside_interface when given.

    Exit codes: 0 every flow ready, 1 problems found or flows not checked, 2 usage or input
    error.
    """
    import sys

    from hybridfw.check import run_check
    from hybridfw.report import renderer

    waived = frozenset(n.strip() for item in allow_unchecked or [] for n in item.split(",")
                       if n.strip())
    result = run_check(topology, firewalls=list(firewall or []), traces=list(trace or []),
                       probe=probe, allow_unchecked=waived, drops=list(drops or []),
                       connectors=list(connectors or []), alias_files=list(alias_files or []))
    if html is not None:
        from hybridfw.fileio import write_atomic

        html.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(html, renderer("html").render(result).encode())
    if json_output:
        sys.stdout.write(renderer("json").render(result))
    else:
        from hybridfw.console import color_wanted, width

        sys.stdout.write(renderer("terminal", color=color_wanted(), width=width(),
                                  quiet=quiet).render(result))
        if html is not None and not quiet:
            sys.stdout.write(f"HTML report written to {html}\n")
    sys.stdout.flush()
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
