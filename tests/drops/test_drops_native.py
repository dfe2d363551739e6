"""Differential: the compiled netfilter scanner (`hybridfw.drops._nfscan`) against its Python reference.

`_nfscan.rows` must give `netfilter._ROWS.findall` group for group on any bytes; `Tally` (used by
`native_rows.NativeRows`) must leave the aggregator exactly as the pure `add_rows` path does:
compared on the whole report plus each bucket's first drop, rule order and senders.
The extension is built by the optional compiled build (hatch_build.py); with HYBRIDFW_PURE=1 it
is not there and these tests say so instead of passing.
"""

from __future__ import annotations

import gc
import os
import tempfile
import weakref
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.drops import analyse, native_outcome
from _support.hypo import examples
from _support.netfilter_lines import log_line
from hybridfw import native
from hybridfw.drops import native_rows
from hybridfw.drops.netfilter import _ROWS
from hybridfw.drops.times import TimeParser

if os.environ.get("HYBRIDFW_PURE", "") not in ("", "0"):
    pytest.skip("HYBRIDFW_PURE is set: the compiled scanner is not loaded", allow_module_level=True)
if not native_rows.available():
    # Only a build without a C compiler or Python's headers may lack it (CI has both: there the
    # missing extension is a failure, never a skip).
    _why = native.read_info()
    if _why is None or not _why.pure_reason or _why.pure_reason.startswith("HYBRIDFW_PURE"):
        pytest.fail("hybridfw.drops._nfscan is not built: pip install -e . (see hatch_build.py)",
                    pytrace=False)
    pytest.skip(f"built without a C toolchain: {_why.pure_reason}", allow_module_level=True)

from hybridfw.drops import _nfscan

# Pieces that move the pattern's decisions: separators, the field names it looks for, classes'
# edges (\s members \x1c-\x1f and \x0b, bytes >= 128), the bracket, CR.
PIECES = (b"=", b" ", b"  ", b"\t", b"\x1c", b"\x0b", b"\x85", b"\xa0", b"\r", b"[", b"]", b".", b":",
          b"_", b"IN=", b" OUT=", b"MAC=", b"SRC=", b" DST=", b"PROTO=", b" SPT=", b" DPT=", b" kernel: ",
          b"P", b"9", b"x", b"PROTO= ", b"PROTO=-", b" SPT=1 DPT=", b"[ 12.5] ", b"[ 12.] ", b"[.5] ",
          b"[\t1.2]", b"2026-12-01T", b"Dec  1 13:11:22")


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A generated log line (or random bytes) with pieces inserted, removed or its fields reordered."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=80)).replace(b"\n", b"")
    line = draw(log_line()).rstrip("\r\n").encode("utf-8", errors="replace")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(line)))
        change = draw(st.sampled_from(("insert", "delete", "swap")))
        if change == "insert":
            line = line[:at] + draw(st.sampled_from(PIECES)) + line[at:]
        elif change == "delete":
            line = line[:at] + line[at + draw(st.integers(1, 6)):]
        else:  # odd field order: two space-separated words change places
            words = line.split(b" ")
            i, j = draw(st.integers(0, len(words) - 1)), draw(st.integers(0, len(words) - 1))
            words[i], words[j] = words[j], words[i]
            line = b" ".join(words)
    return line


# Lines at each decision of the pattern (one per way a part can fail or match).
_HEAD = b"Dec  1 13:11:22 gw kernel: "
_BODY = b"IN=eth0 OUT= SRC=40.107.3.4 DST=203.0.113.10 LEN=60 PROTO=TCP SPT=1 DPT=25 SYN"
EDGES = (
    _HEAD + _BODY, _HEAD + b"[ 12.] " + _BODY, _HEAD + b"[.5] " + _BODY, _HEAD + b"[\x1c7.5] " + _BODY,
    _HEAD + b"[\x857.5] " + _BODY, _HEAD + b"[7.5]  " + _BODY, _HEAD + b"x=y " + _BODY,
    _HEAD + b"pre  " + _BODY, _HEAD + b"preIN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP SPT=1 DPT=2",
    _HEAD + _BODY.replace(b"PROTO=TCP", b"PROTO= PROTO=-x PROTO=UDP"),
    _HEAD + _BODY.replace(b"DPT=25", b"DPT="), _HEAD + _BODY.replace(b"SPT=1", b"SPT="),
    _HEAD + _BODY.replace(b"SPT=1 DPT", b"SPT=1  DPT"), _HEAD + _BODY.replace(b" SRC=", b" MAC=\x85 SRC="),
    _HEAD + _BODY.replace(b"DST=203.0.113.10", b"DST=203.0.113.10\t"),
    _HEAD + _BODY.replace(b"eth0", b"eth\x1c0"), _HEAD + _BODY.replace(b"SRC=40", b"SRC=g40"),
    _HEAD + _BODY.replace(b"OUT= ", b"OUT=\x0b "), b"Dec 1 13:11:22 gw kernel: " + _BODY,
    b"Dec 01 13:11:22 gw kernel: " + _BODY, b"DEC  1 13:11:22 gw kernel: " + _BODY,
    b"Dec  1 13:11:22 gw  kernel: " + _BODY, b"Dec  1 13:11:22  kernel: " + _BODY,
    b"2026-12-01T13:11:22+00:00 gw kernel: " + _BODY, b"2026-12-01T gw kernel: " + _BODY,
    b"2026-12-01 13:11:22 gw kernel: " + _BODY, b"2026-12-01T1\x853 gw kernel: " + _BODY, b"", b"  \t",
)


