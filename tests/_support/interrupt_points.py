"""Ctrl-C at every point of a `python -m hybridfw ARGS...` start-up, deterministically.

Run as `python -m _support.interrupt_points [--every N] ARGS...` from tests/: it runs hybridfw as `-m` does
and, at each new point where the interpreter can deliver a signal (a function's entry, the
return of a builtin call in hybridfw's own code), keyed by the hybridfw frames on the stack and
the kind of code entered (hybridfw's, code built by exec() such as a dataclass's methods, any
other), it forks: the child raises KeyboardInterrupt right there and exits as the interpreter
makes it, the parent waits and goes on. One JSON object per point on stdout: where, `entry`
(the first instruction of hybridfw code the interpreter itself calls: the package, __main__,
an import hook; no guard can be entered before it), the exit status and stderr. A timed SIGINT
lands at such points too, but hits a narrow window once in hundreds of runs. `--every N`
samples: every Nth point, but always those at most three hybridfw frames deep (__main__, the
entry module and the CLI's main: where the guards are), in exec()'d code and in a class's
__set_name__ (where Python 3.11 wraps exceptions).
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from types import FrameType

MARK = f"{os.sep}hybridfw{os.sep}"
PARENT = os.getpid()


def _kind(frame: FrameType) -> str:
    name = frame.f_code.co_filename
    return "ours" if MARK in name else "exec" if name == "<string>" else "other"


def _stack(frame: FrameType | None) -> tuple[str, ...]:
    """The hybridfw frames on the stack, innermost first ('file:line')."""
    found = []
    while frame is not None:
        if MARK in frame.f_code.co_filename:
            found.append(f"{frame.f_code.co_filename.rsplit(MARK, 1)[1]}:{frame.f_lineno}")
        frame = frame.f_back
    return tuple(found)


def _always(frame: FrameType, stack: tuple[str, ...]) -> bool:
    return len(stack) <= 3 or _kind(frame) == "exec" or frame.f_code.co_name == "__set_name__"


def sweep(args: list[str], every: int = 1) -> None:
    seen: set[tuple[object, ...]] = set()
    report = os.fdopen(os.dup(1), "w")  # the report; hybridfw's own stdout goes to /dev/null
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)

    def at_point(frame: FrameType, event: str, _arg: object) -> None:
        if event not in ("call", "c_return") or (event == "c_return" and _kind(frame) != "ours"):
            return
        stack = _stack(frame)
        key = (event, _kind(frame), stack)
        if not stack or key in seen:
            return
        seen.add(key)
        if not _always(frame, stack) and len(seen) % every:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            os.dup2(write, 2)
            raise KeyboardInterrupt  # the child: a Ctrl-C right here
        os.close(write)
        with os.fdopen(read, encoding="utf-8", errors="replace") as err:
            text = err.read()
        _, status = os.waitpid(pid, 0)
        report.write(json.dumps({
            "where": f"{event} {frame.f_code.co_name} ({_kind(frame)}) in {' < '.join(stack)}",
            "entry": event == "call" and len(stack) == 1 and _kind(frame) == "ours",
            "status": os.waitstatus_to_exitcode(status), "stderr": text}) + "\n")
        report.flush()

    sys.argv = ["hybridfw", *args]
    sys.setprofile(at_point)
    try:
        runpy.run_module("hybridfw", run_name="__main__", alter_sys=True)
    except SystemExit:
        if os.getpid() != PARENT:
            raise  # a child exits as hybridfw made it
    finally:
        sys.setprofile(None)
    if os.getpid() == PARENT:
        report.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--every"]:
        sweep(sys.argv[3:], int(sys.argv[2]))
    else:
        sweep(sys.argv[1:])
