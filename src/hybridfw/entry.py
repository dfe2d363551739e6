"""The console script. It guards the CLI's own import too: Ctrl-C while Python loads typer and
rich exits 130 with one line, never a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from hybridfw.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("hybridfw: interrupted\n")
        raise SystemExit(130) from None
    run()
