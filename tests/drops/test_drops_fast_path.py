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
from hybridfw.drops import source
from hybridfw.drops.interface import DropsError
from hybridfw.drops.run import analyse_drops
from hybridfw.drops.times import TimeParser
from hybridfw.endpoints.snapshot import load_snapshot

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

SOURCES = ("40.107.3.4", "52.100.7.3", "40.95.90.67", "65.55.88.10", "198.51.100.7", "104.47.20.5",
           "2a01:0111:f403:c000:0000:0000:0000:0001", "2001:0db8:0077:0000:0000:0000:0000:0009",
           "999.1.1.1", "1.2.3", "::")
TARGETS = ("203.0.113.10", "203.0.113.20", "2001:0db8:0000:0000:0000:0000:0000:0010", "198.18.0.9",
           "40.92.5.6")
NOISE = ("\x1c", "\x0b", "\xa0", "é", "\u2028", "=", " ", "\t", "\x00", "]", "\r")


@st.composite
def packet(draw: st.DrawFn) -> str:
    src, dst = draw(st.sampled_from(SOURCES)), draw(st.sampled_from(TARGETS))
    if draw(st.booleans()):
        src, dst = dst, src  # outbound
    inout = draw(st.sampled_from(("IN=eth0 OUT=", "IN= OUT=eth0", "IN=eth0 OUT=eth1", "IN= OUT=")))
    mac = draw(st.sampled_from(("", "MAC=00:16:3e:01:02:03:00:16:3e:0a:0b:0c:08:00 ", "MAC= ")))
    proto = draw(st.sampled_from(("TCP", "UDP", "ICMP", "tcp", "SCTP")))
    port = draw(st.sampled_from(("25", "443", "587", "22", "025", "")))
    ports = f" SPT=40001 DPT={port}" if port else ""
    return (f"{inout} {mac}SRC={src} DST={dst} LEN=60 TOS=0x00 TTL=52 ID=7 DF PROTO={proto}{ports}"
            " WINDOW=64240 RES=0x00 SYN URGP=0")


@st.composite
def log_line(draw: st.DrawFn) -> str:
    day, second = draw(st.integers(1, 31)), draw(st.integers(0, 86_399))
    hms = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    when = draw(st.sampled_from((f"Dec {day:2d} {hms}", f"Nov {day:2d} {hms}", f"2026-12-01T{hms}+0000",
                                 f"2026-11-30T{hms}.123456+01:00")))
    prefix = draw(st.sampled_from(("HFW-DROP ", "nft in drop: ", "", "  spaced  ", "a=b ")))
    uptime = draw(st.sampled_from(("", "[812345.678901] ", "[    5.000001] ")))
    body = draw(packet())
    shape = draw(st.sampled_from(("syslog", "syslog", "syslog", "ulogd", "dmesg", "dmesg-T", "kmsg")))
    line = {"syslog": f"{when} gw kernel: {uptime}{prefix}{body}", "ulogd": f"{when} gw {prefix}{body}",
            "dmesg": f"{uptime}{prefix}{body}", "dmesg-T": f"[Tue Dec  1 {hms} 2026] {prefix}{body}",
            "kmsg": f"4,1234,1501005513,-;{prefix}{body}"}[shape]
    damage = draw(st.sampled_from(("none",) * 6 + ("cut", "noise", "garbage", "blank")))
    if damage == "cut":
        line = line[:draw(st.integers(0, len(line)))]
    elif damage == "noise":
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(st.sampled_from(NOISE)) + line[at:]
    elif damage == "garbage":
        line = draw(st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=40))
    elif damage == "blank":
        line = ""
    return line + draw(st.sampled_from(("\n",) * 8 + ("\r\n", "\r")))


def outcome(path: Path, fast: bool, block: int, fmt: str, window: tuple[Any, Any]) -> object:
    with mock.patch.object(source, "BLOCK_BYTES", block):
        try:
            report = analyse_drops([str(path)], example_flows(), load_snapshot(), fmt=fmt, since=window[0],
                                   until=window[1], fast=fast)
        except DropsError as exc:
            return str(exc)
    return (report.to_dict(show_all=True),
            [(b.where, b.example, list(b.rules.items()), sorted(b.addresses)) for b in report.buckets])


@settings(max_examples=60, deadline=None)
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
