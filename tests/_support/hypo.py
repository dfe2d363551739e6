"""Which Hypothesis profile this run uses, and example counts scaled to it.

`ci` (CI set, as in `.ci/run`, or HYPOTHESIS_PROFILE=ci) runs each property test's full count;
`dev` (the default, `make test-fast` and daily runs) caps the expensive ones so the fast tier
stays quick. CI always runs the full counts."""

from __future__ import annotations

import os

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")


def examples(ci: int, daily: int = 30) -> int:
    """`ci` examples under the ci profile, at most `daily` otherwise."""
    return ci if PROFILE == "ci" else min(ci, daily)
