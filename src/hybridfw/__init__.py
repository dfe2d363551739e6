"""hybridfw: firewall readiness for Exchange hybrid deployments with Exchange Online."""

__version__ = "0.1.0"