@pytest.mark.parametrize("line", EDGES)
def test_rows_at_each_decision(line: bytes) -> None:
    for block in (line + b"\n", line + b"\n" + line, b"x\n" + line + b"\r\n"):
        assert _nfscan.rows(block) == _ROWS.findall(block)


@settings(max_examples=examples(300), deadline=None)
@given(lines=st.lists(mangled(), max_size=30), end=st.sampled_from((b"\n", b"", b"\r\n", b"x")))
def test_rows_are_the_patterns_groups(lines: list[bytes], end: bytes) -> None:
    block = b"\n".join(lines) + end
    assert _nfscan.rows(block) == _ROWS.findall(block)


def test_rows_on_the_lines_the_pattern_was_written_for() -> None:
    line = (b"Dec  1 13:11:22 gw kernel: [ 812345.678901] HFW-DROP  IN=eth0 OUT= MAC=00:16:3e SRC=40.107.3.4 "
            b"DST=203.0.113.10 LEN=60 PREC=0x00 PROTO=TCP SPT=51234 DPT=25 SYN\n")
    assert _nfscan.rows(line) == [(line[:-1], b"Dec  1 13:11:22", b"HFW-DROP ",
                                   b"IN=eth0 OUT= MAC=00:16:3e SRC=40.107.3.4 DST=203.0.113.10", b"TCP",
                                   b"25", b"")]
    icmp = b"2026-12-01T13:11:22+0000 gw kernel: IN=eth0 OUT= SRC=::1 DST=::2 LEN=6 PROTO=ICMPv6 TYPE=128\n"
    assert _nfscan.rows(icmp)[0][1:] == (b"2026-12-01T13:11:22+0000", b"", b"IN=eth0 OUT= SRC=::1 DST=::2",
                                         b"ICMPv6", b"", b"")
    cut = b"garbage\nno end"
    assert _nfscan.rows(cut) == [(b"",) * 6 + (b"garbage",)] == _ROWS.findall(cut)


# 12 senders in one published block and 12 in one /24, two that are no address (999.1.1.1, 1.2.3)
SENDERS = (*(f"40.107.3.{i}" for i in range(12)), *(f"198.51.100.{i}" for i in range(12)), "999.1.1.1",
           "1.2.3")


@st.composite
def crowded_line(draw: st.DrawFn) -> str:
    """Many senders per bucket (more than the 8 kept), many prefixes per bucket, equal times,
    unreadable addresses, times that cannot be read (undated: counted when a window is set), the
    same packet on two flow ports."""
    src = draw(st.sampled_from(SENDERS))
    prefix = draw(st.sampled_from(("A ", "B ", " B ", "C  ", "", "D")))
    hms = draw(st.sampled_from(("13:11:22", "13:11:23", "01:00:00")))
    when = draw(st.sampled_from((f"Dec  1 {hms}", f"2026-12-01T{hms}+00:00", f"2026-12-01T{hms}.000+00:00",
                                 f"Feb 30 {hms}", "2026-12-01T25:00:00+00:00")))
    return (f"{when} gw kernel: {prefix}IN=eth0 OUT= SRC={src} DST=203.0.113.10 LEN=60 PROTO=TCP "
            f"SPT=4000 DPT={draw(st.sampled_from(('25', '025', '443', '22')))} SYN\n")


@settings(max_examples=examples(80, 15), deadline=None)
@given(files=st.lists(st.lists(st.one_of(log_line(), crowded_line()), min_size=1, max_size=40), min_size=1,
                      max_size=3),
       block=st.sampled_from((1, 50, 4096, 1 << 20)), small=st.sampled_from((0, 1, 2, 3)),
       window=st.sampled_from(((None, None), ("Dec  1 06:00:00", None), (None, "2026-12-01T12:00:00Z"))))
