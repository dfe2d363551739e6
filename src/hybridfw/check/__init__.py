"""Readiness check: endpoint freshness, firewall audit, probes and traces → one verdict per flow."""

from __future__ import annotations

from hybridfw.check.interface import (
    DataVersion,
    FamilyCoverage,
    FlowReadiness,
    ReadinessResult,
    RuleFix,
    Verdict,
)
from hybridfw.check.run import run_check

__all__ = ["DataVersion", "FamilyCoverage", "FlowReadiness", "ReadinessResult", "RuleFix", "Verdict",
           "run_check"]
