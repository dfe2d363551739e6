"""Run `hybridfw ...` in this process, the way `main()` runs it, capturing output and exit code.

Cheaper than a subprocess (no interpreter start-up: ~0.2 s of CPU a run), so most CLI tests use
it. A test keeps the real executable where the process boundary is what it checks: signals and
Ctrl-C, a real terminal (pty), start-up, the installed entry point.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

import hybridfw.console
from hybridfw.cli import main
from hybridfw.topology import set_allow_any


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_here(*args: str, env: Mapping[str, str | None] | None = None, stdin: bytes = b"") -> Ran:
    """`hybridfw *args` run by `main()` in this process as a fresh process would run it: its own
    stdout, stderr and stdin (`stdin` bytes; not a terminal), `env` changing the environment for
    the run (None: unset), consoles, logging and root options as at start-up. An exception
    `main()` lets through ends as it would in a process: its traceback on stderr, exit 1.
    Peers a test runs in this process log elsewhere (their records would reach this stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv, sys.stdin, sys.stdout, sys.stderr, dict(os.environ)
    _outer_stderr.append(sys.stderr)
    root = logging.getLogger()
    logging_before = root.handlers[:], root.level
    root.handlers = []  # as at start-up: the command configures logging to this run's stderr
    sys.argv = ["hybridfw", *args]
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    for name, value in (env or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _fresh_process_state()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    except Exception:  # what the interpreter does with it, so tests see it
        err.write(traceback.format_exc())
        code = 1
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr, environ = saved
        _outer_stderr.pop()
        root.handlers, level = logging_before
        root.setLevel(level)
        os.environ.clear()
        os.environ.update(environ)
        _fresh_process_state()
    return Ran(code, out.getvalue(), err.getvalue())


_outer_stderr: list[TextIO] = []  # the test's stderr while run_here() has replaced sys.stderr


def peer_stderr() -> TextIO:
    """Where a peer the test runs in this process writes its own errors: the test's stderr
    (captured by pytest), never the stderr of a command run_here() is running."""
    return _outer_stderr[-1] if _outer_stderr else sys.stderr


class PeerStderrHandler(logging.Handler):
    """A logging handler writing to peer_stderr() (for a peer's logger)."""

    def emit(self, record: logging.LogRecord) -> None:
        peer_stderr().write(self.format(record) + "\n")


def _fresh_process_state() -> None:
    """The process-wide state a command sets up: consoles (bound to the width, colour and
    streams of their first use) and the root `--allow-any`."""
    hybridfw.console._out = hybridfw.console._err = None  # a new process has none
    set_allow_any(False)


def _exit_code(exc: SystemExit) -> int:
    if isinstance(exc.code, str):  # sys.exit("message"): printed on stderr, exit 1
        sys.stderr.write(exc.code + "\n")
    return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
