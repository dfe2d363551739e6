"""Every registered parser (ours and the vendor ones) survives hostile input: it returns a
ruleset the evaluator can walk or raises InputError. benchmarks/fuzz_parsers.py runs >= 10k."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings

from _support.fuzz_inputs import check_parser, hostile_text, parser_names
from hybridfw.errors import InputError
from hybridfw.rulesets import detect_format, parsers


@pytest.mark.parametrize("name", parser_names())
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=hostile_text())
def test_parser_never_crashes(name: str, text: str) -> None:
    check_parser(parsers()[name], text)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=hostile_text())
def test_detection_never_crashes(text: str) -> None:
    with contextlib.suppress(InputError):
        detect_format(text, "fuzz")
