"""`hybridfw serve` (feed server) and `hybridfw feeds export` (the same feeds as static files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hybridfw.commands._common import JsonOpt, TopologyOpt

feeds_app = typer.Typer(name="feeds", help="Address feeds per flow as static files.",
                        no_args_is_help=True)


def serve(
    topology: TopologyOpt,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port).", min=0, max=65535)] = 8080,
    refresh: Annotated[str, typer.Option(help="How often to poll the service: 1h, 30m, 90s or off.")] = "1h",
    notify_url: Annotated[str | None,
                          typer.Option(help="POST the diff as JSON here on a new version.")] = None,
    service_url: Annotated[str | None,
                           typer.Option(help="Endpoints service base URL (mirrors, tests).")] = None,
    drops: Annotated[list[Path] | None,
                     typer.Option("--drops", dir_okay=False, help="Firewall deny log (repeat): its "
                                  "Microsoft drops go into /report and /metrics (re-read at every "
                                  "data refresh).")] = None,
    strict_health: Annotated[bool, typer.Option(
        "--strict-health", help="/healthz answers 503 (not 200) when degraded.")] = False,
) -> None:
    """Serve address feeds per flow, the HTML report, /healthz and /metrics.

    Serves / (the list of feeds), /feeds/{flow}.txt|json (?family=4|6), /report, /healthz and
    /metrics, and keeps the data current in the background (safe-update guard; last good data
    kept on failure; at most one refresh an hour, as Microsoft asks; each refresh logged).

    Exit codes: 0 stopped cleanly (SIGINT/SIGTERM), 2 usage or input error.
    """
    import logging
    import sys

    from hybridfw.paths import data_home
    from hybridfw.serve.refresh import (
        RefreshSettings,
        check_notify_url,
        check_refresh_floor,
        parse_interval,
    )
    from hybridfw.serve.server import bind, prepare, serve_forever

    if service_url is not None:
        from hybridfw.endpoints.client import service_base_url

        service_url = service_base_url(service_url)  # a bad URL is a usage error now, not later
    settings = RefreshSettings(check_refresh_floor(parse_interval(refresh)),
                               check_notify_url(notify_url), service_url)
    state, app = prepare(topology, data_home(), settings, tuple(drops or ()))
    state.strict_health = strict_health
    logging.getLogger("hybridfw.serve").setLevel(logging.INFO)  # refreshes are always logged
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"hybridfw: serving {state.published.feeds.version} on "
                     f"http://{shown}:{sock.getsockname()[1]}/ (feeds: "
                     f"{', '.join(state.published.feeds.flow_ids)})\n")
    sys.stderr.flush()
    serve_forever(app, sock)


def export(
    directory: Annotated[Path, typer.Argument(file_okay=False, help="Directory to write the feeds to.")],
    topology: TopologyOpt,
    json_output: JsonOpt = False,
) -> None:
    """Write every feed (flow.txt, flow.v4.txt, flow.v6.txt, flow.json, ...) as static files with
    stable content; each file is written atomically and left alone when unchanged.

    Exit codes: 0 written, 2 usage or input error.
    """
    from hybridfw.console import out, print_json
    from hybridfw.serve.export import export_feeds

    written = export_feeds(directory, topology)
    if json_output:
        print_json(written.to_dict(), "feeds-export")
    else:
        out().print(f"{len(written.files)} feed files in {directory} "
                    f"({len(written.changed)} changed) for data {written.version}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    feeds_app.command("export")(export)
    app.add_typer(feeds_app)
