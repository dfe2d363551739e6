"""The console script. It guards the CLI's own import and the moments `hybridfw.cli.main`'s
guard does not cover (its first instruction, an interrupt already being handled): Ctrl-C while
Python loads typer and rich exits 130 with one line, never a traceback."""

from __future__ import annotations

import sys

from hybridfw import __version__, exit_interrupted

# What `hybridfw --version` alone says, without the command line (the whole tree's answer).
VERSION_ONLY = (["--version"], ["-V"])


def main() -> None:
    try:
        # The version alone, without typer and the command tree: --version 535 -> 75 M instructions.
        if sys.argv[1:] in VERSION_ONLY and print_version():
            raise SystemExit(0)
        from hybridfw.cli import main as run

        run()
    except KeyboardInterrupt:
        exit_interrupted()


def print_version() -> bool:
    """The line `--version` prints, as the CLI writes it; False (nothing written) when stdout
    is missing or broken: the CLI then decides the outcome as it always did."""
    if sys.stdout is None:
        return False
    try:
        sys.stdout.write(f"hybridfw {__version__}\n")
        sys.stdout.flush()
    except OSError:
        return False
    return True
