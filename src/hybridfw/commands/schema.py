"""`hybridfw schema [COMMAND]`: the JSON Schema of a command's --json document."""

from __future__ import annotations

from typing import Annotated

import typer

CommandArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="[COMMAND]...",
                   help="The command, e.g. `check` or `endpoints show` (also `endpoints-show`)."),
]


def schema(command: CommandArg = None) -> None:
    """Print the JSON Schema (draft 2020-12) of one command's --json document; without a
    COMMAND, list the commands that have one.

    Every --json document is an object with "schema_version" first and, where the command
    uses endpoint data, that data described in "data". Exit codes: 0 printed, 2 no such schema.
    """
    import json
    import sys

    from hybridfw.errors import InputError
    from hybridfw.schemas import load_schema, schema_names

    if not command:
        sys.stdout.write("\n".join(n.replace("-", " ") for n in schema_names()) + "\n")
        return
    name = "-".join(part for word in command for part in word.split())
    found = load_schema(name)
    if found is None:
        raise InputError(f"no JSON schema for '{' '.join(command)}'; schemas: "
                         + ", ".join(n.replace("-", " ") for n in schema_names()), field="COMMAND")
    sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
