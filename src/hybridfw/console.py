"""Shared output plumbing for the CLI: consoles, JSON, findings tables, exit codes."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hybridfw.errors import EXIT_OK, EXIT_PROBLEMS
from hybridfw.model import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console

_out: Console | None = None
_err: Console | None = None


def out() -> Console:
    global _out
    if _out is None:
        from rich.console import Console

        _out = Console(highlight=False, soft_wrap=False)
    return _out


def err() -> Console:
    global _err
    if _err is None:
        from rich.console import Console

        _err = Console(stderr=True, highlight=False)
    return _err


def print_json(doc: dict[str, Any], schema: str) -> None:
    """One JSON document on stdout: an object with `schema_version` first (that of the package's
    schema file `schema`, see hybridfw.schemas), stable keys, no colour, no wrapping."""
    from hybridfw.schemas import stamp

    doc = stamp(doc, schema)
    sys.stdout.write(json.dumps(doc, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    """A one-line warning on stderr (never on stdout, so --json output stays clean)."""
    from rich.markup import escape

    # soft_wrap: one warning stays one stderr line, whatever the terminal width.
    err().print(f"[yellow]warning:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)


def error_line(message: str) -> None:
    sys.stderr.write(f"hybridfw: error: {message}\n")
    sys.stderr.flush()


_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "bold red"}


def findings_table(findings: Iterable[Finding], title: str = "Findings") -> Any:
    """A rich table of findings. Their text comes from rulesets and logs, so it is escaped:
    rich prints `[overrides]` or `[/bold]` in a rule comment instead of reading it as markup."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("severity")
    table.add_column("code")
    table.add_column("subject")
    table.add_column("message / fix", overflow="fold")
    for f in sorted(findings, key=lambda f: (-f.severity, f.code)):
        text = escape(f.message)
        if f.evidence:
            text += "\n[dim]" + escape("; ".join(f.evidence)) + "[/]"
        if f.fix:
            text += f"\n[green]fix:[/] {escape(f.fix)}"
        table.add_row(f"[{_STYLE[f.severity]}]{f.severity}[/]", escape(f.code), escape(f.subject), text)
    return table


def exit_code_for(findings: Iterable[Finding]) -> int:
    """1 when any finding is an error (a problem to fix), else 0. Warnings inform only."""
    return EXIT_PROBLEMS if any(f.severity >= Severity.ERROR for f in findings) else EXIT_OK


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
