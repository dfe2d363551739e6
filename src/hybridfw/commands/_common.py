"""Option types shared by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one machine-readable JSON document.")]
TopologyOpt = Annotated[
    Path,
    typer.Option("--topology", "-t", help="Topology file (TOML) describing the on-premises side.",
                 dir_okay=False),
]
InstanceOpt = Annotated[
    str,
    typer.Option("--instance", "-i", help="Worldwide | USGovDoD | USGovGCCHigh | China."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict line.")]
