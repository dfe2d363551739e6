"""Collects a probe's steps, transcript, facts and findings while it runs, then freezes them.

Every step runs under its own deadline (`asyncio.timeout`), so a peer that stalls or trickles
bytes is cut off after the probe's timeout instead of holding the probe open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from hybridfw.model import Finding, Severity
from hybridfw.probe.interface import (
    EXCHANGE_LIKELY_PREFIX,
    EXCHANGE_PREFIX,
    ProbeResult,
    Speaker,
    Step,
    StepStatus,
    TranscriptLine,
)

log = logging.getLogger(__name__)


class StepFailure(Exception):
    """A step failed in a way that ends the conversation; carries the finding to report."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


@dataclass
class StepHandle:
    """What the body of a step sets: its outcome and a short detail for the steps table."""

    status: StepStatus = "pass"
    detail: str = ""


class Recorder:
    def __init__(self, kind: str, target: str) -> None:
        self.kind = kind
        self.target = target
        self.address = ""
        self.port = 0
        self.facts: dict[str, Any] = {}
        self.current = ""  # the step running now (or last run), to name where a peer stalled
        self._steps: list[Step] = []
        self._findings: list[Finding] = []
        self._transcript: list[TranscriptLine] = []
        self._started = time.perf_counter()

    def _now_ms(self) -> float:
        return (time.perf_counter() - self._started) * 1000.0

    def line(self, direction: Speaker, text: str) -> None:
        self._transcript.append(TranscriptLine(direction, text, self._now_ms()))

    def add(self, finding: Finding) -> None:
        self._findings.append(finding)

    def finding(self, severity: Severity, code: str, message: str, *, fix: str = "",
                exchange: str = "", evidence: tuple[str, ...] = ()) -> Finding:
        """Record a finding about this target; `exchange` is the text Exchange Online would show."""
        ev = ((EXCHANGE_PREFIX + exchange,) if exchange else ()) + evidence
        found = Finding(severity, code, message, ev, fix, self.target)
        self._findings.append(found)
        return found

    def fail(self, code: str, message: str, *, fix: str = "", exchange: str = "",
             evidence: tuple[str, ...] = (), likely: bool = False) -> StepFailure:
        """An error finding, returned as an exception to raise and end the conversation.

        `likely`: the Exchange Online text is the likely one, not a certainty (an ICMP reject)."""
        prefix = EXCHANGE_LIKELY_PREFIX if likely else EXCHANGE_PREFIX
        ev = ((prefix + exchange,) if exchange else ()) + evidence
        return StepFailure(Finding(Severity.ERROR, code, message, ev, fix, self.target))

    def add_step(self, name: str, status: StepStatus, detail: str = "") -> None:
        """A step that is a judgement on what was already seen, not a wait: no time of its own."""
        self._steps.append(Step(name, status, 0.0, detail))

    @asynccontextmanager
    async def step(self, name: str, timeout: float) -> AsyncIterator[StepHandle]:
        """Time one step under a deadline. A timeout or failure marks the step failed and propagates."""
        handle = StepHandle()
        self.current = name
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                yield handle
        except BaseException:
            handle.status = "fail"
            raise
        finally:
            elapsed = (time.perf_counter() - started) * 1000.0
            self._steps.append(Step(name, handle.status, elapsed, handle.detail))
            log.debug("%s %s: step %s %s in %.1f ms %s", self.kind, self.target, name, handle.status,
                      elapsed, handle.detail)

    def result(self) -> ProbeResult:
        log.info("%s %s: %d steps, %d findings in %.1f ms", self.kind, self.target, len(self._steps),
                 len(self._findings), self._now_ms())
        return ProbeResult(
            kind=self.kind, target=self.target, address=self.address, port=self.port,
            steps=tuple(self._steps), transcript=tuple(self._transcript),
            findings=tuple(self._findings), facts=dict(self.facts), elapsed_ms=self._now_ms(),
        )
