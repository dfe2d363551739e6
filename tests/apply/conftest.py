"""Shared by the apply tests: the audit tests' namespace helpers, endpoint data in a store."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "audit"))  # netns_helpers, syn_probe.py
