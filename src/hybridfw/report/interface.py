"""The base class of a readiness-report renderer; one module per output format."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hybridfw.check.interface import FamilyCoverage, ReadinessResult


class ReportRenderer(abc.ABC):
    """Turns one ReadinessResult into the text of one output format."""

    name: str = ""
    media_type: str = "text/plain; charset=utf-8"

    @abc.abstractmethod
    def render(self, result: ReadinessResult) -> str:
        """The whole document. Never raises on odd content: everything is escaped."""


def share(part: int, whole: int) -> str:
    """A percentage that never rounds a gap away: '<1%' and '>99%' where rounding would lie."""
    if not whole:
        return ""
    pct = 100 * part / whole
    if 0 < pct < 1:
        return "<1%"
    if 99 < pct < 100:
        return ">99%"
    return f"{pct:.0f}%"


def coverage_line(cov: FamilyCoverage) -> str:
    """'IPv4: 98,304 of 491,520 addresses allowed (20%), 393,216 missing, 13,760 stale'.

    One unit per line (hybridfw.counts): IPv4 addresses, IPv6 in /48 (or /64) blocks.
    """
    from hybridfw.counts import in_unit, unit_for

    fam = cov.family
    unit = unit_for(fam, max(cov.required, cov.allowed, cov.missing, cov.stale, cov.other))
    pct = share(cov.allowed, cov.required)
    text = (f"IPv{fam}: {in_unit(cov.allowed, unit)} of {in_unit(cov.required, unit)} {unit.name} "
            f"allowed{f' ({pct})' if pct else ''}")
    if cov.missing:
        text += f", {in_unit(cov.missing, unit)} missing"
    if cov.stale:
        text += f", {in_unit(cov.stale, unit)} stale"
    if cov.other:
        text += f", {in_unit(cov.other, unit)} other destinations"
    if cov.open_to_any:
        text += f"; open to any {'source' if cov.direction == 'inbound' else 'destination'}"
    return text
