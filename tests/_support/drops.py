"""Shared pieces of the drops tests: the example topology's flows and a report runner."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from unittest import mock

from hybridfw.drops import native_rows, source
from hybridfw.drops.classify import Classifier, build_classifier
from hybridfw.drops.interface import DropsError
from hybridfw.drops.reference import HistoryVersion, UnlistedRange
from hybridfw.drops.report import DropsReport
from hybridfw.drops.run import analyse_drops
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import load_topology

TESTS = Path(__file__).resolve().parent.parent
DATA = TESTS / "data" / "drops"
TOPOLOGY = TESTS.parent / "examples" / "hybrid.toml"


@lru_cache(maxsize=1)
def example_flows() -> tuple[Flow, ...]:
    return tuple(required_flows(load_topology(TOPOLOGY), load_snapshot()))


def analyse(*paths: Path | str, fmt: str = "auto", firewall: tuple[str, ...] = ()) -> DropsReport:
    return analyse_drops([str(p) for p in paths], example_flows(), load_snapshot(), fmt=fmt,
                         firewall=firewall)


def rows(report: DropsReport) -> list[list[object]]:
    """(flow, class, block, count, rule) of every aggregate, sorted."""
    return sorted([b.flow, b.verdict.klass, b.source, b.count,
                   b.rules.most_common(1)[0][0] if b.rules else ""] for b in report.buckets)


def expected(fixture: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads(fixture.with_name(fixture.name.split(".")[0] + ".expected.json")
                                        .read_text(encoding="utf-8"))
    return doc


def native_outcome(paths: list[Path], native: bool, block: int, window: tuple[Any, Any]) -> object:
    """The whole report (plus each bucket's first drop, rules order and senders) read with the
    compiled netfilter scanner or with its pure reference (`add_rows`); the error text on bad input."""
    patches = [mock.patch.object(source, "BLOCK_BYTES", block)]
    if not native:
        patches.append(mock.patch.object(native_rows, "_nfscan", None))
    for patch in patches:
        patch.start()
    try:
        report = analyse_drops([str(p) for p in paths], example_flows(), load_snapshot(), since=window[0],
                               until=window[1])
    except DropsError as exc:
        return str(exc)
    finally:
        for patch in patches:
            patch.stop()
    return (report.to_dict(show_all=True),
            [(b.where, b.example, list(b.rules.items()), sorted(b.addresses)) for b in report.buckets])


_BUILT: dict[tuple[object, ...], tuple[EndpointData, Classifier]] = {}


def classifier_built_once(flow: Flow | None, current: EndpointData, history: tuple[HistoryVersion, ...],
                          unlisted: tuple[UnlistedRange, ...], port: int = 0) -> Classifier:
    """`build_classifier`, memoised on its inputs (it is a pure function of them; all are compared
    by value but `current`, by identity). The drops tests analyse the same few flows thousands of
    times: building their tables again each time was half of tests/drops' CPU time."""
    key = (flow, port, id(current), history, unlisted)
    found = _BUILT.get(key)
    if found is None or found[0] is not current:
        found = _BUILT[key] = (current, build_classifier(flow, current, history, unlisted, port))
    return found[1]
