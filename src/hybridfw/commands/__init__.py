"""One module per command (group), listed in `COMMANDS` in the order `hybridfw --help` shows them.

Each module exposes `register(app)` and imports heavy modules lazily (inside the command).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hybridfw.plugins import PlugIn

if TYPE_CHECKING:
    import typer

    Register = Callable[[typer.Typer], None]

COMMANDS: tuple[PlugIn[Register], ...] = (
    PlugIn("endpoints", "hybridfw.commands.endpoints", "register"),
    PlugIn("flows", "hybridfw.commands.flows", "register"),
    PlugIn("rules", "hybridfw.commands.rules", "register"),
    PlugIn("audit", "hybridfw.commands.audit", "register"),
    PlugIn("probe", "hybridfw.commands.probe", "register"),
    PlugIn("trace", "hybridfw.commands.trace", "register"),
    PlugIn("check", "hybridfw.commands.check", "register"),
    PlugIn("serve", "hybridfw.commands.serve", "register"),
    PlugIn("drops", "hybridfw.commands.drops", "register"),
    PlugIn("connectors", "hybridfw.commands.connectors", "register"),
    PlugIn("apply", "hybridfw.commands.apply", "register"),
    PlugIn("schema", "hybridfw.commands.schema", "register"),
    PlugIn("help", "hybridfw.commands.help", "register"),
)

# Commands that read the whole command tree (`hybridfw help audit` shows audit's help): a run
# of any other command registers only that command (hybridfw.cli.make_app).
NEEDS_ALL = frozenset({"help"})
