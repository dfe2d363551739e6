"""FortiGate key=value reading: the pairs read with the unrolled quoted-value pattern and unquoted
on access give exactly the values of the original reading (every value unquoted up front, the
pattern `"(?:[^"\\]|\\.)*"`), on generated lines with quotes, escapes, cut quotes and repeats."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw.drops.fortigate import key_values, unquoted

_ORIGINAL = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')

KEYS = ("srcip", "dstip", "dstport", "action", "type", "policyid", "policyname", "msg", "date", "time", "x_1")
VALUE_PARTS = ("40.107.3.4", "deny", "accept", "25", "", " ", "a b", '\\"', "\\\\", "\\", "=",
               "srcip=1.2.3.4", "\t", "é", "\n")


@st.composite
def value(draw: st.DrawFn) -> str:
    text = "".join(draw(st.lists(st.sampled_from(VALUE_PARTS), max_size=4)))
    shape = draw(st.sampled_from(("plain", "quoted", "quoted", "open quote")))
    if shape == "plain":
        return text.replace(" ", "").replace("\n", "")
    return f'"{text}"' if shape == "quoted" else f'"{text}'


@st.composite
def line(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), value()), max_size=12))
    seps = draw(st.lists(st.sampled_from((" ", "  ", " junk ", '"', "")), min_size=len(pairs),
                         max_size=len(pairs)))
    return "".join(f"{k}={v}{sep}" for (k, v), sep in zip(pairs, seps, strict=True))


@settings(max_examples=examples(300), deadline=None)
@given(text=line())
def test_pairs_read_as_the_original_pattern_and_unquoting_did(text: str) -> None:
    original = {k: v[1:-1] if v.startswith('"') else v for k, v in _ORIGINAL.findall(text)}
    pairs = key_values(text)
    assert pairs.keys() == original.keys()
    assert {k: unquoted(pairs, k) for k in pairs} == original
    assert unquoted(pairs, "absent", "0") == "0"
