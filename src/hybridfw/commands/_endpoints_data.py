"""What every `hybridfw endpoints` subcommand shares: the data home, the data in use, and
saying which data that is (label, age, a warning on stderr when it is stale)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hybridfw.model import EndpointData

ServiceUrlOpt = Annotated[
    str | None,
    typer.Option("--service-url", help="Base URL of the web service (default "
                 "https://endpoints.office.com, or $HYBRIDFW_SERVICE_URL).", show_default=False),
]


def home() -> Path:
    """The data home (HYBRIDFW_HOME or the platform's data directory)."""
    from hybridfw.paths import data_home

    return data_home()


def announce(data: EndpointData, json_mode: bool, *, to_stderr: bool = False) -> None:
    """Say which data is in use (stdout in text mode) and warn on stderr when it is stale."""
    from hybridfw.console import err, out, warn
    from hybridfw.endpoints import freshness_finding

    line = f"[dim]data:[/] {data.label}, {data.age_days()} days old"
    if not json_mode:
        (err() if to_stderr else out()).print(line, markup=True, highlight=False)
    elif to_stderr:
        err().print(line, markup=True, highlight=False)
    stale = freshness_finding(data)
    if stale is not None:
        warn(f"{stale.message}; {stale.fix}")


def current(instance: str) -> EndpointData:
    """The endpoint data in use for `instance` (the newest intact stored version, or the snapshot)."""
    from hybridfw.endpoints import load_current

    return load_current(instance, home())
