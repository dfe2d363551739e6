"""Fuzzing the vendor parsers: truncated, mutated, garbage, wrong-format and huge-line inputs give
a ruleset (that the evaluator can audit) or a one-line InputError, never another exception.

Small, fixed example sets here; set HYBRIDFW_FUZZ_EXAMPLES to run many more, freshly random
(e.g. 10000).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.vendor import DATA, addrs
from _support.vendor_writers import WRITERS
from hybridfw.audit import audit_ruleset
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parsers

EXAMPLES = int(os.environ.get("HYBRIDFW_FUZZ_EXAMPLES", "60"))
LONG_RUN = "HYBRIDFW_FUZZ_EXAMPLES" in os.environ  # then explore anew each run
SEEDS = {"asa": DATA / "asa-features.cfg", "panos": DATA / "panos-features.xml",
         "panos-set": DATA / "panos-features.set", "pfsense": DATA / "pfsense-features.xml"}
VOCABULARY = ["any", "host", "object", "object-group", "eq", "range", "neq", "lt", "gt", "[", "]",
              "10.0.0.0", "255.255.0.0", "2001:db8::/32", "smtp", "65536", "-1", "<entry>", "</entry>",
              "<member>", "</member>", "<not/>", "<any/>", '"', "'", "set", "rulebase", "security",
              "rules", "move", "top", "before", "group-object", "port-object", "access-list",
              "access-group", "in", "interface", "extended", "permit", "deny", "tcp", "ip", "\x00",
              "é", "0.0.0.0-255.255.255.255", "25:26", "1-70000", "application-default"]
FLOW = Flow(id="fuzz", direction="inbound", protocol="tcp", ports=(25,),
            sources=addrs("40.92.0.0/15", "2a01:111:f400::/48"),
            destinations=addrs("203.0.113.10", "2001:db8::10"), reason="fuzz")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG_RUN,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _survives(fmt: str, text: str) -> None:
    """Parse (and audit) `text`; only InputError may come out."""
    for parser in parsers().values():
        score = parser.detect(text)
        assert 0.0 <= score <= 1.0
    try:
        ruleset = parsers()[fmt].parse(text, "fuzz.cfg")
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("fuzz.cfg")
        return
    audit_ruleset(ruleset, [FLOW])


def _mutate(text: str, data: st.DataObject) -> str:
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 6))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "token", "cut", "swap"]))
        words = lines[i].split(" ")
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "token":
            at = data.draw(st.integers(0, len(words)))
            words.insert(at, data.draw(st.sampled_from(VOCABULARY)))
            lines[i] = " ".join(words)
        elif action == "cut":
            lines[i] = lines[i][:data.draw(st.integers(0, len(lines[i])))]
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_mutated_fixtures(fmt: str, data: st.DataObject) -> None:
    _survives(fmt, _mutate(SEEDS[fmt].read_text(), data))


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(cut=st.floats(0.0, 1.0))
def test_truncated_fixtures(fmt: str, cut: float) -> None:
    text = SEEDS[fmt].read_text()
    _survives(fmt, text[:int(len(text) * cut)])


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(text=st.text(max_size=400) | st.lists(st.sampled_from(VOCABULARY), max_size=40).map(" ".join))
def test_garbage(fmt: str, text: str) -> None:
    _survives(fmt, text)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@pytest.mark.parametrize("other", sorted(SEEDS))
def test_wrong_format_is_an_input_error_or_empty(fmt: str, other: str) -> None:
    if fmt != other:
        _survives(fmt, SEEDS[other].read_text())


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_huge_lines(fmt: str) -> None:
    seed = SEEDS[fmt].read_text()
    _survives(fmt, seed + "x" * 2_000_000 + "\n")
    _survives(fmt, seed.replace("\n", " ", 40))
    _survives(fmt, "<a>" * 50_000)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_founding_writer_output_survives_mutation_seeded(fmt: str, tmp_path: Path) -> None:
    text = WRITERS[fmt](tmp_path, addrs("23.103.132.0/22", "2a01:111:f400:7c00::/54")).read_text()
    for cut in range(0, len(text), max(1, len(text) // 50)):
        _survives(fmt, text[:cut])
