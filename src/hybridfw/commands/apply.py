"""`hybridfw apply`: keep a Linux gateway's own kernel sets holding the flows' Microsoft addresses.

Exit codes: 0 applied, unchanged or dry run, 1 refused (stale data or the removal guard: the
kernel is left as it was), 2 usage or input error, 3 nft/ipset missing or failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hybridfw.commands._common import JsonOpt, TopologyOpt

if TYPE_CHECKING:
    from hybridfw.apply import ApplyResult

HELP = """Keep one kernel set per flow and family (smtp_inbound_v4, smtp_inbound_v6, ...) holding
the Microsoft addresses of that flow, from the newest endpoint data.

--nft (the default) keeps nftables sets in one table (--table FAMILY NAME, default inet hybridfw),
created on the first run, replaced in one atomic `nft -f` transaction; other tables are never
touched. --ipset keeps hash:net ipsets (named --ipset-prefix + set name) filled as scratch sets
and swapped in. Either way no set is ever empty while it changes. Your own rules match the
sets, e.g. `ip saddr @smtp_inbound_v4 tcp dport 25 accept`.

Nothing reaches the kernel when the data is older than --max-age days or when it would remove
more than --max-removal percent of what a set holds now (the update guard; --force overrides
the removal check only). When the kernel already holds the data nothing is loaded
("unchanged"). --dry-run prints the transaction instead of loading it.

Exit codes: 0 applied, unchanged or dry run, 1 refused (kernel left as it was), 2 usage or
input error, 3 nft/ipset missing or failed."""


def _show(result: ApplyResult) -> None:
    import sys

    from rich.markup import escape
    from rich.table import Table

    from hybridfw.console import err, findings_table, out

    if result.status == "dry-run":
        sys.stdout.write(result.transaction)
        sys.stdout.flush()
        console = err()
    else:
        console = out()
    table = Table(title=f"{result.backend} {result.target}: {result.status}")
    for column in ("set", "flow", "addresses", "added", "removed"):
        table.add_column(column)
    for s, c in zip(result.sets, result.changes, strict=True):
        table.add_row(s.name, s.flow, str(len(s.cidrs())),
                      str(len(c.added.to_cidrs(c.family))) + ("" if c.present else " (new set)"),
                      str(len(c.removed.to_cidrs(c.family))))
    console.print(table)
    for reason in result.reasons:
        console.print(f"[bold red]refused:[/] {escape(reason)}")
    if result.findings:
        err().print(findings_table(result.findings, title="apply: findings"))


def register(app: typer.Typer) -> None:
    @app.command("apply", help=HELP)
    def apply_command(
        topology: TopologyOpt,
        nft: Annotated[bool, typer.Option("--nft", help="nftables sets (the default).")] = False,
        ipset: Annotated[bool, typer.Option("--ipset", help="ipset hash:net sets.")] = False,
        table: Annotated[tuple[str, str], typer.Option(
            "--table", metavar="FAMILY NAME", help="nft table, e.g. --table inet filter.")
        ] = ("inet", "hybridfw"),
        prefix: Annotated[str, typer.Option("--ipset-prefix", help="Prefix of the ipset names.")] = "hfw_",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the transaction; load nothing.")
                           ] = False,
        max_age: Annotated[int, typer.Option("--max-age", min=0, metavar="DAYS",
                                             help="Refuse endpoint data older than this.")] = 35,
        max_removal: Annotated[float, typer.Option(
            "--max-removal", min=0.0, max=100.0,
            help="Refuse to remove more than this percent of a set's addresses.")] = 20.0,
        force: Annotated[bool, typer.Option("--force", help="Apply even past the removal guard.")] = False,
        json_out: JsonOpt = False,
    ) -> None:
        from hybridfw.apply import BACKENDS, ApplyOptions, apply_sets, backend_named
        from hybridfw.console import print_json
        from hybridfw.endpoints import load_current
        from hybridfw.errors import EXIT_OK, EXIT_PROBLEMS, InputError
        from hybridfw.flows import required_flows
        from hybridfw.topology import load_topology

        if nft and ipset:
            raise InputError("choose one of " + " and ".join(f"--{p.name}" for p in BACKENDS))
        backend = backend_named("ipset" if ipset else BACKENDS[0].name)
        topo = load_topology(topology)
        data = load_current(topo.instance)
        options = ApplyOptions(dry_run=dry_run, max_age_days=max_age, max_removal=max_removal,
                               force=force)
        result = apply_sets(data, required_flows(topo, data), backend,
                            prefix if ipset else " ".join(table), options)
        if json_out:

            print_json({**result.to_dict(), "data": data.summary()}, "apply")
        else:
            _show(result)
        raise typer.Exit(EXIT_PROBLEMS if result.status == "refused" else EXIT_OK)
