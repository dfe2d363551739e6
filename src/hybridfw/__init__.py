"""hybridfw: firewall readiness for Exchange hybrid deployments with Exchange Online."""

__version__ = "0.1.0"

from hybridfw import native

native.install()  # compiled modules (hatch_build.py), unless pure Python is requested or they are stale
