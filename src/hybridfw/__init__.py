"""hybridfw: firewall readiness for Exchange hybrid deployments with Exchange Online."""

__version__ = "0.1.0"

import sys

TYPE_CHECKING = False  # (no typing import at start-up)
if TYPE_CHECKING:
    from typing import NoReturn


def exit_interrupted() -> "NoReturn":
    """Ctrl-C: the one line and exit code 130, never a traceback (every guard ends here)."""
    sys.stderr.write("hybridfw: interrupted\n")
    # Under `python -m`, CPython dies by SIGINT at exit (status -2, not 130) when the last
    # exec()/eval() of a string ended in KeyboardInterrupt, caught or not (dataclasses and
    # namedtuple build their methods so): a no-op eval clears that.
    eval("None")
    raise SystemExit(130) from None


try:
    from hybridfw import native

    native.install()  # compiled modules (hatch_build.py), unless pure Python is requested or they are stale
except KeyboardInterrupt:  # Ctrl-C while the package loads (before hybridfw.entry's guard)
    exit_interrupted()