def test_tally_leaves_what_add_rows_leaves(files: list[list[str]], block: int, small: int,
                                           window: tuple[str | None, ...]) -> None:
    times = TimeParser()
    bounds = tuple(times(w) if w else None for w in window)
    # tiny caches (0: the real sizes): 2 and 3 also clear the ports table between a line's scan
    # (one line ahead, its port looked up there) and its addition
    limits = {"packet_limit": 2, "small_limit": small} if small else {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n, lines in enumerate(files):
            paths.append(Path(tmp) / f"kern{n}.log")
            paths[-1].write_text("".join(lines), encoding="utf-8", errors="replace", newline="")
        paths.append(paths[0])  # the same file twice: a packet's bucket is known from the first read
        with mock.patch.dict(native_rows.LIMITS, limits):
            assert native_outcome(paths, True, block, bounds) == native_outcome(paths, False, block, bounds)


def test_tally_on_the_benchmark_log_and_the_counts(tmp_path: Path) -> None:
    lines = [f"Dec  1 13:11:{s % 60:02d} gw kernel: [1.5] P{s % 3} IN=eth0 OUT= SRC=40.107.3.{s % 20} "
             f"DST=203.0.113.10 PROTO=TCP SPT=1 DPT={(25, 22)[s % 2]} \n" for s in range(400)]
    lines[7] = "Dec  1 13:11:07 gw sshd[1]: unrelated\n"
    lines[9] = "Dec  1 13:11:09 gw kernel: IN=eth0 OUT= SRC=40.107.3.9 DST=203.0.113.10 PROTO=ICMP TYPE=8\n"
    lines[10] = lines[10].replace("SRC=40.107.3.10", "SRC=999.1.1.1")  # no address: malformed
    lines[12] = lines[12].replace("Dec  1", "Feb 30")  # no time: undated
    path = tmp_path / "kern.log"
    path.write_text("".join(lines))
    native = native_outcome([path], True, 1000, (None, None))
    pure = native_outcome([path], False, 1000, (None, None))
    assert native == pure
    report = native[0]  # type: ignore[index]
    assert report["skipped"]["other_lines"] == 1 and report["unrelated_drops"] == 199  # 22/tcp and ICMP
    assert report["skipped"]["lines"] == 1 and "not an address: 999.1.1.1" in report["skipped"]["example"]
    assert sum(d["count"] for d in report["drops"]) == 199 and report["drops"][0]["rule"] == "P0"
    window = (TimeParser()("Dec  1 13:11:30"), None)
    windowed = native_outcome([path], True, 1000, window)
    assert windowed == native_outcome([path], False, 1000, window)
    assert windowed[0]["undated"] == 1 and windowed[0]["outside_window"] > 0  # type: ignore[index]


def test_ports_cleared_between_a_lines_scan_and_its_addition(tmp_path: Path) -> None:
    # Feed scans each line one ahead and looks its port up then; a clear of the ports table in
    # between (small_limit 2, three ports in turn) renumbers the plans: the looked-up number is stale.
    ports = ("25", "443", "22", "587", "025")
    lines = [f"Dec  1 13:11:{s % 60:02d} gw kernel: IN=eth0 OUT= SRC=40.107.{s % 7}.9 DST=203.0.113."
             f"{(10, 20)[s % 2]} PROTO=TCP SPT=1 DPT={ports[s % len(ports)]} \n" for s in range(300)]
    path = tmp_path / "kern.log"
    path.write_text("".join(lines))
    for small in (2, 3, 4):
        with mock.patch.dict(native_rows.LIMITS, {"small_limit": small}):
            native = native_outcome([path], True, 1 << 20, (None, None))
        assert native == native_outcome([path], False, 1 << 20, (None, None))
    assert sum(d["count"] for d in native[0]["drops"]) > 100  # type: ignore[index]


def test_the_buckets_go_with_the_report(tmp_path: Path) -> None:
    # The Tally's callbacks are the reader's methods (a cycle); closed after the file, the
    # aggregate is freed with the report at once, not at some later full collection.
    path = tmp_path / "kern.log"
    path.write_text("Dec  1 13:11:22 gw kernel: IN=eth0 OUT= SRC=40.107.3.4 DST=203.0.113.10 PROTO=TCP "
                    "SPT=1 DPT=25 \n" * 3)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        report = analyse(path)
        bucket = weakref.ref(report.buckets[0])
        del report
        assert bucket() is None
    finally:
        if was_enabled:
            gc.enable()


def test_a_closed_tally_refuses_to_feed() -> None:
    tally = _nfscan.Tally(False, *([print] * 8))
    tally.close()
    with pytest.raises(ValueError, match="not initialised"):
        tally.feed(b"x\n", 0, print)
