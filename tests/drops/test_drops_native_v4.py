"""Differential: IPv4 packets classed in C and BSD times read in C (`_nfscan_v4.h`) against Python.

The compiled scanner classes a packet itself when both addresses are IPv4 as `ipaddress` reads
them, and reads `Mmm dd hh:mm:ss` times itself. These tests draw addresses at every edge the C
look-ups decide on (each interval of each flow's tested set and of each classifier, +-1), IPv4
texts `ipaddress` refuses (leading zeros, 256, too few or many octets), every hook, in- and
outbound packets, and times at every edge of a date (day 0/32, hour 24, second 60, Feb 29/30,
the year rollback of a date more than a day ahead); the whole report must equal the pure path's.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.drops import example_flows, native_outcome
from _support.hypo import examples
from hybridfw.drops import native_rows
from hybridfw.drops.classify import build_classifier
from hybridfw.drops.native_rows import NativeRows
from hybridfw.drops.reference import shipped_history, stored_history, unlisted_ranges
from hybridfw.drops.times import TimeParser
from hybridfw.endpoints.snapshot import load_snapshot

if os.environ.get("HYBRIDFW_PURE", "") not in ("", "0") or not native_rows.available():
    pytest.skip("the compiled scanner is not loaded (test_drops_native.py says why)", allow_module_level=True)

ODD = ("040.107.3.4", "40.107.3.04", "40.107.3.256", "40.107.3", "40.107.3.4.5", "40.107.3.", ".40.107.3.4",
       "4000.1.1.1", "40..3.4", "0.0.0.0", "255.255.255.255", "00.1.2.3", "2a01:111:f403::1",
       "::ffff:1.2.3.4")


def _text(value: int) -> str:
    return ".".join(str(value >> shift & 255) for shift in (24, 16, 8, 0))


def _edges(intervals: list[tuple[int, int]]) -> set[int]:
    return {v for lo, hi in intervals for v in (lo - 1, lo, hi, hi + 1) if 0 <= v < 1 << 32}


@lru_cache(maxsize=1)
def edges() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """IPv4 texts at the edges of every interval C looks up: (classifiers' rows, flows' sets)."""
    data = load_snapshot()
    history, unlisted = shipped_history() + stored_history(data.instance), unlisted_ranges()
    rows: set[int] = set()
    sets: set[int] = set()
    for flow in example_flows():
        sets |= _edges(flow.sources.v4) | _edges(flow.destinations.v4)
        for port in flow.ports:
            classifier = build_classifier(flow, data, history, unlisted, port)
            rows |= _edges([(lo, hi) for lo, hi, _ in classifier.rows(4)])
    for port in (25, 443, 587):
        nomatch = build_classifier(None, data, history, unlisted, port)
        rows |= _edges([(lo, hi) for lo, hi, _ in nomatch.rows(4)])
    return tuple(_text(v) for v in sorted(rows)), tuple(_text(v) for v in sorted(sets))


@st.composite
def bsd_time(draw: st.DrawFn) -> str:
    month = draw(st.sampled_from(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                  "Dec", "Foo")))
    day = draw(st.sampled_from((0, 1, 9, 10, 28, 29, 30, 31, 32, 39)))
    hms = [draw(st.sampled_from(values)) for values in ((0, 13, 23, 24, 29), (0, 59, 60), (0, 59, 60))]
    width = draw(st.sampled_from(("{:2d}", "{:02d}")))
    return f"{month} {width.format(day)} {hms[0]:02d}:{hms[1]:02d}:{hms[2]:02d}"


@st.composite
def v4_line(draw: st.DrawFn) -> str:
    rows, sets = edges()
    remote = draw(st.one_of(st.sampled_from(rows), st.sampled_from(ODD)))
    local = draw(st.one_of(st.sampled_from(sets), st.sampled_from(("203.0.113.10", "198.18.0.9"))))
    src, dst = (remote, local) if draw(st.booleans()) else (local, remote)  # in- or outbound
    inout = draw(st.sampled_from(("IN=eth0 OUT=", "IN= OUT=eth0", "IN=eth0 OUT=eth1", "IN= OUT=")))
    when = draw(st.one_of(bsd_time(), st.sampled_from(("Dec  1 13:11:22", "Dec 31 23:59:59",
                                                        "Jan  1 00:00:00", "2026-12-01T13:11:22+00:00"))))
    port = draw(st.sampled_from(("25", "443", "587", "025", "22")))
    prefix, proto = draw(st.sampled_from(("A ", "B ", ""))), draw(st.sampled_from(("TCP", "udp")))
    return (f"{when} gw kernel: {prefix}{inout} SRC={src} DST={dst} LEN=60 PROTO={proto} SPT=4000 DPT={port}"
            " SYN\n")


@settings(max_examples=examples(100, 20), deadline=None)
@given(lines=st.lists(v4_line(), min_size=1, max_size=60), block=st.sampled_from((1, 80, 1 << 20)),
       small=st.booleans(),
       window=st.sampled_from(((None, None), ("Dec  1 06:00:00", None), (None, "Dec 31 23:59:59"),
                               ("Feb 28 00:00:00", "2026-12-01T13:11:22Z"))))
def test_ipv4_classed_in_c_as_in_python(lines: list[str], block: int, small: bool,
                                        window: tuple[str | None, str | None]) -> None:
    times = TimeParser()
    bounds = tuple(times(w) if w else None for w in window)
    limits = {"packet_limit": 2, "small_limit": 1} if small else {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kern.log"
        path.write_text("".join(lines), encoding="ascii")
        with mock.patch.dict(native_rows.LIMITS, limits):
            native = native_outcome([path, path], True, block, bounds)
            assert native == native_outcome([path, path], False, block, bounds)


def test_ipv4_packets_and_bsd_times_never_reach_python(tmp_path: Path) -> None:
    """The C paths are taken (so the differential tests above test them): valid IPv4 packets and
    BSD times make no `_packet` / `_time` call, and the report still equals the pure one."""
    rows, sets = edges()
    lines = [f"Dec  {1 + n % 9} 13:{n % 60:02d}:22 gw kernel: A IN=eth0 OUT= SRC={rows[n * 7 % len(rows)]} "
             f"DST={sets[n % len(sets)]} PROTO=TCP SPT=1 DPT={('25', '443')[n % 2]}\n" for n in range(300)]
    path = tmp_path / "kern.log"
    path.write_text("".join(lines), encoding="ascii")
    window = (TimeParser()("Dec  1 12:00:00"), None)  # Dec 3-9 are more than a day ahead: last year
    with mock.patch.object(NativeRows, "_packet", side_effect=AssertionError("IPv4 went to Python")), \
            mock.patch.object(NativeRows, "_time", side_effect=AssertionError("BSD time went to Python")):
        native = native_outcome([path], True, 1 << 20, window)
    assert native == native_outcome([path], False, 1 << 20, window)
    report = native[0]  # type: ignore[index]
    assert report["outside_window"] > 0 and len({d["class"] for d in report["drops"]}) >= 3


def test_odd_ipv4_texts_are_read_as_ipaddress_reads_them(tmp_path: Path) -> None:
    """A text `ipaddress` refuses is an unreadable record on both paths, never an IPv4 packet."""
    head = "Dec  1 13:11:22 gw kernel: "
    lines = [f"{head}IN=eth0 OUT= SRC={odd} DST=203.0.113.10 PROTO=TCP SPT=1 DPT=25\n" for odd in ODD]
    lines += [f"{head}IN= OUT=eth0 SRC=203.0.113.10 DST={odd} PROTO=TCP SPT=1 DPT=25\n" for odd in ODD]
    path = tmp_path / "kern.log"
    path.write_text("".join(lines), encoding="ascii")
    native = native_outcome([path], True, 1 << 20, (None, None))
    assert native == native_outcome([path], False, 1 << 20, (None, None))
    refused = [odd for odd in ODD if not _readable(odd)]
    assert "040.107.3.4" in refused and "0.0.0.0" not in refused
    assert native[0]["skipped"]["lines"] == 2 * len(refused)  # type: ignore[index]


def _readable(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def test_bsd_time_edges_are_read_as_time_parser_reads_them(tmp_path: Path) -> None:
    """Every edge of a BSD date, one sender /24 each (so each time shows as its bucket's first and
    last time): C reads exactly the texts TimeParser reads, to the same moment; the others are undated."""
    texts = [f"{month} {width.format(day)} {hms}" for month in ("Jan", "Feb", "Dec", "Foo")
             for day in (0, 1, 28, 29, 30, 31, 32) for width in ("{:2d}", "{:02d}")
             for hms in ("00:00:00", "23:59:59", "24:00:00", "13:60:00", "13:59:60")]
    lines = [f"{text} gw kernel: IN=eth0 OUT= SRC=198.{51 + n // 250}.{n % 250}.7 DST=203.0.113.10 PROTO=TCP "
             "SPT=1 DPT=25\n" for n, text in enumerate(texts)]
    path = tmp_path / "kern.log"
    path.write_text("".join(lines), encoding="ascii")
    window = (TimeParser()("Jan  1 00:00:00"), None)
    native = native_outcome([path], True, 1 << 20, window)
    assert native == native_outcome([path], False, 1 << 20, window)
    refused = sum(TimeParser()(text) is None for text in texts)
    assert 0 < refused < len(texts) and native[0]["undated"] == refused  # type: ignore[index]
