"""Readiness check: endpoint freshness, firewall audit, probes and traces → one verdict per flow."""

from __future__ import annotations

from hybridfw.check.interface import (
    DataVersion,
    FamilyCoverage,
    FlowReadiness,
    ReadinessResult,
    ReadinessStep,
    RuleFix,
    Verdict,
)
from hybridfw.check.run import run_check
from hybridfw.plugins import PlugIn

# The steps, in the order they run (each one's findings can inform the next).
STEPS: tuple[PlugIn[type[ReadinessStep]], ...] = (
    PlugIn("endpoint-freshness", "hybridfw.check.freshness", "FreshnessStep"),
    PlugIn("firewall-audit", "hybridfw.check.firewall", "FirewallStep"),
    PlugIn("probe", "hybridfw.check.probes", "ProbeStep"),
    PlugIn("trace", "hybridfw.check.traces", "TraceStep"),
    PlugIn("drops", "hybridfw.check.drops", "DropsStep"),
    PlugIn("connectors", "hybridfw.check.connectors", "ConnectorsStep"),
)

__all__ = ["STEPS", "DataVersion", "FamilyCoverage", "FlowReadiness", "ReadinessResult", "RuleFix", "Verdict",
           "run_check"]
