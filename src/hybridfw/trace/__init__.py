"""Explain message-trace and log failures; compare observed Exchange Online senders with EOP.

`diagnose_files(paths)` reads each file in its own layout (auto-detected), diagnoses every
failure by its innermost recognised cause from the catalog, aggregates, and checks the sending
addresses it saw against the published EOP SMTP set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hybridfw.errors import InputError, TraceError
from hybridfw.trace.formats import by_name, detect, format_names

if TYPE_CHECKING:  # the rest loads with the first diagnosis: `trace --help` stays light
    from hybridfw.model import EndpointData
    from hybridfw.trace.aggregate import Aggregator
    from hybridfw.trace.interface import LogFormat
    from hybridfw.trace.report import FileReport, TraceReport

__all__ = ["diagnose_files", "format_names"]
log = logging.getLogger(__name__)


def _scan_file(path: Path, fmt: str, agg: Aggregator) -> tuple[FileReport, LogFormat]:
    from hybridfw.trace.report import FileReport
    from hybridfw.trace.source import read_sample

    try:
        sample = read_sample(path)
        layout = detect(sample) if fmt == "auto" else by_name(fmt)
        if fmt != "auto" and not layout.matches(sample):
            found = ", ".join(sample.header) or "none"
            raise TraceError(f"does not look like {fmt} (columns found: {found})")
        log.info("%s: %s layout, %s encoding", path, layout.name, sample.encoding)
        started = time.perf_counter()
        stats = layout.scan(sample, agg)
        log.info("%s: %d rows (%d skipped) in %.2f s", path, stats.rows, stats.skipped_rows,
                 time.perf_counter() - started)
    except (TraceError, UnicodeError) as exc:  # not ValueError: a bug must not look like bad input
        raise InputError(str(exc), path=str(path)) from exc
    except FileNotFoundError as exc:
        raise InputError("no such file", path=str(path)) from exc
    return FileReport(str(path), layout.name, sample.encoding, stats.rows, stats.skipped_rows), layout


def diagnose_files(paths: Iterable[Path | str], fmt: str = "auto", *, texts: Sequence[str] = (),
                   data: EndpointData | None = None) -> TraceReport:
    """Diagnose log files (and pasted error texts). Raises InputError for unreadable input.

    `data` is the endpoint data whose EOP set the observed senders are checked against;
    by default the current one (`hybridfw.endpoints.load_current()`).
    """
    from hybridfw.trace.aggregate import Aggregator
    from hybridfw.trace.catalog import load_catalog
    from hybridfw.trace.diagnose import direction_of
    from hybridfw.trace.interface import FailureGroup
    from hybridfw.trace.observed import judge_senders
    from hybridfw.trace.report import TraceReport

    if fmt != "auto" and fmt not in format_names():
        raise InputError(f"unknown format {fmt!r}; use auto or one of {', '.join(format_names())}",
                         field="format")
    agg = Aggregator(load_catalog())
    files: list[FileReport] = []
    rules: list[str] = []
    for path in paths:
        report, layout = _scan_file(Path(path), fmt, agg)
        files.append(report)
        if layout.sender_rule and layout.sender_rule not in rules:
            rules.append(layout.sender_rule)
    for number, text in enumerate(texts, 1):
        flat = " ".join(text.split())
        found = agg.diagnosis(flat)
        if found.entry is None and not found.chain:
            raise InputError("no status code or known error text in it", field=f"--text #{number}")
        agg.failure(FailureGroup(text=flat, status="text", hop=direction_of(flat),
                                 source=f"--text #{number}"))
    if agg.successes:
        agg.note(f"{agg.successes} line(s) carry only success statuses (2.x.x: delivered, queued, "
                 "accepted); they are not failures")
    senders = None
    if agg.senders:
        from hybridfw.endpoints import load_current

        senders = judge_senders(agg.senders, data or load_current())
    return TraceReport.build(files, agg, senders, rules)
