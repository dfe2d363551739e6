"""Read deny logs in their formats and aggregate their drops: `analyse_drops`."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from hybridfw.drops import by_name, detect, native_rows
from hybridfw.drops.aggregate import Aggregator
from hybridfw.drops.classify import Classifier, build_classifier
from hybridfw.drops.interface import BlockParser, DropsError, ParseStats
from hybridfw.drops.native_rows import NativeRows
from hybridfw.drops.netfilter import NetfilterLog
from hybridfw.drops.reference import shipped_history, stored_history, unlisted_ranges
from hybridfw.drops.report import DropsReport, FileSummary, build_report
from hybridfw.drops.source import LogInput, open_log
from hybridfw.model import EndpointData, Flow
from hybridfw.rulesets.lazy import gc_paused

if TYPE_CHECKING:
    from hybridfw.audit import Interfaces

log = logging.getLogger(__name__)


def _read(path: str, fmt: str, agg: Aggregator, fast: bool) -> FileSummary:
    with open_log(path) as source:
        parser = detect(source.head, source.name) if fmt == "auto" else by_name(fmt)
        log.info("%s: %s format, %s encoding", source.name, parser.name, source.encoding)
        started = time.perf_counter()
        stats = ParseStats()
        unreadable_before = agg.unreadable
        if fast and isinstance(parser, BlockParser) and source.blocks is not None:
            records = _read_blocks(parser, source, stats, agg)
        else:
            records = 0
            add = agg.add
            for drop in parser.parse(source.lines, stats):
                records += 1
                add(drop, stats, source.name)
        # A record whose addresses cannot be read is malformed, not a drop: never both.
        drops = records - (agg.unreadable - unreadable_before)
        log.info("%s: %d drop(s) in %.2f s", source.name, drops, time.perf_counter() - started)
        if drops == 0 and stats.other and not stats.not_drops and fmt == "auto":
            raise DropsError(f"no {parser.name} record in it", path=source.name)
        return FileSummary(source.name, parser.name, source.encoding, stats, drops, tuple(source.problems))


def _read_blocks(parser: BlockParser, source: LogInput, stats: ParseStats, agg: Aggregator) -> int:
    """The fast path: ASCII blocks through `parser.scan` and `agg.add_rows` (netfilter: the compiled
    `NativeRows` when built), other blocks line by line."""
    number = records = 0
    native = None
    if native_rows.usable(agg) and isinstance(parser, NetfilterLog):
        native = NativeRows(agg, parser.parse_line, source.name, stats)
    for block in source.blocks or ():
        if block.isascii():
            if native is not None:
                number, found = native.feed(block, number)
            else:
                rows = parser.scan(block)
                number, found = agg.add_rows(rows, number, source.name, stats, parser.parse_line)
            records += found
            continue
        if native is not None:
            native.flush()  # the lines below may add to buckets whose counts are still in C
        for line in block.decode(source.block_encoding, errors="replace").split("\n")[:-1]:
            number += 1
            drop = parser.parse_line(number, line, stats)
            if drop is not None:
                records += 1
                agg.add(drop, stats, source.name)
    if native is not None:
        native.finish()
    return records


def _promote() -> None:
    """Move every object the collector tracks to its oldest generation (freeze, then unfreeze):
    the buckets and caches made while it was paused are long-lived, and its first young
    collection after the pause walked them all (~2 % of benchmarks/drops.py). Not when something
    else froze objects: unfreezing would hand them back to the collector."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def analyse_drops(paths: Iterable[str], flows: Sequence[Flow], data: EndpointData, *,
                  fmt: str = "auto", since: datetime | None = None, until: datetime | None = None,
                  firewall: Sequence[str] = (), interfaces: Interfaces | None = None,
                  fast: bool = True) -> DropsReport:
    """Read every log in `paths` ("-" = standard input) and class its drops. DropsError on bad input.

    With `firewall` (ruleset files, one view), each Microsoft aggregate's first drop is replayed
    through the audit's evaluation: the deciding rule is named, and an accepting ruleset is a
    contradiction finding. `fast=False` reads every line the general way (the fast path's
    differential test compares both).
    """
    if fmt != "auto":
        by_name(fmt)
    history = shipped_history() + stored_history(data.instance)
    unlisted = unlisted_ranges()

    def classifier_for(flow: Flow | None, port: int) -> Classifier:
        return build_classifier(flow, data, history, unlisted, port)

    agg = Aggregator(flows, classifier_for, since=since, until=until)
    with gc_paused():  # millions of rows build caches and buckets, no cycles (perf: 20 % in gc)
        files = [_read(path, fmt, agg, fast) for path in paths]
        _promote()
    extra = []
    if firewall:
        from hybridfw.drops.firewall import firewall_findings

        extra = firewall_findings(list(agg.buckets.values()), flows, firewall, interfaces=interfaces)
    with gc_paused():  # sorting 100k buckets: gc passes over them were 7 % of benchmarks/drops.py
        return build_report(files, agg, data.label, extra)
