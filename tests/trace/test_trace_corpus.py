"""The hand-labelled regression corpus (tests/data/trace/corpus/labels.toml), file by file."""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path
from typing import Any

import pytest

from _support.trace import TRACE_DATA
from hybridfw.errors import InputError
from hybridfw.trace import diagnose_files

CORPUS = TRACE_DATA / "corpus"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "labels.toml").read_text(encoding="utf-8"))["case"]


def test_every_corpus_file_is_labelled() -> None:
    labelled = {case["file"] for case in CASES}
    present = {p.name for p in CORPUS.iterdir() if p.name != "labels.toml"}
    assert present == labelled


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"])
def test_corpus_case(case: dict[str, Any]) -> None:
    path = CORPUS / case["file"]
    if "error" in case:
        with pytest.raises(InputError) as info:
            diagnose_files([path])
        assert case["error"] in str(info.value)
        assert case["file"] in str(info.value)
        return
    report = diagnose_files([path])
    assert report.files[0].format == case["format"]
    assert {c.entry.id: c.count for c in report.causes} == case["causes"]
    assert report.undecided_count == case.get("undecided", 0)
    assert report.exit_code == (1 if case["causes"] or case.get("undecided") else 0)
    if not report.causes:
        return
    assert {c.hop for c in report.causes} == {case["direction"]}
    first = report.to_dict()["causes"][0]
    assert first["flow"] == case["flow"]
    assert (next(iter(first["target_ips"]), "")) == case["target_ip"]


def test_a_next_page_link_is_reported() -> None:
    report = diagnose_files([CORPUS / "graph-message-trace-page1.json"])
    assert any("@odata.nextLink" in note for note in report.notes)


def test_a_lost_multi_valued_status_says_how_to_re_export() -> None:
    report = diagnose_files([CORPUS / "tracking-export-utf16.csv"])
    lost = next(c for c in report.causes if c.entry.id == "detail-not-exported")
    assert "-join" in lost.entry.fix and lost.count == 1


def test_on_premises_events_without_text_get_on_premises_advice() -> None:
    """POISONMESSAGE and BADMAIL carry no error text: their advice is about the poison queue and
    the Pickup/Replay directory, never an Exchange Online trace export."""
    report = diagnose_files([CORPUS / "MSGTRK20260529-poison-badmail.LOG"])
    fixes = {c.entry.id: c.entry.fix_for(c.hop) for c in report.causes}
    assert "Poison" in fixes["poison-message"] and "Pickup" in fixes["badmail"]
    assert not any("MessageTraceDetail" in fix for fix in fixes.values())
    assert report.exit_code == 1


def test_json_dates_are_read() -> None:
    report = diagnose_files([CORPUS / "message-trace-ps51.json"])
    (cause,) = report.causes
    assert cause.first_seen is not None and cause.first_seen.isoformat().startswith("2024-01-25T15:16")


# Every encoding hybridfw reads: (name, codec, BOM). The corpus files are re-encoded and must
# give the same diagnosis.
ENCODINGS = [("utf-8", "utf-8", b""), ("utf-8-bom", "utf-8", codecs.BOM_UTF8),
             ("utf-16le-bom", "utf-16-le", codecs.BOM_UTF16_LE),
             ("utf-16be-bom", "utf-16-be", codecs.BOM_UTF16_BE),
             ("utf-16le", "utf-16-le", b""), ("cp1252", "cp1252", b"")]


@pytest.mark.parametrize("case", [c for c in CASES if "error" not in c], ids=lambda c: c["file"])
def test_corpus_case_in_every_encoding(case: dict[str, Any], tmp_path: Path) -> None:
    source = CORPUS / case["file"]
    raw = source.read_bytes()
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF8, "utf-8")):
        if raw.startswith(bom):
            text = raw[len(bom):].decode(codec)
            break
    else:
        text = raw.decode("utf-8")
    for name, codec, bom in ENCODINGS:
        copy = tmp_path / name / case["file"]
        copy.parent.mkdir()
        copy.write_bytes(bom + text.encode(codec))
        report = diagnose_files([copy])
        assert report.files[0].format == case["format"], name
        assert {c.entry.id: c.count for c in report.causes} == case["causes"], name
        assert report.undecided_count == case.get("undecided", 0), name
