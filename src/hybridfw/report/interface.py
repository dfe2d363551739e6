"""The base class of a readiness-report renderer; one module per output format."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hybridfw.check.interface import ReadinessResult


class ReportRenderer(abc.ABC):
    """Turns one ReadinessResult into the text of one output format."""

    name: str = ""
    media_type: str = "text/plain; charset=utf-8"

    @abc.abstractmethod
    def render(self, result: ReadinessResult) -> str:
        """The whole document. Never raises on odd content: everything is escaped."""


def address_count(count: int) -> str:
    """Readable address counts: exact up to ten million, else a power of two (IPv6 sizes)."""
    if count < 10_000_000:
        return f"{count:,}"
    import math

    return f"≈2^{math.log2(count):.1f}"


def coverage_line(family: int, required: int, allowed: int, missing: int, stale: int) -> str:
    """'IPv4: 98,304 of 491,520 allowed (20%), 393,216 missing, 13,760 stale'."""
    share = f" ({100 * allowed / required:.0f}%)" if required else ""
    text = f"IPv{family}: {address_count(allowed)} of {address_count(required)} allowed{share}"
    if missing:
        text += f", {address_count(missing)} missing"
    if stale:
        text += f", {address_count(stale)} stale"
    return text
