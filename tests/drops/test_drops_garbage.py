"""Garbage and truncated lines never crash a parser: they are counted, and a report still comes out."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.drops import DATA, analyse
from hybridfw.drops import PARSERS
from hybridfw.drops.interface import DropsError

pytestmark = pytest.mark.slow

FIXTURE_LINES = [line for p in sorted(DATA.iterdir())
                 if not p.name.endswith(".json") or p.name == "journal.json"
                 for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


@st.composite
def damaged_lines(draw: st.DrawFn) -> str:
    """Fixture lines cut at a random place, with random text spliced in, or plain random text."""
    if draw(st.booleans()):
        text = draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
        return text.replace("\n", " ").replace("\r", " ")
    line = draw(st.sampled_from(FIXTURE_LINES))
    cut = draw(st.integers(min_value=0, max_value=len(line)))
    noise = draw(st.text(alphabet=",=:/\".[] %0123456789abcdefSRCDTIN", max_size=12))
    return (line[:cut] + noise + line[cut + draw(st.integers(0, 20)):]).replace("\r", " ")


@pytest.mark.parametrize("parser", [p.name for p in PARSERS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(damaged_lines(), min_size=1, max_size=30))
def test_damaged_logs_are_counted_not_crashed(tmp_path: Path, parser: str, lines: list[str]) -> None:
    log = tmp_path / f"{parser}.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        report = analyse(log, fmt=parser)
    except DropsError:
        return  # an input error is a clean answer too (e.g. nothing but whitespace)
    (summary,) = report.files
    read = summary.drops + summary.stats.not_drops + summary.stats.malformed + summary.stats.other
    assert read <= len(lines) + 1
    report.to_dict()


def test_a_record_with_an_unreadable_address_is_malformed_not_also_a_drop(tmp_path: Path) -> None:
    # Found by the test above: netfilter records whose DST is not an address were counted twice.
    record = ("HFW-DROP IN=eth0 OUT= SRC=40.107.3.4 DST={dst} LEN=60 TTL=52 ID=1 DF PROTO=TCP "
              "SPT=51234 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0")
    lines = [record.format(dst=dst) for dst in ("03.0.113.10", "0203.0.113.10", "203.0.113.10")]
    log = tmp_path / "kern.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (summary,) = analyse(log, fmt="netfilter").files
    assert (summary.drops, summary.stats.malformed) == (1, 2)
