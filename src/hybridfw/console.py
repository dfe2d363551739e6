"""Shared output plumbing for the CLI: consoles, JSON, findings tables, exit codes."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hybridfw.model import Finding, Severity, finding_order

if TYPE_CHECKING:
    from rich.console import Console

_out: Console | None = None
_err: Console | None = None


def out() -> Console:
    global _out
    if _out is None:
        from hybridfw.layout import make_console

        _out = make_console(highlight=False, soft_wrap=False)
    return _out


def err() -> Console:
    global _err
    if _err is None:
        from hybridfw.layout import make_console

        _err = make_console(stderr=True, highlight=False)
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
    """Findings as one block each: 'severity code subject', the message (wrapped at spaces
    only), each evidence line and the fix as whole lines (rule lines and commands are never
    wrapped or cut: they are copied). Text from rulesets and logs is escaped, so rich prints
    `[overrides]` or `[/bold]` in a rule comment instead of reading it as markup."""
    from rich.console import Group
    from rich.markup import escape

    from hybridfw.layout import Prose, WholeLines, whole

    parts: list[Any] = [WholeLines(whole(f"[bold]{escape(title)}[/]"))] if title else []
    for f in sorted(findings, key=finding_order):
        head = f"[{_STYLE[f.severity]}]{f.severity}[/]  {escape(f.code)}"
        parts.append(WholeLines(whole(head + (f"  {escape(f.subject)}" if f.subject else ""))))
        parts.append(Prose(f.message, indent=2))
        tail = [f"[dim]{escape(e)}[/]" for e in f.evidence]
        if f.fix:
            tail.append(f"[green]fix:[/] {escape(f.fix)}")
        parts.append(WholeLines(line for t in tail for line in whole(t, indent=2)))
    return Group(*parts)


def color_wanted(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    import os

    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR") and \
        os.environ.get("TERM") != "dumb"


def width() -> int:
    """The width to lay output out for: COLUMNS, else the terminal's, else 80."""
    return out().width


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
