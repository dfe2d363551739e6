"""Shared pieces of the drops tests: the example topology's flows and a report runner."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from hybridfw.drops.report import DropsReport
from hybridfw.drops.run import analyse_drops
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.flows import required_flows
from hybridfw.model import Flow
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
