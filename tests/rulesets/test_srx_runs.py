"""Differential: the SRX ``display set`` lines read with the compiled runs (``_srxruns.c``: the
lines of one policy with a plain head, kept unread in its record) against the line loop alone
(`_srx_scan.SetLines.feed`, the reference): the same records in the same order, the same
statements, and the applications a run tells are those `_plain_applications` reads from the
lines. Random lines lean on what decides a plain head: odd characters in zone and policy names
(blanks Python splits at, quotes, comments, braces, NUL, Latin-1), the head alone, doubled
blanks, and runs broken and taken up again."""

from __future__ import annotations

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.native import require_extension
from hybridfw.rulesets import _srx_scan
from hybridfw.rulesets._junos_tree import Deactivated
from hybridfw.rulesets._srx_reader import _plain_applications

_NAMES = ("a", "b", "p", "z0", "a", "b", "p", "/*x", "a/*b", "p#1", 'p"q', "p{", "p\xa0q", "é", "x\x00",
          "to-zone", "global", "p]")
_RESTS = ("match application x", "match application junos-smtp", "match source-address a", "then permit",
          "then deny", "match application x y", "match application", 'match application "x"',
          "match application x # c", "match application x/*c*/", 'description "application z"',
          "match application-x", "match application x\xa0", "", "match  application x", "match application é",
          "match destination-address any", "then permit application-services")
_OTHERS = ("set security zones security-zone a interfaces ge-0/0/0.0", "",
           "deactivate security policies from-zone a to-zone b policy p",
           "set applications application x protocol tcp destination-port 25", "# comment",
           "set security policies from-zone a to-zone b policy p", "set security policies global policy p",
           "set security policies  from-zone a to-zone b policy p then permit",
           "set security policies from-zone a to-zone b policy p\tthen permit",
           " set security policies from-zone a to-zone b policy p then permit",
           "set security policies default-policy permit-all")
_BREAKS = ("\n", "\n", "\n", "\n", "\r\n", "\x0b", "\x85")


@st.composite
def _line(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(_OTHERS))
    name = st.sampled_from(_NAMES)
    rest = draw(st.sampled_from(_RESTS))
    if kind == 1:
        return f"set security policies global policy {draw(name)} {rest}"
    return f"set security policies from-zone {draw(name)} to-zone {draw(name)} policy {draw(name)} {rest}"


@st.composite
def _text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 14))):
        if lines and draw(st.integers(0, 2)) == 0 and " policy " in lines[-1]:  # the same head again
            head = lines[-1][:lines[-1].index(" policy ") + 8]
            lines.append(f"{head}{lines[-1][len(head):].split(' ')[0]} {draw(st.sampled_from(_RESTS))}")
        else:
            lines.append(draw(_line()))
    ending = draw(st.sampled_from(("\n", "")))
    return draw(st.sampled_from(_BREAKS)).join(lines) + ending


def _dump(done: _srx_scan.Scan | None) -> object:
    if done is None:
        return None
    return ([(key, r.head, list(r.statements())) for key, r in done.records.items()],
            [(s.line, s.verb, s.words) for s in done.statements])


@settings(max_examples=examples(500, 100), deadline=None)
@given(_text())
@example("set security policies from-zone a to-zone b policy p match application x\n"
         "set security zones security-zone a interfaces ge-0/0/0.0\n"
         "set security policies from-zone a to-zone b policy p match application y\n")
@example("set security policies from-zone a to-zone b policy p\xa0q then permit\n")
@example("set security policies from-zone a to-zone b policy p match application-x\n")
def test_the_compiled_runs_read_the_set_form_as_the_line_loop(text: str) -> None:
    require_extension(_srx_scan._srxruns, "hybridfw.rulesets._srxruns")
    compiled = _srx_scan.scan(text)
    told = {key: r.block[3] for key, r in compiled.records.items() if r.block is not None} if compiled else {}
    runs, _srx_scan._srxruns = _srx_scan._srxruns, None
    try:
        reference = _srx_scan.scan(text)
    finally:
        _srx_scan._srxruns = runs
    assert _dump(compiled) == _dump(reference), text
    assert compiled is not None or not told
    off = Deactivated([])
    for key, apps in told.items():
        assert compiled is not None
        assert apps is None or apps == _plain_applications(compiled.records[key], off), (key, text)
    event(f"runs unread: {min(len(told), 2)}, told: {any(isinstance(a, tuple) for a in told.values())}")
