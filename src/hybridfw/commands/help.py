"""`hybridfw help [COMMAND]...`: the same text as `hybridfw COMMAND --help`."""

from __future__ import annotations

from typing import Annotated

import typer

TopicArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="[COMMAND]...", help="A command, e.g. `check` or `endpoints update`."),
]


def help_command(ctx: typer.Context, topic: TopicArg = None) -> None:
    """Show the help of a command (the text of `hybridfw COMMAND --help`); without one, the
    list of commands. Exit codes: 0 shown, 2 no such command."""
    from hybridfw.errors import InputError

    root = ctx.find_root()
    command = root.command
    path = [root.info_name or "hybridfw"]
    for name in topic or []:
        sub = getattr(command, "commands", {}).get(name)
        if sub is None:
            known = ", ".join(sorted(getattr(command, "commands", {})))
            raise InputError(f"no command '{' '.join([*path[1:], name])}'; commands: {known}",
                             field="COMMAND")
        command, path = sub, [*path, name]
    with type(ctx)(command, info_name=" ".join(path), parent=None,
                   help_option_names=["-h", "--help"]) as sub_ctx:
        typer.echo(command.get_help(sub_ctx))


def register(app: typer.Typer) -> None:
    app.command("help")(help_command)
