"""The collection tests share the apply tests' data helpers and the audit tests' namespaces."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "apply"))
sys.path.insert(0, str(Path(__file__).parents[1] / "audit"))
