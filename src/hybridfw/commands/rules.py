"""`hybridfw rules`: firewall rules for the required flows, for one platform.

Exit codes: 0 rendered faithfully, 1 the output misses something (ERROR findings, e.g. IPv6 the
platform could not express), 2 bad topology / unknown platform / options.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hybridfw.commands._common import JsonOpt

if TYPE_CHECKING:
    from hybridfw.render import RenderResult

OptionalTopology = Annotated[
    Path | None,
    typer.Option("--topology", "-t", help="Topology file (TOML) describing the on-premises side.",
                 dir_okay=False),
]
PlatformOpt = Annotated[
    str | None, typer.Option("--platform", "-p", help="Target platform (see --list-platforms).")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", file_okay=False,
                              help="Write the files into this directory (atomically).")]
ListOpt = Annotated[bool, typer.Option("--list-platforms", help="List the platforms and exit.")]


def _list_platforms(json_out: bool) -> None:
    from rich.table import Table

    from hybridfw.console import out, print_json
    from hybridfw.render import platforms

    names = platforms()
    if json_out:
        print_json({"platforms": [{"name": n, "description": d} for n, d in names.items()]},
                   "rules-platforms")
        return
    table = Table(title=f"{len(names)} platforms")
    table.add_column("platform")
    table.add_column("output")
    for name, description in names.items():
        table.add_row(name, description)
    out().print(table)


def write_files(directory: Path, files: dict[str, str]) -> list[str]:
    """Each file via a temp file + os.replace; returns the paths written."""
    from hybridfw.errors import InputError
    from hybridfw.fileio import write_atomic

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output directory: {exc.strerror}",
                         path=str(directory), field="--out") from None
    written = []
    for name, text in sorted(files.items()):
        write_atomic(directory / name, text)
        written.append(str(directory / name))
    return written


def _show(result: RenderResult, written: list[str]) -> None:
    import sys

    from hybridfw.console import err, findings_table

    if written:
        sys.stdout.write("".join(f"wrote {path}\n" for path in written))
    else:
        # Raw writes: a console would wrap long rule lines at the terminal width.
        for name, text in sorted(result.files.items()):
            if len(result.files) > 1:
                sys.stdout.write(f"# ==> {name} <==\n")
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    if result.findings:
        err().print(findings_table(result.findings, title=f"{result.platform}: findings"))


def _document(result: RenderResult, data: Any, written: list[str]) -> dict[str, Any]:

    doc = result.to_dict()
    doc["data"] = data.summary()
    doc["written"] = written
    return doc


def register(app: typer.Typer) -> None:
    @app.command("rules")
    def rules_command(
        topology: OptionalTopology = None, platform: PlatformOpt = None, out_dir: OutOpt = None,
        list_platforms: ListOpt = False, json_out: JsonOpt = False,
    ) -> None:
        """Render firewall rules for the required flows on one platform.

        Without --out the files go to stdout; findings (IPv6 not expressible, names only given
        as FQDNs, ...) go to stderr. Exit codes: 0 rendered faithfully, 1 ERROR findings
        (the rules would miss traffic), 2 bad topology, platform or options.
        """
        from hybridfw.console import print_json
        from hybridfw.endpoints import load_current
        from hybridfw.errors import InputError
        from hybridfw.flows import required_flows
        from hybridfw.model import exit_code_for
        from hybridfw.render import render_flows
        from hybridfw.topology import load_topology

        if list_platforms:
            _list_platforms(json_out)
            return
        if topology is None or platform is None:
            raise InputError("--topology and --platform are required (or --list-platforms)")
        topo = load_topology(topology)
        data = load_current(topo.instance)
        result = render_flows(required_flows(topo, data), platform, data=data)
        written = write_files(out_dir, result.files) if out_dir is not None else []
        if json_out:
            print_json(_document(result, data, written), "rules")
        else:
            _show(result, written)
        raise typer.Exit(exit_code_for(result.findings))
