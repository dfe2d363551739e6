"""Differential: the netfilter fast path (byte blocks, one bytes pattern, cached rows) gives exactly
the report of the general path (text lines, one Drop per line) on generated logs.

The logs mix every envelope the parser knows, IPv4 and IPv6, garbage, truncated and mangled lines
(control and non-ASCII characters, CR and CR LF line ends), in plain, BOM-prefixed, cp1252, UTF-16,
.gz and truncated .gz files, read in blocks small enough to cut lines anywhere.
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.drops import DATA, example_flows
from _support.hypo import examples
from _support.netfilter_lines import log_line
from hybridfw.drops import source
from hybridfw.drops.interface import DropsError
from hybridfw.drops.run import analyse_drops
from hybridfw.drops.times import TimeParser
from hybridfw.endpoints.snapshot import load_snapshot

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def outcome(path: Path, fast: bool, block: int, fmt: str, window: tuple[Any, Any]) -> object:
    with mock.patch.object(source, "BLOCK_BYTES", block):
        try:
            report = analyse_drops([str(path)], example_flows(), load_snapshot(), fmt=fmt, since=window[0],
                                   until=window[1], fast=fast)
        except DropsError as exc:
            return str(exc)
    return (report.to_dict(show_all=True),
            [(b.where, b.example, list(b.rules.items()), sorted(b.addresses)) for b in report.buckets])


@settings(max_examples=examples(60), deadline=None)
@given(lines=st.lists(log_line(), min_size=1, max_size=40), last_end=st.booleans(),
       container=st.sampled_from(("plain", "plain", "bom", "cp1252", "utf-16", "gz", "gz-cut")),
       block=st.sampled_from((1, 7, 64, 4096, 1 << 20)), fmt=st.sampled_from(("auto", "netfilter")),
       window=st.sampled_from(((None, None), ("Dec  1 06:00:00", None), (None, "2026-12-01T12:00:00Z"))))
def test_fast_path_matches_the_general_path(lines: list[str], last_end: bool, container: str, block: int,
                                             fmt: str, window: tuple[str | None, ...]) -> None:
    text = "".join(lines)
    if not last_end:
        text = text.rstrip("\r\n")
    encoding = {"bom": "utf-8-sig", "cp1252": "cp1252", "utf-16": "utf-16"}.get(container, "utf-8")
    data = text.encode(encoding, errors="replace")
    if container.startswith("gz"):
        data = gzip.compress(data)
        data = data[: max(10, len(data) * 2 // 3)] if container == "gz-cut" else data
    times = TimeParser()
    bounds = tuple(times(w) if w else None for w in window)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kern.log"
        path.write_bytes(data)
        fast = outcome(path, True, block, fmt, bounds)
        assert fast == outcome(path, False, block, fmt, bounds)


def test_fast_path_on_the_fixtures_and_the_benchmark_log(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from drops import generate  # the benchmark's own generator
    finally:
        sys.path.remove(str(BENCHMARKS))
    bench = tmp_path / "bench.log"
    generate(bench, 3000)
    gz = tmp_path / "bench.log.gz"
    gz.write_bytes(gzip.compress(bench.read_bytes()))
    for path in (*sorted(DATA.glob("*.log")), bench, gz):
        for block in (64, 1 << 20):
            report = outcome(path, True, block, "auto", (None, None))
            assert report == outcome(path, False, block, "auto", (None, None)), path
    assert not isinstance(outcome(bench, True, 1 << 20, "auto", (None, None)), str)


def test_time_caches_stay_bounded_and_change_nothing(tmp_path: Path) -> None:
    # rsyslog high-precision times differ on every line: a cache per distinct text grew with the
    # file (406 MiB on 1M lines); now it starts afresh when full, and the report is the same
    from hybridfw.drops import aggregate

    lines = [f"2026-11-30T{h:02d}:{m:02d}:{s:02d}.{u:06d}+01:00 gw kernel: HFW-DROP IN=eth0 OUT= "
             f"SRC=40.107.3.{u % 7} DST=203.0.113.10 LEN=60 PROTO=TCP SPT=40001 DPT=25 SYN\n"
             for h, m, s, u in ((h, m, s, h * 3600 + m * 60 + s) for h in (1, 9) for m in range(0, 60, 7)
                                for s in range(0, 60, 13))]
    path = tmp_path / "hp.log"
    path.write_text("".join(lines))
    window = (None, TimeParser()("2026-11-30T09:30:00+01:00"))
    unbounded = [outcome(path, fast, 1 << 20, "auto", window) for fast in (True, False)]
    with mock.patch.object(aggregate, "TIME_CACHE_LIMIT", 3), mock.patch.object(TimeParser, "cache_limit", 3):
        bounded = [outcome(path, fast, 1 << 20, "auto", window) for fast in (True, False)]
    assert bounded == unbounded
    assert not isinstance(unbounded[0], str) and unbounded[0] == unbounded[1]
    assert unbounded[0][0]["outside_window"] > 0  # type: ignore[index]
    parser = TimeParser()
    parser.cache_limit = 3
    texts = [line.split(" ", 1)[0] for line in lines]
    assert [parser(t) for t in texts] == [TimeParser()(t) for t in texts]
    assert len(parser._cache) <= 3
