"""The `hybridfw` command line: thin wiring from options to the core and back to exit codes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hybridfw import __version__, exit_interrupted
from hybridfw.commands import COMMANDS, NEEDS_ALL
from hybridfw.errors import EXIT_INPUT, HybridfwError

EXIT_CODES_HELP = (
    "Exit codes: 0 all good, 1 problems found, 2 usage or input error, 3 upstream/service error."
)


def make_app(only: str | None = None) -> typer.Typer:
    """The command tree: every command, or (`only`) just that one's module imported and
    registered, for a run of that command."""
    app = typer.Typer(
        name="hybridfw",
        help="Keep the firewall right for Exchange hybrid with Exchange Online.\n\n"
             + EXIT_CODES_HELP,
        no_args_is_help=True,
        add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for command in COMMANDS:
        if only is None or command.name == only:
            command.load()(app)
    return app


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        typer.echo(f"hybridfw {__version__}")
        if ctx.params.get("verbose"):  # --version -v: which modules run compiled (hatch_build.py)
            from hybridfw.native import describe

            for line in describe():
                typer.echo(line)
        raise typer.Exit(0)


def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                           help="Show the version.")
    ] = False,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, is_eager=True,  # read by --version -v
                          help="Log to stderr (-vv: debug; with --version: the compiled build).")
    ] = 0,
    allow_any: Annotated[
        bool, typer.Option("--allow-any", help="Accept topology addresses that open a flow to "
                           "(almost) everything (0.0.0.0/0, ::/0, /1-/7).")
    ] = False,
) -> None:
    from hybridfw.console import setup_logging

    setup_logging(verbose)
    if allow_any:
        from hybridfw.topology import set_allow_any

        set_allow_any(True)


ROOT_FLAGS = frozenset({"-v", "-vv", "-vvv", "--verbose", "--allow-any"})


def hoist_verbose(argv: list[str]) -> list[str]:
    """`hybridfw check -v ...` means `hybridfw -v check ...`: -v (and --allow-any) are root
    options, accepted anywhere before a `--`."""
    end = argv.index("--") if "--" in argv else len(argv)
    flags = [a for a in argv[:end] if a in ROOT_FLAGS]
    rest = [a for a in argv[:end] if a not in ROOT_FLAGS]
    return flags + rest + argv[end:]


def command_named(argv: list[str]) -> str | None:
    """The command `argv` (hoisted) runs when only root flags come before it, and it reads
    no other command (`hybridfw help` does): only its module need be imported."""
    rest = [a for a in argv if a not in ROOT_FLAGS]
    if not rest or argv.index(rest[0]) != len(argv) - len(rest) or rest[0] in NEEDS_ALL:
        return None
    return rest[0] if rest[0] in {c.name for c in COMMANDS} else None


def __getattr__(name: str) -> typer.Typer:
    """`hybridfw.cli.app`: the whole command tree (tests, the docs' reference pages)."""
    if name == "app":
        return make_app()
    raise AttributeError(name)


def main() -> None:
    try:
        argv = hoist_verbose(sys.argv[1:])
        # Lazy commands: a run imports only its command's module (one-rule audit -35 ms CPU of 230).
        make_app(command_named(argv))(args=argv, prog_name="hybridfw")
    except HybridfwError as exc:
        from hybridfw.console import error_line

        error_line(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        exit_interrupted()
    except SystemExit as exc:
        if exc.code == 130 and interrupt_caused(exc):  # typer ends a Ctrl-C with a silent exit 130
            exit_interrupted()
        raise
    except RuntimeError as exc:
        if interrupt_caused(exc):  # Python 3.11 wraps a Ctrl-C in a class's __set_name__ (dataclass fields)
            exit_interrupted()
        raise
    except (OSError, UnicodeError) as exc:
        # A file we could not read or write: one line naming it, never a traceback.
        from hybridfw.console import error_line

        error_line(os_error_text(exc))
        sys.exit(EXIT_INPUT)


def interrupt_caused(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is among the exceptions that led to `exc`."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def os_error_text(exc: BaseException) -> str:
    """'/srv/feeds/x.txt: Permission denied', not '[Errno 13] Permission denied: ...'."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        return f"{where}: {exc.strerror}" if where else exc.strerror
    return str(exc)


if __name__ == "__main__":
    main()
