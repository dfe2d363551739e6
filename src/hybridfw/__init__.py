"""hybridfw: firewall readiness for Exchange hybrid deployments with Exchange Online."""

__version__ = "0.1.0"

import sys

try:
    from hybridfw import native

    native.install()  # compiled modules (hatch_build.py), unless pure Python is requested or they are stale
except KeyboardInterrupt:  # Ctrl-C while the package loads (before hybridfw.entry's guard): one line
    sys.stderr.write("hybridfw: interrupted\n")
    raise SystemExit(130) from None
