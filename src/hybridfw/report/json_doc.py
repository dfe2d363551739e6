"""JSON report: the result's stable dictionary, one document."""

from __future__ import annotations

import json

from hybridfw.check.interface import ReadinessResult
from hybridfw.report.interface import ReportRenderer


class JsonReport(ReportRenderer):
    name = "json"
    media_type = "application/json"

    def render(self, result: ReadinessResult) -> str:
        from hybridfw.schemas import stamp

        return json.dumps(stamp(result.to_dict(), "check"), indent=2, ensure_ascii=False) + "\n"


