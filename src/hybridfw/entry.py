"""The console script. It guards the CLI's own import and the moments `hybridfw.cli.main`'s
guard does not cover (its first instruction, an interrupt already being handled): Ctrl-C while
Python loads typer and rich exits 130 with one line, never a traceback."""

from __future__ import annotations

from hybridfw import exit_interrupted


def main() -> None:
    try:
        from hybridfw.cli import main as run

        run()
    except KeyboardInterrupt:
        exit_interrupted()

