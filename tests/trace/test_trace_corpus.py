"""The hand-labelled regression corpus (tests/data/trace/corpus/labels.toml), file by file."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from trace_support import TRACE_DATA

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
    assert report.exit_code == (1 if case["causes"] else 0)
    if not report.causes:
        return
    assert {c.hop for c in report.causes} == {case["direction"]}
    first = report.to_dict()["causes"][0]
    assert first["flow"] == case["flow"]
    assert (next(iter(first["target_ips"]), "")) == case["target_ip"]
