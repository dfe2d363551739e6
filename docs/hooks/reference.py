"""MkDocs hook: reference pages generated from the code, so they cannot drift from it.

Pages made here (under `reference/`): the command-line reference (every command's `--help`),
the platform list of `hybridfw rules`, and the diagnosis catalog of `hybridfw trace`.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import Any

import click
import typer.main
from mkdocs.structure.files import File, Files

from hybridfw.cli import app
from hybridfw.render import platforms
from hybridfw.trace.catalog import load_catalog


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _help_pages(command: click.Command, path: list[str]) -> list[tuple[str, str]]:
    ctx = click.Context(command, info_name=" ".join(path), terminal_width=100, max_content_width=100)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # typer's rich help prints instead of returning
        text = command.get_help(ctx)
    help_text = "\n".join(line.rstrip() for line in (out.getvalue() or text).splitlines())
    pages = [(" ".join(path), help_text.strip("\n"))]
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):  # type: ignore[attr-defined]
            sub = command.get_command(ctx, name)  # type: ignore[attr-defined]
            if sub is not None and not sub.hidden:
                pages += _help_pages(sub, [*path, name])
    return pages


def cli_reference() -> str:
    os.environ.update(COLUMNS="100", NO_COLOR="1", TERM="dumb")
    lines = ["# Command-line reference", "",
             "Generated from the commands themselves: this is exactly what `--help` prints.", ""]
    for name, text in _help_pages(typer.main.get_command(app), ["hybridfw"]):
        lines += [f"## `{name}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(lines)


def platform_reference() -> str:
    lines = ["# Platforms of `hybridfw rules`", "",
             "Every name is a value for `hybridfw rules --platform`.", "",
             "| platform | output |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in platforms().items()]
    return "\n".join(lines) + "\n"


def catalog_reference() -> str:
    lines = ["# Diagnosis catalog of `hybridfw trace`", "",
             "Generated from `src/hybridfw/data/diagnoses.toml`, the data `hybridfw trace` uses.", ""]
    for entry in load_catalog().entries:
        lines += [f"## `{entry.finding_code}`", ""]
        if entry.code:
            lines.append(f"- **Code**: `{entry.code}`")
        if entry.pattern:
            lines.append(f"- **Text pattern**: `{entry.pattern}`")
        if entry.event:
            lines.append(f"- **Message tracking event** (a row without error text): `{entry.event}`")
        lines += [f"- **Severity**: {entry.severity}", f"- **Cause**: {entry.cause}",
                  f"- **Fix**: {entry.fix}", f"- **Check with**: `{entry.check}`"]
        source = getattr(entry, "source", "")
        if source:
            lines.append(f"- **Source**: {source}")
        lines.append("")
    return "\n".join(lines)


PAGES = {
    "reference/cli.md": cli_reference,
    "reference/platforms.md": platform_reference,
    "reference/diagnoses.md": catalog_reference,
}


def on_files(files: Files, config: Any, **_: Any) -> Files:
    for uri, make in PAGES.items():
        files.append(File.generated(config, uri, content=make()))
    return files
