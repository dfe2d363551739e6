"""Every hand-labelled fixture is read in its format and each drop lands in its labelled class."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from _support.drops import DATA, analyse, expected, rows
from hybridfw.drops.interface import DropsError

FIXTURES = sorted(p for p in DATA.iterdir() if not p.name.endswith(".expected.json")
                  and p.with_name(p.name.split(".")[0] + ".expected.json").exists())


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_fixture_classes_as_labelled(fixture: Path) -> None:
    want = expected(fixture)
    report = analyse(fixture)
    (summary,) = report.files
    assert summary.format == want["format"]
    assert rows(report) == sorted(want["drops"])  # type: ignore[arg-type]
    assert summary.stats.malformed == want["malformed"]
    assert summary.stats.other == want["other"]
    assert report.unrelated == want["unrelated"]
    if fixture.name != "dmesg.log":  # plain dmesg carries only the uptime
        assert all(b.first_seen and b.first_seen.year == 2026 and b.first_seen.month == 12
                   for b in report.buckets), "every format's time stamps are read"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_rotated_gz_reads_the_same(fixture: Path, tmp_path: Path) -> None:
    rotated = tmp_path / (fixture.name + ".1.gz")
    with fixture.open("rb") as src, gzip.open(rotated, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert rows(analyse(rotated)) == rows(analyse(fixture))


def test_times_first_and_last_seen() -> None:
    report = analyse(DATA / "netfilter-syslog.log")
    bucket = next(b for b in report.buckets if b.source == "40.107.0.0/16")
    assert bucket.first_seen is not None and bucket.last_seen is not None
    assert (bucket.first_seen.month, bucket.first_seen.day, bucket.first_seen.hour) == (12, 1, 13)
    assert (bucket.last_seen - bucket.first_seen).total_seconds() == 3
    assert bucket.evidence.startswith(f"{DATA / 'netfilter-syslog.log'}:1: Dec  1 13:11:22")


def test_journal_json_times_are_exact() -> None:
    report = analyse(DATA / "journal.json")
    bucket = next(b for b in report.buckets if b.source == "40.107.0.0/16")
    assert bucket.first_seen == datetime(2026, 12, 1, 13, 11, 22, tzinfo=UTC)
    assert bucket.last_seen == datetime(2026, 12, 1, 13, 11, 23, tzinfo=UTC)


def test_truncated_gz_keeps_what_was_read_and_says_so(tmp_path: Path) -> None:
    whole = gzip.compress((DATA / "netfilter-syslog.log").read_bytes() * 200)
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    report = analyse(cut)
    assert report.files[0].problems and "ends early" in report.files[0].problems[0]
    assert any(f.code == "drops.file-incomplete" for f in report.findings)
    assert report.counts()["published"] > 0
    assert report.exit_code == 1


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary" * 50, b"hello\nworld\n"])
def test_unreadable_inputs_are_input_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.log"
    path.write_bytes(content)
    with pytest.raises(DropsError):
        analyse(path)


def test_forced_netfilter_reads_json_wrapped_lines_and_unknown_names_fail() -> None:
    report = analyse(DATA / "journal.json", fmt="netfilter")
    # The JSON lines still carry the netfilter text: the plain parser finds the same drops.
    assert report.counts()["published"] == 4
    with pytest.raises(DropsError, match="unknown format"):
        analyse(DATA / "journal.json", fmt="nope")
