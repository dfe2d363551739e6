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
AliasFileOpt = Annotated[
    list[str] | None,
    typer.Option("--alias-file", metavar="NAME=FILE",
                 help="A local copy of the list a pfSense/OPNsense url or urltable alias NAME "
                      "downloads (one address, CIDR or range a line; # and ; start comments; "
                      "an empty list is an input error). Repeatable. Without it such an alias "
                      "is unknown."),
]
